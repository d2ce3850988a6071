"""benchmarks/joglekar_outcomes.py: classifying Brian2 runs, the outcome comparison (exact CIs, Fisher's test),
merging rows into the bundled table, and its command-line errors."""
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import joglekar_outcomes as jo  # noqa: E402

#: the bundled table's columns, in its order
COLUMNS = ["simulator", "regime", "semantics", "synapses_during_refractory", "refractory_timing", "n_areas",
           "duration_ms", "seeds", "returned", "active_before", "runs", "noise"]


def summary_row(simulator, regime, seeds, returned, active_before, runs, noise=jo.BRIAN2_RUNS):
    return {"simulator": simulator, "regime": regime, "semantics": "default", "synapses_during_refractory": False,
            "refractory_timing": "legacy", "n_areas": 29, "duration_ms": 800.0, "seeds": seeds,
            "returned": returned, "active_before": active_before, "runs": runs, "noise": noise}


def test_comparison_gives_counts_exact_intervals_and_fisher_p():
    summary = pd.DataFrame([summary_row("multiarea", "asynchronous-strong", "0-19", 1, 0, 20, "counter-table"),
                            summary_row("brian2", "asynchronous-strong", "0-19", 3, 0, 20),
                            summary_row("brian2", "synchronous-strong", "0-19", 5, 4, 20)])
    table = jo.comparison(summary).set_index(["regime", "simulator"])
    ours, theirs = table.loc[("asynchronous-strong", "multiarea")], table.loc[("asynchronous-strong", "brian2")]
    assert ours["returned"] == "1 (0.05, 0.00-0.25)"
    assert ours["stayed active"] == "19 (0.95, 0.75-1.00)"
    assert theirs["returned"] == "3 (0.15, 0.03-0.38)"
    # Fisher's exact test of [[1, 19], [3, 17]], two-sided
    assert ours["fisher_p_returned"] == theirs["fisher_p_returned"] == pytest.approx(0.605, abs=1e-3)
    lone = table.loc[("synchronous-strong", "brian2")]
    assert lone["stayed active"] == "11 (0.55, 0.32-0.77)"
    assert lone["active before stimulus"] == "4 (0.20, 0.06-0.44)"
    assert np.isnan(lone["fisher_p_returned"])  # one simulator: nothing to test against


@pytest.fixture
def bundled(tmp_path, monkeypatch):
    """A bundled table in tmp_path that write_bundled writes to."""
    path = tmp_path / "joglekar2018_seeds.csv"
    pd.DataFrame([summary_row("multiarea", "asynchronous-strong", "0-19", 1, 0, 20, "counter-table"),
                  summary_row("brian2", "asynchronous-strong", "0-9", 2, 0, 10),
                  summary_row("brian2", "synchronous-weak", "0-19", 17, 0, 20)],
                 columns=COLUMNS).to_csv(path, index=False)
    monkeypatch.setattr(jo, "bundled_path", lambda: path)
    return path


def read_rows(path):
    return pd.read_csv(path, dtype={"seeds": str}).set_index(["simulator", "regime"])


def test_write_bundled_sums_disjoint_seeds_and_keeps_the_other_rows(bundled):
    jo.write_bundled(pd.DataFrame([summary_row("brian2", "asynchronous-strong", "10-19", 1, 0, 10),
                                   summary_row("brian2", "asynchronous-weak", "0-19", 20, 0, 20)]))
    rows = read_rows(bundled)
    assert rows.loc[("brian2", "asynchronous-strong"), ["seeds", "returned", "runs"]].tolist() == ["0-19", 3, 20]
    assert rows.loc[("brian2", "asynchronous-weak"), ["seeds", "returned", "runs"]].tolist() == ["0-19", 20, 20]
    assert rows.loc[("brian2", "synchronous-weak"), "returned"] == 17
    assert rows.loc[("multiarea", "asynchronous-strong"), "returned"] == 1
    # the regimes in the paper's order, multiarea before Brian2 within one
    assert list(rows.index) == [("brian2", "asynchronous-weak"), ("multiarea", "asynchronous-strong"),
                                ("brian2", "asynchronous-strong"), ("brian2", "synchronous-weak")]


def test_write_bundled_keeps_a_row_that_holds_the_seeds_and_replaces_one_of_another_generator(bundled):
    jo.write_bundled(pd.DataFrame([summary_row("brian2", "asynchronous-strong", "0-4", 0, 0, 5),
                                   summary_row("brian2", "synchronous-weak", "0-9", 9, 0, 10, "another")]))
    rows = read_rows(bundled)
    assert rows.loc[("brian2", "asynchronous-strong"), ["seeds", "returned", "runs"]].tolist() == ["0-9", 2, 10]
    assert rows.loc[("brian2", "synchronous-weak"), ["seeds", "returned", "noise"]].tolist() == ["0-9", 9, "another"]


