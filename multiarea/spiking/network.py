"""E/I spiking networks: a single :class:`Area` and the :class:`MultiAreaNetwork`.

Both are brainpy DynamicalSystems made of an excitatory and an inhibitory
:class:`~multiarea.spiking.neurons.LIF` population and four projections (E->E, E->I,
I->E, I->I); run them with ``bp.DSRunner``.  Weights follow Joglekar et al.
(2018): ``wXY`` / ``muXY`` is the weight onto population X from population Y
(mV per spike, delta synapses).

In the multi-area network the populations are stored area-major,
``E.size == (n_areas, n_E)``, and each projection is fused over areas: one op
call delivers the spikes of all source areas to all target areas (zero-FLN
pairs skipped).  For targets i and sources j:

* E_j -> E_i: ``(1 + alpha h_i) muEE FLN[i, j]``; i == j: ``(1 + alpha h_i) wEE``
* E_j -> I_i: ``(1 + alpha h_i) muIE FLN[i, j]``; i == j: ``(1 + alpha h_i) wIE``
* I_i -> E_i: ``-wEI``; I_i -> I_i: ``-wII`` (local only)

Inter-areal delays are ``distance[i, j] / speed`` with per-synapse normal
jitter (sd ``delay_sd_fraction`` x mean); local delays are constant.
"""
from __future__ import annotations

import brainpy as bp
import brainpy.math as bm
import jax.numpy as jnp
import numpy as np

from .. import _checks
from ..projections.connectivity import FixedProb
from ..projections.projection import Projection
from .inputs import StepInput
from .neurons import LIF

__all__ = ["Area", "MultiAreaNetwork"]

_LIF_KEYS = ("V_rest", "V_reset", "V_th", "tau_ref", "sigma", "V_init", "synapses_during_refractory",
             "refractory_timing")


def _seeds(seed: int, n: int) -> list[int]:
    return [int(s) for s in np.random.SeedSequence(_checks.seed_int("seed", seed)).generate_state(n)]


class _EINetwork(bp.DynamicalSystem):
    """E and I populations with projections EE, EI (from E), IE, II (from I).

    Projection names say *pre -> post*: ``EI`` is E->I (weight wIE).
    """

    def __init__(self, dt, name=None):
        super().__init__(name=name)
        self.dt = dt
        self.t = bm.Variable(jnp.zeros((), jnp.int32))  #: current step

    def reset_state(self, batch_size=None, **kwargs):
        for node in (self.E, self.I, self.EE, self.EI, self.IE, self.II):
            node.reset_state()
        self.t.value = jnp.zeros((), jnp.int32)

    def update(self):
        """Advance one step; returns ``(E spikes, I spikes)``."""
        t = self.t.value
        spike_E = self.E.update(self.EE.arriving.value + self.IE.arriving.value)
        spike_I = self.I.update(self.EI.arriving.value + self.II.arriving.value)
        self.EE.deliver(spike_E, t)
        self.EI.deliver(spike_E, t)
        self.IE.deliver(spike_I, t)
        self.II.deliver(spike_I, t)
        self.t.value = t + 1
        return spike_E, spike_I


def _populations(size_E, size_I, *, tau_E, tau_I, VextE, VextI, lif, dt, seeds):
    lif = dict(lif or {})
    unknown = set(lif) - set(_LIF_KEYS)
    if unknown:
        raise ValueError(f"unknown LIF parameter(s) {sorted(unknown)}; valid: {list(_LIF_KEYS)}")
    E = LIF(size_E, tau=tau_E, V_ext=VextE, dt=dt, seed=seeds[0], **lif)
    I = LIF(size_I, tau=tau_I, V_ext=VextI, dt=dt, seed=seeds[1], **lif)
    return E, I


