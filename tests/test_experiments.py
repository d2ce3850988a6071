"""Joglekar experiment pipeline on a small network (the 29-area runs are in the examples)."""
import csv

import numpy as np
import pytest

from multiarea import analysis
from multiarea.joglekar2018 import experiments
from multiarea.cli import main

SMALL = dict(n_areas=3, neurons_per_area=400, duration_ms=380.0)


@pytest.fixture(scope="module")
def conditions():
    return {r: experiments.run_condition(r, progress_bar=False, **SMALL)
            for r in ("asynchronous-weak", "asynchronous-strong")}


def test_condition_measures_v1_response(conditions):
    weak = conditions["asynchronous-weak"]
    t = weak.table
    assert t["area"] == ["V1", "V2", "V4"]
    assert weak.response_window_ms == (300.0, 380.0)
    assert t["responded"][0] and t["peak_hz"][0] > t["baseline_hz"][0] + 20  # 15 mV into V1
    assert 0 < t["latency_ms"][0] < 20


def test_figure_5E_writes_plot_and_tables(conditions, tmp_path):
    paths = experiments.make_figure("5E", tmp_path, conditions=conditions)
    names = sorted(p.name for p in paths)
    assert names == ["fig5E_asynchronous-strong_latency.png", "fig5E_asynchronous-strong_propagation.csv",
                     "fig5E_asynchronous-weak_propagation.csv", "fig5E_peak_rates.png"]
    with open(tmp_path / "fig5E_asynchronous-weak_propagation.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["area"] for r in rows] == ["V1", "V2", "V4"]
    assert {"peak_hz", "latency_ms", "responded", "baseline_hz"} <= set(rows[0])
    text = experiments.compare_table(conditions)
    assert text.splitlines()[1].split()[0] == "V1"  # ordered by hierarchy


def test_raster_panel_and_unknown_panel(conditions, tmp_path):
    paths = experiments.make_figure("5C", tmp_path, conditions=conditions)
    assert any(p.suffix == ".png" and p.stat().st_size > 5000 for p in paths)
    with pytest.raises(ValueError, match="unknown panel '7Z'"):
        experiments.make_figure("7Z", tmp_path, conditions=conditions)


def test_cli_figure(tmp_path, capsys):
    code = main(["figure", "joglekar2018", "6A", "--areas", "2", "--duration", "330",
                 "--out", str(tmp_path), "--quiet"])
    assert code == 0
    assert (tmp_path / "fig6A_synchronous-weak_raster.png").is_file()
    assert "wrote" in capsys.readouterr().out
    assert main(["figure", "other", "5E", "--out", str(tmp_path)]) == 2


TINY = dict(n_areas=2, neurons_per_area=200, duration_ms=420.0)


@pytest.fixture(scope="module")
def seeded():
    return experiments.run_condition("synchronous-weak", progress_bar=False, seeds=[0, 1], **TINY)


def test_condition_over_seeds(seeded):
    assert isinstance(seeded, experiments.ConditionSeeds) and seeded.seeds == [0, 1]
    assert [run.model.params["seed"] for run in seeded.runs] == [0, 1]
    first, second = (run.record for run in seeded.runs)
    assert not np.array_equal(first.steps[:100], second.steps[:100])    # different seeds, different runs
    peaks = seeded.stack("peak_hz")
    assert peaks.shape == (2, 2)
    summary = seeded.table
    np.testing.assert_allclose(summary["peak_median_hz"], np.median(peaks, axis=0))
    np.testing.assert_allclose(summary["responded_fraction"], seeded.stack("responded").mean(axis=0))
    # 420 ms leaves 50 ms after the response window (300 + 8 + 50 ms): the return is judged
    final = seeded.stack("final_hz")
    for run, f in zip(seeded.runs, final):
        np.testing.assert_allclose(f, analysis.mean_rate(run.record, 370.0, 420.0))
    assert seeded.returned_count == sum(bool(np.all(r)) for r in seeded.stack("returned"))
    rows = seeded.seed_table()
    assert list(rows["seed"]) == [0, 0, 1, 1] and rows["area"] == ["V1", "V2", "V1", "V2"]


def test_figure_over_seeds_writes_spread(seeded, tmp_path):
    conditions = {"synchronous-weak": seeded, "synchronous-strong": seeded}
    paths = experiments.make_figure("6D", tmp_path, conditions=conditions)
    names = sorted(p.name for p in paths)
    assert "fig6D_synchronous-strong_seeds.csv" in names and "fig6D_peak_rates.png" in names
    with open(tmp_path / "fig6D_synchronous-weak_propagation.csv") as f:
        rows = list(csv.DictReader(f))
    assert {"peak_median_hz", "peak_q25_hz", "peak_q75_hz", "responded_fraction",
            "latency_median_ms", "returned_fraction"} <= set(rows[0])
    paths = experiments.make_figure("6A", tmp_path, conditions=conditions)
    rasters = sorted(p.name for p in paths if p.suffix == ".png")
    assert rasters == ["fig6A_synchronous-weak_raster_seed0.png", "fig6A_synchronous-weak_raster_seed1.png"]


def test_peak_figure_stops_at_the_response_window_with_the_longer_runs_peaks(tmp_path):
    """5E measures nothing after 300 + 150 + 50 ms: its runs stop there, with the peaks of a longer run."""
    small = dict(n_areas=3, neurons_per_area=400)
    experiments.make_figure("5E", tmp_path, progress_bar=False, **small)
    longer = experiments.run_condition("asynchronous-strong", progress_bar=False, duration_ms=560.0, **small)
    with open(tmp_path / "fig5E_asynchronous-strong_propagation.csv") as f:
        rows = list(csv.DictReader(f))
    assert "final_hz" not in rows[0] and "final_hz" in longer.table     # 500 ms: the return is not judged
    np.testing.assert_array_equal([float(r["peak_hz"]) for r in rows], longer.table["peak_hz"])
    np.testing.assert_array_equal([r["responded"] == "True" for r in rows], longer.table["responded"])


def test_seed_errors_and_short_runs():
    with pytest.raises(ValueError, match="seeds must not repeat"):
        experiments.run_condition("synchronous-weak", seeds=[1, 1])
    with pytest.raises(ValueError, match="either seeds or seed"):
        experiments.run_condition("synchronous-weak", seeds=[1, 2], seed=3)
    with pytest.raises(TypeError, match="seeds"):
        experiments.run_condition("synchronous-weak", seeds=3)
    with pytest.raises(ValueError, match="ends before the stimulus onset"):
        experiments.run_condition("synchronous-weak", duration_ms=250.0)


def test_short_run_has_no_return_judgement(conditions):
    weak = conditions["asynchronous-weak"]          # 380 ms: ends inside the response window
    assert "returned" not in weak.table
    with pytest.raises(ValueError, match="return to baseline is not measured"):
        weak.returned_to_baseline


def test_bundled_seed_outcomes_apply_only_to_unchanged_parameters():
    from multiarea import load_model

    ours, brian2 = experiments.seed_outcomes(load_model("joglekar2018", "asynchronous-strong", seed=7))
    assert (ours["simulator"], brian2["simulator"]) == ("multiarea", "brian2")
    for outcome in (ours, brian2):
        assert 0 <= outcome["returned"] + outcome["active_before"] <= outcome["runs"]
    assert ours["runs"] >= 20 and brian2["runs"] >= 3
    assert ours["noise"] == experiments.NOISE_GENERATOR    # measured with this version's noise
    assert "cpp_standalone" in brian2["noise"]
    assert experiments.seed_outcomes(load_model("joglekar2018", "asynchronous-strong", n_areas=5)) == []
    assert experiments.seed_outcomes(load_model("joglekar2018", "asynchronous-strong", muEE=0.04)) == []


def test_outcome_classifies_spontaneous_activity_returns_and_persistence(seeded):
    run = seeded.runs[0]
    quiet = dict(run.table, baseline_hz=np.full(2, 2.0), returned=np.array([True, True]))
    assert experiments.Condition(run.model, run.record, quiet).outcome == "returned"
    stayed = dict(quiet, returned=np.array([True, False]))
    assert experiments.Condition(run.model, run.record, stayed).outcome == "stayed active"
    # an area locked at 440 Hz before the stimulus is trivially "under its threshold" at the end
    ignited = dict(quiet, baseline_hz=np.array([2.0, 440.0]))
    cond = experiments.Condition(run.model, run.record, ignited)
    assert cond.outcome == "active before stimulus" and not cond.returned_to_baseline
    assert seeded.outcomes == [r.outcome for r in seeded.runs]
