"""Connection rules, weight and delay distributions of population projections.

The rules NEST users know, all just-in-time (never stored; see
``multiarea.ops._synapse_stream`` for the exact per-synapse stream):

* :class:`FixedProbability` — every (pre, post) pair independently with
  probability ``p`` (NEST ``pairwise_bernoulli``; autapses allowed);
* :class:`FixedTotalNumber` — ``n`` synapses, each with a uniform pre and a
  uniform post neuron, multapses and autapses allowed (NEST
  ``fixed_total_number``, the rule of the cortical microcircuit and of the
  multi-area model);
* :class:`FixedIndegree` — every post neuron gets exactly ``k`` synapses from
  uniform pre neurons, multapses and autapses allowed (NEST
  ``fixed_indegree`` with its defaults).

Weights and delays are a constant or a :class:`TruncatedNormal` redrawn outside its
bounds (NEST 3's ``nest.math.redraw``; NEST 2's ``normal_clipped`` also
redraws, on the open interval, which differs only on a set of measure zero).
"""
from __future__ import annotations

import math

import numpy as np

from .. import _checks
from ..ops import _synapse_stream as stream
from ..ops import _tables

__all__ = ["FixedProbability", "FixedProbabilityV0", "FixedTotalNumber", "FixedIndegree", "TruncatedNormal",
           "row_spec"]


class TruncatedNormal:
    """A normal distribution truncated to ``[low, high]``: a draw outside is
    redrawn (NEST 3's ``nest.math.redraw(nest.random.normal(...))``).

    Args:
        mean, sd: mean and standard deviation (units of the quantity: pA or
            mV for weights, ms for delays); ``sd >= 0``.
        low, high: closed bounds; a draw outside is redrawn.

    The normal is sampled from a 65,536-level discretisation (quantiles at
    bin midpoints, |z| <= 4.33): its CDF differs from the normal's by at most
    2**-17 + 1e-5.
    """

    def __init__(self, mean: float, sd: float, low: float = -math.inf, high: float = math.inf):
        self.mean = _checks.finite_float("mean", mean)
        self.sd = _checks.nonnegative_float("sd", sd)
        self.low, self.high = float(low), float(high)
        if math.isnan(self.low) or math.isnan(self.high) or self.low > self.high:
            raise ValueError(f"TruncatedNormal bounds must satisfy low <= high, got low={low!r}, high={high!r}")
        if self.sd == 0 and not self.low <= self.mean <= self.high:
            raise ValueError(f"TruncatedNormal(mean={mean}, sd=0) lies outside [low, high] = [{low}, {high}]")
        if self.sd > 0 and (self.high < self.mean - 4 * self.sd or self.low > self.mean + 4 * self.sd):
            raise ValueError(f"TruncatedNormal(mean={mean}, sd={sd}) has almost no mass in [{low}, {high}]: "
                             "redrawing would not end")

    @classmethod
    def sign_kept(cls, mean: float, sd: float) -> "TruncatedNormal":
        """Weights of one sign: redrawn on ``[0, inf)`` for ``mean >= 0``,
        ``(-inf, 0]`` otherwise (how the reference implementations of the
        microcircuit and the multi-area model keep the sign in NEST 3)."""
        mean = _checks.finite_float("mean", mean)
        return cls(mean, sd, low=0.0) if mean >= 0 else cls(mean, sd, high=0.0)

    def __repr__(self):
        return f"TruncatedNormal(mean={self.mean}, sd={self.sd}, low={self.low}, high={self.high})"


class FixedProbability:
    """Each (pre, post) pair with probability ``p`` in [0, 1]."""

    kind = stream.KIND_BERNOULLI

    def __init__(self, p: float):
        p = _checks.finite_float("p", p)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p!r}")
        self.p = p

    def __repr__(self):
        return f"FixedProbability(p={self.p})"


class FixedProbabilityV0(FixedProbability):
    """:class:`FixedProbability` drawn from multiarea's first stream: the
    rows of the Joglekar model's E/I kernel, whose spikes were validated
    against Brian2 and are held to a stored digest.

    The distribution is that of :class:`FixedProbability`; the stream
    differs (``ops._synapse_stream``): two draws per synapse (gap ``2k``,
    delay ``2k + 1``), the delay found by searching its cumulative table
    rather than by its alias table, rows keyed by the given ``(seed,
    proj_id)`` instead of the network's.  Weights are constant; a
    :class:`TruncatedNormal` delay has no bounds and is rounded to the
    nearest step, at least one (``max(1, round(x / dt))``; the first
    stream's tables, which differ from a redraw below ``dt / 2`` by the mass
    of that tail).

    Args:
        p: connection probability in [0, 1].
        seed: connectivity seed of the rows, in [0, 2**32).
        proj_id: projection id of the rows, in [0, 2**32).
    """

    def __init__(self, p: float, *, seed: int, proj_id: int):
        super().__init__(p)
        self.seed = _checks.seed_int("seed", seed)
        if not isinstance(proj_id, (int, np.integer)) or isinstance(proj_id, bool) or not 0 <= proj_id < 2**32:
            raise ValueError(f"proj_id must be an int in [0, 2**32), got {proj_id!r}")
        self.proj_id = int(proj_id)

    def __repr__(self):
        return f"FixedProbabilityV0(p={self.p}, seed={self.seed}, proj_id={self.proj_id})"


