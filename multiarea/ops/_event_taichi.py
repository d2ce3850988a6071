"""Taichi kernel of the fused just-in-time event current, as an XLA custom op.

Same semantics, RNG and tables as the pure-JAX reference
(``_event_jax.event_current``), so both produce the same synapses and delays;
only the order of float additions differs.  The kernel loops in parallel over
all (source area, pre neuron) pairs, skips silent ones, and for each spiking
neuron walks the rows of its target areas by geometric skipping, adding the
pair's weight into the post-side ring buffer (updated in place: the ring is
aliased to the op's output).  Table searches start from integer guide tables
(``JitConnPlan.geometric_guide`` / ``delay_guide``) and walk forward, so they
stay exact and cost O(1) on average.
"""

import jax
import jax.numpy as jnp
import numpy as np
import taichi as ti

from . import _rng
from ._plan import DELAY_GUIDE_BITS, GEOMETRIC_GUIDE_BITS, JitConnPlan
from ._xla_custom_op import XLACustomOp

_U8, _I32, _U32, _F32 = ti.u8, ti.i32, ti.u32, ti.f32


@ti.func
def _mix32(x: ti.u32) -> ti.u32:
    x ^= x >> ti.u32(16)
    x *= ti.u32(_rng.MIX_MUL1)
    x ^= x >> ti.u32(15)
    x *= ti.u32(_rng.MIX_MUL2)
    x ^= x >> ti.u32(15)
    return x


@ti.kernel
def _fused_event_current_cpu(
        spikes: ti.types.ndarray(dtype=_U8, ndim=2),          # (n_src, n_pre)
        weights: ti.types.ndarray(dtype=_F32, ndim=2),        # (n_tgt, n_src)
        targets: ti.types.ndarray(dtype=_I32, ndim=2),        # (n_src, T), -1 padded
        proj_ids: ti.types.ndarray(dtype=_U32, ndim=2),       # (n_tgt, n_src)
        geometric: ti.types.ndarray(dtype=_U32, ndim=1),      # (K,) ascending
        geometric_guide: ti.types.ndarray(dtype=_I32, ndim=1),  # (4096,)
        delay_tables: ti.types.ndarray(dtype=_U32, ndim=2),   # (n_pairs, L) ascending
        delay_guide: ti.types.ndarray(dtype=_I32, ndim=2),    # (n_pairs, 64)
        constant_delay: ti.types.ndarray(dtype=_I32, ndim=1),  # (n_pairs,), 0 = drawn
        seed_step: ti.types.ndarray(dtype=_I32, ndim=1),      # (2,): seed bits, step t
        ring_in: ti.types.ndarray(dtype=_F32, ndim=3),        # (D, n_tgt, n_post), aliased
        ring: ti.types.ndarray(dtype=_F32, ndim=3)):
    n_src = spikes.shape[0]
    n_pre = spikes.shape[1]
    n_post = ring.shape[2]
    n_slots = ring.shape[0]
    n_geo = geometric.shape[0]
    n_delay = delay_tables.shape[1]
    seed_key = _mix32(ti.cast(seed_step[0], ti.u32) ^ ti.u32(_rng.GOLDEN))
    t = seed_step[1]
    for tgt, post in ti.ndrange(ring.shape[1], n_post):  # input of step t was consumed
        ring[t % n_slots, tgt, post] = 0.0
    for src, pre in ti.ndrange(n_src, n_pre):
        if spikes[src, pre] != 0:
            for j in range(targets.shape[1]):
                tgt = targets[src, j]
                if tgt >= 0:
                    pair = tgt * n_src + src
                    key = _mix32(_mix32(seed_key ^ proj_ids[tgt, src]) + ti.cast(pre, ti.u32))
                    w = weights[tgt, src]
                    fixed = constant_delay[pair]
                    pos = -1
                    k = ti.u32(0)
                    while True:
                        r = _mix32(key ^ _mix32(ti.u32(2) * k))
                        n_le = geometric_guide[ti.cast(r >> ti.u32(32 - GEOMETRIC_GUIDE_BITS), ti.i32)]
                        while n_le < n_geo and geometric[n_le] <= r:
                            n_le += 1
                        pos += 1 + n_geo - n_le
                        if pos >= n_post:
                            break
                        delay = fixed
                        if delay == 0:
                            rd = _mix32(key ^ _mix32(ti.u32(2) * k + ti.u32(1))) >> ti.u32(1)
                            c = delay_guide[pair, ti.cast(rd >> ti.u32(31 - DELAY_GUIDE_BITS), ti.i32)]
                            while c < n_delay and delay_tables[pair, c] <= rd:
                                c += 1
                            delay = 1 + c
                        ring[(t + delay) % n_slots, tgt, pos] += w
                        k += ti.u32(1)


_op = None


def _fused_op() -> XLACustomOp:
    global _op
    if _op is None:
        _op = XLACustomOp(cpu_kernel=_fused_event_current_cpu, name="fused_event_current")
    return _op


def _plan_arrays(plan: JitConnPlan) -> tuple:
    """The plan's static tables as numpy arrays (cached on the plan)."""
    cached = getattr(plan, "_taichi_arrays", None)
    if cached is None:
        n_pairs = plan.n_tgt * plan.n_src
        cached = tuple(np.ascontiguousarray(a) for a in (
            plan.targets_of_src, plan.proj_ids, plan.geometric, plan.geometric_guide,
            plan.delay_tables.reshape(n_pairs, -1), plan.delay_guide,
            plan.constant_delay.reshape(-1)))
        object.__setattr__(plan, "_taichi_arrays", cached)
    return cached


def event_current(plan: JitConnPlan, spikes, weights, ring, t):
    """Taichi implementation of ``_event_jax.event_current`` (same arguments)."""
    targets, proj_ids, geo, geo_guide, tables, guide, constant = _plan_arrays(plan)
    seed_step = jnp.stack([jnp.asarray(np.uint32(plan.seed).view(np.int32)),
                           jnp.asarray(t, jnp.int32)])
    spikes = jnp.asarray(spikes).reshape(plan.n_src, plan.n_pre).astype(jnp.uint8)
    weights = jnp.asarray(weights, jnp.float32)
    (out,) = _fused_op()(spikes, weights, targets, proj_ids, geo, geo_guide, tables, guide,
                         constant, seed_step, ring,
                         outs=[jax.ShapeDtypeStruct(ring.shape, ring.dtype)],
                         input_output_aliases={10: 0})
    return out
