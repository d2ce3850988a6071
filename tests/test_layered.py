"""LayeredConnectomeNet against a numpy implementation of its equations."""
import numpy as np
import pytest
import scipy.sparse as sp

from multiarea.rate.layered import LayeredConnectomeNet

N, SENSORY, LAYERS, BATCH = 12, np.array([0, 3, 5]), 4, 3
GROUPS = ["s", "s", "a", "s", "a", "s", "b", "b", "a", "c", "c", "b"]


def small_connectome(seed=0):
    """W[pre, post]: ~40% dense, mixed signs."""
    rng = np.random.default_rng(seed)
    w = rng.normal(0.0, 0.6, (N, N)) * (rng.random((N, N)) < 0.4)
    return w.astype(np.float32)


def numpy_forward(w, inputs, slope_n, bias_n, threshold, div=None):
    """Reference: w[pre, post]; slope_n/bias_n per neuron; div = (mask, strength_per_neuron)."""
    batch, _, layers = inputs.shape
    u = np.where(inputs >= threshold, np.minimum(inputs, 1.0), 0.0)
    w_sub = w if div is None else np.where(div[0], 0.0, w)
    x = np.zeros((batch, N))
    x[:, SENSORY] = u[:, :, 0]
    out = []
    for layer in range(layers):
        prev = x
        slope = np.broadcast_to(slope_n, (batch, N)).copy()
        if div is not None:
            mask, strength = div
            for pre, post in zip(*np.nonzero(mask)):
                slope[:, post] = np.maximum(0, slope[:, post] * (1 + w[pre, post] * prev[:, pre] * strength[pre]))
        z = slope * (prev @ w_sub) + bias_n
        x = np.tanh(np.where(z >= threshold, z, 0.0))
        if layer < layers - 1:
            x[:, SENSORY] += u[:, :, layer + 1]
        x = np.minimum(x, 1.0)
        out.append(x)
    return np.stack(out, axis=-1)


def random_inputs(seed=1):
    return np.random.default_rng(seed).uniform(-0.2, 1.3, (BATCH, SENSORY.size, LAYERS)).astype(np.float32)


@pytest.mark.parametrize("backend", ["jax", "taichi"])
def test_forward_matches_numpy_per_group_params(backend):
    w = small_connectome()
    slopes = {"s": 2.0, "a": 4.0, "b": 1.5}
    biases = {"a": 0.1, "c": -0.05}
    net = LayeredConnectomeNet(sp.csr_array(w), SENSORY, pre_in="rows", num_layers=LAYERS, threshold=0.05,
                               default_slope=3.0, default_bias=0.02, idx_to_group=GROUPS,
                               slope_dict=slopes, bias_dict=biases, backend=backend)
    assert net.groups == ("a", "b", "c", "s")
    np.testing.assert_allclose(net.params["slope"], [4.0, 1.5, 3.0, 2.0])
    np.testing.assert_allclose(net.params["bias"], [0.1, 0.02, -0.05, 0.02], rtol=1e-6)
    x = random_inputs()
    got = np.asarray(net.apply(net.params, x))
    slope_n = np.array([{**{"c": 3.0}, **slopes}[g] for g in GROUPS])
    bias_n = np.array([{"s": 0.02, "b": 0.02, **biases}[g] for g in GROUPS])
    want = numpy_forward(w.astype(np.float64), x, slope_n, bias_n, 0.05)
    assert got.shape == (BATCH, N, LAYERS)
    np.testing.assert_allclose(got, want, atol=2e-6)


def test_pre_in_columns_equals_rows_transposed():
    w = small_connectome(3)
    x = random_inputs(4)
    rows = LayeredConnectomeNet(w, SENSORY, pre_in="rows", num_layers=LAYERS, backend="jax")
    cols = LayeredConnectomeNet(w.T.copy(), SENSORY, pre_in="columns", num_layers=LAYERS, backend="jax")
    np.testing.assert_array_equal(rows.apply(rows.params, x), cols.apply(cols.params, x))
    want = numpy_forward(w.astype(np.float64), x, 5.0, 0.0, 0.01)
    np.testing.assert_allclose(rows.apply(rows.params, x), want, atol=2e-6)


