"""Pure-JAX event-driven current of a (fused) just-in-time projection.

The reference implementation of the op family; the Taichi kernels must match it
synapse for synapse.  Cost is proportional to spikes x fan-out: spiking pre
neurons are gathered ``event_chunk`` at a time, and each row's synapses are
regenerated ``plan.gap_chunk`` gaps at a time until the row is exhausted, so no
connectivity is ever stored.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import _rng
from ._plan import JitConnPlan, PairTables, gaps_from_draws

EVENT_CHUNK = 16


def _count_le(tables_flat, row, length: int, values):
    """Per element, the number of entries ``<= value`` in ``tables[row]``.

    ``tables_flat`` is ``(R * length,)`` ascending per row; ``row`` and
    ``values`` broadcast together.  Fixed-iteration binary search.
    """
    lo = jnp.zeros(jnp.broadcast_shapes(row.shape, values.shape), jnp.int32)
    hi = jnp.full_like(lo, length)
    for _ in range(int(np.ceil(np.log2(length + 1)))):
        mid = (lo + hi) // 2
        go_right = tables_flat[row * length + jnp.minimum(mid, length - 1)] <= values
        go_right = go_right & (mid < length)
        lo = jnp.where(go_right, mid + 1, lo)
        hi = jnp.where(go_right, hi, mid)
    return lo


def _deliver_rows(plan: JitConnPlan, tables: PairTables, ring, t, key, pair, tgt, weight, active):
    """Add ``weight`` at every synapse of the given rows into the ring buffer.

    key, pair, tgt, weight, active: ``(E, T)`` arrays, one entry per row;
    ``pair`` indexes the rows of ``tables.delay_tables``.
    """
    n_post, m = plan.n_post, plan.gap_chunk
    n_slots = ring.shape[0]
    geometric = jnp.asarray(plan.geometric)
    length = plan.delay_tables.shape[-1]
    delays_flat = jnp.asarray(tables.delay_tables).reshape(-1)
    constant = jnp.maximum(jnp.asarray(tables.pair_delay).reshape(-1), 0)
    all_constant = plan.all_constant
    offsets = jnp.arange(m, dtype=jnp.uint32)

    def cond(carry):
        return jnp.any(carry[3])

    def body(carry):
        chunk, last, ring, active = carry
        k = chunk.astype(jnp.uint32) * jnp.uint32(m) + offsets
        two_k = jnp.uint32(2) * k
        r = _rng.draw(key[..., None], two_k, xp=jnp)
        pos = last[..., None] + jnp.cumsum(gaps_from_draws(geometric, r, xp=jnp), axis=-1)
        valid = active[..., None] & (pos < n_post)
        delay = constant[pair][..., None]
        if not all_constant:
            rd = _rng.draw(key[..., None], two_k + jnp.uint32(1), xp=jnp) >> jnp.uint32(1)
            drawn = 1 + _count_le(delays_flat, pair[..., None], length, rd)
            delay = jnp.where(delay > 0, delay, drawn)
        slot = (t + delay) % n_slots
        ring = ring.at[slot, tgt[..., None], jnp.where(valid, pos, n_post)].add(
            jnp.broadcast_to(weight[..., None], pos.shape).astype(ring.dtype), mode="drop")
        last = pos[..., -1]
        return chunk + 1, last, ring, active & (last < n_post - 1)

    init = (jnp.int32(0), jnp.full(key.shape, -1, jnp.int32), ring, active)
    return jax.lax.while_loop(cond, body, init)[2]


def _clear_slot(ring, t):
    zeros = jnp.zeros((1,) + ring.shape[1:], ring.dtype)
    return jax.lax.dynamic_update_slice_in_dim(ring, zeros, t % ring.shape[0], axis=0)


def event_current(plan: JitConnPlan, spikes, weights, ring, t, event_chunk: int | None = None,
                  tables: PairTables | None = None):
    """Deliver this step's spikes through a fused JIT projection into a ring buffer.

    Args:
        plan: the static connectivity.
        spikes: ``(n_src, n_pre)`` spikes (bool or 0/1) emitted at step ``t``.
        weights: ``(n_tgt, n_src)`` weight per (target, source) pair (mV for
            delta synapses); entries outside ``plan.pair_mask`` are ignored.
        ring: ``(D, n_tgt, n_post)`` post-side ring buffer, ``D >=
            plan.ring_length``; slot ``s`` holds input arriving at steps
            ``== s (mod D)``.
        t: int32 scalar, the current step.
        event_chunk: spiking pre neurons processed per pass (default
            ``EVENT_CHUNK``); any number of spikes is handled exactly.
        tables: the pairs to deliver through (default ``plan.tables()``, all
            of them); with a subset (one device's target areas, see
            :meth:`JitConnPlan.tables`) ``n_src``/``n_tgt`` above are the
            subset's, and the synapses are those of the full plan.

    Returns:
        The ring buffer with slot ``t % D`` (the input consumed at step ``t``)
        cleared and every synapse's weight added at slot ``(t + delay) % D``.
    """
    event_chunk = EVENT_CHUNK if event_chunk is None else event_chunk
    tables = plan.tables() if tables is None else tables
    targets = jnp.asarray(tables.targets_of_src)
    proj_ids = jnp.asarray(tables.proj_ids)
    n_src, n_pre = proj_ids.shape[1], plan.n_pre
    size = n_src * n_pre
    weights = jnp.asarray(weights)

    def body(carry):
        remaining, ring = carry
        idx = jnp.nonzero(remaining, size=event_chunk, fill_value=size)[0]
        remaining = remaining.at[idx].set(False, mode="drop")
        valid = idx < size
        src = jnp.where(valid, idx // n_pre, 0)[:, None]
        pre = (idx % n_pre)[:, None]
        tgt = targets[src[:, 0]]
        active = valid[:, None] & (tgt >= 0)
        tgt = jnp.maximum(tgt, 0)
        key = _rng.row_key(plan.seed, proj_ids[tgt, src], pre.astype(jnp.uint32), xp=jnp)
        ring = _deliver_rows(plan, tables, ring, t, key, tgt * n_src + src, tgt, weights[tgt, src], active)
        return remaining, ring

    remaining = jnp.asarray(spikes).reshape(size).astype(bool)
    ring = _clear_slot(ring, t)
    return jax.lax.while_loop(lambda c: jnp.any(c[0]), body, (remaining, ring))[1]


def csr_event_current(pre_of_synapse, post_of_synapse, spikes, weights, ring, t, delay_steps: int):
    """Deliver spikes through explicit (CSR) connectivity into a ring buffer.

    Args:
        pre_of_synapse, post_of_synapse: ``(nnz,)`` int32 indices of each synapse.
        spikes: ``(n_pre,)`` spikes of step ``t``.
        weights: scalar or ``(nnz,)`` weight per synapse.
        ring: ``(D, n_post)`` ring buffer.
        t: int32 scalar, the current step; ``delay_steps``: constant delay >= 1.

    Returns the ring with slot ``t % D`` cleared and the weights of the
    spiking rows added at slot ``(t + delay_steps) % D``.  Cost is
    proportional to the number of synapses (a reference, not a kernel).
    """
    active = jnp.asarray(spikes).astype(ring.dtype)[pre_of_synapse]
    slot = (t + delay_steps) % ring.shape[0]
    return _clear_slot(ring, t).at[slot, post_of_synapse].add(active * weights)
