import csv

import numpy as np

import multiarea as ma
from multiarea.cli import main


def test_run_writes_spikes_rates_and_raster(tmp_path, capsys):
    code = main(["run", "joglekar2018", "--regime", "asynchronous-strong", "--areas", "2",
                 "--duration", "60", "--seed", "3", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "V1" in out and "V2" in out
    record = ma.SpikeRecord.load(tmp_path / "spikes.npz")
    assert record.n_steps == 600 and record.area_names == ("V1", "V2")
    assert record.steps.size > 0 and record.steps.max() < 600
    assert record.neurons.max() < 2 * 2000
    with open(tmp_path / "rates_E.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["area"] for r in rows] == ["V1", "V2"]
    table = ma.analysis.rate_table(record, start_ms=20.0)
    np.testing.assert_allclose([float(r["mean_rate_hz"]) for r in rows], table["mean_rate_hz"], atol=1e-3)
    assert (tmp_path / "raster_E.png").stat().st_size > 5000


def test_bad_regime_exits_with_message(tmp_path, capsys):
    assert main(["run", "joglekar2018", "--regime", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown regime 'nope'" in capsys.readouterr().err
