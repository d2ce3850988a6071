"""Connection rules, weight and delay distributions of population projections,
against theory (counts, degrees, distributions), and their bad-input errors."""
import math

import numpy as np
import pytest
from scipy import stats

from multiarea.ops import _synapse_stream as stream
from multiarea.projections.rules import (FixedIndegree, FixedProbability, FixedTotalNumber, TruncatedNormal,
                                         row_spec)

DT = 0.1


def _all_synapses(spec):
    rows = [stream.row_synapses(spec, i) for i in range(spec.n_pre)]
    pre = np.concatenate([np.full(r[0].size, i) for i, r in enumerate(rows)])
    return pre, *(np.concatenate([r[k] for r in rows]) for k in range(3))


def _spec(rule, n_pre=400, n_post=300, weight=1.0, delay=1.0, seed=5, proj_id=3):
    return row_spec(rule, n_pre, n_post, seed=seed, proj_id=proj_id, dt=DT, weight=weight, delay=delay)


def test_fixed_total_number_counts_and_degrees():
    n, n_pre, n_post = 60_000, 400, 300
    pre, post, _, _ = _all_synapses(_spec(FixedTotalNumber(n), n_pre, n_post))
    assert post.size == n
    assert post.min() >= 0 and post.max() < n_post
    # (pre, post) of each synapse uniform and independent: chi-square over both marginals
    for values, m in ((pre, n_pre), (post, n_post)):
        counts = np.bincount(values, minlength=m)
        assert stats.chisquare(counts).pvalue > 1e-3
        assert counts.var() == pytest.approx(n / m * (1 - 1 / m), rel=0.25)
    # independence of pre and post: the joint is the product of the marginals
    table = np.histogram2d(pre % 8, post % 8, bins=8)[0]
    assert stats.chi2_contingency(table).pvalue > 1e-3


def test_fixed_indegree_exact_and_uniform_sources():
    k, n_pre, n_post = 25, 400, 300
    pre, post, _, _ = _all_synapses(_spec(FixedIndegree(k), n_pre, n_post))
    assert np.all(np.bincount(post, minlength=n_post) == k)
    out_degree = np.bincount(pre, minlength=n_pre)
    assert stats.chisquare(out_degree).pvalue > 1e-3
    assert out_degree.var() == pytest.approx(k * n_post / n_pre * (1 - 1 / n_pre), rel=0.25)
    # multapses occur at the rate of independent uniform sources
    pairs = np.unique(pre * n_post + post).size
    expected_distinct = n_post * n_pre * (1 - (1 - 1 / n_pre) ** k)
    assert pairs == pytest.approx(expected_distinct, rel=0.01)


@pytest.mark.parametrize("n_slots", [1, 2, 3, 5, 31, 64, 1000, 4097])
def test_feistel_permutation_is_a_bijection(n_slots):
    keys = stream.feistel_keys(7, 11)
    perm = stream.permute_slots(np.arange(n_slots, dtype=np.uint32), keys, n_slots)
    assert np.array_equal(np.sort(perm), np.arange(n_slots))


@pytest.mark.parametrize("p", [0.0, 0.02, 0.3, 1.0])
def test_fixed_probability_counts(p):
    n_pre, n_post = 300, 200
    pre, post, _, _ = _all_synapses(_spec(FixedProbability(p), n_pre, n_post))
    n = n_pre * n_post
    assert abs(post.size - n * p) <= 5 * math.sqrt(n * p * (1 - p)) + 1e-9
    assert np.unique(pre * n_post + post).size == post.size  # no multapses
    if 0 < p < 1:
        assert stats.chisquare(np.bincount(post, minlength=n_post)).pvalue > 1e-3


def test_normal_weights_redrawn_to_keep_the_sign():
    w = TruncatedNormal.sign_kept(-1.0, 0.8)  # ~11 % of the untruncated mass is positive: redrawn
    _, _, _, weight = _all_synapses(_spec(FixedTotalNumber(80_000), weight=w))
    assert weight.max() <= 0
    truth = stats.truncnorm(-np.inf, (0 - -1.0) / 0.8, loc=-1.0, scale=0.8)
    assert weight.mean() == pytest.approx(truth.mean(), abs=4 * truth.std() / math.sqrt(weight.size))
    assert stats.kstest(weight, truth.cdf).statistic < 0.01


def test_constant_weight_and_delay():
    _, _, delay, weight = _all_synapses(_spec(FixedTotalNumber(1000), weight=87.8, delay=1.5))
    assert np.all(weight == np.float32(87.8))
    assert np.all(delay == 15)


def test_normal_delays_redrawn_below_the_bound_then_rounded():
    mean, sd = 1.5, 0.75
    _, _, delay, _ = _all_synapses(_spec(FixedTotalNumber(100_000), delay=TruncatedNormal(mean, sd)))
    assert delay.min() >= 1
    low = 0.5 * DT  # the default bound: no delay rounds to 0 steps
    k = np.arange(1, delay.max() + 1)
    below = stats.norm.cdf((low - mean) / sd)
    cdf = (stats.norm.cdf(((k + 0.5) * DT - mean) / sd) - below) / (1 - below)
    expected = np.diff(np.concatenate([[0.0], cdf])) * delay.size
    observed = np.bincount(delay, minlength=k[-1] + 1)[1:]
    keep = expected > 20
    assert stats.chisquare(observed[keep], expected[keep] * observed[keep].sum() / expected[keep].sum()).pvalue > 1e-3
    assert delay.mean() * DT == pytest.approx(stats.truncnorm((low - mean) / sd, np.inf, mean, sd).mean(), abs=0.01)


def test_the_stream_is_a_pure_function_of_its_key():
    a = stream.row_synapses(_spec(FixedTotalNumber(5000), weight=TruncatedNormal(1, 0.1)), 17)
    b = stream.row_synapses(_spec(FixedTotalNumber(5000), weight=TruncatedNormal(1, 0.1)), 17)
    c = stream.row_synapses(_spec(FixedTotalNumber(5000), weight=TruncatedNormal(1, 0.1), seed=6), 17)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("make, match", [
    (lambda: FixedProbability(1.5), r"p must be in \[0, 1\], got 1.5"),
    (lambda: FixedProbability(-0.1), r"p must be in \[0, 1\]"),
    (lambda: FixedTotalNumber(-3), r"n must be >= 0, got -3"),
    (lambda: FixedIndegree(-1), r"k must be >= 0, got -1"),
    (lambda: TruncatedNormal(1.0, -0.5), r"sd must be >= 0"),
    (lambda: TruncatedNormal(1.0, 0.1, low=2.0, high=1.0), r"low <= high"),
    (lambda: TruncatedNormal(1.0, 0.1, low=5.0), r"almost no mass"),
    (lambda: _spec(FixedTotalNumber(10), delay=0.02), r"delay must be >= dt / 2 = 0.05 ms .*got 0.02 ms"),
    (lambda: _spec(FixedTotalNumber(10), delay=-1.0), r"delay must be >= dt / 2"),
    (lambda: _spec(FixedTotalNumber(10), delay=TruncatedNormal(1.0, 0.5, low=0.01)), r"below dt / 2"),
    (lambda: _spec(FixedTotalNumber(10), n_pre=0), r"n_pre must be"),
])
def test_bad_rules_raise_value_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_rule_types_raise_type_errors():
    with pytest.raises(TypeError, match="n must be an int"):
        FixedTotalNumber(2.5)
    with pytest.raises(TypeError, match="rule must be"):
        _spec("fixed_total_number")
