"""Leaky integrate-and-fire populations with delta synapses.

Membrane equation (Joglekar et al. 2018, as in their Brian2 code), voltages in
mV and times in ms::

    dV = (-(V - V_rest) + I) dt / tau + sigma * sqrt(dt / tau) * xi,   xi ~ N(0, 1)

with ``I = V_ext + input`` (mV; ``input`` is set by ``bp.DSRunner(inputs=...)``
each step and cleared after it).  Integration is Euler-Maruyama with step
``dt``, so the free membrane is an Ornstein-Uhlenbeck process with stationary
mean ``V_rest + I`` and variance ``sigma**2 / (2 - dt / tau)`` (``sigma**2 / 2``
as dt -> 0).

The noise ``xi`` of neuron ``n`` at step ``s`` is a pure function of the
population's seed, ``s`` and ``n`` (``ops._rng.noise_index`` into the
discretised normal of ``ops._rng.normal_table``), so a run does not depend on
how it is chunked or threaded, and the Taichi whole-step kernels
(``multiarea.spiking.runners.kernel``) draw the same numbers.  One step is evaluated as
``(V + xi * noise_scale) + (I - (V - V_rest)) * (dt / tau)`` in float32; XLA
fuses each multiply-add into one rounding (FMA) and the kernels compute the
same fused results, so both produce bit-identical potentials.

One step, in the order of Brian2's schedule (groups, thresholds, synapses,
resets):

1. non-refractory neurons integrate the equation above; refractory neurons
   keep ``V`` (Brian2's ``(unless refractory)`` flag);
2. a non-refractory neuron with ``V > V_th`` spikes and becomes refractory;
3. synaptic jumps arriving this step are added to ``V`` — only for neurons
   that are not refractory (including those that spiked in step 2) unless
   ``synapses_during_refractory`` is True;
4. spiking neurons are reset to ``V_reset``.

Semantics of the original simulation, the defaults (Brian2 2.0b3 to 2.1.2
all behave so; the published code calls ``Synapses.connect(p=...)``, which
needs Brian2 >= 2.0rc):

* **Synaptic input during refractoriness is discarded.**  Brian2 puts a
  *conditional write* on every variable declared ``(unless refractory)``
  (``NeuronGroup``: ``set_conditional_write(not_refractory)``), so an
  ``on_pre`` statement ``V += w`` reaching a refractory neuron is not executed.
  ``synapses_during_refractory=True`` applies it instead.
* **Refractory timing** (``refractory_timing``):

  - ``"legacy"`` (Brian2 before 2.1.3, which the original code ran on;
    ``prefs.legacy.refractory_timing`` in later versions): a
    neuron that spiked at step ``s`` is refractory at step ``s + k`` as long
    as ``(t - lastspike) > tau_ref`` is false, evaluated in float64 seconds
    with ``t = step * dt`` and ``lastspike = s * dt`` (the clock sets
    ``t = timestep * dt``; the refractory code is ``'not_refractory = (t -
    lastspike) > %f' % tau_ref``).  At dt = 0.1 ms and tau_ref = 2 ms,
    ``(s + 20) * dt - s * dt > 0.002`` is false for some spike steps, which
    then stay refractory one step longer: integration resumes 20 or 21 steps
    after the spike (21 for 7.2 % of the first 8000 steps, 58 % of steps
    overall up to 2**24).  :func:`legacy_refractory_table` computes this per
    spike step on the host, exactly, for the first ``LEGACY_TABLE_STEPS``
    steps of a run.
  - ``"timestep"`` (Brian2 >= 2.1.3): refractory for exactly
    ``round(tau_ref / dt) - 1`` steps after the spike step, i.e. integration
    resumes ``tau_ref`` after the spike.
"""
from __future__ import annotations

import functools

import brainpy as bp
import brainpy.math as bm
import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks
from ..ops import _rng

