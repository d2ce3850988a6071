"""The per-synapse random stream of rule-based just-in-time connectivity.

A projection's synapses are never stored: the row of pre neuron ``i`` (its
outgoing synapses, in order ``k = 0, 1, ...``) is a pure function of the row
key ``rk = _rng.row_key(seed, proj_id, i)`` and of small host tables.  This
module is the definition, in numpy; the Taichi kernel
(``ops._population_taichi``) computes the same integers and floats.

Draws of synapse ``k`` (``draw = _rng.draw``):

* ``a_k = draw(rk, 3k)``: where it goes.
  - *Bernoulli rows* (``FixedProbability``): the gap to the previous post
    index is Geometric(p), looked up in ``_tables.geometric_table``; the row
    ends at the first index >= ``n_post``.
  - *counted rows* (``FixedTotalNumber``, ``FixedIndegree``): the row has
    ``counts[i]`` synapses (a host table, multinomial).  Fixed total number:
    the post index is uniform on ``[0, n_post)``, by Lemire's multiply-shift
    with rejection (exact).  Fixed in-degree: synapse ``k`` of row ``i`` is
    slot ``s = start[i] + k`` of the projection's ``K * n_post`` synapses; a
    keyed Feistel permutation of the slots (cycle-walking on ``[0, K n_post)``)
    sends it to ``perm(s)``, and its post index is ``perm(s) // K``: every post
    neuron gets exactly ``K`` synapses and, the counts being multinomial, the
    sources of each post neuron are uniform and independent (multapses and
    autapses allowed), as NEST's ``fixed_indegree`` draws them.
* ``b_k = draw(rk, 3k + 1)``: the delay in steps, ``1 +`` the outcome of the
  top 31 bits in the projection's alias table (``_tables.alias_table`` of the
  delay distribution of ``_tables.delay_table``; exact, branch-free).
* ``c_k = draw(rk, 3k + 2)``: the weight ``z * sd + mean`` in float32 (the
  product rounded, then the sum) with ``z = normal_table[c_k >> 16]`` (the
  65,536-level normal of ``_rng``); a weight outside ``[low, high]`` is
  redrawn (NEST's ``redraw``), attempt ``j`` using ``draw(redraw_key(rk, j),
  3k + 2)``.  Lemire rejections redraw the same way with counter ``3k``.

The first stream (``FixedProbabilityV0``: the Joglekar model's E/I kernel)
differs in two ways (``RowSpec.counter_stride`` 2, ``RowSpec.delay_search``):
synapse ``k`` draws ``2k`` (gap) and ``2k + 1`` (delay), and the delay is
``1 + #{entries of the cumulative delay table <= b_k >> 1}`` (a search,
not the alias table); its weights are constant.

Everything but the weight is integer arithmetic, and the weight is two
correctly rounded float32 operations, so every backend produces the same
synapses bit for bit.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import _rng, _tables

__all__ = ["RowSpec", "KIND_BERNOULLI", "KIND_TOTAL", "KIND_INDEGREE", "row_synapses",
           "redraw_key", "feistel_keys", "feistel_bits", "multinomial_counts"]

KIND_BERNOULLI, KIND_TOTAL, KIND_INDEGREE = 0, 1, 2
_REDRAW_SALT = 0x72656472  # "redr"
_PERM_SALT = 0x7065726D  # "perm"
_COUNT_SALT = 0x636E7473  # "cnts"
FEISTEL_ROUNDS = 4
_U32 = np.uint32
_MASK32 = (1 << 32) - 1


def redraw_key(rk, attempt) -> np.ndarray:
    """Key of redraw ``attempt`` (>= 1) of a row with key ``rk``."""
    return _rng.mix32(_U32(rk) ^ _rng.mix32(_U32(_REDRAW_SALT) + _U32(attempt)))


def feistel_bits(n_slots: int) -> int:
    """Even number of bits of the Feistel domain covering ``n_slots`` slots."""
    bits = max(2, int(n_slots - 1).bit_length())
    return bits + (bits & 1)


def feistel_keys(seed: int, proj_id: int) -> np.ndarray:
    """``(FEISTEL_ROUNDS,)`` uint32 round keys of a projection's slot permutation."""
    base = _rng.mix32(_rng.mix32(_U32(seed) ^ _U32(_PERM_SALT)) ^ _U32(proj_id))
    return _rng.mix32(base + np.arange(FEISTEL_ROUNDS, dtype=np.uint32))