class Area(_EINetwork):
    """One cortical area: E and I LIF populations with their four local projections.

    Args:
        name: area name.
        n_E, n_I: population sizes.
        wEE, wIE, wEI, wII: local weights (mV) onto X from Y; inhibitory
            weights are given positive and applied negative.
        p: connection probability of the local projections.
        local_delay_ms: local synaptic delay (ms).
        tau_E, tau_I: membrane time constants (ms).
        VextE, VextI: external drive (mV).
        lif: further :class:`LIF` parameters shared by E and I
            (V_rest, V_reset, V_th, tau_ref, sigma, V_init, synapses_during_refractory,
            refractory_timing).
        seed: seed of connectivity, initial state and noise.
        dt: time step (ms), default ``brainpy.math.get_dt()``.
    """

    def __init__(self, name="area", n_E=1600, n_I=400, *, wEE=0.01, wIE=0.075, wEI=0.0375,
                 wII=0.075, p=0.1, local_delay_ms=2.0, tau_E=20.0, tau_I=10.0, VextE=14.2,
                 VextI=14.7, lif=None, seed=0, dt=None, backend=None):
        dt = _checks.positive_float("dt", bm.get_dt() if dt is None else dt)
        super().__init__(dt)
        self.area_name = str(name)
        n_E, n_I = _checks.positive_int("n_E", n_E), _checks.positive_int("n_I", n_I)
        s = _seeds(seed, 3)
        self.E, self.I = _populations(n_E, n_I, tau_E=tau_E, tau_I=tau_I, VextE=VextE,
                                      VextI=VextI, lif=lif, dt=dt, seeds=s[:2])
        conn = FixedProb(p, s[2])
        kw = dict(delay_ms=local_delay_ms, dt=dt, backend=backend)
        self.EE = Projection(self.E, self.E, conn, _checks.finite_float("wEE", wEE), proj_id=0, **kw)
        self.EI = Projection(self.E, self.I, conn, _checks.finite_float("wIE", wIE), proj_id=1, **kw)
        self.IE = Projection(self.I, self.E, conn, -_checks.finite_float("wEI", wEI), proj_id=2, **kw)
        self.II = Projection(self.I, self.I, conn, -_checks.finite_float("wII", wII), proj_id=3, **kw)


