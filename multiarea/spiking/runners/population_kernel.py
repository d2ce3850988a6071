"""Whole steps of a :class:`~multiarea.spiking.populations.PopulationNetwork`
on the Taichi kernel (``ops._population_taichi``), many steps per XLA call.

The network's Variables hold the state before and after every :meth:`run`;
the spikes equal those of the pure-JAX reference (``PopulationNetwork.update``
run by ``bp.DSRunner``) bit for bit.  Synapses are never stored: memory is
the neuron state and the ring buffers, ``4 (3 + 2 R + R D)`` bytes per neuron
for ``R`` receptor currents and ``D`` ring slots, plus host tables per pre
neuron of counted rules.  A ring of more than 2**31 - 1 cells is kept in two
blocks (``PopulationNetwork.ring_split``): the kernel indexes each with int32.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ... import ops
from ...ops import _plan, _rng, _tables
from ...ops import _synapse_stream as stream
from ..populations import PopulationNetwork
from .base import STEPS_PER_CALL, Runner

__all__ = ["PopulationKernelRunner"]

_WORD_BYTES_PER_CALL = 64 << 20


def _team_shares(load: np.ndarray, team: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows (heaviest first) dealt to ``team`` members, each to the least
    loaded so far: ``(rows grouped by member, (team + 1,) offsets)``.  A member
    keeps its rows from step to step (their ring cells stay in its caches)."""
    shares, totals = [[] for _ in range(team)], np.zeros(team)
    for r in np.argsort(-load, kind="stable"):
        m = int(np.argmin(totals))
        shares[m].append(int(r))
        totals[m] += load[r]
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in shares])]).astype(np.int32)
    return np.array([r for s in shares for r in s], np.int32), offsets


