"""Leaky integrate-and-fire populations with delta synapses.

Membrane equation (Joglekar et al. 2018, as in their Brian2 code), voltages in
mV and times in ms::

    dV = (-(V - V_rest) + I) dt / tau + sigma * sqrt(dt / tau) * xi,   xi ~ N(0, 1)

with ``I = V_ext + input`` (mV; ``input`` is set by ``bp.DSRunner(inputs=...)``
each step and cleared after it).  Integration is Euler-Maruyama with step
``dt``, so the free membrane is an Ornstein-Uhlenbeck process with stationary
mean ``V_rest + I`` and variance ``sigma**2 / (2 - dt / tau)`` (``sigma**2 / 2``
as dt -> 0).

One step, in the order of Brian2's scheduling (state update, threshold,
synapses, reset):

1. non-refractory neurons integrate the equation above;
2. a non-refractory neuron with ``V > V_th`` spikes;
3. synaptic jumps arriving this step are added to ``V`` (delta synapses) —
   also during the refractory period unless ``synapses_during_refractory`` is
   False (the BrainPy tutorial's choice);
4. spiking neurons are reset to ``V_reset`` and stay refractory (V not
   integrated, no spikes) for ``round(tau_ref / dt)`` steps counting the spike
   step, i.e. integration resumes exactly ``tau_ref`` after the spike.
"""
from __future__ import annotations

import brainpy as bp
import brainpy.math as bm
import jax
import jax.numpy as jnp
import numpy as np

from . import _checks

__all__ = ["LIF"]


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
            neurons (True in the original Brian2 model).
        dt: time step (ms); default ``brainpy.math.get_dt()``.
        seed: seed of the noise and initial potentials.
    """

    def __init__(self, size, *, V_rest=-70.0, V_reset=-60.0, V_th=-50.0, tau=20.0,
                 tau_ref=2.0, sigma=0.0, V_ext=0.0, V_init=None,
                 synapses_during_refractory=True, dt=None, seed=0, name=None):
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
        self.synapses_during_refractory = bool(synapses_during_refractory)
        self.dt = _checks.positive_float("dt", bm.get_dt() if dt is None else dt)
        self.ref_steps = int(np.rint(self.tau_ref / self.dt))
        self.seed = _checks.seed_int("seed", seed)
        self.reset_state()

    def reset_state(self, batch_size=None, **kwargs):
        init_key, noise_key = jax.random.split(jax.random.PRNGKey(self.seed))
        V0 = jax.random.uniform(init_key, self.size, jnp.float32, self.V_init[0], self.V_init[1])
        if hasattr(self, "V"):
            self.V.value = V0
            self.spike.value = jnp.zeros(self.size, bool)
            self.refractory_left.value = jnp.zeros(self.size, jnp.int32)
            self.input.value = jnp.zeros(self.size, jnp.float32)
            self.noise_key.value = noise_key
            return
        self.V = bm.Variable(V0)  #: membrane potential (mV)
        self.spike = bm.Variable(jnp.zeros(self.size, bool))  #: spikes of the last step
        self.refractory_left = bm.Variable(jnp.zeros(self.size, jnp.int32))  #: steps of refractoriness left
        self.input = bm.Variable(jnp.zeros(self.size, jnp.float32))  #: extra drive this step (mV)
        self.noise_key = bm.Variable(noise_key)  #: threefry key of the noise

    @property
    def num(self) -> int:
        return int(np.prod(self.size))

    def update(self, jump=0.0):
        """Advance one step.

        Args:
            jump: synaptic jumps (mV) arriving this step, broadcastable to ``size``.

        Returns:
            ``(size,)`` bool spikes of this step.
        """
        V = self.V.value
        refractory = self.refractory_left.value > 0
        drive = self.V_ext + self.input.value
        dV = (-(V - self.V_rest) + drive) * (self.dt / self.tau)
        if self.sigma > 0:
            key, sub = jax.random.split(self.noise_key.value)
            self.noise_key.value = key
            dV = dV + self.sigma * np.sqrt(self.dt / self.tau) * jax.random.normal(sub, self.size)
        V = jnp.where(refractory, V, V + dV)
        spike = jnp.logical_and(V > self.V_th, jnp.logical_not(refractory))
        if self.synapses_during_refractory:
            V = V + jump
        else:
            V = jnp.where(refractory, V, V + jump)
        self.V.value = jnp.where(spike, self.V_reset, V)
        self.spike.value = spike
        left = jnp.maximum(self.refractory_left.value - 1, 0)
        self.refractory_left.value = jnp.where(spike, self.ref_steps - 1, left)
        self.input.value = jnp.zeros(self.size, jnp.float32)
        return spike
