"""The whole-step kernel (multiarea.spiking.runners.kernel) against the pure-JAX reference."""
from fractions import Fraction

import brainpy as bp
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import taichi as ti

import multiarea as ma
from multiarea.spiking.runners import KernelRunner, unsupported_reason
from multiarea.spiking.spike_words import words_to_pairs

from _netstate import assert_same_run as _assert_same_run, state as _state


def _model(n_areas=2, neurons=500, regime="asynchronous-strong", **overrides):
    return ma.load_model("joglekar2018", regime=regime, n_areas=n_areas, neurons_per_area=neurons,
                         **overrides)


@pytest.mark.parametrize("semantics", [
    {},  # the defaults: input discarded while refractory, Brian2's legacy timing
    {"synapses_during_refractory": True, "refractory_timing": "timestep"},
    {"local_delay_ms": 0.1},  # 1-step local delays
])
def test_kernel_reproduces_the_pure_jax_reference_spike_for_spike(semantics):
    model = _model(**semantics)
    runs = {}
    for method, backend in (("dsrunner", "jax"), ("kernel", "taichi")):
        net = model.build(backend=backend)
        record = ma.simulate(net, 450.0, inputs=[model.stimulus(net)], progress_bar=False,
                             method=method)
        runs[method] = (record, _state(net))
    ref, fast = runs["dsrunner"], runs["kernel"]
    assert ref[0].steps.size > 500                    # the pulse at 300 ms made V1 fire
    _assert_same_run(ref[0], fast[0], ref[1], fast[1])


def test_kernel_equals_dsrunner_on_29_areas():
    model = _model(n_areas=29, neurons=200, regime="asynchronous-weak")
    runs = []
    for method in ("dsrunner", "kernel"):
        net = model.build()
        runs.append(ma.simulate(net, 80.0, progress_bar=False, method=method))
        runs[-1] = (runs[-1], _state(net))
    assert runs[0][0].steps.size > 100
    _assert_same_run(runs[0][0], runs[1][0], runs[0][1], runs[1][1])


def test_chunking_and_mixing_with_dsrunner_change_nothing():
    model = _model()
    whole_net = model.build()
    whole = ma.simulate(whole_net, 40.0, progress_bar=False, method="kernel")
    # the same 400 steps as calls of 7 steps, then half on the kernel and half with DSRunner
    net = model.build()
    pieces = ma.simulate(net, 40.0, progress_bar=False, method="kernel", chunk_ms=0.7)
    np.testing.assert_array_equal(pieces.steps, whole.steps)
    np.testing.assert_array_equal(pieces.neurons, whole.neurons)
    net = model.build()
    first = ma.simulate(net, 20.0, progress_bar=False, method="kernel")
    second = ma.simulate(net, 20.0, progress_bar=False, method="dsrunner")
    np.testing.assert_array_equal(np.concatenate([first.steps, second.steps + 200]), whole.steps)
    np.testing.assert_array_equal(np.concatenate([first.neurons, second.neurons]), whole.neurons)
    np.testing.assert_array_equal(np.asarray(net.E.V.value), np.asarray(whole_net.E.V.value))
    # and the other way round: the kernel takes over the state (rings included) DSRunner left
    net = model.build()
    first = ma.simulate(net, 20.0, progress_bar=False, method="dsrunner")
    second = ma.simulate(net, 20.0, progress_bar=False, method="kernel")
    np.testing.assert_array_equal(np.concatenate([first.steps, second.steps + 200]), whole.steps)
    np.testing.assert_array_equal(np.concatenate([first.neurons, second.neurons]), whole.neurons)
    for a, b in zip(_state(net), _state(whole_net)):
        np.testing.assert_array_equal(a, b)


def test_step_input_values_match_what_dsrunner_applies():
    net = _model().build()
    pulse = net.step_input("V1", 1.5, 300.0, 150.0)[1]
    on = pulse.values(np.arange(5000), 0.1)[:, 0, 0] > 0
    assert on.shape == (5000,) and np.flatnonzero(on)[[0, -1]].tolist() == [3000, 4499]
    runner = bp.DSRunner(net, monitors={"pulse": lambda: pulse()[:, 0]}, dt=0.1, progress_bar=False)
    runner.run(500.0)  # the monitor evaluates the pulse at each step's shared time
    np.testing.assert_array_equal(np.asarray(runner.mon["pulse"])[:, 0] > 0, on)


