"""Fitting the rate model's gains (multiarea.joglekar2018.rate_fit) and the rate-model command line."""
import numpy as np
import pandas as pd
import pytest

from multiarea import fitting
from multiarea.joglekar2018 import rate_fit, rate_model as jr
from multiarea.cli import main


@pytest.fixture(scope="module")
def peak_model():
    return rate_fit.PeakResponseModel(jr.load_rate_model("strong-gba"), gains="long-range", input_gain=3.0)


def test_peak_model_is_linear_in_the_input_and_starts_at_its_fixed_point(peak_model):
    m = peak_model
    assert m.gain_names == ["E->E long-range", "E->I long-range"]
    with jr.x64():
        np.testing.assert_allclose(np.asarray(m.fixed_point(m.params)), m.rate.steady, atol=1e-9)
        rise = np.asarray(m.apply(m.params, np.array([[2.0], [4.0]])))[:, :, 0]
    assert rise.shape == (2, 29) and rise[0, 0] > 10
    np.testing.assert_allclose(rise[1], 2 * rise[0], rtol=1e-9)         # above threshold: linear


def test_train_model_recovers_known_gains(peak_model):
    """Targets from the model itself with long-range gains (0.99, 1.01): the fit finds them."""
    m = peak_model
    truth = {"long_range_gain": np.array([0.99, 1.01]), "input_gain": np.array([3.0])}
    amplitudes = np.array([[4.0], [6.0]])
    with jr.x64():
        target = np.asarray(m.apply(truth, amplitudes))[:, :, 0]
        frame = pd.DataFrame([{"batch": b, "layer": 0, "neuron": i, "value": target[b, i]}
                              for b in range(2) for i in range(29)])
        fit = fitting.train_model(m, amplitudes, frame, num_epochs=120, learning_rate=0.002,
                                  param_reg_lambda=0.0, train_fraction=1.0, progress=False, restore_best=True)
    loss = fit.history["activation_loss"]
    assert loss[fit.best_epoch] == loss.min() < 0.02 * loss[0]
    np.testing.assert_allclose(np.asarray(fit.params["long_range_gain"]), truth["long_range_gain"], atol=1e-3)
    np.testing.assert_allclose(np.asarray(fit.params["input_gain"]), 3.0, atol=0.02)


def test_fit_metrics_values():
    m = rate_fit.fit_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    assert m["r2"] == pytest.approx(0.5) and m["rmse_hz"] == pytest.approx(np.sqrt(1 / 3))
    assert m["pearson_r"] == pytest.approx(np.corrcoef([1, 2, 3], [1, 2, 4])[0, 1])


def test_bundled_spiking_targets():
    t = rate_fit.spiking_targets()
    assert set(t["regime"]) == {"asynchronous-weak", "asynchronous-strong"}
    assert len(t) == 2 * 3 * 29 and (t["n_seeds"] == 2).all()
    v1 = t[(t["area"] == "V1")].set_index(["regime", "stimulus_mV"])["peak_rise_hz"]
    assert v1["asynchronous-weak"].is_monotonic_increasing and v1["asynchronous-strong"].is_monotonic_increasing


def test_fit_errors_are_named():
    with pytest.raises(ValueError, match="gains must be one of"):
        rate_fit.PeakResponseModel(jr.load_rate_model("weak-gba"), gains="per-synapse")
    with pytest.raises(ValueError, match="window_ms = 100.0 is shorter than pulse_ms = 150.0"):
        rate_fit.PeakResponseModel(jr.load_rate_model("weak-gba"), window_ms=100.0)
    with pytest.raises(ValueError, match="held_out_mV = 7.0 is not a measured amplitude"):
        rate_fit.fit_to_spiking("weak-gba", 7.0)
    with pytest.raises(ValueError, match="unknown regime 'medium-gba'"):
        rate_fit.fit_to_spiking("medium-gba")
    with pytest.raises(ValueError, match="edge_groups must be one of"):
        jr.load_rate_model("weak-gba").build_rnn(floor=False, hold=False, edge_groups="pairs")


def test_cli_writes_the_propagation_table(tmp_path, capsys):
    assert main(["figure", "joglekar2018-rate", "propagation", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "propagation.csv")
    assert list(table.columns) == ["area", "hierarchy", "weak_peak_hz", "strong_peak_hz"]
    assert len(table) == 29 and table["area"].iloc[0] == "V1" and table["area"].iloc[-1] == "24c"
    assert table["weak_peak_hz"].iloc[0] == pytest.approx(100.07, abs=0.01)
    assert table["strong_peak_hz"].iloc[-1] / table["strong_peak_hz"].iloc[0] == pytest.approx(1.02e-2, rel=0.01)
    assert (table["strong_peak_hz"] > table["weak_peak_hz"]).iloc[1:].all()
    assert (tmp_path / "propagation.png").stat().st_size > 20_000


@pytest.mark.parametrize("args, message", [
    (["nope"], "unknown panel 'nope' for joglekar2018-rate"),
    (["propagation", "--seed", "3"], "--seed do not apply to the rate model"),
    (["propagation", "--areas", "5", "--duration", "10"], "--areas, --duration do not apply"),
])
def test_cli_rate_errors(tmp_path, capsys, args, message):
    assert main(["figure", "joglekar2018-rate", *args[:1], "--out", str(tmp_path), *args[1:]]) == 2
    assert message in capsys.readouterr().err
