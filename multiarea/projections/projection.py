"""Projections: connectivity + weights (+ delays), applied in two ways.

A projection connects a pre population to a post population.  It is applied as

* ``deliver(spikes, t)`` — spiking networks: spikes go into a post-side ring
  buffer of delayed voltage jumps (delta synapses); needs ``delay_ms``;
* ``matvec(x)`` / ``linear_map(weight)`` — rate networks: the float sparse
  mat-vec ``y[post] = sum_pre w[pre, post] * x[pre]``, differentiable in ``x``
  and in the weights (CSR connectivity; the ``csr_matvec`` custom op).

Populations may carry a leading *group* (area) axis: a projection from
``(n_src, n_pre)`` to ``(n_tgt, n_post)`` is a fused multi-area projection,
applied by ONE op call for all (target, source) pairs, skipping pairs with zero
weight.

Per step ``t``, the owner updates the post neurons with ``arriving`` (the jumps
arriving at step ``t``) and then calls ``deliver(spikes, t)`` with the pre
neurons' spikes of step ``t``: the op clears the consumed slot ``t``, schedules
the new jumps, and ``arriving`` moves on to step ``t + 1``.  (Reading a slot
only after the op has written the ring lets XLA update it in place; reading
then clearing it in JAX would copy the whole ring every step.)
"""
from __future__ import annotations

import functools

import brainpy as bp
import brainpy.math as bm
import jax.numpy as jnp
import numpy as np

from .. import _checks, ops
from .connectivity import CSR, FixedProb
from ..ops import _tables
from ..ops._csr import as_float

__all__ = ["Projection"]


def _size(population, name: str) -> tuple:
    """The size tuple of a population: an int, or anything with a ``size``."""
    if isinstance(population, (int, np.integer)) and not isinstance(population, bool):
        return (_checks.positive_int(name, int(population)),)
    if not hasattr(population, "size"):
        raise TypeError(f"{name} must be a population (with a size) or a positive int, "
                        f"got {type(population).__name__}")
    return tuple(int(s) for s in np.atleast_1d(population.size))


def _groups(size: tuple) -> tuple[int, int]:
    if len(size) == 1:
        return 1, size[0]
    if len(size) == 2:
        return size
    raise ValueError(f"populations must be 1-D (n,) or area-major 2-D (n_areas, n), got size {size}")


