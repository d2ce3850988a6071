"""Joglekar experiment pipeline on a small network (the 29-area runs are in the examples)."""
import csv

import pytest

from multiarea import experiments
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
