"""multiarea.fitting: targets, activation maximisation, saliency, train_model."""
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from multiarea.fitting import (ActivationModel, TargetActivation, activation_maximisation, saliency,
                               train_model)
from multiarea.rate.layered import LayeredConnectomeNet
from test_layered import GROUPS, N, SENSORY, small_connectome

LAYERS = 3


@pytest.fixture(scope="module")
def net():
    w = np.abs(small_connectome(2)) * 0.8
    w[np.array(GROUPS) == "b"] *= -1  # group b inhibits
    return LayeredConnectomeNet(w, SENSORY, pre_in="rows", num_layers=LAYERS, idx_to_group=GROUPS,
                                default_slope=2.0, backend="jax")


def inputs(batch, seed, low=0.1, high=0.9):
    return np.random.default_rng(seed).uniform(low, high, (batch, SENSORY.size, LAYERS)).astype(np.float32)


class Tanh:
    """A model that is not a LayeredConnectomeNet: x -> tanh(gain * x + offset), 1 layer."""

    params = {"gain": jnp.array([1.0, 1.0]), "offset": jnp.array([0.0, 0.0])}
    input_shape = (2,)
    n_neurons, n_layers = 2, 1

    def apply(self, params, x):
        return jnp.tanh(params["gain"] * x + params["offset"])[:, :, None]


