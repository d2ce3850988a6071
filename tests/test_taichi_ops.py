"""The Taichi custom-op backend against the pure-JAX reference."""
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import multiarea as ma
from multiarea import ops


def _both(plan, spikes, weights, ring, t):
    outs = {}
    for backend in ("jax", "taichi"):
        f = jax.jit(lambda s, w, r, t, b=backend: ops.event_current(plan, s, w, r, t, backend=b))
        outs[backend] = np.asarray(f(jnp.asarray(spikes), jnp.asarray(weights, jnp.float32), ring, t))
    return outs["jax"], outs["taichi"]


@pytest.mark.parametrize("case", range(6))
def test_taichi_equals_reference_on_random_problems(case):
    rng = np.random.default_rng(100 + case)
    n_tgt, n_src = rng.integers(1, 5, size=2)
    n_pre, n_post = rng.integers(1, 120, size=2)
    mask = rng.random((n_tgt, n_src)) < 0.75
    plan = ops.make_plan(seed=int(rng.integers(0, 2**32)), p=float(rng.choice([0.01, 0.1, 0.37, 1.0])),
                         n_pre=int(n_pre), n_post=int(n_post), dt=0.1,
                         delay_mean_ms=rng.uniform(0.0, 4.0, (n_tgt, n_src)),
                         delay_sd_ms=float(rng.choice([0.0, 0.2, 1.0])), pair_mask=mask,
                         proj_base=int(rng.integers(0, 1000)))
    spikes = rng.random((n_src, n_pre)) < rng.uniform(0.05, 0.9)
    weights = rng.normal(size=(n_tgt, n_src))
    n_slots = plan.ring_length + int(rng.integers(0, 4))
    ring = jnp.asarray(rng.normal(size=(n_slots, n_tgt, n_post)), jnp.float32)  # existing content kept
    t = int(rng.integers(0, 1000))
    ref, got = _both(plan, spikes, weights, ring, t)
    # identical connectivity and delays: the same entries are touched ...
    changed_ref = ref != np.asarray(ring)
    changed_got = got != np.asarray(ring)
    np.testing.assert_array_equal(changed_ref, changed_got)
    # ... with the same currents (float addition order differs)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    assert np.all(got[t % n_slots] == 0)  # consumed slot cleared


def test_taichi_connectivity_is_bit_exact_with_host_materialisation():
    plan = ops.make_plan(seed=77, p=0.05, n_pre=30, n_post=2000, dt=0.1, delay_mean_ms=3.0,
                         delay_sd_ms=0.6)
    ring = jnp.zeros((plan.ring_length, 1, 2000), jnp.float32)
    for pre in (0, 13, 29):
        spikes = np.zeros((1, 30), bool)
        spikes[0, pre] = True
        _, got = _both(plan, spikes, [[1.0]], ring, 0)
        (post, delay), = plan.rows(0, 0, [pre])
        slots, _, posts = np.nonzero(got)
        order = np.argsort(posts)
        np.testing.assert_array_equal(posts[order], post)
        np.testing.assert_array_equal(slots[order], delay)


def test_network_same_spikes_on_both_backends():
    d = ma.data.joglekar2018().subset(2)

    def run(backend):
        net = ma.MultiAreaNetwork(d.area_names, d.hierarchy, d.fln, d.distance_mm, n_E=120, n_I=30,
                                  p=0.2, wEE=0.1, wEI=0.5, wIE=0.5, wII=0.5, muEE=0.2, muIE=0.2,
                                  lif=dict(sigma=3.0), seed=4, dt=0.1, backend=backend)
        return ma.simulate(net, 60.0, progress_bar=False)

    a, b = run("jax"), run("taichi")
    assert a.steps.size > 10
    # float summation order may flip a threshold crossing eventually; the
    # first 40 ms must agree spike for spike
    early = lambda r: (r.steps[r.steps < 400], r.neurons[r.steps < 400])
    for x, y in zip(early(a), early(b)):
        np.testing.assert_array_equal(x, y)


def test_taichi_is_the_default_backend():
    assert ops.get_backend() == "taichi"
    assert ops.BACKENDS == ("taichi", "jax")


def test_falls_back_to_jax_with_one_warning_when_the_handler_cannot_be_built(monkeypatch):
    from multiarea.ops import _build

    def unavailable(platform):
        raise ops.CustomOpUnavailable("g++: command not found")

    monkeypatch.setattr(_build, "register_target", unavailable)
    monkeypatch.setattr(ops, "_unavailable", None)
    plan = ops.make_plan(seed=1, p=0.3, n_pre=20, n_post=30, dt=0.1, delay_mean_ms=0.5)
    spikes = np.ones((1, 20), bool)
    ring = jnp.zeros((plan.ring_length, 1, 30), jnp.float32)
    with pytest.warns(RuntimeWarning, match="taichi backend is unavailable.*g\\+\\+: command not found"):
        got = ops.event_current(plan, spikes, [[1.0]], ring, 0)
    want = ops.event_current(plan, spikes, [[1.0]], ring, 0, backend="jax")
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once, not again
        assert ops._resolve_backend("taichi") == "jax"
