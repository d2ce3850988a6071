"""Differentiable CSR mat-vec on both backends."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp
from jax.test_util import check_grads

from multiarea import ops


def _random_csr(seed, n_rows, n_cols, density):
    m = sp.random(n_rows, n_cols, density=density, random_state=seed, format="csr", dtype=np.float32)
    return m.indptr.astype(np.int32), m.indices.astype(np.int32), m.data, m


@pytest.mark.parametrize("backend", ["jax", "taichi"])
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_scipy(backend, transpose, seed):
    rng = np.random.default_rng(seed)
    n_rows, n_cols = rng.integers(1, 200, size=2)
    indptr, indices, data, m = _random_csr(seed, n_rows, n_cols, rng.uniform(0.01, 0.3))
    dense = m.toarray()
    n_in = n_rows if transpose else n_cols
    x = rng.normal(size=(n_in, 3)).astype(np.float32)
    y = ops.csr_matvec(indptr, indices, data, x, shape=(n_rows, n_cols), transpose=transpose, backend=backend)
    expected = (dense.T if transpose else dense) @ x
    np.testing.assert_allclose(np.asarray(y), expected, rtol=1e-5, atol=1e-5)
    y1 = jax.jit(lambda d, v: ops.csr_matvec(indptr, indices, d, v, shape=(n_rows, n_cols),
                                             transpose=transpose, backend=backend))(data, x[:, 0])
    np.testing.assert_allclose(np.asarray(y1), expected[:, 0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("backend", ["jax", "taichi"])
@pytest.mark.parametrize("transpose", [False, True])
def test_gradients(backend, transpose):
    indptr, indices, data, m = _random_csr(3, 30, 20, 0.2)
    n_in = 30 if transpose else 20
    x = np.random.default_rng(0).normal(size=(n_in,)).astype(np.float32)
    f = lambda d, v: jnp.tanh(ops.csr_matvec(indptr, indices, d, v, shape=(30, 20),
                                             transpose=transpose, backend=backend))
    check_grads(f, (jnp.asarray(data), jnp.asarray(x)), order=1, modes=["fwd", "rev"],
                atol=2e-2, rtol=2e-2)
    # gradients equal between backends
    g = [jax.grad(lambda d, v: (ops.csr_matvec(indptr, indices, d, v, shape=(30, 20), transpose=transpose,
                                               backend=b) ** 2).sum(), argnums=(0, 1))(data, x)
         for b in ("jax", "taichi")]
    for a, b in zip(*g):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def test_bad_shapes():
    indptr, indices, data, _ = _random_csr(0, 5, 4, 0.5)
    with pytest.raises(ValueError, match="x must have shape"):
        ops.csr_matvec(indptr, indices, data, np.ones(5), shape=(5, 4))
    with pytest.raises(ValueError, match="indptr must have shape"):
        ops.csr_matvec(indptr, indices, data, np.ones(4), shape=(6, 4))


@pytest.mark.parametrize("width", [8, 19])  # the widest kernel, and chunks of 8 + 8 + 3 columns
def test_wide_batches_and_weight_gradient_match_jax(width):
    indptr, indices, data, m = _random_csr(5, 60, 40, 0.2)
    x = np.random.default_rng(1).normal(size=(40, width)).astype(np.float32)
    ct = np.random.default_rng(2).normal(size=(60, width)).astype(np.float32)

    def loss(d, v, backend):
        return jnp.sum(ct * ops.csr_matvec(indptr, indices, d, v, shape=(60, 40), backend=backend))

    np.testing.assert_allclose(np.asarray(ops.csr_matvec(indptr, indices, data, x, shape=(60, 40),
                                                         backend="taichi")), m.toarray() @ x, rtol=1e-5, atol=1e-5)
    g_t = jax.grad(loss, argnums=(0, 1))(data, x, "taichi")
    g_j = jax.grad(loss, argnums=(0, 1))(data, x, "jax")
    for a, b in zip(g_t, g_j):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