def _feistel(x: np.ndarray, keys: np.ndarray, bits: int) -> np.ndarray:
    half = bits // 2
    mask = _U32((1 << half) - 1)
    left, right = x >> _U32(half), x & mask
    for key in keys:
        left, right = right, left ^ (_rng.mix32(right ^ key) & mask)
    return (left << _U32(half)) | right


def permute_slots(slots, keys: np.ndarray, n_slots: int) -> np.ndarray:
    """The keyed permutation of ``[0, n_slots)`` (cycle-walking Feistel)."""
    bits = feistel_bits(n_slots)
    x = _feistel(np.asarray(slots, np.uint32), keys, bits)
    while True:
        out = x >= _U32(n_slots)
        if not out.any():
            return x
        x[out] = _feistel(x[out], keys, bits)


def multinomial_counts(total: int, n_pre: int, seed: int, proj_id: int) -> np.ndarray:
    """``(n_pre,)`` int32 synapses per pre neuron: Multinomial(``total``, uniform),
    drawn on the host from a Philox stream keyed by (seed, projection id)."""
    rng = np.random.Generator(np.random.Philox(key=[int(seed), int(proj_id) ^ _COUNT_SALT]))
    return rng.multinomial(int(total), np.full(n_pre, 1.0 / n_pre)).astype(np.int32)


@dataclass(frozen=True, eq=False)
class RowSpec:
    """Host description of one projection's rows (what every backend reads).

    Attributes:
        kind: ``KIND_BERNOULLI``, ``KIND_TOTAL`` or ``KIND_INDEGREE``.
        p: connection probability (Bernoulli rows), else 0.
        seed, proj_id: key of the rows.
        n_pre, n_post: population sizes.
        geometric: ascending uint32 gap thresholds (Bernoulli rows).
        counts: ``(n_pre,)`` int32 row lengths (counted rows), else None.
        starts: ``(n_pre,)`` uint32 first slot of each row (in-degree rows).
        indegree: ``K`` (in-degree rows), else 0.
        delay_table: ascending uint32 cumulative delay table (``_tables``).
        weight_mean, weight_sd: float32 (pA or mV per spike; sd 0 = constant).
        weight_low, weight_high: float32 closed redraw bounds.
        counter_stride: draws per synapse (3; 2: the first stream, constant weights).
        delay_search: the delay is found by searching ``delay_table`` (the
            first stream), not by its alias table.
    """
    kind: int
    p: float
    seed: int
    proj_id: int
    n_pre: int
    n_post: int
    geometric: np.ndarray
    counts: np.ndarray | None
    starts: np.ndarray | None
    indegree: int
    delay_table: np.ndarray
    weight_mean: np.float32
    weight_sd: np.float32
    weight_low: np.float32
    weight_high: np.float32
    counter_stride: int = 3
    delay_search: bool = False

    @property
    def feistel_keys(self) -> np.ndarray:
        return feistel_keys(self.seed, self.proj_id)

    @functools.cached_property
    def delay_alias(self) -> tuple[np.ndarray, int]:
        """``(packed, bits)`` alias table of ``delay - 1`` (``_tables.alias_table``)."""
        return _tables.alias_table(_tables.weights_from_cdf(self.delay_table))

    @property
    def mean_row_length(self) -> float:
        """Synapses per pre neuron: the mean of ``counts`` (counted rules) or
        the expectation ``p n_post`` (Bernoulli rows)."""
        return float(self.counts.mean()) if self.counts is not None else self.p * self.n_post

    @property
    def max_delay(self) -> int:
        """Largest delay (steps) a synapse can have."""
        return int(1 + (self.delay_table < _tables.DELAY_ONE).sum())

    @property
    def min_delay(self) -> int:
        """Shortest delay (steps) a synapse can have."""
        return int(1 + (self.delay_table == 0).sum())


