"""Taichi kernel of the fused just-in-time event current, as an XLA custom op.

Same semantics, RNG and tables as the pure-JAX reference
(``_event_jax.event_current``), so both produce the same synapses and delays;
only the order of float additions differs.  The kernel clears the consumed
slot, compacts the spiking neurons, then runs one task per target area (in
parallel over the cores): for every spike of a source area projecting there it
walks the row by geometric skipping and adds the pair's weight into the
post-side ring buffer (updated in place: the ring is aliased to the op's
output).  Table searches start from integer guide tables
(``JitConnPlan.geometric_guide`` / ``delay_guide``) and walk forward, so they
stay exact and cost O(1) on average.
"""

import jax
import jax.numpy as jnp
import numpy as np
import taichi as ti

from . import _rng
from ._plan import DELAY_GUIDE_BITS, GEOMETRIC_GUIDE_BITS, JitConnPlan, PairTables
from ._xla_custom_op import XLACustomOp

_U8, _I32, _U32, _F32 = ti.u8, ti.i32, ti.u32, ti.f32
_TASK_PAD = 128


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
        spikes: ti.types.ndarray(dtype=_U8, ndim=1),          # (n_src * n_pre,)
        weights: ti.types.ndarray(dtype=_F32, ndim=2),        # (n_tgt, n_src)
        proj_ids: ti.types.ndarray(dtype=_U32, ndim=2),       # (n_tgt, n_src)
        geometric: ti.types.ndarray(dtype=_U32, ndim=1),      # (K,) ascending
        geometric_guide: ti.types.ndarray(dtype=_I32, ndim=1),  # (4096,)
        delay_tables: ti.types.ndarray(dtype=_U32, ndim=2),   # (n_pairs, L) ascending
        delay_guide: ti.types.ndarray(dtype=_I32, ndim=2),    # (n_pairs, 64)
        pair_delay: ti.types.ndarray(dtype=_I32, ndim=2),     # (n_tgt, n_src): -1 no pair, 0 drawn, d
        seed_step: ti.types.ndarray(dtype=_I32, ndim=1),      # (2,): seed bits, step t
        ring_in: ti.types.ndarray(dtype=_F32, ndim=3),        # (D, n_tgt, n_post), aliased
        ring: ti.types.ndarray(dtype=_F32, ndim=3),
        events: ti.types.ndarray(dtype=_I32, ndim=1)):        # (n_src * n_pre,) scratch
    n_tgt = ring.shape[1]
    n_src = weights.shape[1]
    n_pre = spikes.shape[0] // n_src
    n_post = ring.shape[2]
    n_slots = ring.shape[0]
    n_geo = geometric.shape[0]
    n_delay = delay_tables.shape[1]
    seed_key = _mix32(ti.cast(seed_step[0], ti.u32) ^ ti.u32(_rng.GOLDEN))
    t = seed_step[1]
    for tgt in range(n_tgt):  # the input of step t was consumed
        for post in range(n_post):
            ring[t % n_slots, tgt, post] = 0.0
    n_events = 0
    ti.loop_config(serialize=True)
    for i in range(spikes.shape[0]):  # compact the spiking neurons
        if spikes[i] != 0:
            events[n_events] = i
            n_events += 1
    # One target area per task: its part of the ring stays in cache and no
    # other task writes it, so the adds need no atomics.  Taichi's CPU
    # scheduler keeps short loops on one thread, so the loop runs over
    # _TASK_PAD slots per target area, of which the first does the work.
    for task in range(n_tgt * _TASK_PAD):
        tgt = task // _TASK_PAD
        for e in range(n_events if task % _TASK_PAD == 0 else 0):
            src = events[e] // n_pre
            pre = events[e] - src * n_pre
            fixed = pair_delay[tgt, src]
            if fixed >= 0:
                pair = tgt * n_src + src
                key = _mix32(_mix32(seed_key ^ proj_ids[tgt, src]) + ti.cast(pre, ti.u32))
                w = weights[tgt, src]
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
                    slot = (t + delay) % n_slots
                    ring[slot, tgt, pos] = ring[slot, tgt, pos] + w
                    k += ti.u32(1)


_op = None


def _fused_op() -> XLACustomOp:
    global _op
    if _op is None:
        _op = XLACustomOp(cpu_kernel=_fused_event_current_cpu, name="fused_event_current",
                          zero_outputs=False)
    return _op


def _plan_arrays(plan: JitConnPlan, tables: PairTables | None = None) -> tuple:
    """The kernel's table arguments: ``(proj_ids, geometric, geometric_guide,
    delay_tables, delay_guide, pair_delay)`` of ``tables`` (default all the
    plan's pairs)."""
    t = plan.tables() if tables is None else tables
    return (t.proj_ids, plan.geometric, plan.geometric_guide, t.delay_tables, t.delay_guide,
            t.pair_delay)


def event_current(plan: JitConnPlan, spikes, weights, ring, t, tables: PairTables | None = None):
    """Taichi implementation of ``_event_jax.event_current`` (same arguments)."""
    proj_ids, geo, geo_guide, delay_tables, guide, pair_delay = _plan_arrays(plan, tables)
    seed_step = jnp.stack([jnp.asarray(np.uint32(plan.seed).view(np.int32)),
                           jnp.asarray(t, jnp.int32)])
    spikes = jnp.asarray(spikes).reshape(-1).astype(jnp.uint8)
    weights = jnp.asarray(weights, jnp.float32)
    out, _ = _fused_op()(spikes, weights, proj_ids, geo, geo_guide, delay_tables, guide, pair_delay,
                         seed_step, ring,
                         outs=[jax.ShapeDtypeStruct(ring.shape, ring.dtype),
                               jax.ShapeDtypeStruct(spikes.shape, jnp.int32)],
                         input_output_aliases={9: 0})
    return out
