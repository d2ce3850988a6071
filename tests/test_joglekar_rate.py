"""The Joglekar 2018 rate model on the ConnectomeRNN: against a line-by-line
numpy transcription of the authors' MATLAB code, steady state, solvers,
gradients and bad parameters."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg as sl

from multiarea.joglekar2018 import rate_model as jr
from multiarea.rate.connectome_rnn import ConnectomeRNN


def matlab_reference(model: jr.JoglekarRate, amplitude, n_steps):
    """``runNetworkAreaInputNEW.m`` with the set-up of
    ``rishimodel_generatefigs_rate.m`` (OpenSourceBrain/JoglekarEtAl18),
    transcribed with 1-based step numbers ``i``; returns ``popRates.exc``
    ``(n_steps, 29)``."""
    p, n = model.params, model.n_areas
    hier, fln = model.hierarchy, model.fln
    local_ee = p["betaE"] * p["omegaEE"] * (1 + p["eta"] * hier)
    local_ie = p["betaI"] * p["omegaIE"] * (1 + p["eta"] * hier)
    local_ei, local_ii = -p["betaE"] * p["omegaEI"], -p["betaI"] * p["omegaII"]
    ld_ee = fln * (p["betaE"] * p["muEE"] * (1 + p["eta"] * hier))[:, None]
    ld_ie = fln * (p["betaI"] * p["muIE"] * (1 + p["eta"] * hier))[:, None]
    B = np.block([[np.diag(-1 + local_ee) + ld_ee, local_ei * np.eye(n)],
                  [np.diag(local_ie) + ld_ie, (-1 + local_ii) * np.eye(n)]])
    desired = np.r_[10 * np.ones(n), 35 * np.ones(n)]
    currs = -B @ desired
    bg_exc, bg_inh = currs[:n], currs[n:]
    sstate = np.linalg.solve(-B, currs)
    dt, tau_e, tau_i = 2e-4, 2e-2, 1e-2
    inp = np.zeros(n_steps + 1)                         # inp[i], i = 1..n_steps
    inp[round(2 / dt):round(2.25 / dt) + 1] = amplitude
    exc, inh = sstate[:n].copy(), sstate[n:].copy()
    out = np.zeros((n_steps, n))
    out[0] = exc
    toy = False
    for i in range(2, n_steps + 1):
        if inp[i] == 0 and not toy:
            exc, inh = 10 * np.ones(n), 35 * np.ones(n)
        else:
            toy = True
            exc_i = ld_ee @ exc + local_ee * exc + local_ei * inh + bg_exc
            inh_i = ld_ie @ exc + local_ie * exc + local_ii * inh + bg_inh
            exc_i[0] += inp[i]
            exc = np.maximum(exc + (dt / tau_e) * (-exc + np.maximum(exc_i, 0)), 10)
            inh = np.maximum(inh + (dt / tau_i) * (-inh + np.maximum(inh_i, 0)), 35)
        out[i - 1] = exc
    return out


@pytest.fixture(scope="module", params=jr.REGIMES)
def published(request):
    model = jr.load_rate_model(request.param)
    return model, model.simulate(n_steps=25_001)


def test_matches_the_matlab_code(published):
    model, run = published
    ref = matlab_reference(model, model.stimulus_hz, 25_001)
    np.testing.assert_allclose(run.rates_E[0], ref, rtol=0, atol=1e-9)
    first, last = run.peak_window                         # toplotstart, toplotend (1-based 8750, 25000)
    assert (first, last) == (8749, 24999)
    peaks = (ref[first:last + 1] - ref[first]).max(axis=0)
    np.testing.assert_allclose(run.peaks()[0], peaks, rtol=1e-9, atol=1e-12)
    assert 99.5 < run.peaks()[0, 0] < 100.5               # the amplitudes were tuned to ~100 Hz in V1


def test_steady_state_before_the_pulse(published):
    model, run = published
    before = run.rates[0, :9999]                          # states up to 1999.8 ms
    np.testing.assert_allclose(before[:, :29], 10.0, atol=1e-6, rtol=0)
    np.testing.assert_allclose(before[:, 29:], 35.0, atol=1e-6, rtol=0)
    assert run.rates[0, 9999, 0] > 10.1                   # the step ending at 2000 ms has the input
    assert model.steady_residual < 1e-9 and 1e3 < model.condition_number < 1e4


def test_steady_state_holds_without_floor_and_hold():
    model = jr.load_rate_model("strong-gba", floor=False, hold=False)
    run = model.simulate(0.0, n_steps=25_001)
    np.testing.assert_allclose(run.rates[0], np.broadcast_to(model.steady, run.rates[0].shape), atol=1e-6, rtol=0)


def test_weak_gba_decays_and_strong_gba_propagates(published):
    model, run = published
    ratio = run.propagation_ratio()[0]
    if model.regime == "weak-gba":
        assert ratio < 1e-4
    else:
        assert 5e-3 < ratio < 5e-2 and run.peaks()[0, model.area_names.index("TEO")] > 30
    assert model.stability_margin() > 0


def test_linear_network_matches_the_closed_form():
    """Floor and hold off, no threshold reached: the exact solution of the linear ODE."""
    model = jr.load_rate_model("weak-gba", floor=False, hold=False, stimulus_start=0.4, stimulus_stop=1000.0,
                               peak_start=0.2, peak_stop=100.0, n_steps=1001)
    u = np.zeros(58)
    u[0] = 5.0
    a = model.jacobian()
    c = (model.background + u) / model.tau
    r_star = np.linalg.solve(-a, c)
    exact = lambda t: sl.expm(a * t) @ (model.steady - r_star) + r_star  # noqa: E731
    # the pulse is on from the first step (frame 0: MATLAB step 2); time from t_0 = dt
    euler = model.simulate(5.0, n_steps=1001).rates[0]
    rk4 = model.simulate(5.0, n_steps=1001, solver="rk4").rates[0]
    for k in (100, 500, 1000):
        t = k * model.params["dt"]
        np.testing.assert_allclose(rk4[k], exact(t), rtol=0, atol=1e-8)
        np.testing.assert_allclose(euler[k], exact(t), rtol=0, atol=2e-2)
    assert np.abs(euler - rk4).max() > 1e-4                  # distinct solvers, close results


def test_gradients_match_finite_differences():
    model = jr.load_rate_model("strong-gba", floor=False, hold=False, stimulus_start=2.0, stimulus_stop=20.0,
                               peak_start=0.2, peak_stop=40.0, n_steps=201)
    rnn = model.build_rnn(floor=False, hold=False)
    with jr.x64():
        x = jnp.asarray(model.input_frames(20.0, n_steps=201))
        start = jnp.asarray(model.steady)[None]

        def loss(strength):
            _, act, _ = rnn.forward(x, 0.2, 40.2, 201, params={"edge_strength": strength}, initial_state=start)
            return jnp.sum(act[0, -1, :29] - 10.0)

        s0 = jnp.ones(4, jnp.float64)
        grad = jax.grad(loss)(s0)
        eps = 1e-6
        fd = [(loss(s0.at[k].add(eps)) - loss(s0.at[k].add(-eps))) / (2 * eps) for k in range(4)]
    np.testing.assert_allclose(np.asarray(grad), np.asarray(fd), rtol=1e-5)
    assert rnn.edge_types == [("E", "E"), ("E", "I"), ("I", "E"), ("I", "I")]
    assert float(grad[0]) > 0 and float(grad[2]) < 0        # more E->E: more activity; more I->E: less


def test_variants_change_the_network():
    base = jr.load_rate_model("weak-gba")
    nofb = jr.load_rate_model("weak-gba", "no-feedback")
    assert np.all(np.triu(nofb.fln, 1) == 0) and np.any(np.triu(base.fln, 1) > 0)
    assert nofb.stimulus_hz == pytest.approx(22.68 * 1.9)
    sym = jr.load_rate_model("strong-gba", "symmetric-fln")
    np.testing.assert_allclose(sym.fln, sym.fln.T)
    assert sym.params["eta"] == 0.6 and sym.stimulus_hz == pytest.approx(11.18 * 1.9)
    assert jr.load_rate_model("weak-gba", "no-hierarchy").params["eta"] == 0.0


@pytest.mark.parametrize("kwargs, error, message", [
    ({"regime": "medium"}, ValueError, "unknown regime 'medium'"),
    ({"variant": "shuffled"}, ValueError, "unknown variant 'shuffled'"),
    ({"tauE": -20.0}, ValueError, "tauE must be > 0, got -20.0"),
    ({"dt": 0.0}, ValueError, "dt must be > 0"),
    ({"muEE": float("nan")}, ValueError, "muEE must be finite"),
    ({"stimulus_amplitude": float("nan")}, ValueError, "stimulus_amplitude must be finite"),
    ({"stimulus_area": "V9"}, ValueError, "unknown stimulus_area 'V9'"),
    ({"fln": "shuffled"}, ValueError, "fln must be one of"),
    ({"floor": 1}, TypeError, "floor must be true or false"),
    ({"n_steps": 10.5}, TypeError, "n_steps must be an integer"),
    ({"peak_stop": 20_000.0}, ValueError, "peak window"),
    ({"stimulus_stop": 1000.0}, ValueError, "stimulus_stop = 1000.0 is before"),
    ({"dtype": "float16"}, ValueError, "dtype must be 'float32' or 'float64'"),
    ({"omegaEI": "25"}, TypeError, "omegaEI must be a real number"),
    ({"gain": 1.0}, ValueError, r"unknown parameter\(s\) \['gain'\]"),
])
def test_bad_parameters_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        jr.load_rate_model(**kwargs)


def test_bad_simulation_arguments_are_named():
    model = jr.load_rate_model("weak-gba")
    with pytest.raises(ValueError, match="unknown area 'V0'"):
        model.simulate(area="V0")
    with pytest.raises(ValueError, match="amplitude_hz must be finite"):
        model.simulate(float("nan"))
    with pytest.raises(ValueError, match="does not reach the end of the peak window"):
        model.simulate(n_steps=1000)
    with pytest.raises(ValueError, match="unknown area '25c'"):
        model.simulate(n_steps=25_001).propagation_ratio("25c")


def test_rate_state_and_dtype_errors():
    with pytest.raises(ValueError, match="state must be one of"):
        ConnectomeRNN(np.eye(2), [0, 1], state="current")
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64', got 'int8'"):
        ConnectomeRNN(np.eye(2), [0, 1], dtype="int8")
    with pytest.raises(ValueError, match="needs 64-bit JAX"):
        ConnectomeRNN(np.eye(2), [0, 1], dtype="float64")


def test_float32_runs_close_to_float64():
    f32 = jr.load_rate_model("strong-gba", dtype="float32").simulate(n_steps=25_001)
    f64 = jr.load_rate_model("strong-gba").simulate(n_steps=25_001)
    assert f32.rates.dtype == np.float64        # returned as float64 numpy arrays either way
    np.testing.assert_allclose(f32.peaks()[0, :5], f64.peaks()[0, :5], rtol=1e-3)
