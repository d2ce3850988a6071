"""Connectome construction: accepted forms, sparse projections, typed random connectomes."""
import jax.numpy as jnp
import matplotlib
import numpy as np
import pytest
import scipy.sparse as sp

import multiarea as ma
from multiarea.projections.connectome import (create_neuron_typed_connectome, create_sparse_projection,
                                  plot_typed_connectome, to_csr)

matplotlib.use("Agg")


def test_to_csr_accepts_dense_scipy_and_coo_alike():
    dense = np.array([[0, 2.0, 0], [1.5, 0, 0], [0, 0, -3.0]])
    pairs = (np.array([[0, 1, 2], [1, 0, 2]]), np.array([2.0, 1.5, -3.0]))
    for form in (dense, sp.coo_matrix(dense), sp.csc_array(dense), pairs):
        m = to_csr(form, (3, 3))
        assert isinstance(m, sp.csr_array) and m.shape == (3, 3)
        np.testing.assert_array_equal(m.toarray(), dense)
    np.testing.assert_array_equal(to_csr(dense.T, pre_in="columns").toarray(), dense)
    np.testing.assert_array_equal(to_csr(pairs[::-1][::-1], (3, 3)).toarray(), dense)


def test_to_csr_sums_duplicate_coo_pairs():
    m = to_csr((np.array([[0, 0], [1, 1]]), np.array([1.0, 2.0])), (2, 2))
    assert m.nnz == 1 and m[0, 1] == 3.0


@pytest.mark.parametrize("bad, shape, match", [
    ((np.array([[0, 5]]).T.reshape(2, 1), np.array([1.0])), (3, 3), "post indices"),
    ((np.array([[0], [1]]), np.array([1.0, 2.0])), (3, 3), "values must have shape"),
    ((np.array([[0], [1]]), np.array([1.0])), None, "shape .* is required"),
    (np.ones((2, 3)), (3, 3), "must have shape"),
    (np.array([[np.nan]]), None, "finite"),
])
def test_to_csr_errors(bad, shape, match):
    with pytest.raises(ValueError, match=match):
        to_csr(bad, shape)
    with pytest.raises(TypeError, match="connectome must be"):
        to_csr(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="pre_in"):
        to_csr(np.ones((2, 2)), pre_in="cols")


def test_sparse_projection_input_and_readout():
    idx = np.array([4, 0, 4])
    p_in = create_sparse_projection(3, 6, idx, mode="ih", weight=[1.0, 2.0, 3.0], backend="jax")
    assert isinstance(p_in, ma.Projection) and (p_in.n_pre, p_in.n_post) == (3, 6)
    y = np.asarray(p_in.matvec(jnp.array([1.0, 10.0, 100.0])))
    np.testing.assert_allclose(y, [20, 0, 0, 0, 301, 0])
    p_out = create_sparse_projection(3, 6, idx, mode="ho", weight=[1.0, 2.0, 3.0])
    assert (p_out.n_pre, p_out.n_post) == (6, 3)
    x = np.arange(12.0).reshape(6, 2)
    np.testing.assert_allclose(np.asarray(p_out.matvec(x)), x[idx] * np.array([1, 2, 3.0])[:, None])
    all_in = create_sparse_projection(6, 6)
    np.testing.assert_allclose(np.asarray(all_in.matvec(x)), x)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(size=3, num_neurons=5, indices=[0, 1, 5]), ValueError, "indices must lie in"),
    (dict(size=3, num_neurons=5, indices=[0, -1, 2]), ValueError, "indices must lie in"),
    (dict(size=3, num_neurons=5, indices=[0, 1]), ValueError, "shape \\(3,\\)"),
    (dict(size=3, num_neurons=5), ValueError, "size must equal"),
    (dict(size=3, num_neurons=5, indices=[0, 1, 2], mode="hh"), ValueError, "mode"),
    (dict(size=3, num_neurons=5, indices=[0, 1, 2], weight=[1.0, 2.0]), ValueError, "weight"),
    (dict(size=0, num_neurons=5), ValueError, "size must be > 0"),
])
def test_sparse_projection_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        create_sparse_projection(**kwargs)


BLOCK = np.array([[0.1, 0.5, 0.0], [0.0, 0.2, 0.9], [1.0, 0.0, 0.05]])


