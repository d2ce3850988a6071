"""Tests for multiarea.ops._xla_custom_op.XLACustomOp (Taichi kernels as XLA FFI calls)."""

import numpy as np
import pytest

ti = pytest.importorskip("taichi")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from multiarea.ops import _build, _taichi_aot  # noqa: E402
from multiarea.ops._xla_custom_op import CustomOpUnavailable, XLACustomOp  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _handler_available():
    try:
        _build.register_target("cpu")
    except CustomOpUnavailable as exc:
        pytest.skip(f"custom op unavailable: {exc.reason}")


# -- kernels ------------------------------------------------------------------------

@ti.kernel
def scale_add(x: ti.types.ndarray(ndim=1), y: ti.types.ndarray(ndim=1),
              a: ti.types.ndarray(ndim=1), out: ti.types.ndarray(ndim=1)):
    for i in x:
        out[i] = a[0] * x[i] + y[i]


@ti.kernel
def scatter(idx: ti.types.ndarray(dtype=ti.i32, ndim=1),
            w: ti.types.ndarray(dtype=ti.f32, ndim=1),
            out: ti.types.ndarray(dtype=ti.f32, ndim=1)):
    for i in idx:
        out[idx[i]] += w[i]


@ti.kernel
def stats(x: ti.types.ndarray(dtype=ti.f64, ndim=2),
          row_sum: ti.types.ndarray(dtype=ti.f64, ndim=1),
          n_pos: ti.types.ndarray(dtype=ti.i64, ndim=1),
          mask: ti.types.ndarray(dtype=ti.u8, ndim=2)):
    for i, j in x:
        row_sum[i] += x[i, j]
        if x[i, j] > 0:
            n_pos[0] += 1
            mask[i, j] = 1


@ti.kernel
def ring_write(buf: ti.types.ndarray(dtype=ti.f32, ndim=2),
               pos: ti.types.ndarray(dtype=ti.i32, ndim=1),
               val: ti.types.ndarray(dtype=ti.f32, ndim=1),
               out: ti.types.ndarray(dtype=ti.f32, ndim=2)):
    for j in val:
        out[pos[0], j] = val[j]


@ti.kernel
def count_true(spikes: ti.types.ndarray(ndim=1), out: ti.types.ndarray(dtype=ti.u32, ndim=1)):
    for i in spikes:
        if spikes[i]:
            out[0] += ti.u32(1)


@ti.kernel
def times_k(x: ti.types.ndarray(dtype=ti.f32, ndim=1), out: ti.types.ndarray(dtype=ti.f32, ndim=1),
            k: ti.template()):
    for i in x:
        out[i] = x[i] * k


@ti.kernel
def fill_index(out: ti.types.ndarray(dtype=ti.i32, ndim=1)):
    for i in out:
        out[i] = i


@ti.kernel
def step_counter(state_in: ti.types.ndarray(dtype=ti.i32, ndim=1),
                 state: ti.types.ndarray(dtype=ti.i32, ndim=1),
                 trace: ti.types.ndarray(dtype=ti.i32, ndim=1)):
    for _ in range(1):
        trace[state[0]] = state[0] * state[0]  # what "step" state[0] wrote
        state[0] += 1


def _sds(shape, dtype):
    return jax.ShapeDtypeStruct(shape, dtype)


# -- results match numpy --------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint32])
def test_scale_add_matches_numpy(dtype):
    rng = np.random.default_rng(0)
    x = (rng.random(37) * 10).astype(dtype)
    y = (rng.random(37) * 10).astype(dtype)
    a = np.array([3], dtype)
    with jax.enable_x64(dtype == np.float64):
        (out,) = XLACustomOp(cpu_kernel=scale_add)(x, y, a, outs=[_sds((37,), dtype)])
        assert out.dtype == dtype
        np.testing.assert_allclose(np.asarray(out), a[0] * x + y, rtol=1e-6)


def test_event_scatter_matches_numpy():
    rng = np.random.default_rng(1)
    idx = rng.integers(0, 50, size=1000).astype(np.int32)
    w = rng.random(1000).astype(np.float32)
    (out,) = XLACustomOp(cpu_kernel=scatter)(idx, w, outs=[_sds((50,), jnp.float32)])
    expected = np.zeros(50, np.float32)
    np.add.at(expected, idx, w)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5)


