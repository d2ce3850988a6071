"""Area-parallel runs (multiarea.spiking.runners.sharded) give the spikes of one device.

conftest.py gives this process 4 host CPU devices.
"""
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import multiarea as ma
from multiarea.cli import main
from multiarea.spiking.runners import AreaLayout, ShardedRunner
from multiarea.spiking.spike_words import pack_words, unpack_words

from _netstate import assert_same_run, state
from _processes import env_without_device_flags, run_two_processes


def _model(n_areas=5, neurons=200, **overrides):
    overrides = {"stimulus_start_ms": 20.0, "stimulus_duration_ms": 30.0, **overrides}
    return ma.load_model("joglekar2018", regime="asynchronous-strong", n_areas=n_areas,
                         neurons_per_area=neurons, **overrides)


def _run(model, backend, duration_ms=100.0, **kwargs):
    net = model.build(backend=backend)
    record = ma.simulate(net, duration_ms, inputs=[model.stimulus(net)], progress_bar=False, **kwargs)
    return record, state(net)


def test_the_tests_have_four_devices():
    assert len(jax.devices()) == 4


@pytest.mark.parametrize("n_areas, n_devices, sizes", [
    (29, 2, [15, 14]), (29, 4, [8, 7, 7, 7]), (29, 8, [4, 4, 4, 4, 4, 3, 3, 3]), (5, 4, [2, 1, 1, 1]),
])
def test_layout_spreads_areas_evenly_in_order(n_areas, n_devices, sizes):
    layout = AreaLayout(n_areas, n_devices)
    per_device = layout.slots.reshape(n_devices, -1)
    assert [(row >= 0).sum() for row in per_device] == sizes
    np.testing.assert_array_equal(layout.slots[layout.slots >= 0], np.arange(n_areas))
    np.testing.assert_array_equal(np.repeat(np.arange(n_devices), sizes), layout.device)
    x = np.arange(n_areas * 3).reshape(n_areas, 3)
    np.testing.assert_array_equal(layout.pad(x, fill=-7)[layout.slots >= 0], x)
    assert np.all(layout.pad(x, fill=-7)[layout.slots < 0] == -7)


def test_pack_and_unpack_words_round_trip():
    spikes = np.random.default_rng(0).random((3, 2, 70)) < 0.3
    words = pack_words(jnp.asarray(spikes))
    assert words.shape == (3, 2, 3) and words.dtype == jnp.uint32
    np.testing.assert_array_equal(unpack_words(words, 70), spikes)
    bits = np.unpackbits(np.asarray(words).view(np.uint8), bitorder="little").reshape(3, 2, 96)
    np.testing.assert_array_equal(bits[..., :70], spikes)  # bit b of word w is neuron 32 w + b


def test_sharded_runs_reproduce_one_device_bit_for_bit_on_the_jax_backend():
    model = _model()
    ref_record, ref_state = _run(model, "jax", method="dsrunner")
    assert ref_record.steps.size > 150  # enough spikes (and deliveries) to tell runs apart
    for devices in (1, 2, 4):  # 5 areas: one block, 3 + 2, 2 + 1 + 1 + 1
        record, final = _run(model, "jax", devices=devices)
        assert_same_run(ref_record, record, ref_state, final)


def test_the_exchange_window_does_not_change_the_run():
    model = _model()
    net = model.build(backend="jax")
    sharded = ShardedRunner(net, 2)
    assert sharded.window == sharded.min_delay > 1
    runs = []
    for window in (1, sharded.min_delay):
        net = model.build(backend="jax")
        runs.append(ShardedRunner(net, 2, [model.stimulus(net)], window=window).run(700))
    np.testing.assert_array_equal(*runs)


def test_sharded_taichi_op_reproduces_the_whole_step_kernel():
    model = _model(n_areas=6, neurons=400)
    ref_record, ref_state = _run(model, "taichi", method="kernel")
    for devices in (2, 4):  # 6 areas on 4 devices: 2 + 2 + 1 + 1
        record, final = _run(model, "taichi", devices=devices)
        assert_same_run(ref_record, record, ref_state, final)