@pytest.mark.parametrize("backend", ["jax", "taichi"])
def test_divisive_normalisation_matches_formula(backend):
    w = np.abs(small_connectome(5))
    groups = np.array(GROUPS)
    # group "b" -> groups "a" and "c" is divisive; make those synapses inhibitory
    mask = (groups[:, None] == "b") & np.isin(groups, ["a", "c"])[None, :] & (w != 0)
    assert mask.sum() >= 3 and np.any(mask.sum(0) >= 2)  # some post cells get several divisive synapses
    w[mask] *= -2.0
    net = LayeredConnectomeNet(w, SENSORY, pre_in="rows", num_layers=LAYERS, idx_to_group=GROUPS,
                               default_slope=2.0, divisive_normalization={"b": ["a", "c"]},
                               divisive_strength={"b": 0.7}, backend=backend)
    np.testing.assert_allclose(net.params["divisive_strength"], [0.7])
    x = random_inputs(6)
    got = np.asarray(net.apply(net.params, x))
    want = numpy_forward(w.astype(np.float64), x, 2.0, 0.0, 0.01,
                         div=(mask, np.where(groups == "b", 0.7, 0.0)))
    np.testing.assert_allclose(got, want, atol=2e-6)
    # the divisive synapses really changed the activity
    plain = numpy_forward(w.astype(np.float64), x, 2.0, 0.0, 0.01, div=(mask, np.zeros(N)))
    assert np.abs(want - plain).max() > 1e-2


def test_custom_activation_function():
    w = small_connectome(7)
    net = LayeredConnectomeNet(w, SENSORY, pre_in="rows", num_layers=LAYERS, backend="jax",
                               activation_function=lambda y: 0.5 * jnp_sigmoid(y))
    x = random_inputs(8)
    u = np.where(x >= 0.01, np.minimum(x, 1.0), 0.0)
    h = np.zeros((BATCH, N))
    h[:, SENSORY] = u[:, :, 0]
    want = []
    for layer in range(LAYERS):
        h = 0.5 / (1 + np.exp(-(h @ w)))
        if layer < LAYERS - 1:
            h[:, SENSORY] += u[:, :, layer + 1]
        h = np.minimum(h, 1.0)
        want.append(h)
    np.testing.assert_allclose(net.apply(net.params, x), np.stack(want, -1), atol=2e-6)


def jnp_sigmoid(y):
    import jax

    return jax.nn.sigmoid(y)


def test_clamp_keeps_slopes_and_strengths_nonnegative():
    import jax.numpy as jnp

    w = -np.abs(small_connectome())
    net = LayeredConnectomeNet(w, SENSORY, pre_in="rows", idx_to_group=GROUPS,
                               divisive_normalization={"b": ["a"]}, backend="jax")
    p = net.clamp({"slope": jnp.array([-1.0, 2, 3, 4]), "bias": jnp.array([-0.5, 0, 0, 0]),
                   "divisive_strength": jnp.array([-0.1])})
    np.testing.assert_array_equal(p["slope"], [0, 2, 3, 4])
    np.testing.assert_array_equal(p["bias"], [-0.5, 0, 0, 0])
    np.testing.assert_array_equal(p["divisive_strength"], [0])


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(pre_in="diagonal"), ValueError, "pre_in"),
    (dict(sensory_indices=np.array([0, 12])), ValueError, "sensory_indices must lie"),
    (dict(sensory_indices=np.array([1, 1])), ValueError, "distinct"),
    (dict(num_layers=0), ValueError, "num_layers"),
    (dict(idx_to_group=GROUPS[:-1]), ValueError, "one group per neuron"),
    (dict(idx_to_group={i: "a" for i in range(N - 1)}), ValueError, "missing \\[11\\]"),
    (dict(idx_to_group=GROUPS, slope_dict={"zz": 1.0}), ValueError, "slope_dict names group 'zz'"),
    (dict(idx_to_group=GROUPS, slope_dict={"a": -1.0}), ValueError, "slope_dict\\['a'\\] must be >= 0"),
    (dict(divisive_normalization={"b": ["a"]}), ValueError, "needs idx_to_group"),
    (dict(idx_to_group=GROUPS, divisive_normalization={"b": ["q"]}), ValueError, "group 'q'"),
    (dict(idx_to_group=GROUPS, divisive_normalization={"b": ["a"]}), ValueError, "must be negative"),
    (dict(idx_to_group=GROUPS, divisive_normalization={"b": "a"}), TypeError, "list of post groups"),
    (dict(activation_function=3), TypeError, "callable"),
])
def test_constructor_errors(kwargs, err, match):
    args = dict(connectome=np.abs(small_connectome()), sensory_indices=SENSORY, pre_in="rows")
    args.update(kwargs)
    with pytest.raises(err, match=match):
        LayeredConnectomeNet(**args)


def test_non_square_connectome_and_bad_input_shape():
    with pytest.raises(ValueError, match="square"):
        LayeredConnectomeNet(np.ones((3, 4)), [0], pre_in="rows")
    net = LayeredConnectomeNet(small_connectome(), SENSORY, pre_in="rows", num_layers=LAYERS, backend="jax")
    with pytest.raises(ValueError, match=r"inputs must have shape \(batch, 3, 4\)"):
        net.apply(net.params, np.zeros((2, 3, 5)))
