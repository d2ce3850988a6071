"""Just-in-time connectivity: RNG, tables and the pure-JAX event op."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from multiarea import ops
from multiarea.ops import _rng, _tables
from multiarea.ops._plan import gaps_from_draws


def _deliver(plan, spikes, weights, t=0, n_slots=None):
    n_slots = n_slots or plan.ring_length
    ring = jnp.zeros((n_slots, plan.n_tgt, plan.n_post), jnp.float32)
    f = jax.jit(lambda s, w, r, t: ops.event_current(plan, s, w, r, t, backend="jax"))
    return np.asarray(f(jnp.asarray(spikes), jnp.asarray(weights, jnp.float32), ring, t))


def _expected(plan, spikes, weights, t, n_slots):
    out = np.zeros((n_slots, plan.n_tgt, plan.n_post))
    for src in range(plan.n_src):
        for tgt in range(plan.n_tgt):
            if not plan.pair_mask[tgt, src]:
                continue
            for pre in np.flatnonzero(spikes[src]):
                (post, delay), = plan.rows(src, tgt, [pre])
                np.add.at(out, ((t + delay) % n_slots, tgt, post), weights[tgt, src])
    return out


def test_rng_matches_between_numpy_and_jax():
    pre = np.arange(1000, dtype=np.uint32)
    k_np = _rng.row_key(np.uint32(123), np.uint32(7), pre)
    k_jx = np.asarray(_rng.row_key(123, 7, jnp.asarray(pre), xp=jnp))
    np.testing.assert_array_equal(k_np, k_jx)
    c = np.arange(1000, dtype=np.uint32)
    np.testing.assert_array_equal(_rng.draw(k_np, c), np.asarray(_rng.draw(jnp.asarray(k_np), jnp.asarray(c), xp=jnp)))
    assert len(np.unique(k_np)) == 1000  # distinct rows get distinct keys


def test_connectivity_is_a_pure_function_of_the_key():
    plan = ops.make_plan(seed=3, p=0.2, n_pre=5, n_post=300, dt=0.1, delay_mean_ms=1.0)
    a = plan.rows(0, 0, range(5))
    b = ops.make_plan(seed=3, p=0.2, n_pre=5, n_post=300, dt=0.1, delay_mean_ms=1.0).rows(0, 0, range(5))
    for (pa, da), (pb, db) in zip(a, b):
        np.testing.assert_array_equal(pa, pb)
        np.testing.assert_array_equal(da, db)
    other = ops.make_plan(seed=4, p=0.2, n_pre=5, n_post=300, dt=0.1, delay_mean_ms=1.0).rows(0, 0, [0])
    assert not np.array_equal(a[0][0], other[0][0])
    # jitter changes delays only, never which synapses exist
    jittered = ops.make_plan(seed=3, p=0.2, n_pre=5, n_post=300, dt=0.1, delay_mean_ms=1.0,
                             delay_sd_ms=0.3).rows(0, 0, range(5))
    for (pa, _), (pj, dj) in zip(a, jittered):
        np.testing.assert_array_equal(pa, pj)
    assert len(np.unique(np.concatenate([d for _, d in jittered]))) > 3


@pytest.mark.parametrize("p", [0.02, 0.1, 0.5, 1.0])
def test_connection_probability_within_4_sd(p):
    n_pre, n_post = 400, 500
    plan = ops.make_plan(seed=11, p=p, n_pre=n_pre, n_post=n_post, dt=0.1, delay_mean_ms=1.0)
    count = sum(post.size for post, _ in plan.rows(0, 0, range(n_pre)))
    n = n_pre * n_post
    sd = math.sqrt(n * p * (1 - p))
    assert abs(count - n * p) <= 4 * sd + 1e-9
    rows = plan.rows(0, 0, range(3))
    for post, _ in rows:
        assert np.all(np.diff(post) > 0) and post.min(initial=0) >= 0 and post.max(initial=0) < n_post


def test_gaps_follow_geometric_law():
    p = 0.1
    table = _tables.geometric_table(p, 10_000)
    draws = _rng.draw(_rng.row_key(np.uint32(1), np.uint32(2), np.uint32(3)), np.arange(200_000, dtype=np.uint32))
    gaps = gaps_from_draws(table, draws)
    ks = np.arange(1, 41)
    observed = np.array([(gaps == k).sum() for k in ks] + [(gaps > 40).sum()])
    expected = np.append(stats.geom.pmf(ks, p), stats.geom.sf(40, p)) * gaps.size
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert chi2 < stats.chi2.ppf(0.999, df=len(ks))
    assert gaps.mean() == pytest.approx(1 / p, rel=0.01)


def test_delay_table_distribution():
    table = _tables.delay_table(10.0, 1.0, 0.1)
    draws = _rng.draw(np.uint32(99), np.arange(100_000, dtype=np.uint32)) >> np.uint32(1)
    delays = 1 + np.searchsorted(table, draws, side="right")
    assert delays.mean() * 0.1 == pytest.approx(10.0, abs=0.02)
    assert delays.std() * 0.1 == pytest.approx(1.0, rel=0.03)
    const = _tables.delay_table(2.0, 0.0, 0.1)
    assert np.all(1 + np.searchsorted(const, draws, side="right") == 20)
    tiny = _tables.delay_table(0.01, 0.0, 0.1)  # rounds to 0 steps -> clamped to 1
    assert np.all(1 + np.searchsorted(tiny, draws, side="right") == 1)


@pytest.mark.parametrize("seed", [0, 5])
def test_jax_op_matches_host_materialisation(seed):
    rng = np.random.default_rng(seed)
    n_tgt, n_src, n_pre, n_post = 3, 4, 40, 70
    mask = rng.random((n_tgt, n_src)) < 0.7
    plan = ops.make_plan(seed=seed, p=float(rng.uniform(0.05, 0.5)), n_pre=n_pre, n_post=n_post,
                         dt=0.1, delay_mean_ms=rng.uniform(0.1, 3.0, (n_tgt, n_src)),
                         delay_sd_ms=0.3, pair_mask=mask)
    spikes = rng.random((n_src, n_pre)) < 0.4  # more events than one chunk
    w = rng.normal(size=(n_tgt, n_src))
    got = _deliver(plan, spikes, w, t=7)
    want = _expected(plan, spikes, w, 7, plan.ring_length)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert np.abs(want).sum() > 0


def test_fused_op_equals_sum_of_single_pair_ops():
    rng = np.random.default_rng(2)
    n, n_pre, n_post = 3, 60, 50
    mask = ~np.eye(n, dtype=bool) | (rng.random((n, n)) < 0.5)
    mask[0, 1] = False
    delay = rng.uniform(0.5, 2.0, (n, n))
    fused = ops.make_plan(seed=9, p=0.15, n_pre=n_pre, n_post=n_post, dt=0.1,
                          delay_mean_ms=delay, delay_sd_ms=0.2 * delay, pair_mask=mask)
    spikes = rng.random((n, n_pre)) < 0.2
    w = rng.uniform(0.5, 1.5, (n, n))
    n_slots = fused.ring_length
    total = _deliver(fused, spikes, w, t=3)
    summed = np.zeros_like(total)
    for tgt in range(n):
        for src in range(n):
            if not mask[tgt, src]:
                continue
            single = ops.make_plan(seed=9, p=0.15, n_pre=n_pre, n_post=n_post, dt=0.1,
                                   delay_mean_ms=delay[tgt, src], delay_sd_ms=0.2 * delay[tgt, src],
                                   proj_base=tgt * n + src)
            summed[:, tgt] += _deliver(single, spikes[src][None], [[w[tgt, src]]], t=3, n_slots=n_slots)[:, 0]
    np.testing.assert_allclose(total, summed, rtol=1e-5, atol=1e-6)
    assert fused.targets_of_src.shape[1] == mask.sum(0).max()  # masked pairs are never visited


def test_constant_delay_delivers_exactly_d_steps_later():
    plan = ops.make_plan(seed=1, p=0.5, n_pre=10, n_post=20, dt=0.1, delay_mean_ms=1.3)
    spikes = np.zeros((1, 10), bool)
    spikes[0, 4] = True
    ring = _deliver(plan, spikes, [[1.0]], t=5, n_slots=20)
    (post, delay), = plan.rows(0, 0, [4])
    assert np.all(delay == 13)
    assert set(np.flatnonzero(ring.sum(axis=(1, 2)))) == {18}
    np.testing.assert_array_equal(np.flatnonzero(ring[18, 0]), post)


def test_per_synapse_delays_deliver_exactly_their_delay():
    plan = ops.make_plan(seed=1, p=0.5, n_pre=10, n_post=200, dt=0.1, delay_mean_ms=2.0,
                         delay_sd_ms=0.5)
    spikes = np.zeros((1, 10), bool)
    spikes[0, 2] = True
    t, n_slots = 30, plan.ring_length
    ring = _deliver(plan, spikes, [[1.0]], t=t, n_slots=n_slots)
    (post, delay), = plan.rows(0, 0, [2])
    assert len(np.unique(delay)) > 3 and delay.min() >= 1
    expected = np.zeros((n_slots, 200))
    np.add.at(expected, ((t + delay) % n_slots, post), 1.0)
    np.testing.assert_array_equal(ring[:, 0], expected)


def test_bad_plan_arguments():
    kw = dict(seed=0, n_pre=5, n_post=5, dt=0.1, delay_mean_ms=1.0)
    for p in (0.0, 1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match="p must"):
            ops.make_plan(p=p, **kw)
    with pytest.raises(ValueError, match="n_post must be > 0"):
        ops.make_plan(p=0.1, **{**kw, "n_post": 0})
    with pytest.raises(TypeError, match="seed"):
        ops.make_plan(p=0.1, **{**kw, "seed": 1.5})
    with pytest.raises(ValueError, match="delay_mean_ms must be finite"):
        ops.make_plan(p=0.1, **{**kw, "delay_mean_ms": float("nan")})
    with pytest.raises(ValueError, match="backend"):
        ops.set_backend("cuda-magic")
