"""LIF neurons with exponential current synapses, as NEST's ``iaf_psc_exp``.

Subthreshold dynamics (potentials in mV, currents in pA, times in ms, C_m in pF)::

    C_m dV/dt = -(C_m / tau_m) (V - E_L) + I_ex + I_in + I_e + I_stim
    dI_X/dt = -I_X / tau_syn_X,   a spike of weight w (pA) adds w to I_ex (w > 0) or I_in (w <= 0)

integrated exactly over each step ``h`` by propagators (computed in float64
on the host, applied in float32)::

    P22 = exp(-h / tau_m),   P11_X = exp(-h / tau_syn_X),   P20 = tau_m / C_m (1 - P22)
    P21_X = tau_syn_X tau_m / (C_m (tau_m - tau_syn_X)) (exp(-h / tau_m) - exp(-h / tau_syn_X))
           (h / C_m exp(-h / tau_m) when tau_m == tau_syn_X)

One step ``t``, in the order of NEST's ``iaf_psc_exp::update`` (v2.8 to
v3.9, see ``docs/nest_semantics.md`` section 2), with ``y = V - E_L`` the
state (NEST stores V relative to E_L):

1. not refractory: ``y = ((I_e + I_stim) P20 + I_in P21_in) + I_ex P21_ex + y P22``
   (the currents of the *start* of the step); refractory: the counter
   counts down and ``y`` stays at the reset;
2. ``I_X = I_X P11_X + in_X``: the currents decay and the input arriving at
   step ``t`` (ring buffer + Poisson drive) is added *after* the V update, so
   a spike first moves V one step after it arrives; during refractoriness
   the currents keep integrating their input;
3. ``y >= V_th - E_L``: spike, ``y = V_reset - E_L``, refractory for
   ``ceil(t_ref / h)`` steps (NEST rounds t_ref to tics, then up to steps);
4. spikes are delivered: a synapse of delay ``d`` steps adds its weight to
   the ring slot read at step ``t + d``.

float32 evaluation: each ``a * b + c`` above is one fused multiply-add, the
order written; the Taichi kernel computes the same correctly rounded FMAs, and
both flush subnormal currents to 0 (as XLA's CPU code does).  When every
population has ``tau_syn_ex == tau_syn_in`` a network keeps one current per
neuron, their sum, which obeys the same equation
(``PopulationNetwork(merge_receptors=...)``).
"""
from __future__ import annotations

import math

import numpy as np

from .. import _checks

__all__ = ["IafPscExp", "Propagators"]


class Propagators(tuple):
    """float32 ``(P22, P21_ex, P21_in, P11_ex, P11_in, P20)``."""


def _p21(tau_syn: float, tau_m: float, C_m: float, h: float) -> float:
    if tau_syn == tau_m:
        return h / C_m * math.exp(-h / tau_m)
    beta = tau_syn * tau_m / (tau_m - tau_syn)
    # beta / C_m * (exp(-h/tau_m) - exp(-h/tau_syn)), written with expm1 as NEST 3.4+
    return beta / C_m * math.exp(-h / tau_syn) * math.expm1(h / tau_syn - h / tau_m)


class IafPscExp:
    """Parameters of an ``iaf_psc_exp`` population (NEST names and units).

    Args:
        C_m: membrane capacitance (pF).
        tau_m: membrane time constant (ms).
        tau_syn_ex, tau_syn_in: synaptic current time constants (ms).
        t_ref: refractory period (ms).
        E_L: resting potential (mV).
        V_th: threshold (mV).
        V_reset: reset potential (mV), below ``V_th``.
        I_e: constant input current (pA).
    """

    #: the parameter names (NEST's), in signature order
    PARAMETERS = ("C_m", "tau_m", "tau_syn_ex", "tau_syn_in", "t_ref", "E_L", "V_th", "V_reset", "I_e")

    def __init__(self, *, C_m=250.0, tau_m=10.0, tau_syn_ex=0.5, tau_syn_in=0.5, t_ref=2.0,
                 E_L=-65.0, V_th=-50.0, V_reset=-65.0, I_e=0.0):
        self.C_m = _checks.positive_float("C_m", C_m)
        self.tau_m = _checks.positive_float("tau_m", tau_m)
        self.tau_syn_ex = _checks.positive_float("tau_syn_ex", tau_syn_ex)
        self.tau_syn_in = _checks.positive_float("tau_syn_in", tau_syn_in)
        self.t_ref = _checks.nonnegative_float("t_ref", t_ref)
        self.E_L = _checks.finite_float("E_L", E_L)
        self.V_th = _checks.finite_float("V_th", V_th)
        self.V_reset = _checks.finite_float("V_reset", V_reset)
        if self.V_reset >= self.V_th:
            raise ValueError(f"V_reset ({V_reset}) must be below V_th ({V_th})")
        self.I_e = _checks.finite_float("I_e", I_e)

    def replace(self, **changes) -> "IafPscExp":
        """A copy with some parameters changed."""
        kw = {k: getattr(self, k) for k in self.PARAMETERS}
        unknown = set(changes) - set(kw)
        if unknown:
            raise ValueError(f"unknown IafPscExp parameter(s) {sorted(unknown)}; valid: {sorted(kw)}")
        return IafPscExp(**{**kw, **changes})

    def propagators(self, dt: float) -> Propagators:
        """float32 propagators for step ``dt`` (ms), see the module docstring."""
        h = _checks.positive_float("dt", dt)
        P22 = math.exp(-h / self.tau_m)
        return Propagators(np.float32(v) for v in (
            P22, _p21(self.tau_syn_ex, self.tau_m, self.C_m, h), _p21(self.tau_syn_in, self.tau_m, self.C_m, h),
            math.exp(-h / self.tau_syn_ex), math.exp(-h / self.tau_syn_in), self.tau_m / self.C_m * (1.0 - P22)))

    def refractory_steps(self, dt: float) -> int:
        """Steps V is clamped after a spike: ``t_ref`` rounded to NEST's tics
        (1000 per ms), then up to whole steps."""
        tics_per_step = int(round(dt * 1000))
        tics = int(math.floor(self.t_ref * 1000 + 0.5))
        return -(-tics // tics_per_step)

    def __repr__(self):
        return "IafPscExp(" + ", ".join(f"{k}={getattr(self, k)}" for k in self.PARAMETERS) + ")"
