"""Static description of a (fused) just-in-time-connectivity projection.

A ``JitConnPlan`` describes ``n_src`` source groups (areas) of ``n_pre``
neurons projecting to ``n_tgt`` target groups of ``n_post`` neurons.  Each
(target, source) pair whose ``pair_mask`` entry is set is an independent
Bernoulli(``p``) projection with its own projection id
``proj_base + tgt * n_src + src`` and its own delay distribution.  The plan is
host-side (numpy) and static: it is closed over by the compiled step; the
per-pair weights are a runtime array.

``rows`` regenerates the synapses of given pre neurons on the host with numpy,
using the same counter-based RNG and tables as every backend: it is how tests
check that a backend's connectivity is bit-exact.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .. import _checks
from . import _rng, _tables

__all__ = ["JitConnPlan", "PairTables", "make_plan"]

GEOMETRIC_GUIDE_BITS = 12
DELAY_GUIDE_BITS = 6


class PairTables(NamedTuple):
    """The per-pair tables a backend reads, for some target and source groups.

    A plan's own tables (:meth:`JitConnPlan.tables`) cover all its pairs; a
    device of a sharded run gets the rows of its target areas and the
    columns of the sources it sees, with the plan's projection ids, so it
    regenerates exactly the synapses of the unsharded plan.  Fields (numpy or
    JAX arrays), for ``T`` target and ``S`` source groups:

    * ``proj_ids``: ``(T, S)`` uint32 projection id of each pair;
    * ``pair_delay``: ``(T, S)`` int32: -1 no pair, 0 delays drawn per
      synapse, ``d > 0`` constant delay of ``d`` steps;
    * ``delay_tables``: ``(T * S, L)`` uint32 delay table of each pair;
    * ``delay_guide``: ``(T * S, 64)`` int32 search start points;
    * ``targets_of_src``: ``(S, T)`` int32 targets of each source, -1 padded.
    """
    proj_ids: object
    pair_delay: object
    delay_tables: object
    delay_guide: object
    targets_of_src: object


@dataclass(frozen=True, eq=False)
class JitConnPlan:
    """See the module docstring.  Build with :func:`make_plan`."""

    seed: int
    p: float
    n_pre: int
    n_post: int
    proj_ids: np.ndarray  #: (n_tgt, n_src) uint32
    pair_mask: np.ndarray  #: (n_tgt, n_src) bool
    delay_tables: np.ndarray  #: (n_tgt, n_src, L) uint32, see ``_tables``
    geometric: np.ndarray = field(init=False)  #: (K,) uint32 ascending thresholds

    def __post_init__(self):
        object.__setattr__(self, "geometric", _tables.geometric_table(self.p, self.n_post))

    @property
    def targets_of_src(self) -> np.ndarray:
        """``(n_src, T)`` int32 target groups of each source group, -1 padded."""
        return self.tables().targets_of_src

    @property
    def n_src(self) -> int:
        return self.pair_mask.shape[1]

    @property
    def n_tgt(self) -> int:
        return self.pair_mask.shape[0]

    @property
    def geometric_guide(self) -> np.ndarray:
        """``(4096,)`` int32 start points for searching ``geometric``: entry
        ``b`` is the number of thresholds <= ``b << 20`` (the smallest draw
        whose top 12 bits are ``b``)."""
        return _tables.search_guide(self.geometric, GEOMETRIC_GUIDE_BITS, 32)

    @property
    def delay_guide(self) -> np.ndarray:
        """``(n_tgt * n_src, 64)`` int32 start points for searching each
        pair's delay table with a 31-bit draw (top 6 bits index the bucket)."""
        tables = self.delay_tables.reshape(-1, self.delay_tables.shape[-1])
        return np.stack([_tables.search_guide(t, DELAY_GUIDE_BITS, 31) for t in tables])

    @property
    def constant_delay(self) -> np.ndarray:
        """``(n_tgt, n_src)`` int32: the delay (steps) of pairs whose delay is
        constant, 0 for pairs with per-synapse jitter."""
        below_one = (self.delay_tables < _tables.DELAY_ONE).sum(axis=-1)
        constant = np.all((self.delay_tables == 0) | (self.delay_tables == _tables.DELAY_ONE), axis=-1)
        return np.where(constant, 1 + below_one, 0).astype(np.int32)

    @property
    def all_constant(self) -> bool:
        """Whether every pair has a constant delay (no per-synapse draws)."""
        return bool(np.all(self.constant_delay[self.pair_mask] > 0))

    def tables(self, targets: tuple | None = None, sources: tuple | None = None) -> PairTables:
        """:class:`PairTables` (numpy, cached on the plan) of the pairs of
        target groups ``targets`` and source groups ``sources`` (tuples of
        group indices, -1 for a padding group that has no pairs; default all,
        in order)."""
        cache = self.__dict__.setdefault("_tables_cache", {})
        if (targets, sources) not in cache:
            cache[targets, sources] = self._tables(targets, sources)
        return cache[targets, sources]

    def _tables(self, targets, sources) -> PairTables:
        tgt = np.arange(self.n_tgt) if targets is None else np.asarray(targets, np.int64)
        src = np.arange(self.n_src) if sources is None else np.asarray(sources, np.int64)
        real = (tgt >= 0)[:, None] & (src >= 0)[None, :]
        rows, cols = np.ix_(np.maximum(tgt, 0), np.maximum(src, 0))
        mask = real & self.pair_mask[rows, cols]
        pair_delay = np.where(mask, self.constant_delay[rows, cols], -1).astype(np.int32)
        n_pairs = tgt.size * src.size
        targets_of_src = np.full((src.size, tgt.size), -1, np.int32)
        for s in range(src.size):
            hit = np.flatnonzero(mask[:, s])
            targets_of_src[s, :hit.size] = hit
        if targets is None and sources is None:  # the plan's own: as narrow as possible
            targets_of_src = targets_of_src[:, :max(1, int(mask.sum(axis=0).max()))]
        guide = self.delay_guide.reshape(self.n_tgt, self.n_src, -1)[rows, cols]
        return PairTables(
            proj_ids=np.where(real, self.proj_ids[rows, cols], 0).astype(np.uint32),
            pair_delay=pair_delay,
            delay_tables=np.ascontiguousarray(self.delay_tables[rows, cols].reshape(n_pairs, -1)),
            delay_guide=np.ascontiguousarray(guide.reshape(n_pairs, -1)),
            targets_of_src=targets_of_src)

    @property
    def max_delay(self) -> int:
        """Largest delay in steps any synapse can have."""
        return int(1 + (self.delay_tables < _tables.DELAY_ONE).sum(axis=-1).max())

    @property
    def min_delay(self) -> int:
        """Shortest delay in steps any synapse can have (``max_delay`` if the
        plan has no pairs)."""
        if not self.pair_mask.any():
            return self.max_delay
        constant = self.constant_delay[self.pair_mask]
        drawn = 1 + (self.delay_tables == 0).sum(axis=-1)[self.pair_mask]
        return int(np.where(constant > 0, constant, drawn).min())

    @property
    def ring_length(self) -> int:
        """Slots a post-side ring buffer needs: ``max_delay + 1``."""
        return self.max_delay + 1

    @property
    def gap_chunk(self) -> int:
        """Gaps drawn per row and pass (``_tables.row_chunk``)."""
        return _tables.row_chunk(self.p, self.n_post)

    def rows(self, src: int, tgt: int, pre) -> list[tuple[np.ndarray, np.ndarray]]:
        """Synapses of pre neurons ``pre`` (ints) of group ``src`` onto group ``tgt``.

        Returns, per pre neuron, ``(post indices (int64, ascending), delays in
        steps (int64))``; empty arrays where the pair is masked out.
        """
        out = []
        for i in np.atleast_1d(pre):
            if not self.pair_mask[tgt, src]:
                out.append((np.zeros(0, np.int64), np.zeros(0, np.int64)))
                continue
            key = _rng.row_key(np.uint32(self.seed), np.uint32(self.proj_ids[tgt, src]), np.uint32(i))
            post, delays, last, chunk, m = [], [], -1, 0, self.gap_chunk
            while last < self.n_post - 1:
                k = np.arange(chunk * m, (chunk + 1) * m, dtype=np.uint32)
                gaps = gaps_from_draws(self.geometric, _rng.draw(key, 2 * k))
                pos = last + np.cumsum(gaps)
                keep = pos < self.n_post
                rd = _rng.draw(key, 2 * k + np.uint32(1)) >> np.uint32(1)
                d = 1 + np.searchsorted(self.delay_tables[tgt, src], rd, side="right")
                post.append(pos[keep])
                delays.append(d[keep])
                last, chunk = pos[-1], chunk + 1
            out.append((np.concatenate(post), np.concatenate(delays)))
        return out


