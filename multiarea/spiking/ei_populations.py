"""Inter-areal projections from matrices, and the E/I multi-area model on the population layer.

:func:`area_connections` turns per-area-pair matrices (strengths, delays) into
the :class:`~multiarea.spiking.populations.Connection` list of one
projection type in one call (e.g. E -> E between all areas, weights scaled
by FLN and hierarchy).

:func:`ei_multiarea_network` builds the Joglekar et al. (2018) model — one
E and one I :class:`~multiarea.spiking.lif_delta.LifDelta` population per
area — as a :class:`~multiarea.spiking.populations.PopulationNetwork` whose
spikes equal those of :class:`~multiarea.spiking.network.MultiAreaNetwork`
with the same arguments bit for bit: the same neurons (Brian2's order, the
legacy refractory table), the same noise (``Population.noise_stream``: the
E populations share the E stream, indexed ``area * n_E + i``), the same
initial potentials and the same synapses (``FixedProbabilityV0``: the first
stream, with the E/I network's seeds and projection ids).  Populations are
numbered all E areas first, then all I areas, so neuron ``a * n_E + i`` is
E neuron ``i`` of area ``a``, as in the E/I network's records.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks
from ..projections.rules import FixedProbabilityV0, TruncatedNormal
from .lif_delta import LifDelta
from .network import _LIF_KEYS, _seeds
from .populations import Connection, Population, PopulationNetwork

__all__ = ["area_connections", "ei_multiarea_network"]


def area_connections(pre: str, post: str, area_names, weight, delay_ms, *, rule, delay_sd_ms=0.0) -> list:
    """Connections from population ``pre`` to population ``post`` of every
    pair of areas with a non-zero weight.

    Args:
        pre, post: population names (the same in every area).
        area_names: ``(n,)`` area names.
        weight: ``(n, n)``, ``weight[i, j]`` onto area i from area j (0: no connection).
        delay_ms: scalar or ``(n, n)`` mean delay (ms).
        rule: a connection rule, or a callable ``rule(i, j)`` giving the rule of
            each pair.
        delay_sd_ms: scalar or ``(n, n)`` delay sd (ms); where > 0 the delay
            is a ``TruncatedNormal(mean, sd)``.

    Returns:
        the connections, target-major, sources ascending (the order their
        inputs add into a target neuron).
    """
    names = [str(a) for a in area_names]
    n = len(names)
    w = _checks.finite_array("weight", weight, shape=(n, n))
    mean = np.broadcast_to(_checks.finite_array("delay_ms", delay_ms), (n, n))
    sd = np.broadcast_to(_checks.finite_array("delay_sd_ms", delay_sd_ms), (n, n))
    if np.any(sd < 0):
        raise ValueError(f"delay_sd_ms must be >= 0, got min {sd.min()}")
    out = []
    for i in range(n):
        for j in range(n):
            if w[i, j] == 0:
                continue
            delay = TruncatedNormal(float(mean[i, j]), float(sd[i, j])) if sd[i, j] > 0 else float(mean[i, j])
            out.append(Connection(f"{names[j]}/{pre}", f"{names[i]}/{post}", rule(i, j) if callable(rule) else rule,
                                  float(w[i, j]), delay))
    return out


def ei_multiarea_network(area_names, hierarchy, fln, distance_mm, *, n_E=1600, n_I=400, wEE=0.01, wIE=0.075,
                         wEI=0.0375, wII=0.075, muEE=0.0375, muIE=0.0475, alpha=4.0, p=0.1, speed=3.5,
                         local_delay_ms=2.0, delay_sd_fraction=0.1, tau_E=20.0, tau_I=10.0, VextE=14.2,
                         VextI=14.7, lif=None, seed=0, dt=0.1) -> PopulationNetwork:
    """The E/I multi-area network of :class:`~multiarea.spiking.network.MultiAreaNetwork`
    (same arguments, same meaning) as a :class:`PopulationNetwork` with the
    same spikes (module docstring).  Populations ``"<area>/E"`` and ``"<area>/I"``."""
    names = tuple(str(a) for a in area_names)
    n = len(names)
    if n == 0:
        raise ValueError("area_names must not be empty")
    if len(set(names)) != n:
        raise ValueError(f"area_names must be unique, got {names}")
    hierarchy = _checks.finite_array("hierarchy", hierarchy, shape=(n,))
    fln = _checks.finite_array("fln", fln, shape=(n, n))
    distance = _checks.finite_array("distance_mm", distance_mm, shape=(n, n))
    if np.any(fln < 0):
        raise ValueError("fln must be non-negative")
    if np.any(distance < 0):
        raise ValueError("distance_mm must be non-negative")
    n_E, n_I = _checks.positive_int("n_E", n_E), _checks.positive_int("n_I", n_I)
    lif = dict(lif or {})
    unknown = set(lif) - set(_LIF_KEYS)
    if unknown:
        raise ValueError(f"unknown LIF parameter(s) {sorted(unknown)}; valid: {list(_LIF_KEYS)}")
    V_init = lif.pop("V_init", None)
    excitatory = LifDelta(tau_m=tau_E, V_ext=VextE, **lif)  # LIF's defaults are LifDelta's
    inhibitory = LifDelta(tau_m=tau_I, V_ext=VextI, **lif)
    low, high = (excitatory.V_rest, excitatory.V_th) if V_init is None else V_init

    s = _seeds(seed, 3)
    populations = []
    for label, model, size, pop_seed in (("E", excitatory, n_E, s[0]), ("I", inhibitory, n_I, s[1])):
        V0 = np.asarray(jax.random.uniform(jax.random.PRNGKey(pop_seed), (n, size), jnp.float32, low, high))
        populations += [Population(label, size, model, area=a, V_init=V0[k], noise_stream=(pop_seed, k * size))
                        for k, a in enumerate(names)]

    speed = _checks.positive_float("speed", speed)
    local_delay_ms = _checks.nonnegative_float("local_delay_ms", local_delay_ms)
    sd_fraction = _checks.nonnegative_float("delay_sd_fraction", delay_sd_fraction)
    gain = 1.0 + _checks.finite_float("alpha", alpha) * hierarchy
    off_diagonal = ~np.eye(n, dtype=bool)
    fln_off = np.where(off_diagonal, fln, 0.0)
    delay = np.where(off_diagonal, distance / speed, local_delay_ms)
    eye = np.eye(n)
    # float32 pair weights, as the E/I network's projections keep them
    w_EE = (gain[:, None] * (_checks.finite_float("muEE", muEE) * fln_off + _checks.finite_float("wEE", wEE) * eye))
    w_EI = (gain[:, None] * (_checks.finite_float("muIE", muIE) * fln_off + _checks.finite_float("wIE", wIE) * eye))
    w_IE = -_checks.finite_float("wEI", wEI) * eye
    w_II = -_checks.finite_float("wII", wII) * eye

    def first_stream(proj_base):  # the E/I network's projection ids: base + target * n + source
        return lambda i, j: FixedProbabilityV0(p, seed=s[2], proj_id=proj_base + i * n + j)

    jitter = dict(delay_sd_ms=np.where(off_diagonal, delay * sd_fraction, 0.0))
    connections = (area_connections("E", "E", names, w_EE.astype(np.float32), delay, rule=first_stream(0), **jitter)
                   + area_connections("E", "I", names, w_EI.astype(np.float32), delay, rule=first_stream(n * n),
                                      **jitter)
                   + area_connections("I", "E", names, w_IE.astype(np.float32), local_delay_ms,
                                      rule=first_stream(2 * n * n))
                   + area_connections("I", "I", names, w_II.astype(np.float32), local_delay_ms,
                                      rule=first_stream(3 * n * n)))
    return PopulationNetwork(populations, connections, dt=dt, seed=seed, merge_receptors=False)