class MultiAreaNetwork(_EINetwork):
    """Areas coupled by long-range excitatory projections (Joglekar et al. 2018).

    Args:
        area_names: ``(n,)`` names.
        hierarchy: ``(n,)`` normalised hierarchy h in [0, 1].
        fln: ``(n, n)`` FLN, ``fln[i, j]`` from area j to area i (diagonal ignored).
        distance_mm: ``(n, n)`` wiring distances (mm), same layout.
        n_E, n_I: neurons per area.
        wEE, wIE, wEI, wII: local weights (mV); muEE, muIE: long-range scales.
        alpha: strength of the hierarchy gradient of excitation.
        p: connection probability of every projection.
        speed: axonal conduction speed (mm/ms); local_delay_ms: local delay.
        delay_sd_fraction: sd of the per-synapse inter-areal delay jitter as a
            fraction of the mean (0 = constant delays).
        tau_E, tau_I, VextE, VextI, lif: neuron parameters, as for :class:`Area`.
        seed: seed of connectivity, initial state and noise.
        dt: time step (ms).
        backend: op backend (see ``multiarea.ops.set_backend``).
    """

    def __init__(self, area_names, hierarchy, fln, distance_mm, *, n_E=1600, n_I=400,
                 wEE=0.01, wIE=0.075, wEI=0.0375, wII=0.075, muEE=0.0375, muIE=0.0475,
                 alpha=4.0, p=0.1, speed=3.5, local_delay_ms=2.0, delay_sd_fraction=0.1,
                 tau_E=20.0, tau_I=10.0, VextE=14.2, VextI=14.7, lif=None, seed=0, dt=None,
                 backend=None, name=None):
        dt = _checks.positive_float("dt", bm.get_dt() if dt is None else dt)
        super().__init__(dt, name=name)
        #: the arguments of the network (but ``backend``, ``name``): what
        #: ``ei_populations.ei_multiarea_network`` takes to build its population twin
        self.arguments = dict(area_names=area_names, hierarchy=hierarchy, fln=fln, distance_mm=distance_mm,
                              n_E=n_E, n_I=n_I, wEE=wEE, wIE=wIE, wEI=wEI, wII=wII, muEE=muEE, muIE=muIE,
                              alpha=alpha, p=p, speed=speed, local_delay_ms=local_delay_ms,
                              delay_sd_fraction=delay_sd_fraction, tau_E=tau_E, tau_I=tau_I, VextE=VextE,
                              VextI=VextI, lif=lif, seed=seed, dt=dt)
        self.area_names = tuple(str(a) for a in area_names)
        n = len(self.area_names)
        if n == 0:
            raise ValueError("area_names must not be empty")
        if len(set(self.area_names)) != n:
            raise ValueError(f"area_names must be unique, got {self.area_names}")
        self.hierarchy = _checks.finite_array("hierarchy", hierarchy, shape=(n,))
        self.fln = _checks.finite_array("fln", fln, shape=(n, n))
        distance = _checks.finite_array("distance_mm", distance_mm, shape=(n, n))
        if np.any(self.fln < 0):
            raise ValueError("fln must be non-negative")
        if np.any(distance < 0):
            raise ValueError("distance_mm must be non-negative")
        n_E, n_I = _checks.positive_int("n_E", n_E), _checks.positive_int("n_I", n_I)
        speed = _checks.positive_float("speed", speed)
        local_delay_ms = _checks.nonnegative_float("local_delay_ms", local_delay_ms)
        gain = 1.0 + _checks.finite_float("alpha", alpha) * self.hierarchy
        muEE, muIE = _checks.finite_float("muEE", muEE), _checks.finite_float("muIE", muIE)
        wEE, wIE = _checks.finite_float("wEE", wEE), _checks.finite_float("wIE", wIE)
        wEI, wII = _checks.finite_float("wEI", wEI), _checks.finite_float("wII", wII)

        s = _seeds(seed, 3)
        self.E, self.I = _populations((n, n_E), (n, n_I), tau_E=tau_E, tau_I=tau_I,
                                      VextE=VextE, VextI=VextI, lif=lif, dt=dt, seeds=s[:2])
        off_diagonal = ~np.eye(n, dtype=bool)
        fln_off = np.where(off_diagonal, self.fln, 0.0)
        self.delay_ms = np.where(off_diagonal, distance / speed, local_delay_ms)
        eye = np.eye(n)
        w_EE = gain[:, None] * (muEE * fln_off + wEE * eye)
        w_EI = gain[:, None] * (muIE * fln_off + wIE * eye)
        conn = FixedProb(p, s[2])
        kw = dict(dt=dt, backend=backend)
        long_range = dict(delay_ms=self.delay_ms, delay_sd_fraction=delay_sd_fraction,
                          jitter_mask=off_diagonal, **kw)
        self.EE = Projection(self.E, self.E, conn, w_EE, proj_id=0, **long_range)
        self.EI = Projection(self.E, self.I, conn, w_EI, proj_id=n * n, **long_range)
        self.IE = Projection(self.I, self.E, conn, -wEI * eye, delay_ms=local_delay_ms,
                             proj_id=2 * n * n, **kw)
        self.II = Projection(self.I, self.I, conn, -wII * eye, delay_ms=local_delay_ms,
                             proj_id=3 * n * n, **kw)

    @property
    def n_areas(self) -> int:
        return len(self.area_names)

    def area_index(self, area) -> int:
        """Index of an area given by name or index."""
        if isinstance(area, (int, np.integer)) and not isinstance(area, bool):
            if not 0 <= area < self.n_areas:
                raise ValueError(f"area index must be in [0, {self.n_areas}), got {area}")
            return int(area)
        if area not in self.area_names:
            raise ValueError(f"unknown area {area!r}; areas are {list(self.area_names)}")
        return self.area_names.index(area)

    def step_input(self, area, amplitude_mV, start_ms, duration_ms, population="E"):
        """A ``bp.DSRunner`` input adding a current pulse to one area's population.

        Returns the tuple ``(variable, StepInput, 'func', '+')`` to put in
        ``DSRunner(inputs=[...])``.
        """
        pop = {"E": self.E, "I": self.I}.get(population)
        if pop is None:
            raise ValueError(f"population must be 'E' or 'I', got {population!r}")
        mask = np.zeros((self.n_areas, 1), np.float32)
        mask[self.area_index(area)] = 1.0
        return (pop.input, StepInput(mask, amplitude_mV, start_ms, duration_ms), "func", "+")
