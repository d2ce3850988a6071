import numpy as np
import pytest

import multiarea as ma


def test_regimes_have_the_papers_values():
    m = ma.load_model("joglekar2018", regime="asynchronous-strong")
    p = m.params
    assert (p["wEI"], p["muEE"], p["stimulus_mV"], p["duration_ms"]) == (0.05, 0.05, 6.3, 800.0)
    assert (p["VextE"], p["VextI"], p["muIE"], p["wII"], p["wEE"], p["wIE"]) == (14.2, 14.7, 0.0475, 0.075, 0.01, 0.075)
    assert (p["neurons_per_area"], p["excitatory_fraction"], p["p"], p["sigma"], p["alpha"]) == (2000, 0.8, 0.1, 3.0, 4.0)
    assert (p["speed"], p["local_delay_ms"], p["delay_sd_fraction"], p["dt"]) == (3.5, 2.0, 0.1, 0.1)
    weak = ma.load_model("joglekar2018", regime="asynchronous-weak").params
    assert (weak["wEI"], weak["muEE"], weak["stimulus_mV"]) == (0.0375, 0.0375, 15.0)
    sync = ma.load_model("joglekar2018", regime="synchronous-strong").params
    assert (sync["VextE"], sync["wEI"], sync["muEE"], sync["stimulus_duration_ms"], sync["duration_ms"]) == (16.0, 0.98, 0.25, 8.0, 440.0)
    sw = ma.load_model("joglekar2018", regime="synchronous-weak").params
    assert (sw["VextE"], sw["VextI"], sw["wEI"], sw["muEE"], sw["muIE"]) == (15.4, 14.0, 0.56, 0.16, 0.19)
    assert m.anatomy.n_areas == 29


def test_overrides_and_build():
    m = ma.load_model("joglekar2018", regime="synchronous-weak", n_areas=3, neurons_per_area=100,
                      muEE=0.2, seed=5)
    net = m.build()
    assert net.area_names == ("V1", "V2", "V4")
    assert net.E.size == (3, 80) and net.I.size == (3, 20)
    g = 1 + 4 * m.anatomy.hierarchy
    assert net.EE.weights[1, 0] == pytest.approx(g[1] * 0.2 * m.anatomy.fln[1, 0], rel=1e-6)
    var, stim, kind, op = m.stimulus(net)
    assert var is net.E.input and kind == "func" and op == "+"
    assert stim.amplitude == 10.1 and (stim.start, stim.stop) == (300.0, 308.0)
    np.testing.assert_array_equal(np.asarray(stim.mask).ravel(), [1, 0, 0])


def test_unknown_names_list_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match=r"unknown model 'nope'.*joglekar2018"):
        ma.load_model("nope")
    with pytest.raises(ValueError, match=r"unknown regime 'fast'.*asynchronous-strong"):
        ma.load_model("joglekar2018", regime="fast")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['muXX'\].*muEE"):
        ma.load_model("joglekar2018", muXX=1.0)
    with pytest.raises(ValueError, match="n_areas"):
        ma.load_model("joglekar2018", n_areas=40)
    with pytest.raises(FileNotFoundError, match="missing.toml"):
        ma.load_model(str(tmp_path / "missing.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nname = 'x'\n")
    with pytest.raises(ValueError, match="no \\[parameters\\] table"):
        ma.load_model(str(bad))


def test_nan_parameter_is_rejected():
    m = ma.load_model("joglekar2018", n_areas=2, neurons_per_area=50, wEE=float("nan"))
    with pytest.raises(ValueError, match="wEE must be finite"):
        m.build()


def test_the_rate_model_file_is_refused_by_the_spiking_loader():
    assert "joglekar2018_rate" not in ma.available_models() and "joglekar2018" in ma.available_models()
    with pytest.raises(ValueError, match="'joglekar2018_rate' is a rate model: load it with"):
        ma.load_model("joglekar2018_rate")