class Projection(bp.DynamicalSystem):
    """A projection from ``pre`` to ``post``.

    Args:
        pre, post: populations (anything with a ``size`` tuple), ``(n,)`` or
            area-major ``(n_areas, n)``, or plain ints (1-D populations).
        conn: :class:`FixedProb` or :class:`CSR` (CSR only between 1-D populations).
        weight: mV per spike (spiking) or the mat-vec coefficient (rate).  Scalar (homogeneous), ``(n_tgt,)`` (per target
            area), or ``(n_tgt, n_src)`` (per target/source pair; zero entries
            are skipped).  For CSR also ``(nnz,)`` per synapse.
        delay_ms: mean delay (ms), scalar or ``(n_tgt, n_src)``; delays are at
            least one step.  ``None`` (default): an undelayed rate projection
            (CSR only), applied with :meth:`matvec`; it has no ring buffer.
        delay_sd_fraction: per-synapse delay jitter: normal with sd =
            ``delay_sd_fraction * delay_ms`` (FixedProb only); 0 = constant.
        jitter_mask: ``(n_tgt, n_src)`` bool, which pairs get the jitter
            (default all).
        proj_id: projection id in the connectivity key (pairs get
            ``proj_id + tgt * n_src + src``); distinct projections sharing a
            seed must use non-overlapping ids.
        dt: time step (ms), default ``brainpy.math.get_dt()``.
        backend: op backend, default ``multiarea.ops.get_backend()`` at call time.
    """

    def __init__(self, pre, post, conn, weight=1.0, delay_ms=None, *, delay_sd_fraction=0.0,
                 jitter_mask=None, proj_id=0, dt=None, backend=None, name=None):
        super().__init__(name=name)
        pre_size, self.post_size = _size(pre, "pre"), _size(post, "post")
        self.n_src, self.n_pre = _groups(pre_size)
        self.n_tgt, self.n_post = _groups(self.post_size)
        self.dt = _checks.positive_float("dt", bm.get_dt() if dt is None else dt)
        self.backend = backend
        self.conn = conn
        self.has_delay = delay_ms is not None
        if not self.has_delay:
            if not isinstance(conn, CSR):
                raise ValueError(f"an undelayed rate projection (delay_ms=None) needs CSR connectivity, "
                                 f"got {type(conn).__name__}")
            delay_ms = 0.0
        delay = _checks.finite_array("delay_ms", delay_ms)
        if np.any(delay < 0):
            raise ValueError(f"delay_ms must be >= 0, got min {delay.min()}")
        sd_frac = _checks.nonnegative_float("delay_sd_fraction", delay_sd_fraction)
        if isinstance(conn, FixedProb):
            self.weights = self._pair_weights(weight)
            mask = self.weights != 0
            pair_shape = (self.n_tgt, self.n_src)
            try:
                delay = np.broadcast_to(delay, pair_shape)
            except ValueError:
                raise ValueError(f"delay_ms of shape {delay.shape} does not broadcast to "
                                 f"(n_tgt, n_src) = {pair_shape}") from None
            jitter = np.ones(pair_shape, bool) if jitter_mask is None else np.asarray(jitter_mask, bool)
            if jitter.shape != pair_shape:
                raise ValueError(f"jitter_mask must have shape {pair_shape}, got {jitter.shape}")
            self.plan = ops.make_plan(seed=conn.seed, p=conn.p, n_pre=self.n_pre, n_post=self.n_post,
                                      dt=self.dt, delay_mean_ms=delay,
                                      delay_sd_ms=delay * sd_frac * jitter, pair_mask=mask,
                                      proj_base=_checks.seed_int("proj_id", proj_id))
            n_slots = self.plan.ring_length
        elif isinstance(conn, CSR):
            if (self.n_src, self.n_tgt) != (1, 1) or len(pre_size) != 1 or len(self.post_size) != 1:
                raise ValueError("CSR connectivity needs 1-D pre and post populations")
            if (conn.n_pre, conn.n_post) != (self.n_pre, self.n_post):
                raise ValueError(f"CSR shape ({conn.n_pre}, {conn.n_post}) does not match "
                                 f"(n_pre, n_post) = ({self.n_pre}, {self.n_post})")
            if sd_frac != 0:
                raise ValueError("delay_sd_fraction is only supported with FixedProb connectivity")
            if delay.ndim != 0:
                raise ValueError(f"CSR projections take a scalar delay_ms, got shape {delay.shape}")
            w = _checks.finite_array("weight", weight)
            if w.ndim != 0 and w.shape != (conn.nnz,):
                raise ValueError(f"weight must be a scalar or ({conn.nnz},) per synapse, got shape {w.shape}")
            self.weights = jnp.asarray(w, jnp.float32)
            self._weight_values = w  # float64, for float64 mat-vecs
            if not self.has_delay:
                return
            self.delay_steps = _tables.delay_steps_constant(float(delay), self.dt)
            self._pre_of_syn = jnp.asarray(conn.pre_of_synapse())
            self._post_of_syn = jnp.asarray(conn.indices)
            n_slots = self.delay_steps + 1
        else:
            raise TypeError(f"conn must be FixedProb or CSR, got {type(conn).__name__}")
        self.ring = bm.Variable(jnp.zeros((n_slots, self.n_tgt, self.n_post), jnp.float32))
        #: jumps (mV) arriving at the current step, shaped like the post population
        self.arriving = bm.Variable(jnp.zeros(self.post_size, jnp.float32))

    def _pair_weights(self, weight) -> np.ndarray:
        w = _checks.finite_array("weight", weight)
        shape = (self.n_tgt, self.n_src)
        if w.ndim == 1 and w.shape == (self.n_tgt,):
            w = w[:, None]
        try:
            return np.broadcast_to(w, shape).astype(np.float32)
        except ValueError:
            raise ValueError(f"weight must be a scalar, ({self.n_tgt},) per target area or "
                             f"{shape} per (target, source) pair, got shape {w.shape}") from None

    @functools.cached_property
    def _post_major(self):
        """The CSR synapses grouped by post neuron (built on the first mat-vec)."""
        return self.conn.post_major()

    def linear_map(self, weight=None, dtype=None):
        """The rate mat-vec ``x -> y`` with ``y[post] = sum_pre w[pre, post] x[pre]``.

        The per-synapse weights are put in the op's (post-major) order once,
        here, so call this outside a time loop and the returned function
        inside it.

        Args:
            weight: ``None`` (the projection's own weight), a scalar, or
                ``(nnz,)`` per synapse in the CSR (pre-major) order; may be a
                traced JAX array (the map is differentiable in it).
            dtype: with ``weight=None``, the dtype of the projection's own
                weights (``jnp.float64`` needs 64-bit JAX); default float32.

        Returns:
            A function of ``x``: ``(n_pre,)`` or ``(n_pre, batch)`` ->
            ``(n_post,)`` or ``(n_post, batch)``, float32 (float64 if the
            weights or ``x`` are float64, with 64-bit JAX).
        """
        if not isinstance(self.conn, CSR):
            raise ValueError("matvec needs CSR connectivity; FixedProb projections only deliver spikes")
        nnz = self.conn.nnz
        if weight is None:  # float64 from the values given, not from the float32 copy
            w = self.weights if dtype is None else jnp.asarray(self._weight_values, dtype)
        else:
            w = as_float(weight)
        if w.ndim == 0:
            w = jnp.broadcast_to(w, (nnz,))
        elif w.shape != (nnz,):
            raise ValueError(f"weight must be a scalar or ({nnz},) per synapse, got shape {w.shape}")
        indptr, pre_index, order = self._post_major
        w_post_major = w[order]
        shape = (self.n_post, self.n_pre)

        def apply(x):
            return ops.csr_matvec(indptr, pre_index, w_post_major, x, shape=shape, backend=self.backend)

        return apply

    def matvec(self, x, weight=None):
        """``y[post] = sum_pre w[pre, post] x[pre]`` for ``x`` of shape
        ``(n_pre,)`` or ``(n_pre, batch)``; see :meth:`linear_map`."""
        return self.linear_map(weight)(x)

    def reset_state(self, batch_size=None, **kwargs):
        if not self.has_delay:
            return
        self.ring.value = jnp.zeros_like(self.ring.value)
        self.arriving.value = jnp.zeros_like(self.arriving.value)

    def deliver(self, spikes, t):
        """Schedule the jumps of ``spikes`` (pre-shaped, emitted at step ``t``)
        and set ``arriving`` to the jumps arriving at step ``t + 1``."""
        if not self.has_delay:
            raise ValueError("this projection has no delay (delay_ms=None): it is a rate projection, "
                             "apply it with matvec()")
        n_slots = self.ring.shape[0]
        ring = self.ring.value
        if isinstance(self.conn, CSR):
            ring = ops.csr_event_current(self._pre_of_syn, self._post_of_syn, spikes.reshape(-1),
                                         self.weights, ring[:, 0], t, self.delay_steps)[:, None]
        else:
            ring = ops.event_current(self.plan, spikes.reshape(self.n_src, self.n_pre),
                                     self.weights, ring, t, backend=self.backend)
        self.ring.value = ring
        self.arriving.value = ring[(t + 1) % n_slots].reshape(self.post_size)

    def update(self, spikes, t):
        """Same as :meth:`deliver`."""
        self.deliver(spikes, t)