def test_bool_input_seen_as_uint8():
    spikes = np.array([True, False, True, True, False])
    (out,) = XLACustomOp(cpu_kernel=count_true)(spikes, outs=[_sds((1,), jnp.uint32)])
    assert int(out[0]) == 3


def test_template_static_attr():
    x = jnp.arange(4, dtype=jnp.float32)
    op = XLACustomOp(cpu_kernel=times_k)
    (y2,) = op(x, outs=[_sds((4,), jnp.float32)], k=2)
    (y5,) = op(x, outs=[_sds((4,), jnp.float32)], k=5)
    np.testing.assert_allclose(np.asarray(y2), 2 * np.arange(4))
    np.testing.assert_allclose(np.asarray(y5), 5 * np.arange(4))


def test_output_without_zeroing_fully_written():
    (out,) = XLACustomOp(cpu_kernel=fill_index, zero_outputs=False)(outs=[_sds((6,), jnp.int32)])
    np.testing.assert_array_equal(np.asarray(out), np.arange(6))


# -- transformations ------------------------------------------------------------------

def test_jit_and_scan_accumulate():
    op = XLACustomOp(cpu_kernel=scatter)
    idx = jnp.array([0, 2, 2, 4], jnp.int32)
    w = jnp.array([1.0, 0.5, 0.25, 2.0], jnp.float32)

    @jax.jit
    def run(idx, w):
        def step(acc, t):
            (syn,) = op(idx, w * t, outs=[_sds((5,), jnp.float32)])
            return acc + syn, syn[2]
        return jax.lax.scan(step, jnp.zeros(5, jnp.float32), jnp.arange(100, dtype=jnp.float32))

    acc, trace = run(idx, w)
    total = np.arange(100).sum()
    np.testing.assert_allclose(np.asarray(acc), np.array([1.0, 0, 0.75, 0, 2.0]) * total, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(trace), 0.75 * np.arange(100), rtol=1e-6)


def test_multiple_outputs():
    x = np.array([[1.0, -2.0, 3.0], [-1.0, 0.0, 5.0]])
    with jax.enable_x64(True):
        row_sum, n_pos, mask = XLACustomOp(cpu_kernel=stats)(
            x, outs=[_sds((2,), jnp.float64), _sds((1,), jnp.int64), _sds((2, 3), jnp.uint8)])
        np.testing.assert_allclose(np.asarray(row_sum), x.sum(1))
        assert int(n_pos[0]) == 3
        np.testing.assert_array_equal(np.asarray(mask), (x > 0).astype(np.uint8))


def test_input_output_alias_ring_buffer():
    op = XLACustomOp(cpu_kernel=ring_write)
    depth, n = 4, 3

    @jax.jit
    def run(buf):
        def step(buf, t):
            val = jnp.full((n,), t, jnp.float32)
            (buf,) = op(buf, (t % depth)[None].astype(jnp.int32), val,
                        outs=[_sds((depth, n), jnp.float32)], input_output_aliases={0: 0})
            return buf, None
        return jax.lax.scan(step, buf, jnp.arange(6))[0]

    buf = run(-jnp.ones((depth, n), jnp.float32))
    # steps 0..5 wrote rows 0,1,2,3,0,1 -> last writes: row0=4, row1=5, row2=2, row3=3
    np.testing.assert_array_equal(np.asarray(buf), np.repeat([[4.0], [5.0], [2.0], [3.0]], n, 1))


def test_repeat_launches_the_kernel_k_times_in_one_call():
    op = XLACustomOp(cpu_kernel=step_counter)
    state, trace = jax.jit(lambda s: op(s, outs=[_sds((1,), jnp.int32), _sds((6,), jnp.int32)],
                                        input_output_aliases={0: 0}, repeat=5))(jnp.zeros(1, jnp.int32))
    assert int(state[0]) == 5
    np.testing.assert_array_equal(np.asarray(trace), [0, 1, 4, 9, 16, 0])  # zeroed once, before launch 1
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="repeat must be an int >= 1"):
            op(jnp.zeros(1, jnp.int32), outs=[_sds((1,), jnp.int32), _sds((6,), jnp.int32)], repeat=bad)