def _exact_fma32(a, b, c):
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    lo = np.float32(float(exact))  # nearest double, then float32: correct unless near a midpoint
    candidates = [np.nextafter(lo, np.float32(-np.inf)), lo, np.nextafter(lo, np.float32(np.inf))]
    dist = [abs(Fraction(float(x)) - exact) for x in candidates]
    best = min(dist)
    ties = [x for x, d in zip(candidates, dist) if d == best]
    return ties[0] if len(ties) == 1 else next(x for x in ties if (x.view(np.uint32) & 1) == 0)


def test_fma32_is_an_exact_fused_multiply_add():
    from multiarea.ops import XLACustomOp

    rng = np.random.default_rng(0)
    a = rng.standard_normal(2000).astype(np.float32)
    b = rng.standard_normal(2000).astype(np.float32) * np.float32(0.005)
    c = (rng.standard_normal(2000) * 10 - 60).astype(np.float32)
    # a float64 sum that lands on a float32 midpoint with a rounding error below
    # it: a plain float64 computation rounds this one the wrong way
    one_ulp = np.float32(2.0 ** -23)
    a[0], b[0], c[0] = np.float32(2.0 ** -24) * (1 + one_ulp), 1 - one_ulp, 1 + one_ulp
    naive = np.float32(np.float64(a[0]) * np.float64(b[0]) + np.float64(c[0]))
    assert naive != _exact_fma32(a[0], b[0], c[0])
    op = XLACustomOp(cpu_kernel=_fma_kernel())
    (got,) = op(a, b, c, outs=[jax.ShapeDtypeStruct(a.shape, jnp.float32)])
    want = np.array([_exact_fma32(*v) for v in zip(a, b, c)], np.float32)
    np.testing.assert_array_equal(np.asarray(got), want)


def _fma_kernel():
    from multiarea.ops._population_taichi import _fma32

    @ti.kernel
    def fma32_kernel(a: ti.types.ndarray(dtype=ti.f32, ndim=1), b: ti.types.ndarray(dtype=ti.f32, ndim=1),
                     c: ti.types.ndarray(dtype=ti.f32, ndim=1), out: ti.types.ndarray(dtype=ti.f32, ndim=1)):
        for i in a:
            out[i] = _fma32(a[i], b[i], c[i])

    return fma32_kernel


def test_neuron_updates_alone_deliver_nothing():
    net = _model().build()
    words = KernelRunner(net, deliver=False).run(300)
    assert np.unpackbits(words.view(np.uint8)).sum() > 10          # driven by V_ext and noise
    for proj in (net.EE, net.EI, net.IE, net.II):
        assert not np.any(np.asarray(proj.ring.value))


def test_words_to_pairs_by_hand():
    word_neurons = np.array([np.r_[np.arange(10), [-1] * 22], np.r_[np.arange(10, 20), [-1] * 22]], np.int32)
    words = np.array([[0b101, 0], [0, 1 << 9]], np.uint32)
    steps, neurons = words_to_pairs(words, word_neurons, first_step=7)
    np.testing.assert_array_equal(steps, [7, 7, 8])
    np.testing.assert_array_equal(neurons, [0, 2, 19])
    keep = np.zeros(20, bool)
    keep[2] = True
    steps, neurons = words_to_pairs(words, word_neurons, 7, recorded=keep)
    np.testing.assert_array_equal(neurons, [2])


def test_what_the_kernel_refuses():
    net = _model().build()
    with pytest.raises(ValueError, match="method must be one of"):
        ma.simulate(net, 1.0, method="fast")
    custom = (net.E.input, lambda: 1.0, "func", "+")
    assert "step_input" in unsupported_reason(net, [custom])
    with pytest.raises(ValueError, match="method='kernel' cannot run this: .*step_input"):
        ma.simulate(net, 1.0, inputs=[custom], method="kernel", progress_bar=False)
    ma.simulate(net, 1.0, inputs=[custom], progress_bar=False)  # auto: DSRunner takes it
    assert "taichi backend" in unsupported_reason(_model().build(backend="jax"))
    area = ma.Area("A", n_E=40, n_I=10, dt=0.1)
    with pytest.raises(ValueError, match="MultiAreaNetwork, got Area"):
        KernelRunner(area)
    with pytest.raises(ValueError, match="inputs must be made by MultiAreaNetwork.step_input"):
        KernelRunner(net, [custom])
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match=f"n_steps must be an int >= 1, got {bad!r}"):
            KernelRunner(net).run(bad)