def gaps_from_draws(geometric, draws, xp=np):
    """Geometric gaps (>= 1) from uint32 draws, see ``_tables``."""
    n_le = xp.searchsorted(geometric, draws, side="right")
    return (1 + geometric.shape[0] - n_le).astype(xp.int32)


def make_plan(*, seed: int, p: float, n_pre: int, n_post: int, dt: float,
              delay_mean_ms, delay_sd_ms=0.0, pair_mask=None, proj_base: int = 0) -> JitConnPlan:
    """Build a :class:`JitConnPlan`.

    Args:
        seed: connectivity seed in [0, 2**32).
        p: connection probability in (0, 1].
        n_pre, n_post: neurons per source / target group.
        dt: time step (ms).
        delay_mean_ms: scalar or ``(n_tgt, n_src)`` mean delay (ms).
        delay_sd_ms: scalar or ``(n_tgt, n_src)`` delay sd (ms); 0 = constant.
        pair_mask: ``(n_tgt, n_src)`` bool, which pairs exist (default: a
            single pair, i.e. an ordinary projection).
        proj_base: projection id of pair (0, 0); pair ``(t, s)`` gets
            ``proj_base + t * n_src + s``.
    """
    seed = _checks.seed_int("seed", seed)
    p = _checks.probability("p", p)
    n_pre = _checks.positive_int("n_pre", n_pre)
    n_post = _checks.positive_int("n_post", n_post)
    dt = _checks.positive_float("dt", dt)
    mask = np.ones((1, 1), bool) if pair_mask is None else np.asarray(pair_mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"pair_mask must be 2-D (n_tgt, n_src), got shape {mask.shape}")
    mean = np.broadcast_to(_checks.finite_array("delay_mean_ms", delay_mean_ms), mask.shape)
    sd = np.broadcast_to(_checks.finite_array("delay_sd_ms", delay_sd_ms), mask.shape)
    if np.any(mean[mask] < 0) or np.any(sd[mask] < 0):
        raise ValueError("delay_mean_ms and delay_sd_ms must be >= 0")
    n_tgt, n_src = mask.shape
    length = max(_tables.max_delay_steps(m, s, dt) for m, s in zip(mean.ravel(), sd.ravel()))
    tables = np.stack([_tables.delay_table(m, s, dt, length) for m, s in zip(mean.ravel(), sd.ravel())])
    proj_ids = (proj_base + np.arange(n_tgt * n_src, dtype=np.int64)).reshape(n_tgt, n_src)
    if proj_ids.max() >= 2**32:
        raise ValueError(f"proj_base too large: {proj_base}")
    return JitConnPlan(seed=seed, p=p, n_pre=n_pre, n_post=n_post,
                       proj_ids=proj_ids.astype(np.uint32), pair_mask=mask,
                       delay_tables=tables.reshape(n_tgt, n_src, length))
