"""Checkpoints and resume: a run killed with SIGKILL in the middle and resumed
gives the spikes of an uninterrupted run, on every runner; damaged files are
named; unwritable output fails before anything is simulated."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import multiarea as ma
from multiarea.projections.rules import FixedIndegree, FixedProbability, FixedTotalNumber, TruncatedNormal
from multiarea.spiking.iaf_psc_exp import IafPscExp
from multiarea.spiking.populations import Connection, PoissonDrive, Population, PopulationNetwork
from multiarea.spiking.run_folder import MANIFEST, RunFolder

DURATION_MS, CHUNK_MS = 40.0, 10.0  # 4 chunks
#: the killed run: SIGKILL right after the 3rd chunk file is written, before its checkpoint and manifest
KILLED = textwrap.dedent("""
    import os, signal, sys
    import multiarea as ma
    from multiarea.spiking import recording

    path, out, method = sys.argv[1:4]
    save, saved = recording.SpikeRecord.save, []

    def save_then_die(self, p):
        result = save(self, p)
        saved.append(p)
        if len(saved) == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    recording.SpikeRecord.save = save_then_die
    net = ma.load_population_network(path)
    ma.simulate_populations(net, {duration}, progress_bar=False, method=method,
                            devices=2 if method == "sharded" else None, chunk_ms={chunk}, out_dir=out)