class FixedTotalNumber:
    """``n`` synapses with uniform pre and post neurons (multapses, autapses)."""

    kind = stream.KIND_TOTAL

    def __init__(self, n: int):
        self.n = _checks.nonnegative_int("n", n)

    def __repr__(self):
        return f"FixedTotalNumber(n={self.n})"


class FixedIndegree:
    """Exactly ``k`` synapses onto every post neuron from uniform pre neurons
    (multapses and autapses allowed, NEST's defaults)."""

    kind = stream.KIND_INDEGREE

    def __init__(self, k: int):
        self.k = _checks.nonnegative_int("k", k)

    def __repr__(self):
        return f"FixedIndegree(k={self.k})"


def _weight_params(weight):
    if isinstance(weight, TruncatedNormal):
        return weight.mean, weight.sd, weight.low, weight.high
    w = _checks.finite_float("weight", weight)
    return w, 0.0, -math.inf, math.inf


def _delay_table(delay, dt: float) -> np.ndarray:
    if isinstance(delay, TruncatedNormal):
        if delay.high != math.inf:
            raise ValueError(f"a delay TruncatedNormal must not have an upper bound, got high={delay.high}")
        low = 0.5 * dt if delay.low == -math.inf else delay.low
        if delay.sd == 0:
            return _delay_table(delay.mean, dt)
        if low < 0.5 * dt:
            raise ValueError(f"delay low bound {low} ms is below dt / 2 = {0.5 * dt} ms: "
                             "delays would round to 0 steps")
        return _tables.delay_table(delay.mean, delay.sd, dt, low_ms=low)
    d = _checks.finite_float("delay", delay)
    if d < 0.5 * dt:
        raise ValueError(f"delay must be >= dt / 2 = {0.5 * dt} ms (at least one step), got {d} ms")
    return _tables.delay_table(d, 0.0, dt)


def row_spec(rule, n_pre: int, n_post: int, *, seed: int, proj_id: int, dt: float, weight,
             delay) -> stream.RowSpec:
    """The host tables of one projection (see ``ops._synapse_stream.RowSpec``).

    Args:
        rule: :class:`FixedProbability`, :class:`FixedTotalNumber` or
            :class:`FixedIndegree`.
        n_pre, n_post: population sizes.
        seed, proj_id: the connectivity key.
        dt: time step (ms).
        weight: a float or :class:`TruncatedNormal` (pA for current synapses, mV for
            delta synapses).
        delay: a float (ms) or :class:`TruncatedNormal` (ms; redrawn below its ``low``,
            default ``dt / 2``).
    """
    if not isinstance(rule, (FixedProbability, FixedTotalNumber, FixedIndegree)):
        raise TypeError(f"rule must be FixedProbability, FixedTotalNumber or FixedIndegree, got {rule!r}")
    n_pre, n_post = _checks.positive_int("n_pre", n_pre), _checks.positive_int("n_post", n_post)
    mean, sd, low, high = _weight_params(weight)
    if isinstance(rule, FixedProbabilityV0):
        if sd != 0:
            raise ValueError(f"{rule!r} takes a constant weight, got {weight!r}")
        if isinstance(delay, TruncatedNormal) and (delay.low != -math.inf or delay.high != math.inf):
            raise ValueError(f"{rule!r}: a delay TruncatedNormal must have no bounds, got {delay!r}")
        if isinstance(delay, TruncatedNormal):
            delay_table = _tables.delay_table(delay.mean, _checks.nonnegative_float("delay sd", delay.sd), dt)
        else:
            delay_table = _delay_table(delay, dt)
        return stream.RowSpec(kind=rule.kind, p=rule.p, seed=rule.seed, proj_id=rule.proj_id, n_pre=n_pre,
                              n_post=n_post, geometric=_tables.geometric_table(rule.p, n_post) if rule.p > 0
                              else np.zeros(0, np.uint32), counts=None, starts=None, indegree=0,
                              delay_table=delay_table, weight_mean=np.float32(mean), weight_sd=np.float32(0.0),
                              weight_low=np.float32(low), weight_high=np.float32(high), counter_stride=2,
                              delay_search=True)
    counts = starts = None
    indegree, p = 0, 0.0
    geometric = np.zeros(1, np.uint32)
    if isinstance(rule, FixedProbability):
        p = rule.p
        geometric = _tables.geometric_table(p, n_post) if p > 0 else np.zeros(0, np.uint32)
    elif isinstance(rule, FixedTotalNumber):
        counts = stream.multinomial_counts(rule.n, n_pre, seed, proj_id)
    else:
        indegree = rule.k
        n_slots = rule.k * n_post
        if n_slots >= 2**31:
            raise ValueError(f"FixedIndegree(k={rule.k}) onto {n_post} neurons: {n_slots} synapses "
                             "exceed 2**31 per projection")
        counts = stream.multinomial_counts(n_slots, n_pre, seed, proj_id)
        starts = (np.cumsum(counts) - counts).astype(np.uint32)
    return stream.RowSpec(kind=rule.kind, p=p, seed=seed, proj_id=proj_id, n_pre=n_pre, n_post=n_post,
                          geometric=geometric, counts=counts, starts=starts, indegree=indegree,
                          delay_table=_delay_table(delay, dt), weight_mean=np.float32(mean),
                          weight_sd=np.float32(sd), weight_low=np.float32(low),
                          weight_high=np.float32(high))