def _flat(arrays, dtype, pad: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Concatenation, followed by ``pad`` (>= 1) zeros, and the offset of each array."""
    sizes = [a.size for a in arrays]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if sizes else np.zeros(0, np.int64)
    flat = np.concatenate([np.asarray(a, dtype).ravel() for a in arrays] + [np.zeros(pad, dtype)])
    return flat, offsets


def _shared(arrays, dtype, pad: int = 1) -> tuple[np.ndarray, list, list]:
    """Like :func:`_flat`, but equal arrays are stored once: ``(flat, [(offset,
    index of the distinct array)] per array, distinct arrays)``."""
    distinct, where = {}, []
    for a in arrays:
        a = np.asarray(a, dtype).ravel()
        where.append(distinct.setdefault((a.size, a.tobytes()), len(distinct)))
    tables = [np.frombuffer(key[1], dtype) for key in distinct]
    flat, offsets = _flat(tables, dtype, pad)
    return flat, [(int(offsets[i]), i) for i in where], tables


def delivery_window(net: PopulationNetwork, window) -> int:
    """``window`` checked: an int in ``[1, net.min_delay]``; None: ``net.min_delay``."""
    if window is None:
        return net.min_delay
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or not 1 <= window <= net.min_delay:
        raise ValueError(f"window must be an int in [1, {net.min_delay}] (the shortest delay in steps), got {window!r}")
    return int(window)


def row_capacity(net: PopulationNetwork) -> int:
    """Most synapses one pre neuron can have in one projection."""
    return max([int(s.counts.max()) if s.counts is not None and s.counts.size else s.n_post
                for s in net.specs] or [1])


def population_load(net: PopulationNetwork) -> np.ndarray:
    """``(P,)`` estimated cost of each population's row per step: its
    neurons, plus the events into it at ~5 Hz (5e-4 spikes per step) from
    every source neuron."""
    load = np.array([p.size for p in net.populations], np.float64)
    for c, s in zip(net.connections, net.specs):
        load[net.index[c.post]] += 5e-4 * s.n_pre * s.mean_row_length
    return load


def network_tables(net: PopulationNetwork) -> tuple[tuple, dict]:
    """The kernel's per-population arrays ``(pop_f, pop_i, poisson, word_pop,
    normal)`` and its per-projection tables (a dict, see :func:`kernel_tables`)."""
    from ...ops import _population_taichi as kernel

    c = net.constants
    P = len(net.populations)
    pop_f = np.stack([c[k] for k in kernel.POP_F], axis=1).astype(np.float32)
    poisson, poisson_bits = net.poisson_tables
    sizes = np.array([p.size for p in net.populations])
    pop_i = np.stack([c["ref_steps"], c["drive_steps"], c["drive_key"].view(np.int32), net.first, sizes,
                      net.first_word, poisson_bits, np.arange(P) * poisson.shape[1], c["has_noise"],
                      c["noise_key"].view(np.int32), net.first >= net.ring_split, c["model"], c["ref_table"],
                      c["during_ref"], c["membrane_key"].view(np.int32), c["membrane_first"].view(np.int32)],
                     axis=1).astype(np.int32)
    word_pop = np.repeat(np.arange(P, dtype=np.int32), -(-sizes // 32))

    specs = net.specs
    # tables shared by projections with equal ones (a multi-area model has thousands of projections
    # but few distinct tables: one copy each keeps them in cache); _walk's branch-free steps read up
    # to WALK_FREE entries past a table (values unused)
    geometric, geo_off, geo_table = _shared([s.geometric for s in specs], np.uint32, pad=kernel.WALK_FREE)
    geo_guide = np.concatenate([_tables.search_guide(t, _plan.GEOMETRIC_GUIDE_BITS, 32) for t in geo_table]
                               or [np.zeros(1, np.int32)])
    delays, delay_off, _ = _shared([s.delay_alias[0] if not s.delay_search else np.zeros(0, np.uint32)
                                    for s in specs], np.uint32)
    # the first stream's cumulative delay tables, searched from a guide
    cdfs, cdf_off, cdf_table = _shared([s.delay_table if s.delay_search else np.zeros(0, np.uint32)
                                        for s in specs], np.uint32, pad=kernel.WALK_FREE)
    cdf_guide = np.concatenate([_tables.search_guide(t, _plan.DELAY_GUIDE_BITS, 31) for t in cdf_table]
                               or [np.zeros(1, np.int32)])
    counts, row_off = _flat([s.counts if s.counts is not None else np.zeros(0, np.int32) for s in specs], np.int32)
    # first slots of in-degree rows only (4 bytes per pre neuron: no table for the other rules)
    starts, start_off = _flat([s.starts if s.starts is not None else np.zeros(0, np.uint32) for s in specs],
                              np.uint32)
    proj_i, proj_u, proj_f = [], [], []
    for j, (conn, s) in enumerate(zip(net.connections, specs)):
        pre, post = net.index[conn.pre], net.index[conn.post]
        n_slots = s.indegree * s.n_post
        proj_i.append([s.kind, net.first[pre], s.n_pre, net.first[post], s.n_post, net.first_word[pre],
                       geo_off[j][0], s.geometric.size, delay_off[j][0], 0 if s.delay_search else s.delay_alias[1],
                       row_off[j], max(s.indegree, 1), stream.feistel_bits(max(n_slots, 1)), n_slots,
                       start_off[j], s.counter_stride, int(s.delay_search), cdf_off[j][0], s.delay_table.size,
                       geo_off[j][1] << _plan.GEOMETRIC_GUIDE_BITS, cdf_off[j][1] << _plan.DELAY_GUIDE_BITS])
        seed_key = _rng.mix32(np.uint32(s.seed) ^ np.uint32(_rng.GOLDEN))
        proj_u.append(np.concatenate([[_rng.mix32(seed_key ^ np.uint32(s.proj_id))], s.feistel_keys]))
        proj_f.append([s.weight_mean, s.weight_sd, s.weight_low, s.weight_high])
    R = len(specs)
    tables = dict(
        proj_i=np.array(proj_i, np.int32).reshape(R, len(kernel.PROJ_I)),
        proj_u=np.array(proj_u, np.uint32).reshape(R, 1 + stream.FEISTEL_ROUNDS),
        proj_f=np.array(proj_f, np.float32).reshape(R, len(kernel.PROJ_F)),
        geometric=geometric, geo_guide=geo_guide, delays=delays, cdfs=cdfs, cdf_guide=cdf_guide,
        ref_words=net.refractory_words[1], counts=counts, starts=starts,
        cmix=_rng.mix32(np.arange(max(3 * row_capacity(net) + 3, sizes.max()), dtype=np.uint32)))
    return (pop_f, pop_i, poisson.ravel(), word_pop, _rng.normal_table()), tables


def row_tables(net: PopulationNetwork, populations, n_rows: int | None = None) -> dict:
    """The rows of a call over ``populations`` (indices), heaviest first:
    ``row_pop``, ``row_proj`` (each row's slice of ``proj_order``, its incoming
    projections in connection order), ``proj_order``, and the team's shares
    ``team_rows``, ``team_off``; padded to ``n_rows`` rows (padding rows are
    not in the team's shares: never run)."""
    from ...ops import _population_taichi as kernel

    populations = np.asarray(list(populations), np.int64)
    n_rows = populations.size if n_rows is None else n_rows
    load = population_load(net)[populations]
    row_pop = populations[np.argsort(-load, kind="stable")]  # heaviest first: the team grabs rows, so this balances
    targets = [net.index[c.post] for c in net.connections]
    proj_order = [j for q in row_pop for j in range(len(targets)) if targets[j] == q]
    row_proj = np.concatenate([[0], np.cumsum([targets.count(q) for q in row_pop])])
    team_rows, team_off = _team_shares(population_load(net)[row_pop], kernel.TEAM)
    pad = n_rows - row_pop.size
    return dict(row_proj=np.concatenate([row_proj, np.full(pad, row_proj[-1])]).astype(np.int32),
                row_pop=np.concatenate([row_pop, np.zeros(pad, np.int64)]).astype(np.int32),
                proj_order=np.array(proj_order + [0] * (len(targets) - len(proj_order)) or [0], np.int32),
                team_rows=np.concatenate([team_rows, np.zeros(pad, np.int32)]).astype(np.int32),
                team_off=team_off)


def kernel_tables(tables: dict, rows: dict, ring_shape: np.ndarray, prev_words: np.ndarray) -> tuple:
    """The kernel's arguments between ``stim`` and the state, in its order."""
    return (tables["proj_i"], tables["proj_u"], tables["proj_f"], rows["row_proj"], rows["row_pop"],
            rows["proj_order"], rows["team_rows"], rows["team_off"], tables["geometric"], tables["geo_guide"],
            tables["delays"], tables["cdfs"], tables["cdf_guide"], tables["ref_words"], tables["counts"],
            tables["starts"], tables["cmix"], ring_shape, prev_words)


class PopulationKernelRunner(Runner):
    """Runs a :class:`PopulationNetwork` on the whole-step kernel.

    Args:
        net: the network.
        stim: optional callable ``stim(first_step, n_steps) -> (n_steps, P)``
            float32 current (pA) added to each population's ``I_e`` per step.
        deliver: False skips the synaptic delivery (neuron updates only; for
            profiling the phases of a step).
        window: steps whose spikes are delivered together, ``1 <= window <=
            net.min_delay`` (default ``net.min_delay``): the team meets once
            per window; the spikes do not depend on it.
    """

    def __init__(self, net: PopulationNetwork, stim=None, deliver: bool = True, window: int | None = None):
        if not isinstance(net, PopulationNetwork):
            raise TypeError(f"PopulationKernelRunner runs a PopulationNetwork, got {type(net).__name__}")
        from ...ops import _population_taichi as kernel

        super().__init__(net)
        self.stim = stim
        self.deliver = bool(deliver)
        self.window = delivery_window(net, window)
        static, tables = network_tables(net)
        rows = row_tables(net, range(len(net.populations)))
        ring_shape = np.array([net.n_slots, 0, net.ring_split, net.ring_split, net.num - net.ring_split], np.int32)
        # prev_words: unused here (each call delivers its own last window)
        self._static = tuple(jnp.asarray(a) for a in static)
        self._tables = tuple(jnp.asarray(a) for a in kernel_tables(tables, rows, ring_shape,
                                                                    np.zeros((1, net.n_words), np.uint32)))
        self._op = ops.XLACustomOp(cpu_kernel=kernel.population_step, name="population_step",
                                   zero_outputs=False)
        self.steps_per_call = min(STEPS_PER_CALL, max(1, _WORD_BYTES_PER_CALL // (4 * net.n_words)))

    @functools.cached_property
    def word_neurons(self) -> np.ndarray:
        return self.net.word_neurons()

    @functools.cached_property
    def _call(self):
        n_static = len(self._static) + 1 + len(self._tables)  # + stim
        aliases = {n_static + i: i for i in range(6)}
        op, n_words, deliver = self._op, self.net.n_words, self.deliver
        from ...ops._population_taichi import TEAM as team
        scratch = int(self._tables[4].shape[0]) * row_capacity(self.net)  # rows x capacity

        def call(static, stim, tables, state):
            n_steps = stim.shape[0]
            outs = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in state]
            outs.append(jax.ShapeDtypeStruct((n_steps, n_words), jnp.uint32))
            outs.append(jax.ShapeDtypeStruct((scratch,), jnp.int32))
            outs.append(jax.ShapeDtypeStruct((scratch,), jnp.float32))
            outs.append(jax.ShapeDtypeStruct(((team + 1) * (n_steps + 1) + 1,), jnp.int32))
            result = op(*static, stim, *tables, *state, outs=outs, input_output_aliases=aliases, deliver=deliver)
            return tuple(result[:6]), result[6]

        return jax.jit(call, donate_argnums=(3,))

    def _advance(self, n_steps: int) -> np.ndarray:
        net = self.net
        t = int(net.t.value)
        P = len(net.populations)
        stim = np.zeros((n_steps, P), np.float32) if self.stim is None else \
            np.asarray(self.stim(t, n_steps), np.float32).reshape(n_steps, P)
        state = (net.y.value, net.i_syn.value, net.refractory_left.value, net.ring.value, net.ring_hi.value,
                 jnp.asarray([t, 0, n_steps, self.window, 0, 1], jnp.int32))
        (y, i_syn, left, ring, ring_hi, _), words = self._call(self._static, jnp.asarray(stim), self._tables, state)
        words = np.asarray(words)
        net.y.value, net.i_syn.value, net.refractory_left.value = y, i_syn, left
        net.ring.value, net.ring_hi.value = ring, ring_hi
        net.t.value = jnp.asarray(t + n_steps, jnp.int32)
        spikes = (words[-1][:, None] >> np.arange(32, dtype=np.uint32)) & np.uint32(1)
        flat = np.zeros(net.num, bool)
        wn = self.word_neurons
        flat[wn[wn >= 0]] = spikes.astype(bool)[wn >= 0]
        net.spike.value = jnp.asarray(flat)
        return words