def test_target_activation_forms():
    t = TargetActivation({2: {5: 0.5, 1: 0.25}, 0: {3: 1.0}}, batch_size=2)
    assert t.batch_size == 2 and len(t) == 6
    f = t.to_frame().sort_values(["batch", "layer", "neuron"])
    np.testing.assert_array_equal(f.batch, [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(f.layer, [0, 2, 2] * 2)
    np.testing.assert_array_equal(f.neuron, [3, 1, 5] * 2)
    np.testing.assert_allclose(f.value, [1.0, 0.25, 0.5] * 2)
    # a DataFrame without 'batch' is replicated; 'neuron_idx' is an alias of 'neuron'
    df = pd.DataFrame({"layer": [1, 0], "neuron_idx": [4, 2], "value": [0.1, 0.2]})
    t = TargetActivation(df, batch_size=3)
    assert len(t) == 6 and set(t.batch) == {0, 1, 2}
    t = TargetActivation(pd.DataFrame({"batch": [0, 3], "layer": [1, 1], "neuron": [0, 0], "value": [1, 2]}))
    assert t.batch_size == 4
    sub = t.select_batches([3, 1])
    assert sub.batch_size == 2 and sub.batch.tolist() == [0] and sub.value.tolist() == [2.0]
    assert t.select_batches([1, 2]) is None


@pytest.mark.parametrize("targets, batch_size, err, match", [
    (pd.DataFrame({"layer": [0], "value": [1.0]}), None, ValueError, "missing \\['neuron'\\]"),
    (pd.DataFrame({"layer": [0.5], "neuron": [0], "value": [1.0]}), None, TypeError, "'layer' must hold integers"),
    (pd.DataFrame({"layer": [0], "neuron": [-1], "value": [1.0]}), None, ValueError, "'neuron' must be >= 0"),
    (pd.DataFrame({"layer": [0], "neuron": [1], "value": [np.nan]}), None, ValueError, "finite"),
    (pd.DataFrame({"layer": [0, 0], "neuron": [1, 1], "value": [1.0, 2.0]}), None, ValueError, "repeated"),
    (pd.DataFrame({"batch": [4], "layer": [0], "neuron": [1], "value": [1.0]}), 2, ValueError, "batch_size=2"),
    (pd.DataFrame({"layer": [], "neuron": [], "value": []}), None, ValueError, "empty"),
    ({0: [1, 2]}, None, TypeError, "targets\\[0\\] must be a dict"),
    ([1, 2], None, TypeError, "targets must be a dict"),
])
def test_target_activation_errors(targets, batch_size, err, match):
    with pytest.raises(err, match=match):
        TargetActivation(targets, batch_size=batch_size)


def test_targets_out_of_model_range(net):
    with pytest.raises(ValueError, match="targets name neuron 12, but the model has 12 neurons"):
        activation_maximisation(net, {0: {12: 0.5}}, progress=False)
    with pytest.raises(ValueError, match="targets name layer 3, but the model has 3 layers"):
        train_model(net, inputs(2, 0), {3: {0: 0.5}}, progress=False)
    with pytest.raises(ValueError, match="batch_size 1, but the inputs have batch 2"):
        activation_maximisation(net, TargetActivation({0: {1: 0.5}}), initial_input=inputs(2, 0), progress=False)


def test_bad_input_shapes(net):
    with pytest.raises(ValueError, match=r"initial_input must have shape \(batch, 3, 3\)"):
        activation_maximisation(net, {0: {1: 0.5}}, initial_input=np.zeros((1, 3, 4)), progress=False)
    with pytest.raises(ValueError, match=r"inputs must have shape \(batch, 3, 3\)"):
        saliency(net, np.zeros((3, 3)), {0: [1]})
    with pytest.raises(ValueError, match=r"inputs must have shape"):
        train_model(net, np.zeros((4, 2, 3)), {0: {1: 0.5}}, progress=False)


def test_model_satisfies_protocol(net):
    assert isinstance(net, ActivationModel) and isinstance(Tanh(), ActivationModel)


def test_activation_maximisation_reaches_reachable_target(net):
    x_star = inputs(1, 1, 0.2, 0.8)
    a_star = np.asarray(net.apply(net.params, x_star))[0]
    goal = {2: {n: float(a_star[n, 2]) for n in (1, 5, 10)}, 1: {9: float(a_star[9, 1])}}
    res = activation_maximisation(net, TargetActivation(goal, batch_size=2), np.full((2, 3, LAYERS), 0.5),
                                  num_iterations=300, learning_rate=0.05, in_reg_lambda=0.0, out_reg_lambda=0.0,
                                  early_stopping=False, progress=False)
    assert res.activation_loss[-1] < 1e-3 < res.activation_loss[0]
    # the found input reproduces the targets
    np.testing.assert_allclose(net.apply(net.params, res.input), res.output, atol=1e-6)
    for layer, cells in goal.items():
        for n, value in cells.items():
            np.testing.assert_allclose(res.output[:, n, layer], value, atol=0.05)
    assert res.snapshots.shape == (60, 2, 3, LAYERS) and res.snapshot_iterations[:3].tolist() == [0, 5, 10]
    np.testing.assert_allclose(res.snapshots[0], 0.5)


def test_activation_maximisation_losses_and_regularisers(net):
    x0 = inputs(2, 3)
    targets = pd.DataFrame({"batch": [0, 0, 1], "layer": [2, 1, 0], "neuron": [4, 2, 7], "value": [0.3, 0.6, 0.1]})
    res = activation_maximisation(net, targets, x0, num_iterations=3, in_reg_lambda=0.2, out_reg_lambda=0.05,
                                  progress=False)
    a0 = np.asarray(net.apply(net.params, x0), np.float64)
    # mean over each batch's targets, then over batches
    want = 0.5 * (((a0[0, 4, 2] - 0.3) ** 2 + (a0[0, 2, 1] - 0.6) ** 2) / 2 + (a0[1, 7, 0] - 0.1) ** 2)
    np.testing.assert_allclose(res.activation_loss[0], want, rtol=1e-5)
    l1l2 = lambda v: np.abs(v).sum() + np.sqrt((v.astype(np.float64) ** 2).sum())  # noqa: E731
    np.testing.assert_allclose(res.in_reg_loss[0], 0.2 * l1l2(x0), rtol=1e-5)
    np.testing.assert_allclose(res.out_reg_loss[0], 0.05 * l1l2(a0), rtol=1e-5)
    np.testing.assert_allclose(res.loss, res.activation_loss + res.in_reg_loss + res.out_reg_loss, rtol=1e-5)
    custom = activation_maximisation(net, targets, x0, num_iterations=1, in_reg_lambda=2.0,
                                     in_regulariser=lambda v: jnp.sum(v ** 2), progress=False)
    np.testing.assert_allclose(custom.in_reg_loss[0], 2.0 * (x0.astype(np.float64) ** 2).sum(), rtol=1e-5)


def test_activation_maximisation_early_stopping_and_seed(net):
    res = activation_maximisation(net, {1: {2: 0.5}}, num_iterations=100, learning_rate=1e-9, n_runs=4,
                                  stopping_threshold=1e-4, progress=False, seed=3)
    assert res.n_iterations == 5 and res.loss.shape == (5,)
    again = activation_maximisation(net, {1: {2: 0.5}}, num_iterations=100, learning_rate=1e-9, n_runs=4,
                                    stopping_threshold=1e-4, progress=False, seed=3)
    np.testing.assert_array_equal(res.input, again.input)
    other = activation_maximisation(net, {1: {2: 0.5}}, num_iterations=1, progress=False, seed=4)
    assert not np.allclose(res.snapshots[0], other.snapshots[0])


@pytest.mark.parametrize("method", ["vanilla", "input_x_gradient"])
def test_saliency_equals_finite_differences(net, method):
    x = inputs(2, 5, 0.2, 0.8)
    interest = {2: [5, 10], 1: [9]}

    def signal(v):
        a = np.asarray(net.apply(net.params, v), np.float64)
        return a[:, [5, 10], 2].sum() + a[:, 9, 1].sum()

    eps = 1e-2
    fd = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        fd[idx] = (signal(up) - signal(down)) / (2 * eps)
    want = fd * x if method == "input_x_gradient" else fd
    got = np.asarray(saliency(net, x, interest, method=method))
    assert np.abs(want).max() > 0.1
    np.testing.assert_allclose(got, want, atol=5e-3)
    normed = np.asarray(saliency(net, x, interest, method=method, normalize=True))
    np.testing.assert_allclose(normed, got / got.reshape(2, -1).max(1)[:, None, None], rtol=1e-6)


def test_saliency_errors(net):
    x = inputs(1, 0)
    with pytest.raises(ValueError, match="method must be one of"):
        saliency(net, x, {0: [1]}, method="smoothgrad")
    with pytest.raises(ValueError, match="neurons_of_interest: targets name neuron 40"):
        saliency(net, x, {0: [1, 40]})
    with pytest.raises(TypeError, match="neurons_of_interest must be a non-empty dict"):
        saliency(net, x, [1, 2])


def all_targets(acts):
    b, n, l = np.meshgrid(*map(np.arange, acts.shape), indexing="ij")
    return pd.DataFrame({"batch": b.ravel(), "neuron": n.ravel(), "layer": l.ravel(), "value": acts.ravel()})


def test_train_model_recovers_known_slopes_and_biases(net):
    true = {"slope": jnp.array([3.0, 1.0, 2.5, 1.5]), "bias": jnp.array([0.1, 0.05, 0.2, 0.0])}
    x = inputs(16, 0)
    targets = all_targets(np.asarray(net.apply(true, x)))
    res = train_model(net, x, targets, num_epochs=400, learning_rate=0.05, param_reg_lambda=0.0, progress=False)
    np.testing.assert_allclose(res.params["slope"], true["slope"], atol=0.03)
    np.testing.assert_allclose(res.params["bias"], true["bias"], atol=0.02)
    h = res.history
    assert h["activation_loss"][-1] < 0.01 < h["activation_loss"][0] and h["val_loss"][-1] < 0.01
    assert len(res.train_batches) == 12 and len(res.val_batches) == 4
    assert set(res.train_batches) | set(res.val_batches) == set(range(16))
    # same seed, same run; only the requested parameters move
    again = train_model(net, x, targets, num_epochs=5, trainable=["bias"], seed=42, progress=False)
    np.testing.assert_array_equal(again.train_batches, res.train_batches)
    np.testing.assert_array_equal(again.params["slope"], net.params["slope"])
    assert not np.array_equal(again.params["bias"], net.params["bias"])


def test_train_model_l1_penalty_and_other_models():
    model = Tanh()
    x = np.random.default_rng(0).uniform(-1, 1, (10, 2)).astype(np.float32)
    true = {"gain": jnp.array([2.0, 0.5]), "offset": jnp.array([0.3, -0.2])}
    targets = all_targets(np.asarray(model.apply(true, x)))
    res = train_model(model, x, targets, num_epochs=300, learning_rate=0.05, param_reg_lambda=0.0,
                      train_fraction=1.0, progress=False)
    for k in true:
        np.testing.assert_allclose(res.params[k], true[k], atol=0.02)
    assert np.isnan(res.history["val_loss"]).all()
    # the penalty is lambda * sum |p - p0|
    h = train_model(model, x, targets, num_epochs=3, param_reg_lambda=0.5, train_fraction=1.0, progress=False).history
    assert h["param_reg_loss"][0] == 0 and h["param_reg_loss"][1] > 0
    np.testing.assert_allclose(h["loss"], h["activation_loss"] + h["param_reg_loss"], rtol=1e-6)


def test_train_model_divisive_strength():
    w = np.abs(small_connectome(5))
    groups = np.array(GROUPS)
    mask = (groups[:, None] == "b") & np.isin(groups, ["a", "c"])[None, :] & (w != 0)
    w[mask] *= -1.0
    net = LayeredConnectomeNet(w, SENSORY, pre_in="rows", num_layers=LAYERS, idx_to_group=GROUPS,
                               default_slope=2.0, divisive_normalization={"b": ["a", "c"]},
                               divisive_strength=0.2, backend="jax")
    x = inputs(12, 7)
    true = {**net.params, "divisive_strength": jnp.array([0.8])}
    targets = all_targets(np.asarray(net.apply(true, x)))
    res = train_model(net, x, targets, trainable=["divisive_strength"], num_epochs=200, learning_rate=0.05,
                      param_reg_lambda=0.0, progress=False)
    np.testing.assert_allclose(res.params["divisive_strength"], [0.8], atol=0.03)


def test_train_model_errors(net):
    x = inputs(4, 0)
    with pytest.raises(ValueError, match="trainable must name some of"):
        train_model(net, x, {0: {1: 0.5}}, trainable=["gain"], progress=False)
    with pytest.raises(ValueError, match="leaves no training batch"):
        train_model(net, x, {0: {1: 0.5}}, train_fraction=0.1, progress=False)
    with pytest.raises(ValueError, match="none of the training batches has a target"):
        train_model(net, x, pd.DataFrame({"batch": [3], "layer": [0], "neuron": [1], "value": [0.5]}),
                    train_fraction=0.25, seed=0, progress=False)
    with pytest.raises(ValueError, match="train_fraction must be in"):
        train_model(net, x, {0: {1: 0.5}}, train_fraction=0.0, progress=False)


def test_fitting_accepts_a_connectome_rnn():
    from multiarea.rate.connectome_rnn import ConnectomeRNN

    types = np.array([0, 0, 1, 1])
    w = np.array([[0, 1, 0, 2], [1, 0, 1, 0], [0, 3, 0, 1], [1, 0, 1, 0]], float)
    rnn = ConnectomeRNN(w, types, neuron_type_class=["excitatory", "inhibitory"], tau=1.0,
                        bias=[0.2, 0.1], edge_strength=0.2, nonlinearity="tanh", trainable=("bias",),
                        backend="jax")
    model = rnn.activation_model(t1=3.0, num_steps=31, sample_steps=[10, 30])
    assert isinstance(model, ActivationModel)
    x = np.random.default_rng(0).uniform(0, 1, (8, 4)).astype(np.float32)
    true = {"bias": jnp.array([0.5, -0.3])}
    targets = all_targets(np.asarray(model.apply(true, x)))
    res = train_model(model, x, targets, num_epochs=300, learning_rate=0.02, param_reg_lambda=0.0,
                      progress=False)
    np.testing.assert_allclose(res.params["bias"], true["bias"], atol=0.02)
    found = activation_maximisation(model, {1: {0: 0.6, 3: -0.2}}, num_iterations=400, learning_rate=0.05,
                                    in_reg_lambda=0.0, out_reg_lambda=0.0, early_stopping=False,
                                    progress=False)
    assert found.activation_loss[-1] < 1e-3
    np.testing.assert_allclose(found.output[0, [0, 3], 1], [0.6, -0.2], atol=0.03)


def test_repeated_calls_reuse_the_compiled_step(net):
    from multiarea.fitting import activations as fitting

    targets = {LAYERS - 1: {0: 0.3}}
    before = set(fitting._STEPS.get(net, {}))
    for _ in range(2):
        activation_maximisation(net, targets, num_iterations=2, learning_rate=0.123, progress=False)
    activation_maximisation(net, targets, num_iterations=2, learning_rate=0.234, progress=False)
    assert len(set(fitting._STEPS[net]) - before) == 2  # one compiled step per distinct learning rate


def test_train_model_restore_best_returns_the_lowest_loss_parameters():
    model = Tanh()
    x = np.random.default_rng(1).uniform(-1, 1, (8, 2)).astype(np.float32)
    true = {"gain": jnp.array([2.0, 0.5]), "offset": jnp.array([0.3, -0.2])}
    targets = all_targets(np.asarray(model.apply(true, x)))
    # a learning rate far too large: Adam's last step is not its best
    last = train_model(model, x, targets, num_epochs=60, learning_rate=2.0, param_reg_lambda=0.0, progress=False)
    best = train_model(model, x, targets, num_epochs=60, learning_rate=2.0, param_reg_lambda=0.0, progress=False,
                       restore_best=True)
    assert last.best_epoch is None and 0 <= best.best_epoch < 60
    loss = best.history["loss"]
    assert loss[best.best_epoch] == loss.min()
    again = train_model(model, x, targets, num_epochs=1, learning_rate=1e-9, param_reg_lambda=0.0, progress=False,
                        params=best.params)
    np.testing.assert_allclose(again.history["loss"][0], loss.min(), rtol=1e-5)   # it is that epoch's start
    with pytest.raises(TypeError, match="restore_best must be a bool"):
        train_model(model, x, targets, num_epochs=1, progress=False, restore_best="yes")