def test_sharded_run_streams_to_out_dir_and_hands_its_state_back(tmp_path):
    model = _model()
    ref_record, ref_state = _run(model, "jax", duration_ms=100.0, method="dsrunner")
    net = model.build(backend="jax")
    inputs = [model.stimulus(net)]
    ma.simulate(net, 60.0, inputs=inputs, progress_bar=False, devices=3, chunk_ms=25.0, out_dir=tmp_path)
    streamed = ma.SpikeRecord.load(tmp_path)
    assert len(list(tmp_path.glob("spikes_*.npz"))) == 3
    rest = ma.simulate(net, 40.0, inputs=inputs, progress_bar=False, method="dsrunner")
    np.testing.assert_array_equal(np.concatenate([streamed.steps, rest.steps + 600]), ref_record.steps)
    np.testing.assert_array_equal(np.concatenate([streamed.neurons, rest.neurons]), ref_record.neurons)
    final = state(net)
    for name in ref_state:
        np.testing.assert_array_equal(ref_state[name], final[name], err_msg=name)


def test_bytes_exchanged_are_the_bit_packed_E_spikes():
    net = _model(n_areas=29, neurons=2000).build(backend="jax")
    for devices, sent in ((2, 15 * 50 * 4), (4, 8 * 50 * 4)):  # 1600 E neurons = 50 words per area
        run = ShardedRunner(net, devices)
        assert run.exchange_E and not run.exchange_I  # I->E and I->I are local
        assert run.bytes_exchanged_per_step() == {"sent": sent, "received": sent * (devices - 1)}


def test_cli_devices_gives_the_spikes_of_one_device(tmp_path):
    common = ["run", "joglekar2018", "--regime", "asynchronous-strong", "--areas", "3",
              "--duration", "60", "--quiet"]
    assert main(common + ["--out", str(tmp_path / "one")]) == 0
    assert main(common + ["--devices", "3", "--out", str(tmp_path / "three")]) == 0
    one, three = (ma.SpikeRecord.load(tmp_path / d / "spikes.npz") for d in ("one", "three"))
    assert one.steps.size > 100
    np.testing.assert_array_equal(one.steps, three.steps)
    np.testing.assert_array_equal(one.neurons, three.neurons)


def test_cli_makes_host_devices_in_a_fresh_process(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "multiarea.cli", "run", "joglekar2018", "--areas", "6", "--duration", "20",
         "--devices", "6", "--quiet", "--out", str(tmp_path)],
        capture_output=True, text=True, env=env_without_device_flags(), timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "areas split over 6 devices" in out.stdout
    assert (tmp_path / "spikes.npz").is_file()


def test_two_processes_give_the_spikes_of_one(tmp_path):
    model = ma.load_model("joglekar2018", regime="asynchronous-strong", n_areas=4, neurons_per_area=400)
    ref, _ = _run(model, "taichi", duration_ms=100.0)
    record = run_two_processes(["--areas", "4", "--neurons", "400", "--duration", "100",
                                "--regime", "asynchronous-strong"], tmp_path)
    assert ref.steps.size > 100
    np.testing.assert_array_equal(record.steps, ref.steps)
    np.testing.assert_array_equal(record.neurons, ref.neurons)


def test_bad_sharding_requests_are_refused():
    model = _model(n_areas=3)
    net = model.build(backend="jax")
    with pytest.raises(ValueError, match=r"devices must be in \[1, 4\].*got 5"):
        ShardedRunner(net, 5)
    with pytest.raises(ValueError, match="more devices"):
        ShardedRunner(_model(n_areas=2).build(backend="jax"), 4)
    with pytest.raises(ValueError, match="window must be an int in"):
        ShardedRunner(net, 2, window=10_000)
    with pytest.raises(ValueError, match="window must be an int in"):
        ShardedRunner(net, 2, window=0)
    with pytest.raises(TypeError, match="MultiAreaNetwork"):
        ShardedRunner(ma.Area(n_E=8, n_I=2), 2)
    with pytest.raises(TypeError, match="devices must be an int"):
        ShardedRunner(net, 2.5)
    with pytest.raises(ValueError, match="method must be 'auto'"):
        ma.simulate(net, 1.0, progress_bar=False, devices=2, method="kernel")
    with pytest.raises(ValueError, match="step_input"):
        ma.simulate(net, 1.0, inputs=[(net.E.input, 1.0, "fix", "+")], progress_bar=False, devices=2)
    assert main(["run", "joglekar2018", "--areas", "2", "--devices", "0", "--out", "/tmp/x"]) == 2
