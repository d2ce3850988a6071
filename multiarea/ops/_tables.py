"""Integer lookup tables that turn uniform uint32 draws into exact samples.

Both tables are computed once on the host in float64 and then used with
integer comparisons only, so every backend maps a draw to the same sample.

Geometric gaps (connectivity)
    With connection probability ``p`` the gap between consecutive
    post-synaptic indices of a row is Geometric(p) on {1, 2, ...}:
    ``P(gap > k) = (1 - p)**k``.  ``geometric_table(p, n_post)`` holds the
    thresholds ``T_k = floor(2**32 (1 - p)**k)`` for ``k = 1..K`` in ascending
    order; a draw ``r`` gives ``gap = 1 + #{k : T_k > r}``, so
    ``P(gap > k) = T_k / 2**32`` — exact up to the 2**-32 quantisation.
    ``K`` is capped at ``n_post``: any gap larger than ``n_post`` ends the row
    anyway, so the table never needs a tail.

Per-synapse delays
    A delay in steps is ``max(1, round(x / dt))`` with ``x ~ Normal(mean,
    sd)`` ms.  ``delay_table`` holds ``C_k = round(2**31 P(delay <= k))`` for
    ``k = 1..L`` (ascending, last entry ``2**31``); the draw's top 31 bits
    ``r'`` give ``delay = 1 + #{k : C_k <= r'}``.  The normal is cut at
    ``mean + 6 sd`` (mass beyond, < 1e-9, goes to the last step).  A constant
    delay is the table with all mass on one step.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

DELAY_ONE = 2**31  #: the table value meaning "probability 1"
_TAIL_SD = 6.0


def geometric_table(p: float, n_post: int) -> np.ndarray:
    """Ascending uint32 thresholds for Geometric(``p``) gaps; see module doc."""
    if p >= 1.0:
        return np.zeros(1, dtype=np.uint32)
    n_terms = min(int(math.ceil(32 * math.log(2) / -math.log1p(-p))), int(n_post))
    k = np.arange(1, max(n_terms, 1) + 1, dtype=np.float64)
    thresholds = np.floor(np.ldexp(np.exp(k * math.log1p(-p)), 32))
    thresholds = np.minimum(thresholds, 2**32 - 1).astype(np.uint32)
    return thresholds[::-1].copy()


def search_guide(table: np.ndarray, bits: int, draw_bits: int) -> np.ndarray:
    """``(2**bits,)`` int32 start points for searching ascending ``table`` with
    ``draw_bits``-bit draws: entry ``b`` is the number of entries <= the
    smallest draw whose top ``bits`` bits are ``b``."""
    starts = np.arange(1 << bits, dtype=np.uint64) << np.uint64(draw_bits - bits)
    return np.searchsorted(table, starts, side="right").astype(np.int32)


def row_chunk(p: float, n_post: int) -> int:
    """Gaps drawn per Bernoulli row and pass: mean + 6 sd of the row length,
    + 1 (capped at ``n_post + 1``); a row rarely needs a second pass."""
    mean = n_post * p
    sd = math.sqrt(n_post * p * (1 - p))
    return int(min(n_post + 1, math.ceil(mean + 6 * sd) + 1))


def delay_steps_constant(delay_ms: float, dt: float) -> int:
    """A constant delay in steps: ``max(1, round(delay_ms / dt))``."""
    return max(1, int(np.rint(delay_ms / dt)))


def delay_table(mean_ms: float, sd_ms: float, dt: float, length: int | None = None,
                low_ms: float | None = None) -> np.ndarray:
    """uint32 cumulative table of a delay in steps (see module doc).

    Args:
        mean_ms, sd_ms: mean and standard deviation of the delay (ms); sd 0
            gives a constant delay.
        dt: time step (ms).
        length: pad the table to this length with ``2**31`` (must be at least
            ``max_delay_steps(mean_ms, sd_ms, dt)``).
        low_ms: if given, the normal is redrawn below ``low_ms`` (NEST's
            ``redraw``/``normal_clipped``: the truncated normal on ``[low_ms,
            inf)``) before rounding to the nearest step; ``low_ms >= dt / 2``,
            so that no delay rounds to 0 steps.
    """
    n = max_delay_steps(mean_ms, sd_ms, dt)
    k = np.arange(1, n + 1, dtype=np.float64)
    if sd_ms == 0:
        cdf = (k >= delay_steps_constant(mean_ms, dt)).astype(np.float64)
    elif low_ms is not None:
        below = norm.cdf((low_ms - mean_ms) / sd_ms)
        cdf = np.maximum(norm.cdf(((k + 0.5) * dt - mean_ms) / sd_ms) - below, 0.0) / (1.0 - below)
    else:
        cdf = norm.cdf(((k + 0.5) * dt - mean_ms) / sd_ms)
    cdf[-1] = 1.0
    table = np.rint(np.ldexp(cdf, 31)).astype(np.uint32)
    if length is not None:
        if length < n:
            raise ValueError(f"length must be >= {n}, got {length}")
        table = np.concatenate([table, np.full(length - n, DELAY_ONE, np.uint32)])
    return table


def max_delay_steps(mean_ms: float, sd_ms: float, dt: float) -> int:
    """Largest delay (steps) the table can produce."""
    if sd_ms == 0:
        return delay_steps_constant(mean_ms, dt)
    return max(1, int(math.ceil((mean_ms + _TAIL_SD * sd_ms) / dt)))


# -- alias tables: O(1), branch-free sampling of a discrete distribution ------------------

ALIAS_DRAW_BITS = 31  #: bits of the draw an alias table consumes


def alias_table(weights) -> tuple[np.ndarray, int]:
    """Walker's alias table of integer ``weights`` summing to ``2**31``, exact.

    With ``B = 2**bits >= len(weights)`` buckets of capacity ``cap = 2**(31 -
    bits)``, entry ``j`` packs ``(threshold_j << bits) | alias_j``: a 31-bit
    draw ``r`` picks bucket ``j = r >> (31 - bits)`` and gives outcome ``j``
    if ``r & (cap - 1) < threshold_j``, else ``alias_j``.  Built in integers
    (Vose's method), so outcome ``k`` has probability exactly
    ``weights[k] / 2**31``.

    Returns:
        ``(packed (B,) uint32, bits)``.
    """
    weights = np.asarray(weights, np.int64)
    if weights.ndim != 1 or weights.size == 0 or np.any(weights < 0) or weights.sum() != 2**ALIAS_DRAW_BITS:
        raise ValueError("alias weights must be a non-empty 1-D array of non-negative ints summing to 2**31")
    bits = max(1, int(weights.size - 1).bit_length())
    n, cap = 1 << bits, 1 << (ALIAS_DRAW_BITS - bits)
    w = np.zeros(n, np.int64)
    w[:weights.size] = weights
    threshold, alias = np.full(n, cap, np.int64), np.arange(n, dtype=np.int64)
    small = [j for j in range(n) if w[j] < cap]
    large = [j for j in range(n) if w[j] >= cap]
    while small and large:
        s, l = small.pop(), large.pop()
        threshold[s], alias[s] = w[s], l
        w[l] -= cap - w[s]
        (small if w[l] < cap else large).append(l)
    for j in small + large:  # exactly full (integer arithmetic leaves no rounding residue)
        if w[j] != cap:
            raise AssertionError("alias table construction left an unbalanced bucket")
        threshold[j], alias[j] = cap, j
    return ((threshold << bits) | alias).astype(np.uint32), bits


def alias_sample(packed: np.ndarray, bits: int, r31, xp=np):
    """Outcomes of 31-bit draws ``r31`` (uint32 < 2**31) from an alias table."""
    shift = xp.asarray(ALIAS_DRAW_BITS - bits, dtype=xp.uint32)
    entry = xp.asarray(packed)[(r31 >> shift).astype(xp.int32)]
    low = r31 & ((xp.asarray(1, dtype=xp.uint32) << shift) - xp.asarray(1, dtype=xp.uint32))
    mask = xp.asarray((1 << bits) - 1, dtype=xp.uint32)
    alias = (entry & mask).astype(xp.int32)
    return xp.where(low < (entry >> xp.asarray(bits, dtype=xp.uint32)), (r31 >> shift).astype(xp.int32), alias)


def weights_from_cdf(cdf_table: np.ndarray) -> np.ndarray:
    """Integer outcome weights (sum ``2**31``) of an ascending cumulative table
    whose last entry is ``2**31`` (e.g. :func:`delay_table`)."""
    table = np.asarray(cdf_table, np.int64)
    return np.diff(np.concatenate([[0], table]))