def test_vmap_sequential():
    op = XLACustomOp(cpu_kernel=scale_add)
    xs = jnp.arange(12, dtype=jnp.float32).reshape(3, 4)
    y = jnp.ones(4, jnp.float32)
    a = jnp.array([2.0, 3.0, 4.0], jnp.float32)[:, None]
    out = jax.vmap(lambda x, a: op(x, y, a, outs=[_sds((4,), jnp.float32)])[0])(xs, a)
    np.testing.assert_allclose(np.asarray(out), np.asarray(a * xs + y))


# -- validation -----------------------------------------------------------------------

def test_wrong_argument_count():
    op = XLACustomOp(cpu_kernel=scatter)
    with pytest.raises(TypeError, match=r"3 ndarray parameters \(idx, w, out\)"):
        op(jnp.zeros(3, jnp.int32), outs=[_sds((5,), jnp.float32)])


def test_wrong_dtype_names_parameter():
    op = XLACustomOp(cpu_kernel=scatter)
    with pytest.raises(TypeError, match=r"'idx' \(input #0\).*expects dtype int32, got float32"):
        op(jnp.zeros(3, jnp.float32), jnp.zeros(3, jnp.float32), outs=[_sds((5,), jnp.float32)])
    with pytest.raises(TypeError, match=r"'out' \(output #0\).*expects dtype float32, got int32"):
        op(jnp.zeros(3, jnp.int32), jnp.zeros(3, jnp.float32), outs=[_sds((5,), jnp.int32)])


def test_wrong_ndim_names_parameter():
    op = XLACustomOp(cpu_kernel=scatter)
    with pytest.raises(ValueError, match=r"'w' \(input #1\).*expects ndim=1, got shape \(3, 1\)"):
        op(jnp.zeros(3, jnp.int32), jnp.zeros((3, 1), jnp.float32), outs=[_sds((5,), jnp.float32)])


def test_template_and_alias_errors():
    with pytest.raises(TypeError, match=r"missing \['k'\]"):
        XLACustomOp(cpu_kernel=times_k)(jnp.zeros(2, jnp.float32), outs=[_sds((2,), jnp.float32)])
    with pytest.raises(TypeError, match=r"unknown keyword\(s\) \['bogus'\]"):
        XLACustomOp(cpu_kernel=scatter)(jnp.zeros(2, jnp.int32), jnp.zeros(2, jnp.float32),
                                        outs=[_sds((2,), jnp.float32)], bogus=1)
    with pytest.raises(ValueError, match="cannot alias output 0"):
        XLACustomOp(cpu_kernel=scatter)(jnp.zeros(2, jnp.int32), jnp.zeros(2, jnp.float32),
                                        outs=[_sds((2,), jnp.float32)], input_output_aliases={0: 0})


def test_unsupported_kernel_parameter():
    @ti.kernel
    def with_scalar(x: ti.types.ndarray(), s: ti.f32):
        pass

    with pytest.raises(TypeError, match="parameter 's'.*1-element arrays"):
        XLACustomOp(cpu_kernel=with_scalar)


# -- caching --------------------------------------------------------------------------

def test_disk_cache_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("MULTIAREA_CACHE_DIR", str(tmp_path))
    x = jnp.arange(5, dtype=jnp.float32)
    start = _taichi_aot.compile_count()
    (y,) = XLACustomOp(cpu_kernel=times_k)(x, outs=[_sds((5,), jnp.float32)], k=7)
    assert _taichi_aot.compile_count() == start + 1
    assert any((tmp_path / "taichi_aot" / "kernels").iterdir())
    # A new op with the same kernel and signature loads the saved module.
    (y2,) = XLACustomOp(cpu_kernel=times_k)(x, outs=[_sds((5,), jnp.float32)], k=7)
    assert _taichi_aot.compile_count() == start + 1
    np.testing.assert_allclose(np.asarray(y2), np.asarray(y))
    # A different signature compiles again.
    XLACustomOp(cpu_kernel=times_k)(x, outs=[_sds((5,), jnp.float32)], k=8)
    assert _taichi_aot.compile_count() == start + 2