__all__ = ["LIF", "REFRACTORY_TIMINGS", "LEGACY_TABLE_STEPS", "legacy_refractory_table"]

REFRACTORY_TIMINGS = ("legacy", "timestep")
#: steps covered by the legacy refractory table (2**24: 28 min at dt = 0.1 ms)
LEGACY_TABLE_STEPS = 1 << 24
_TABLE_CHUNK = 1 << 20


@functools.lru_cache(maxsize=8)
def legacy_refractory_table(dt: float, tau_ref: float, n_steps: int = LEGACY_TABLE_STEPS):
    """Refractory steps per spike step under Brian2's pre-2.1.3 timing.

    A neuron that spikes at step ``s`` skips integration (and cannot spike)
    at steps ``s + 1 .. s + k - 1``, where ``k`` is the first ``k >= 1`` with
    ``(t[s + k] - t[s]) > tau_ref_s`` in float64, ``t[i] = i * dt_s``,
    ``dt_s = dt * 1e-3`` (``0.1 * ms`` in Brian2) and ``tau_ref_s`` read back
    from ``'%f' % (tau_ref * 1e-3)`` as Brian2's generated code does.

    Args:
        dt, tau_ref: time step and refractory period (ms).
        n_steps: number of spike steps covered (a multiple of 32).

    Returns:
        ``(base, words)``: refractory steps after a spike at ``s`` are
        ``base + bit s`` of ``words`` (``(n_steps // 32,)`` uint32, bit
        ``s % 32`` of word ``s // 32``).
    """
    dt_s = float(np.float64(dt) * 1e-3)
    tau_ref_s = float("%f" % (tau_ref * 1e-3))
    nominal = int(round(tau_ref_s / dt_s))
    # far from tau_ref the float64 rounding (< 1e-12 s for t < 1e4 s) cannot
    # change the comparison: only k in [nominal - 1, nominal + 2] are candidates
    lowest, highest = max(1, nominal - 1), nominal + 2
    if lowest > 1 and (lowest - 1) * dt_s >= tau_ref_s - 1e-9:
        raise AssertionError("candidate refractory lengths miss the float64 boundary")
    k = np.empty(n_steps, np.int32)
    for start in range(0, n_steps, _TABLE_CHUNK):
        s = np.arange(start, min(start + _TABLE_CHUNK, n_steps), dtype=np.float64)
        t_spike = s * dt_s
        first = np.zeros(s.size, np.int32)
        for cand in range(highest, lowest - 1, -1):
            first = np.where((s + cand) * dt_s - t_spike > tau_ref_s, cand, first)
        if np.any(first == 0):
            raise AssertionError("no candidate refractory length satisfied the comparison")
        k[start:start + s.size] = first
    base = int(k.min()) - 1
    extra = k - 1 - base
    if extra.max() > 1:
        raise AssertionError(f"refractory lengths vary by more than one step: {np.unique(k)}")
    words = np.packbits(extra.astype(np.uint8), bitorder="little").view("<u4").astype(np.uint32)
    return base, words