def write_run(path, t_E=(), i_E=(), run_s=12.5):
    np.savez(path, t_E=np.asarray(t_E, float), i_E=np.asarray(i_E, np.int64), t_I=np.zeros(0), i_I=np.zeros(0, int),
             run_s=run_s)


def test_brian2_rows_classify_a_run_file(tmp_path):
    silent = tmp_path / "asynchronous-weak_seed3.npz"
    write_run(silent)
    rows = jo.brian2_rows(silent)
    assert len(rows) == 29 and set(rows["seed"]) == {3} and set(rows["regime"]) == {"asynchronous-weak"}
    assert rows["returned"].all() and (rows["wall_s"] == 12.5).all()
    # every excitatory neuron of the second area fires every 10 ms over the last 50 ms: 100 Hz at the end
    active = tmp_path / "asynchronous-weak_seed4.npz"
    n_E = 1600
    times = np.arange(751.0, 800.0, 10.0)
    write_run(active, np.repeat(times, n_E), np.tile(np.arange(n_E, 2 * n_E), len(times)))
    rows = jo.brian2_rows(active).set_index("area")
    second = rows.index[1]
    assert not rows.loc[second, "returned"] and rows.drop(index=second)["returned"].all()
    assert rows.loc[second, "final_hz"] == pytest.approx(100.0, rel=0.02)


@pytest.mark.parametrize("name", ["seed3.npz", "asynchronous-medium_seed3.npz", "asynchronous-weak_seed.npz"])
def test_brian2_run_files_must_be_named_regime_seed(tmp_path, name):
    with pytest.raises(ValueError, match=name.replace(".", r"\.")):
        jo.brian2_rows(tmp_path / name)


def test_main_needs_an_input_and_names_a_missing_path(tmp_path, capsys):
    with pytest.raises(SystemExit):
        jo.main([])
    assert "give --multiarea, --brian2-dir or both" in capsys.readouterr().err
    missing = tmp_path / "nowhere"
    with pytest.raises(SystemExit):
        jo.main(["--brian2-dir", str(missing)])
    assert f"{missing} does not exist" in capsys.readouterr().err


def test_main_compares_brian2_runs_with_the_bundled_multiarea_rows(tmp_path, capsys):
    write_run(tmp_path / "asynchronous-weak_seed0.npz")
    jo.main(["--brian2-dir", str(tmp_path)])
    out = capsys.readouterr().out
    ours = next(line for line in out.splitlines() if "asynchronous-weak" in line and "multiarea" in line)
    theirs = next(line for line in out.splitlines() if "asynchronous-weak" in line and "brian2" in line)
    assert "1 (1.00, 0.03-1.00)" in theirs and "20 (1.00, 0.83-1.00)" in ours
    cache = pd.read_csv(tmp_path / "seed_outcomes.csv")
    assert len(cache) == 29 and set(cache["seed"]) == {0}


def seed_rows(regime, peaks):
    """Per-seed rows of one area 'V1': the given peak rates, responded above 10 Hz at 4 ms."""
    peaks = np.asarray(peaks, float)
    return pd.DataFrame({"regime": regime, "semantics": "default", "seed": np.arange(len(peaks)), "area": "V1",
                         "peak_hz": peaks, "responded": peaks > 10, "latency_ms": np.where(peaks > 10, 4.0, np.nan)})


def test_per_area_gives_medians_quartiles_counts_and_mann_whitney_p():
    ours = seed_rows("asynchronous-weak", [8.0, 20.0, 30.0, 40.0, 50.0])
    theirs = seed_rows("asynchronous-weak", [61.0, 62.0, 63.0, 64.0, 65.0])
    row = jo.per_area(ours, theirs, "asynchronous-weak").iloc[0]
    assert row["area"] == "V1"
    assert row["multiarea peak (Hz)"] == "30.0 (20.0-40.0)" and row["brian2 peak (Hz)"] == "63.0 (62.0-64.0)"
    assert row["multiarea responded"] == "4/5" and row["brian2 responded"] == "5/5"
    assert row["multiarea latency (ms)"] == 4.0
    # every Brian2 peak above every multiarea one: U = 0, exact two-sided p = 2 / C(10, 5)
    assert row["mann_whitney_p"] == round(2 / 252, 2)
    with pytest.raises(ValueError, match="no brian2 runs of regime 'synchronous-weak'"):
        jo.per_area(seed_rows("synchronous-weak", [1.0]), theirs, "synchronous-weak")


def test_per_area_needs_both_inputs(tmp_path, capsys):
    with pytest.raises(SystemExit):
        jo.main(["--brian2-dir", str(tmp_path), "--per-area", "asynchronous-weak"])
    assert "--per-area asynchronous-weak needs both --multiarea and --brian2-dir" in capsys.readouterr().err
