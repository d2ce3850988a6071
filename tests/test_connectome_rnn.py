"""ConnectomeRNN: dynamics against the analytic solution, solvers, gradients, hooks, training."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.linalg as sl

from multiarea.projections.connectome import create_sparse_projection
from multiarea.rate.connectome_rnn import ConnectomeRNN
from multiarea.projections.initializers import Lognormal, Normal, Value

N = 6
TYPES = np.array([0, 0, 1, 1, 2, 2])
TAU = np.array([1.0, 2.0, 0.5])
BIAS = np.array([0.1, -0.2, 0.3])


@pytest.fixture(scope="module")
def linear():
    """A small linear (identity phi) network, its input and its exact solution."""
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.3, (N, N)) * (rng.random((N, N)) < 0.6)
    model = ConnectomeRNN(w, TYPES, tau=TAU, bias=BIAS, nonlinearity="identity", backend="jax")
    x = rng.normal(size=(2, N)).astype(np.float32)
    tau = TAU[TYPES]
    a = (-np.eye(N) + w.T) / tau[:, None]           # dv/dt = a v + c
    c = (BIAS[TYPES][:, None] + x.T) / tau[:, None]
    v_star = np.linalg.solve(-a, c)
    v0 = np.broadcast_to(BIAS[TYPES][:, None], (N, 2))

    def exact(t):
        return (sl.expm(a * t) @ (v0 - v_star) + v_star).T  # (batch, n)

    return model, x, exact, v_star.T


@pytest.mark.parametrize("solver, num_steps, tol", [("euler", 2001, 5e-4), ("rk4", 41, 1e-5),
                                                     ("dopri5", 11, 2e-5)])
def test_solvers_match_the_analytic_solution(linear, solver, num_steps, tol):
    model, x, exact, _ = linear
    outputs, activity, times = model.forward(x, 0.0, 2.0, num_steps, solver=solver)
    assert activity.shape == (2, num_steps, N) and outputs.shape == (2, num_steps, N)
    np.testing.assert_allclose(np.asarray(times), np.linspace(0, 2, num_steps), atol=1e-6)
    for k in (0, num_steps // 2, num_steps - 1):
        np.testing.assert_allclose(np.asarray(activity[:, k]), exact(float(times[k])), atol=tol)


def test_euler_error_is_first_order(linear):
    model, x, exact, _ = linear
    err = [np.abs(np.asarray(model.forward(x, 0.0, 1.0, n)[1][:, -1]) - exact(1.0)).max() for n in (101, 201)]
    assert 1.8 < err[0] / err[1] < 2.2


def test_time_first_layout_and_time_varying_input(linear):
    model, x, exact, _ = linear
    tm = ConnectomeRNN(np.zeros((N, N)), TYPES, tau=TAU, bias=0.0, nonlinearity="identity",
                       batch_first=False)
    frames = np.zeros((41, 2, N), np.float32)
    frames[20:] = 1.0  # step input switched on at frame 20 (held on [t_k, t_k+1))
    _, act, _ = tm.forward(frames, 0.0, 4.0, 41, solver="rk4")
    assert act.shape == (41, 2, N)
    np.testing.assert_allclose(np.asarray(act[20]), 0.0, atol=1e-7)
    expected = 1 - np.exp(-2.0 / TAU[TYPES])  # 2 time units after the switch
    np.testing.assert_allclose(np.asarray(act[40, 0]), expected, atol=1e-5)


def test_steady_state_reaches_the_fixed_point(linear):
    model, x, _, v_star = linear
    res = model.steady_state(x, dt=0.01, t_max=100.0, tol=2e-5)
    assert float(res.residual) <= 2e-5 and float(res.time) < 100.0
    np.testing.assert_allclose(np.asarray(res.state), v_star, atol=1e-4)


def test_fade_in_ramps_the_input():
    model = ConnectomeRNN(np.zeros((N, N)), TYPES, tau=1.0, bias=0.0, nonlinearity="identity")
    x = np.ones((1, N), np.float32)
    # tau dv/dt = -v + t/T  =>  v(T) = 1 - tau/T (1 - exp(-T/tau)) from v(0) = 0
    v = model.fade_in_state(x, t_fade_in=4.0, dt=0.001)
    np.testing.assert_allclose(np.asarray(v), 1 - (1 - np.exp(-4.0)) / 4.0, atol=2e-3)


def test_taichi_backend_matches_jax_and_gradients_agree(linear):
    model, x, _, _ = linear
    w = model.recurrent.conn
    taichi = ConnectomeRNN((np.stack([w.pre_of_synapse(), w.indices]), np.asarray(model.weights())),
                           TYPES, tau=TAU, bias=BIAS, nonlinearity="identity")

    def loss(m, p):
        return jnp.sum(m.forward(x, 0.0, 1.0, 11, params=p, solver="rk4")[1][:, -1] ** 2)

    np.testing.assert_allclose(float(loss(taichi, taichi.params)), float(loss(model, model.params)), rtol=1e-6)
    g_t, g_j = jax.grad(lambda p: loss(taichi, p))(taichi.params), jax.grad(lambda p: loss(model, p))(model.params)
    for k in g_j:
        np.testing.assert_allclose(np.asarray(g_t[k]), np.asarray(g_j[k]), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("solver", ["rk4", "dopri5"])
def test_gradients_match_finite_differences(solver):
    rng = np.random.default_rng(1)
    w = np.abs(rng.normal(0, 0.4, (N, N))) * (rng.random((N, N)) < 0.5)
    model = ConnectomeRNN(w, TYPES, neuron_type_class=["excitatory", "inhibitory", "excitatory"],
                          tau=TAU, bias=BIAS, nonlinearity="softplus", backend="jax")
    x = rng.normal(size=(2, N)).astype(np.float32)
    target = rng.normal(size=(2, N))

    def loss(params, inputs):
        act = model.forward(inputs, 0.0, 1.5, 16, params=params, solver=solver)[1]
        return jnp.sum((act[:, -1] - target) ** 2)

    grads, g_x = jax.grad(loss, argnums=(0, 1))(model.params, jnp.asarray(x))
    eps = 1e-2
    for name, value in model.params.items():
        for i in range(min(3, value.size)):
            step = jnp.zeros_like(value).at[i].set(eps)
            up = float(loss({**model.params, name: value + step}, x))
            down = float(loss({**model.params, name: value - step}, x))
            np.testing.assert_allclose(float(grads[name][i]), (up - down) / (2 * eps), rtol=2e-2, atol=2e-3)
    step = np.zeros_like(x)
    step[1, 2] = eps
    fd = (float(loss(model.params, x + step)) - float(loss(model.params, x - step))) / (2 * eps)
    np.testing.assert_allclose(float(g_x[1, 2]), fd, rtol=2e-2, atol=2e-3)


def test_signs_follow_type_class_and_survive_training():
    rng = np.random.default_rng(2)
    counts = rng.integers(0, 4, (N, N)).astype(float)
    model = ConnectomeRNN(counts, TYPES, neuron_type_class={"0": "excitatory", "1": "inhibitory",
                                                            "2": "excitatory"},
                          tau=Lognormal(1.0, 0.2), bias=Normal(0.0, 0.1), edge_strength=Value(0.3),
                          nonlinearity=["relu", "tanh", "sigmoid"], seed=4)
    pre = model.recurrent.conn.pre_of_synapse()
    sign_of_pre = np.where(TYPES[pre] == 1, -1.0, 1.0)
    np.testing.assert_array_equal(np.sign(np.asarray(model.weights())), sign_of_pre)
    x = rng.normal(size=(3, N)).astype(np.float32)
    target = jnp.asarray(rng.normal(size=(3, N)) * 3, jnp.float32)  # pushes strengths negative
    opt = optax.adam(0.2)
    params, state = model.params, opt.init(model.params)
    loss = lambda p: jnp.mean((model.forward(x, 0, 2.0, 21, params=p)[1][:, -1] - target) ** 2)
    losses = []
    for _ in range(15):
        value, g = jax.value_and_grad(loss)(params)
        updates, state = opt.update(g, state)
        params = model.clamp(optax.apply_updates(params, updates))
        losses.append(float(value))
    assert losses[-1] < losses[0]
    assert np.all(np.asarray(params["edge_strength"]) >= 0) and np.all(np.asarray(params["tau"]) >= 1e-3)
    w = np.asarray(model.weights(params))
    assert np.all(w * sign_of_pre >= 0)


def test_per_type_nonlinearity_and_readout_projection():
    out = create_sparse_projection(2, N, [5, 0], mode="ho")
    model = ConnectomeRNN(np.zeros((N, N)), TYPES, tau=1.0, bias=[1.0, -1.0, 0.5],
                          nonlinearity={"0": "relu", "1": "relu", "2": "tanh"}, output_projection=out)
    x = np.zeros((1, N), np.float32)
    outputs, act, _ = model.forward(x, 0, 1.0, 3)
    assert outputs.shape == (1, 3, 2)
    np.testing.assert_allclose(np.asarray(outputs), np.asarray(act[:, :, [5, 0]]))
    np.testing.assert_allclose(np.asarray(model.rates(jnp.full((2, N), -0.5)))[1],
                               [0, 0, 0, 0, np.tanh(-0.5), np.tanh(-0.5)], rtol=1e-6)
    with pytest.raises(ValueError, match="last axis"):
        model.rates(np.zeros((N, 2)))


def test_input_projection_drives_only_chosen_neurons():
    proj = create_sparse_projection(2, N, [1, 4], mode="ih")
    model = ConnectomeRNN(np.zeros((N, N)), TYPES, tau=1.0, bias=0.0, input_projection=proj)
    _, act, _ = model.forward(np.ones((1, 2), np.float32), 0, 1.0, 11, solver="rk4")
    final = np.asarray(act[0, -1])
    np.testing.assert_allclose(final[[1, 4]], 1 - np.exp(-1.0), atol=1e-5)
    np.testing.assert_allclose(final[[0, 2, 3, 5]], 0.0)


def test_state_hooks_clamp_and_perturb_types():
    w = np.full((N, N), 0.1)
    model = ConnectomeRNN(w, TYPES, type_names=["A", "B", "C"], tau=1.0, bias=0.0)
    x = np.ones((2, N), np.float32)
    free = np.asarray(model.forward(x, 0, 1.0, 11)[1])
    model.clamp_types("B", 0.0)
    clamped = np.asarray(model.forward(x, 0, 1.0, 11)[1])
    np.testing.assert_array_equal(clamped[:, :, 2:4], 0.0)
    assert np.all(clamped[:, -1, [0, 1, 4, 5]] < free[:, -1, [0, 1, 4, 5]])  # B no longer excites
    with pytest.raises(ValueError, match="hooks"):
        model.forward(x, 0, 1.0, 11, solver="dopri5")
    model.clear_state_hooks()
    np.testing.assert_array_equal(np.asarray(model.forward(x, 0, 1.0, 11)[1]), free)
    seen = []
    model.register_state_hook(lambda v, t, scale: (seen.append(v.shape), v * scale)[1], scale=1.0)
    model.forward(x, 0, 1.0, 5)
    assert seen[0] == (2, N)  # hooks see (batch, n)
    model.clear_state_hooks()
    model.perturb_types(["A"], 1.0, t_start=0.45, t_stop=0.55)
    kicked = np.asarray(model.forward(x, 0, 1.0, 11)[1])
    np.testing.assert_allclose(kicked[:, 5, 0:2] - free[:, 5, 0:2], 1.0, atol=1e-5)
    np.testing.assert_array_equal(kicked[:, :5], free[:, :5])


def test_activation_model_adapter_samples_times():
    model = ConnectomeRNN(np.zeros((N, N)), TYPES, tau=1.0, bias=0.0, nonlinearity="identity")
    am = model.activation_model(t1=1.0, num_steps=11, sample_steps=[5, 10])
    assert am.input_shape == (N,) and am.n_layers == 2 and am.n_neurons == N
    acts = np.asarray(am.apply(am.params, np.ones((3, N), np.float32)))
    assert acts.shape == (3, N, 2)
    np.testing.assert_allclose(acts[0, 0], [1 - (1 - 0.1) ** 5, 1 - 0.9 ** 10], rtol=1e-5)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(tau=-1.0), ValueError, "tau must be > 0"),
    (dict(tau=[1.0, 2.0]), ValueError, "3 values"),
    (dict(nonlinearity="swish2"), ValueError, "unknown nonlinearity"),
    (dict(nonlinearity=["relu"]), ValueError, "one entry per type"),
    (dict(neuron_type_class="excit"), ValueError, "excitatory"),
    (dict(trainable=("gain",)), ValueError, "unknown parameters"),
    (dict(clamp={"tau": (2.0, 1.0)}), ValueError, "lower bound"),
    (dict(clamp={"tau": "positive"}), ValueError, "clamp"),
    (dict(bias={"0": 1.0}), ValueError, "missing"),
    (dict(input_projection=create_sparse_projection(2, 5, [0, 1])), ValueError, "connects 5 neurons"),
    (dict(output_projection=np.eye(N)), TypeError, "Projection"),
])
def test_constructor_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        ConnectomeRNN(np.eye(N), TYPES, **kwargs)


def test_type_and_input_errors():
    with pytest.raises(ValueError, match="neuron_types must lie"):
        ConnectomeRNN(np.eye(3), np.array([0, 1, 2]), type_names=["a", "b"])
    with pytest.raises(ValueError, match="must be >= 0"):
        ConnectomeRNN(-np.eye(2), np.array([0, 1]), neuron_type_class="excitatory")
    with pytest.raises(ValueError, match="shape \\(n_pre, n_post\\)"):
        ConnectomeRNN(np.eye(3), TYPES)
    model = ConnectomeRNN(np.eye(N), TYPES)
    with pytest.raises(ValueError, match="x must have shape"):
        model.forward(np.ones((2, N + 1)), 0, 1, 3)
    with pytest.raises(ValueError, match="frames"):
        model.forward(np.ones((2, 4, N)), 0, 1, 3)
    with pytest.raises(ValueError, match="num_steps must be >= 2"):
        model.forward(np.ones((2, N)), 0, 1, 1)
    with pytest.raises(ValueError, match="t1 must be > t0"):
        model.forward(np.ones((2, N)), 1, 1, 3)
    with pytest.raises(ValueError, match="solver"):
        model.forward(np.ones((2, N)), 0, 1, 3, solver="heun")
    with pytest.raises(ValueError, match="not trainable"):
        model.forward(np.ones((2, N)), 0, 1, 3, params={"gain": jnp.ones(3)})
    with pytest.raises(ValueError, match="initial_state"):
        model.forward(np.ones((2, N)), 0, 1, 3, initial_state=np.zeros((N,)))
    with pytest.raises(ValueError, match="unknown neuron type"):
        model.indices("Z")


def test_rate_state_and_edge_groups():
    """state='rate': tau dr/dt = -r + phi(W r + b + u); edge_groups split one type pair into two strengths."""
    w = np.array([[0.0, 0.5, 0.0], [0.0, 0.0, 0.5], [0.0, 0.0, 0.0]])       # pre x post: 0 -> 1 -> 2
    labels = lambda pre, post: np.where(pre == 0, "first", "second")       # noqa: E731
    model = ConnectomeRNN(w, [0, 0, 0], tau=2.0, bias=0.0, nonlinearity="relu", state="rate",
                          edge_groups=labels, edge_strength={"first": 2.0, "second": 1.0})
    assert model.edge_types == ["first", "second"]
    np.testing.assert_allclose(np.asarray(model.weights()), [1.0, 0.5])
    x = np.array([[1.0, -5.0, 0.0]], np.float32)
    out, act, _ = model.forward(x, 0.0, 0.1, 2, initial_state=np.array([[0.5, 1.0, 3.0]]))
    r0 = np.array([0.5, 1.0, 3.0])
    drive = np.maximum(np.array([1.0, -5.0 + 1.0 * 0.5, 0.5 * 1.0]), 0.0)   # relu of the summed input
    np.testing.assert_allclose(np.asarray(act[0, 1]), r0 + 0.1 / 2.0 * (-r0 + drive), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(model.rates(act)), np.asarray(act))  # the state is the rate
    with pytest.raises(ValueError, match="edge_groups must return"):
        ConnectomeRNN(w, [0, 0, 0], edge_groups=lambda pre, post: np.zeros(5))
    with pytest.raises(TypeError, match="edge_groups must be None or a function"):
        ConnectomeRNN(w, [0, 0, 0], edge_groups=["a", "b"])