@pytest.mark.parametrize("deterministic", [True, False])
def test_typed_connectome_block_probabilities_within_4_sd(deterministic):
    probs = np.array([0.5, 0.3, 0.2])
    n = 1000
    m, types = create_neuron_typed_connectome(n, probs, BLOCK, deterministic_type_assignment=deterministic,
                                              seed=3)
    assert isinstance(m, sp.csr_array) and m.shape == (n, n) and types.shape == (n,)
    counts = np.bincount(types, minlength=3)
    if deterministic:
        np.testing.assert_array_equal(counts, [500, 300, 200])
    else:  # multinomial type counts within 4 sd
        assert np.all(np.abs(counts - n * probs) <= 4 * np.sqrt(n * probs * (1 - probs)))
    assert m.diagonal().sum() == 0  # no self-connections by default
    dense = m.toarray()
    for a in range(3):
        for b in range(3):
            block = dense[np.ix_(types == a, types == b)]
            pairs = block.size - (counts[a] if a == b else 0)
            k = block.sum()
            p = BLOCK[a, b]
            assert abs(k - p * pairs) <= 4 * np.sqrt(pairs * p * (1 - p)) + 1e-9, (a, b, k, p * pairs)


def test_typed_connectome_is_reproducible_and_deterministic_counts_round():
    m1, t1 = create_neuron_typed_connectome(101, [0.25, 0.3, 0.2, 0.05, 0.2], np.eye(5), True, seed=1)
    m2, t2 = create_neuron_typed_connectome(101, [0.25, 0.3, 0.2, 0.05, 0.2], np.eye(5), True, seed=1)
    assert (m1 != m2).nnz == 0 and np.array_equal(t1, t2)
    assert np.bincount(t1).sum() == 101 and np.all(np.abs(np.bincount(t1) - 101 * np.array(
        [0.25, 0.3, 0.2, 0.05, 0.2])) < 1)
    m3, _ = create_neuron_typed_connectome(50, [1.0], [[1.0]], self_connections=True)
    assert m3.nnz == 2500


@pytest.mark.parametrize("probs, block, match", [
    ([0.5, 0.4], np.eye(2), "sum to 1"),
    ([1.2, -0.2], np.eye(2), "non-negative"),
    ([0.5, 0.5], np.eye(3), "shape \\(n_types, n_types\\)"),
    ([0.5, 0.5], [[0.5, 1.5], [0, 0]], "\\[0, 1\\]"),
])
def test_typed_connectome_errors(probs, block, match):
    with pytest.raises(ValueError, match=match):
        create_neuron_typed_connectome(10, probs, block)


def test_plot_typed_connectome_sorts_by_type_and_draws_separators():
    m, types = create_neuron_typed_connectome(60, [0.5, 0.5], [[0.0, 1.0], [0.0, 0.0]], seed=0)
    ax = plot_typed_connectome(m, types, type_names=["E", "I"])
    image = ax.images[0].get_array()
    n_e = (types == 0).sum()
    assert image.shape == (60, 60) and image.sum() == m.nnz
    assert image[:n_e, n_e:].sum() == m.nnz  # only E rows -> I columns
    assert [t.get_text() for t in ax.get_yticklabels()] == ["E", "I"]
    assert len(ax.lines) == 2  # one horizontal + one vertical separator
    binned = plot_typed_connectome(m, types, max_pixels=7).images[0].get_array()
    assert binned.shape == (7, 7) and binned.sum() == m.nnz
    with pytest.raises(ValueError, match="type_names"):
        plot_typed_connectome(m, types, type_names=["E"])


def test_rate_projection_matvec_matches_scipy_and_guards_spiking_use():
    m = sp.random(30, 20, density=0.2, random_state=1, format="csr")
    proj = ma.Projection(30, 20, ma.CSR.from_scipy(m), 2.0)
    x = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    structure = (m != 0).astype(np.float64)  # CSR holds which pairs exist; the weight is separate
    np.testing.assert_allclose(np.asarray(proj.matvec(x)), 2.0 * (structure.T @ x), rtol=1e-5, atol=1e-5)
    w = np.arange(m.nnz, dtype=np.float32)
    expected = sp.csr_matrix((w, m.indices, m.indptr), shape=m.shape).T @ x
    np.testing.assert_allclose(np.asarray(proj.linear_map(w)(x)), expected, rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="per synapse"):
        proj.matvec(x, weight=np.ones(3))
    with pytest.raises(ValueError, match="rate projection"):
        proj.deliver(jnp.zeros(30, bool), 0)
    with pytest.raises(ValueError, match="needs CSR"):
        ma.Projection(30, 20, ma.FixedProb(0.1), 1.0)
    with pytest.raises(TypeError, match="pre must be"):
        ma.Projection("30", 20, ma.CSR.from_scipy(m), 1.0)