def _resolve(rk, counter, accept) -> np.ndarray:
    """``draw(rk, counter)``, redrawn where ``accept(draws)`` is False."""
    value = _rng.draw(rk, counter)
    bad = ~accept(value)
    attempt = 1
    while bad.any():
        value[bad] = _rng.draw(redraw_key(rk[bad], attempt), counter[bad])
        bad[bad] = ~accept(value[bad])
        attempt += 1
    return value


def _uniform_index(draws: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Lemire's multiply-shift: ``(index, accepted)`` for uniform uint32 draws."""
    m = draws.astype(np.uint64) * np.uint64(n)
    low = (m & np.uint64(_MASK32)).astype(np.uint64)
    threshold = np.uint64(((1 << 32) - n) % n)
    return (m >> np.uint64(32)).astype(np.int64), low >= threshold


def _weights(spec: RowSpec, rk, k) -> np.ndarray:
    if spec.weight_sd == 0:
        return np.full(k.size, spec.weight_mean, np.float32)
    table = _rng.normal_table()

    def weight(draws):
        z = table[(draws >> _U32(32 - _rng.NOISE_BITS)).astype(np.int64)]
        return (z * spec.weight_sd).astype(np.float32) + spec.weight_mean  # float32: two roundings

    def inside(draws):
        w = weight(draws)
        return (w >= spec.weight_low) & (w <= spec.weight_high)

    return weight(_resolve(rk, _U32(3) * k + _U32(2), inside))


def row_synapses(spec: RowSpec, pre: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The synapses of pre neuron ``pre``, in row order.

    Returns:
        ``(post, delay, weight)``: int64 post indices, int32 delays (steps),
        float32 weights, each ``(row length,)``.
    """
    rk = _rng.row_key(_U32(spec.seed), _U32(spec.proj_id), _U32(pre))
    if spec.kind == KIND_BERNOULLI and spec.p == 0:
        post = np.zeros(0, np.int64)
        k = np.zeros(0, np.uint32)
    elif spec.kind == KIND_BERNOULLI:
        posts, last, k0 = [], -1, 0
        chunk = _tables.row_chunk(spec.p, spec.n_post)
        while last < spec.n_post - 1:
            k = np.arange(k0, k0 + chunk, dtype=np.uint32)
            gaps = 1 + spec.geometric.size - np.searchsorted(
                spec.geometric, _rng.draw(rk, _U32(spec.counter_stride) * k), side="right")
            pos = last + np.cumsum(gaps)
            posts.append(pos[pos < spec.n_post])
            last, k0 = int(pos[-1]), k0 + chunk
        post = np.concatenate(posts).astype(np.int64)
        k = np.arange(post.size, dtype=np.uint32)
    else:
        n = int(spec.counts[pre])
        k = np.arange(n, dtype=np.uint32)
        rks = np.full(n, rk, np.uint32)
        if spec.kind == KIND_TOTAL:
            draws = _resolve(rks, _U32(3) * k, lambda d: _uniform_index(d, spec.n_post)[1])
            post = _uniform_index(draws, spec.n_post)[0]
        else:
            slots = np.uint32(spec.starts[pre]) + k
            post = (permute_slots(slots, spec.feistel_keys, spec.indegree * spec.n_post)
                    // _U32(spec.indegree)).astype(np.int64)
    rks = np.full(k.size, rk, np.uint32)
    r31 = _rng.draw(rks, _U32(spec.counter_stride) * k + _U32(1)) >> _U32(1)
    if spec.delay_search:
        delay = 1 + np.searchsorted(spec.delay_table, r31, side="right")
    else:
        delay = 1 + _tables.alias_sample(*spec.delay_alias, r31)
    return post, delay.astype(np.int32), _weights(spec, rks, k)

