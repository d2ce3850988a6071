import argparse
import csv

import numpy as np
import pytest

import multiarea as ma
from multiarea.cli import main, parse_seeds


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
    assert (tmp_path / "raster.png").stat().st_size > 5000


def test_an_interrupted_run_resumes_from_its_folder_alone(tmp_path, capsys, monkeypatch):
    from multiarea.spiking.run_folder import MANIFEST, RunFolder

    argv = ["run", "joglekar2018", "--areas", "2", "--duration", "250", "--seed", "3", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "whole")]) == 0
    whole = ma.SpikeRecord.load(tmp_path / "whole")
    assert not list((tmp_path / "whole").glob("checkpoint_*")) and not list((tmp_path / "whole").glob("spikes_*"))
    add_chunk = RunFolder.add_chunk

    def stop_after_two(self, chunk, net):
        if len(self.chunks) == 2:
            raise KeyboardInterrupt  # killed during the third chunk
        add_chunk(self, chunk, net)

    monkeypatch.setattr(RunFolder, "add_chunk", stop_after_two)
    with pytest.raises(KeyboardInterrupt):
        main([*argv, "--out", str(tmp_path / "cut")])
    with pytest.raises(KeyboardInterrupt):  # checkpoints every 40 ms: killed after 80 ms
        main([*argv, "--checkpoint-ms", "40", "--out", str(tmp_path / "often")])
    monkeypatch.setattr(RunFolder, "add_chunk", add_chunk)
    assert RunFolder.read(tmp_path / "cut").step == 2000
    assert RunFolder.read(tmp_path / "often").step == 800
    assert main(["run", "--resume", str(tmp_path / "often")]) == 0
    np.testing.assert_array_equal(ma.SpikeRecord.load(tmp_path / "often").neurons, whole.neurons)
    assert main([*argv, "--checkpoint-ms", "0", "--out", str(tmp_path / "never")]) == 2
    assert "--checkpoint-ms must be a positive number of ms, got 0.0" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["run", "--resume", str(tmp_path / "cut")]) == 0
    out = capsys.readouterr().out
    assert "from step 2000" in out and "V2" in out
    back = ma.SpikeRecord.load(tmp_path / "cut")
    np.testing.assert_array_equal(back.steps, whole.steps)
    np.testing.assert_array_equal(back.neurons, whole.neurons)
    assert (tmp_path / "cut" / "rates_E.csv").read_text() == (tmp_path / "whole" / "rates_E.csv").read_text()
    assert main(["run", "--resume", str(tmp_path / "cut")]) == 2
    assert "is complete: nothing to resume" in capsys.readouterr().err
    assert main(["run", "--resume", str(tmp_path / "cut"), "--seed", "4"]) == 2
    assert "--resume takes no other arguments" in capsys.readouterr().err
    assert main(["run", "--resume", str(tmp_path / "nothing")]) == 2
    assert "manifest.json not found" in capsys.readouterr().err
    assert (tmp_path / "cut" / MANIFEST).is_file()


def test_bad_regime_exits_with_message(tmp_path, capsys):
    assert main(["run", "joglekar2018", "--regime", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown regime 'nope'" in capsys.readouterr().err


def test_short_run_writes_every_output_with_a_shorter_window(tmp_path, capsys):
    code = main(["run", "joglekar2018", "--areas", "2", "--duration", "10", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "from 3.4 ms on (6.6 ms window every 0.1 ms)" in out    # no 10 ms window fits
    assert "return to baseline not judged" in out
    for name in ("spikes.npz", "rates_E.csv", "raster.png"):
        assert (tmp_path / name).is_file()


@pytest.mark.parametrize("args,message", [
    (["--duration", "0.01"], "at least one step"),
    (["--duration", "-5"], "--duration must be at least one step"),
    (["--areas", "0"], "n_areas must be in [1, 29]"),
    (["--seed", "-1"], "seed must be in"),
    (["--backend", "cuda"], "backend must be one of"),
])
def test_arguments_that_cannot_work_are_refused_before_simulating(tmp_path, capsys, monkeypatch, args, message):
    import multiarea.spiking.simulation

    def no_simulation(*a, **k):
        raise AssertionError("simulated despite bad arguments")

    monkeypatch.setattr(multiarea.spiking.simulation, "simulate", no_simulation)
    assert main(["run", "joglekar2018", *args, "--out", str(tmp_path), "--quiet"]) == 2
    assert message in capsys.readouterr().err


def test_out_must_be_a_folder(tmp_path, capsys):
    path = tmp_path / "file.txt"
    path.write_text("x")
    assert main(["run", "joglekar2018", "--areas", "2", "--duration", "5", "--out", str(path)]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["figure", "joglekar2018", "5E", "--seed", "1", "--seeds", "0-2", "--out", str(tmp_path)]) == 2
    assert "either --seed or --seeds" in capsys.readouterr().err


def test_parse_seeds():
    assert parse_seeds("3") == [3]
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert parse_seeds("0,2,5-7") == [0, 2, 5, 6, 7]
    for bad in ("a", "3-1", "1,1", "-2", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_seeds(bad)
    with pytest.raises(SystemExit):                     # argparse reports it as a usage error
        main(["figure", "joglekar2018", "5E", "--seeds", "x"])


def test_outcome_is_printed_with_the_bundled_seed_statistics(capsys):
    from multiarea.joglekar2018 import experiments
    from multiarea.cli import _print_outcome

    model = ma.load_model("joglekar2018", "asynchronous-strong")
    silent = ma.SpikeRecord.from_ei(np.zeros(0, np.int32), np.zeros(0, np.int32), 8000, 0.1,
                                    model.anatomy.area_names, 1600, 400)
    _print_outcome(model, silent)
    out = capsys.readouterr().out
    assert "this run: returned" in out
    measured = experiments.seed_outcomes(model)
    assert [m["simulator"] for m in measured] == ["multiarea", "brian2"]
    for m, name in zip(measured, ("multiarea:", "Brian2:")):
        assert f"{name:10s} {m['returned']} of {m['runs']} seeds ({m['seeds']};" in out
    assert "noise of earlier versions" not in out              # re-measured with this version
    _print_outcome(ma.load_model("joglekar2018", "asynchronous-strong", refractory_timing="timestep"),
                   silent)
    assert "with the threefry noise of earlier versions: the same model, other draws" in capsys.readouterr().out
    _print_outcome(ma.load_model("joglekar2018", "asynchronous-strong", muEE=0.04), silent)
    assert "no seed statistics are bundled" in capsys.readouterr().out
