"""LIF neurons with delta synapses, as the Joglekar et al. (2018) Brian2 code ran them.

The parameter set of a population of a :class:`~multiarea.spiking.populations.PopulationNetwork`
(potentials in mV, times in ms)::

    dV = (-(V - V_rest) + I) dt / tau_m + sigma sqrt(dt / tau_m) xi,   xi ~ N(0, 1)

with ``I = V_ext`` + step input + :class:`~multiarea.spiking.populations.NoiseDrive`
(mV), Euler-Maruyama with step ``dt``, and a spike of weight ``w`` (mV)
adding ``w`` to ``V`` when it arrives.  One step is the order of Brian2's
schedule (groups, thresholds, synapses, resets), exactly as
:class:`~multiarea.spiking.neurons.LIF` documents it (with the sources):

1. not refractory: ``V = fma(x, dt / tau_m, fma(xi, sigma sqrt(dt / tau_m), V))``
   with ``x = I - (V - V_rest)`` (float32, each multiply-add one rounding);
2. a non-refractory neuron with ``V > V_th`` spikes;
3. the jumps arriving this step (excitatory receptor, then inhibitory: the
   sum ``ring_ex + ring_in``) are added, unless the neuron is refractory and
   ``synapses_during_refractory`` is False (Brian2's conditional write);
4. spiking neurons are reset to ``V_reset`` and refractory for the steps of
   ``refractory_timing`` (``"legacy"``: Brian2 < 2.1.3's float64 comparison,
   20 or 21 steps at dt = 0.1 ms, tau_ref = 2 ms; ``"timestep"``: exactly
   ``round(tau_ref / dt)`` counting the spike step).

The noise ``xi`` of a neuron at step ``t`` is ``normal_table[noise_index(key,
t, index)]`` (``ops._rng``): by default ``key`` is the population's own and
``index`` its neuron's index in the population
(``Population.noise_stream`` lets populations share one stream).
"""
from __future__ import annotations

import numpy as np

from .. import _checks
from .neurons import LEGACY_TABLE_STEPS, REFRACTORY_TIMINGS, legacy_refractory_table

__all__ = ["LifDelta"]


class LifDelta:
    """Parameters of a LIF population with delta synapses (Brian2 semantics).

    Args:
        V_rest, V_reset, V_th: resting, reset and threshold potentials (mV).
        tau_m: membrane time constant (ms).
        tau_ref: refractory period (ms).
        sigma: noise amplitude (mV).
        V_ext: constant external drive (mV).
        synapses_during_refractory: whether jumps reach refractory neurons
            (False: discarded, as Brian2 does).
        refractory_timing: ``"legacy"`` or ``"timestep"`` (module docstring).
    """

    #: the parameter names, in signature order
    PARAMETERS = ("V_rest", "V_reset", "V_th", "tau_m", "tau_ref", "sigma", "V_ext", "synapses_during_refractory",
                  "refractory_timing")

    def __init__(self, *, V_rest=-70.0, V_reset=-60.0, V_th=-50.0, tau_m=20.0, tau_ref=2.0, sigma=0.0,
                 V_ext=0.0, synapses_during_refractory=False, refractory_timing="legacy"):
        self.V_rest = _checks.finite_float("V_rest", V_rest)
        self.V_reset = _checks.finite_float("V_reset", V_reset)
        self.V_th = _checks.finite_float("V_th", V_th)
        if self.V_reset >= self.V_th:
            raise ValueError(f"V_reset ({V_reset}) must be below V_th ({V_th})")
        self.tau_m = _checks.positive_float("tau_m", tau_m)
        self.tau_ref = _checks.nonnegative_float("tau_ref", tau_ref)
        self.sigma = _checks.nonnegative_float("sigma", sigma)
        self.V_ext = _checks.finite_float("V_ext", V_ext)
        if not isinstance(synapses_during_refractory, (bool, np.bool_)):
            raise TypeError(f"synapses_during_refractory must be True or False, got {synapses_during_refractory!r}")
        self.synapses_during_refractory = bool(synapses_during_refractory)
        if refractory_timing not in REFRACTORY_TIMINGS:
            raise ValueError(f"refractory_timing must be one of {REFRACTORY_TIMINGS}, got {refractory_timing!r}")
        self.refractory_timing = refractory_timing

    def replace(self, **changes) -> "LifDelta":
        """A copy with some parameters changed."""
        kw = {k: getattr(self, k) for k in self.PARAMETERS}
        unknown = set(changes) - set(kw)
        if unknown:
            raise ValueError(f"unknown LifDelta parameter(s) {sorted(unknown)}; valid: {sorted(kw)}")
        return LifDelta(**{**kw, **changes})

    def euler_factor(self, dt: float) -> np.float32:
        """``dt / tau_m`` as the float32 the update multiplies by."""
        return np.float32(dt / self.tau_m)

    def noise_scale(self, dt: float) -> np.float32:
        """``sigma sqrt(dt / tau_m)`` (mV) as the float32 the update multiplies by."""
        return np.float32(self.sigma * np.sqrt(dt / self.tau_m))

    def refractory_table(self, dt: float) -> tuple[int, np.ndarray | None]:
        """``(base, words)``: refractory steps after a spike at step ``s`` are
        ``base`` plus, with legacy timing, bit ``s`` of ``words`` (uint32,
        ``LEGACY_TABLE_STEPS`` bits); ``words`` is None for ``"timestep"``."""
        if self.refractory_timing == "legacy":
            return legacy_refractory_table(dt, self.tau_ref)
        return max(int(np.rint(self.tau_ref / dt)) - 1, 0), None

    @property
    def max_steps(self) -> int | None:
        """Steps a run may cover (the legacy table's length), None: unbounded."""
        return LEGACY_TABLE_STEPS if self.refractory_timing == "legacy" else None

    def __repr__(self):
        return "LifDelta(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.PARAMETERS) + ")"