""").format(duration=DURATION_MS, chunk=CHUNK_MS)


def _network():
    neuron = IafPscExp()
    pops = [Population("E", 240, neuron, area="A1", V_init=TruncatedNormal(-58, 8)),
            Population("I", 60, neuron.replace(tau_syn_in=1.0), area="A1", V_init=TruncatedNormal(-58, 8)),
            Population("E", 100, neuron, area="A2", V_init=-60.0)]
    w_e, w_i = TruncatedNormal.sign_kept(90.0, 9.0), TruncatedNormal.sign_kept(-360.0, 36.0)
    conns = [Connection("A1/E", "A1/E", FixedTotalNumber(3000), w_e, TruncatedNormal(1.5, 0.75)),
             Connection("A1/E", "A1/I", FixedIndegree(15), w_e, 1.5),
             Connection("A1/I", "A1/E", FixedProbability(0.1), w_i, TruncatedNormal(0.75, 0.375)),
             Connection("A1/E", "A2/E", FixedProbability(0.05), 60.0, TruncatedNormal(3.0, 1.0, low=1.0))]
    drives = [PoissonDrive("A1/E", 16000.0, 87.8, 1.5), PoissonDrive("A1/I", 15000.0, 87.8, 1.0),
              PoissonDrive("A2/E", 16000.0, 87.8, 1.0)]
    return PopulationNetwork(pops, conns, drives, dt=0.1, seed=4)


def _devices(method):
    return 2 if method == "sharded" else None


@pytest.mark.parametrize("method", ["kernel", "sharded", "dsrunner"])
def test_killed_run_resumes_to_the_uninterrupted_spikes(tmp_path, method):
    path = ma.dump_population_network(_network(), tmp_path / "net.toml")
    whole = ma.simulate_populations(ma.load_population_network(path), DURATION_MS, progress_bar=False,
                                    method=method, devices=_devices(method))
    assert whole.steps.size > 300 and whole.steps.max() > 300, "the network must be active throughout"
    out = tmp_path / "run"
    killed = subprocess.run([sys.executable, "-c", KILLED, str(path), str(out), method],
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    manifest = json.loads((out / MANIFEST).read_text())
    assert len(manifest["chunks"]) == 2 and manifest["checkpoint"]["step"] == 200
    assert (out / "spikes_00002.npz").is_file()        # written after the last checkpoint: redone on resume
    resumed = ma.simulate_populations(ma.load_population_network(path), DURATION_MS, progress_bar=False,
                                      method=method, devices=_devices(method), chunk_ms=CHUNK_MS, out_dir=out,
                                      resume=True)
    assert resumed.steps.size == 0 and resumed.n_steps == 400
    back = ma.SpikeRecord.load(out)
    assert back.n_steps == 400 and back.keys == whole.keys
    np.testing.assert_array_equal(back.steps, whole.steps)
    np.testing.assert_array_equal(back.neurons, whole.neurons)
    assert len(json.loads((out / MANIFEST).read_text())["chunks"]) == 4
    assert sorted(p.name for p in out.glob("checkpoint_*.npz")) == ["checkpoint_000000000400.npz"]


def test_ei_network_resumes_on_the_kernel(tmp_path):
    def net():
        d = ma.data.joglekar2018().subset(3)
        return ma.MultiAreaNetwork(d.area_names, d.hierarchy, d.fln, d.distance_mm, n_E=80, n_I=20, p=0.2,
                                   wEE=0.1, wEI=0.5, wIE=0.5, wII=0.5, muEE=0.2, muIE=0.2, VextE=16.0,
                                   lif=dict(sigma=3.0), seed=2, dt=0.1)

    whole = ma.simulate(net(), 30.0, progress_bar=False)
    first = net()
    ma.simulate(first, 30.0, progress_bar=False, chunk_ms=10.0, out_dir=tmp_path, arguments={"seed": 2})
    folder = json.loads((tmp_path / MANIFEST).read_text())
    assert folder["arguments"] == {"seed": 2} and folder["checkpoint"]["step"] == 300
    # as if killed after the first chunk: drop the later chunks and go back to the first checkpoint
    state = dict(np.load(tmp_path / folder["checkpoint"]["file"]))
    assert set(state) >= {"t", "E.V", "EE.ring"} and int(state["t"]) == 300
    ma.simulate(net(), 10.0, progress_bar=False, chunk_ms=10.0, out_dir=tmp_path / "early")
    early = json.loads((tmp_path / "early" / MANIFEST).read_text())
    resumed = ma.simulate(net(), 30.0, progress_bar=False, chunk_ms=10.0, out_dir=tmp_path / "early", resume=True)
    assert resumed.n_steps == 300 and early["checkpoint"]["step"] == 100
    back = ma.SpikeRecord.load(tmp_path / "early")
    np.testing.assert_array_equal(back.steps, whole.steps)
    np.testing.assert_array_equal(back.neurons, whole.neurons)


def _finished_run(tmp_path):
    out = tmp_path / "run"
    ma.simulate_populations(_network(), 20.0, progress_bar=False, chunk_ms=5.0, out_dir=out, arguments={"x": 1})
    return out


def test_damaged_files_are_named_and_earlier_chunks_stay_readable(tmp_path):
    out = _finished_run(tmp_path)
    chunk = out / "spikes_00002.npz"
    chunk.write_bytes(chunk.read_bytes()[:-10])                     # truncated
    with pytest.raises(ValueError, match=r"spikes_00002.npz is \d+ bytes, the manifest says"):
        RunFolder.open(out)
    with pytest.raises(ValueError, match="spikes_00002.npz"):
        ma.SpikeRecord.load(out)
    assert ma.SpikeRecord.load(out / "spikes_00001.npz").n_steps == 100     # earlier chunks intact
    out = _finished_run(tmp_path / "b")
    checkpoint = next(out.glob("checkpoint_*.npz"))
    data = bytearray(checkpoint.read_bytes())
    data[len(data) // 2] ^= 0xFF                                     # same length, one byte altered
    checkpoint.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checkpoint_000000000200.npz does not match its SHA-256"):
        RunFolder.open(out)
    (out / MANIFEST).write_text("{not json")
    with pytest.raises(ValueError, match="is not a run manifest"):
        RunFolder.open(out)
    with pytest.raises(FileNotFoundError, match="no run to resume in .*manifest.json not found"):
        RunFolder.open(tmp_path / "nowhere")


def test_resume_refuses_a_complete_run_and_another_network(tmp_path):
    out = _finished_run(tmp_path)
    RunFolder.open(out).finish(out / "spikes.npz")
    assert not list(out.glob("spikes_*.npz")) and not list(out.glob("checkpoint_*.npz"))
    assert ma.SpikeRecord.load(out).n_steps == 200
    with pytest.raises(ValueError, match="is complete: nothing to resume"):
        RunFolder.open(out)
    out = _finished_run(tmp_path / "b")
    other = PopulationNetwork([Population("E", 10, IafPscExp(), area="A")], [], [], dt=0.1)
    with pytest.raises(ValueError, match="holds other Variables than this network|has shape"):
        RunFolder.open(out).restore(other)


def test_unwritable_output_fails_before_the_run(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="output folder .*file exists and is not a folder"):
        ma.simulate_populations(_network(), 5.0, progress_bar=False, out_dir=tmp_path / "file")
    with pytest.raises(ValueError, match="cannot write to output folder .*file/sub"):
        ma.simulate_populations(_network(), 5.0, progress_bar=False, out_dir=tmp_path / "file" / "sub")
    with pytest.raises(ValueError, match="resume=True needs the out_dir"):
        ma.simulate_populations(_network(), 5.0, progress_bar=False, resume=True)
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(ValueError, match="cannot write to output folder"):
            ma.simulate_populations(_network(), 5.0, progress_bar=False, out_dir=locked)


@pytest.mark.slow
def test_memory_stays_flat_over_a_long_run_recorded_to_disk():
    """benchmarks/long_run.py: 10^5 steps of the 29-area model, RSS growth after the first chunk < 5 %."""
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import long_run

    assert long_run.main(["--steps", "100000"]) == 0