class LIF(bp.DynamicalSystem):
    """A population of LIF neurons (see the module docstring for the dynamics).

    Args:
        size: int or tuple; a leading axis may index areas (area-major layout).
        V_rest, V_reset, V_th: resting, reset and threshold potentials (mV).
        tau: membrane time constant (ms).
        tau_ref: refractory period (ms).
        sigma: noise amplitude (mV).
        V_ext: constant external drive (mV), scalar or broadcastable to ``size``.
        V_init: ``(low, high)`` of the uniform initial V (mV).
        synapses_during_refractory: whether synaptic jumps reach refractory
            neurons (False: discarded, as Brian2 does).
        refractory_timing: ``"legacy"`` (Brian2 < 2.1.3, the original
            simulation's: float64 time comparison, 20 or 21 steps at
            dt = 0.1 ms, tau_ref = 2 ms) or ``"timestep"`` (exactly
            ``round(tau_ref / dt)`` steps counting the spike step); see the
            module docstring.  With ``"legacy"`` a run covers at most
            ``LEGACY_TABLE_STEPS`` steps (``multiarea.simulate`` checks).
        dt: time step (ms); default ``brainpy.math.get_dt()``.
        seed: seed of the noise and initial potentials.
    """

    def __init__(self, size, *, V_rest=-70.0, V_reset=-60.0, V_th=-50.0, tau=20.0,
                 tau_ref=2.0, sigma=0.0, V_ext=0.0, V_init=None,
                 synapses_during_refractory=False, refractory_timing="legacy", dt=None, seed=0,
                 name=None):
        super().__init__(name=name)
        self.size = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        for i, n in enumerate(self.size):
            _checks.positive_int(f"size[{i}]", n)
        self.V_rest = _checks.finite_float("V_rest", V_rest)
        self.V_reset = _checks.finite_float("V_reset", V_reset)
        self.V_th = _checks.finite_float("V_th", V_th)
        if self.V_reset >= self.V_th:
            raise ValueError(f"V_reset ({V_reset}) must be below V_th ({V_th})")
        self.tau = _checks.positive_float("tau", tau)
        self.tau_ref = _checks.nonnegative_float("tau_ref", tau_ref)
        self.sigma = _checks.nonnegative_float("sigma", sigma)
        self.V_ext = jnp.asarray(_checks.finite_array("V_ext", V_ext), dtype=jnp.float32)
        try:
            jnp.broadcast_shapes(self.V_ext.shape, self.size)
        except ValueError:
            raise ValueError(f"V_ext of shape {self.V_ext.shape} does not broadcast to size {self.size}") from None
        low, high = (self.V_rest, self.V_th) if V_init is None else V_init
        self.V_init = (_checks.finite_float("V_init[0]", low), _checks.finite_float("V_init[1]", high))
        if self.V_init[0] > self.V_init[1]:
            raise ValueError(f"V_init must be (low, high) with low <= high, got {V_init}")
        if not isinstance(synapses_during_refractory, (bool, np.bool_)):
            raise TypeError(f"synapses_during_refractory must be True or False, "
                            f"got {synapses_during_refractory!r}")
        self.synapses_during_refractory = bool(synapses_during_refractory)
        if refractory_timing not in REFRACTORY_TIMINGS:
            raise ValueError(f"refractory_timing must be one of {REFRACTORY_TIMINGS}, "
                             f"got {refractory_timing!r}")
        self.refractory_timing = refractory_timing
        self.dt = _checks.positive_float("dt", bm.get_dt() if dt is None else dt)
        if refractory_timing == "legacy":
            self._ref_base, self._ref_words = legacy_refractory_table(self.dt, self.tau_ref)
            self.max_steps = LEGACY_TABLE_STEPS  #: steps a run may cover
        else:
            self._ref_base = max(int(np.rint(self.tau_ref / self.dt)) - 1, 0)
            self._ref_words = None
            self.max_steps = None
        self.seed = _checks.seed_int("seed", seed)
        self.reset_state()

    def reset_state(self, batch_size=None, **kwargs):
        V0 = jax.random.uniform(jax.random.PRNGKey(self.seed), self.size, jnp.float32,
                                self.V_init[0], self.V_init[1])
        if hasattr(self, "V"):
            self.V.value = V0
            self.spike.value = jnp.zeros(self.size, bool)
            self.refractory_left.value = jnp.zeros(self.size, jnp.int32)
            self.input.value = jnp.zeros(self.size, jnp.float32)
            self.step.value = jnp.zeros((), jnp.int32)
            return
        self.V = bm.Variable(V0)  #: membrane potential (mV)
        self.spike = bm.Variable(jnp.zeros(self.size, bool))  #: spikes of the last step
        self.refractory_left = bm.Variable(jnp.zeros(self.size, jnp.int32))  #: steps of refractoriness left
        self.input = bm.Variable(jnp.zeros(self.size, jnp.float32))  #: extra drive this step (mV)
        self.step = bm.Variable(jnp.zeros((), jnp.int32))  #: steps done since the last reset

    @property
    def euler_factor(self) -> np.float32:
        """``dt / tau`` as the float32 the update multiplies by."""
        return np.float32(self.dt / self.tau)

    @property
    def noise_scale(self) -> np.float32:
        """``sigma * sqrt(dt / tau)`` (mV) as the float32 the update multiplies by."""
        return np.float32(self.sigma * np.sqrt(self.dt / self.tau))

    @property
    def noise_key(self) -> np.uint32:
        """uint32 key of this population's noise (from ``seed``)."""
        return _rng.noise_key(self.seed)

    def noise(self, step, neuron=None):
        """Float32 standard normal noise of step ``step`` (traceable).

        Args:
            step: the step (int scalar).
            neuron: global (flat) indices of the neurons, any shape; default
                all, shaped ``size``.  The draw of a neuron depends only on
                (seed, step, neuron), not on which neurons are asked for.
        """
        if neuron is None:
            neuron = jnp.arange(self.num, dtype=jnp.uint32).reshape(self.size)
        neuron = jnp.asarray(neuron).astype(jnp.uint32)
        index = _rng.noise_index(self.noise_key, jnp.asarray(step).astype(jnp.uint32), neuron, xp=jnp)
        return jnp.asarray(_rng.normal_table())[index]

    def refractory_steps_after(self, step):
        """Refractory steps following a spike at ``step`` (int32, traceable)."""
        if self._ref_words is None:
            return jnp.int32(self._ref_base)
        words = jnp.asarray(self._ref_words)
        bit = (words[step >> 5] >> (step & 31).astype(jnp.uint32)) & jnp.uint32(1)
        return jnp.int32(self._ref_base) + bit.astype(jnp.int32)

    @property
    def num(self) -> int:
        return int(np.prod(self.size))

    def advance(self, V, refractory_left, step, jump, drive, neuron=None):
        """One step as a pure function of the state (what :meth:`update` runs).

        Args:
            V: membrane potentials (mV), any shape (e.g. one device's areas).
            refractory_left: int32 refractory steps left, like ``V``.
            step: int32 scalar, the step being computed.
            jump: synaptic jumps (mV) arriving this step, broadcastable to ``V``.
            drive: external drive (mV), ``V_ext`` + input, broadcastable to ``V``.
            neuron: global indices of the neurons of ``V`` (for the noise);
                default all, in order (``V`` shaped ``size``).

        Returns:
            ``(V, spike, refractory_left)`` after the step.
        """
        refractory = refractory_left > 0
        noisy = V + self.noise(step, neuron) * self.noise_scale if self.sigma > 0 else V  # equal for sigma = 0
        V_free = noisy + (drive - (V - self.V_rest)) * self.euler_factor
        V = jnp.where(refractory, V, V_free)
        spike = jnp.logical_and(V > self.V_th, jnp.logical_not(refractory))
        if self.synapses_during_refractory:
            V = V + jump
        else:
            V = jnp.where(refractory, V, V + jump)
        left = jnp.maximum(refractory_left - 1, 0)
        return (jnp.where(spike, self.V_reset, V), spike,
                jnp.where(spike, self.refractory_steps_after(step), left))

    def update(self, jump=0.0):
        """Advance one step.

        Args:
            jump: synaptic jumps (mV) arriving this step, broadcastable to ``size``.

        Returns:
            ``(size,)`` bool spikes of this step.
        """
        step = self.step.value
        V, spike, left = self.advance(self.V.value, self.refractory_left.value, step, jump,
                                      self.V_ext + self.input.value)
        self.V.value, self.spike.value, self.refractory_left.value = V, spike, left
        self.step.value = step + 1
        self.input.value = jnp.zeros(self.size, jnp.float32)
        return spike
