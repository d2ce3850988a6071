"""Population networks split over devices (runners.population_sharded): the
unsharded kernel's spikes and state bit for bit on 1, 2 and 4 devices, with
windows, chunking and step input; the CLI; the errors.  conftest.py makes 4
host CPU devices."""
import numpy as np
import pytest

import multiarea as ma
from multiarea.spiking.inputs import step_drive
from multiarea.spiking.runners.population_sharded import PopulationLayout, PopulationShardedRunner
from multiarea.spiking.spike_words import words_to_pairs

from test_lif_delta import _mixed_network

_STATE = ("y", "i_syn", "refractory_left", "ring", "ring_hi", "t", "spike")


def _assert_same(net_a, net_b):
    for name in _STATE:
        np.testing.assert_array_equal(np.asarray(getattr(net_a, name).value), np.asarray(getattr(net_b, name).value),
                                      err_msg=name)


@pytest.mark.parametrize("devices", [1, 2, 4])
def test_sharded_run_equals_the_kernel(devices):
    """Every model, rule and drive of the layer (the mixed network: min delay
    1 step, an exchange per step)."""
    ref = _mixed_network()
    want = ma.simulate_populations(ref, 40.0, progress_bar=False)
    net = _mixed_network()
    got = ma.simulate_populations(net, 40.0, progress_bar=False, method="sharded", devices=devices)
    assert want.steps.size > 300
    np.testing.assert_array_equal(got.steps, want.steps)
    np.testing.assert_array_equal(got.neurons, want.neurons)
    _assert_same(net, ref)


def test_sharded_joglekar_windows_chunks_and_input():
    """The Joglekar twin (min delay 10 steps at 4 areas: one exchange per 10
    steps) with its V1 pulse, in calls that are not multiples of the window,
    then continued on the unsharded kernel."""
    model = ma.load_model("joglekar2018", n_areas=4, neurons_per_area=300, stimulus_start_ms=10.0,
                          stimulus_duration_ms=30.0)
    e_i = model.build()
    inputs = [model.stimulus(e_i)]

    def stim(first, k):
        return step_drive(e_i, inputs, k, first).reshape(k, 8)

    ref = ma.ei_multiarea_network(**e_i.arguments)
    want = ma.simulate_populations(ref, 80.0, progress_bar=False, stim=stim)
    for devices in (2, 4):
        net = ma.ei_multiarea_network(**e_i.arguments)
        runner = PopulationShardedRunner(net, devices, stim=stim)
        assert runner.window == 10
        words = np.concatenate([runner.run(k) for k in (123, 300, 214)])
        runner.store()
        steps, neurons = words_to_pairs(words, runner.word_neurons, 0)
        tail = ma.simulate_populations(net, 16.3, progress_bar=False, stim=stim)  # the last 163 steps, unsharded
        np.testing.assert_array_equal(np.concatenate([steps, tail.steps + 637]), want.steps)
        np.testing.assert_array_equal(np.concatenate([neurons, tail.neurons]), want.neurons)
        _assert_same(net, ref)
    assert want.steps.size > 200


def test_sharded_run_of_a_ring_in_two_blocks(monkeypatch):
    """A network whose ring is kept in two blocks (made small here): each
    device takes its neurons' cells from both blocks, and a run that goes on
    from a sharded one's state (rings full of pending input) is the unsharded
    run."""
    from multiarea.spiking import populations

    ref = _mixed_network()
    want = ma.simulate_populations(ref, 40.0, progress_bar=False)
    one = _mixed_network()  # the smallest blocks that split it at a population boundary
    halves = min(max(int(f), one.num - int(f)) for f in one.first[1:])
    monkeypatch.setattr(populations, "RING_BLOCK_CELLS", one.n_receptors * one.n_slots * halves)
    net = _mixed_network()
    assert 0 < net.ring_split < net.num
    first = ma.simulate_populations(net, 20.0, progress_bar=False, method="sharded", devices=3)
    second = ma.simulate_populations(net, 20.0, progress_bar=False, method="sharded", devices=2)
    np.testing.assert_array_equal(np.concatenate([first.steps, second.steps + 200]), want.steps)
    np.testing.assert_array_equal(np.concatenate([first.neurons, second.neurons]), want.neurons)


def test_layout_balances_the_load_and_gives_every_device_a_population():
    net = ma.potjans2014.build_network(scale=0.02)
    layout = PopulationLayout(net, 2)
    assert layout.bounds.tolist()[0] == 0 and layout.bounds[-1] == 8 and layout.neurons[-1] == net.num
    share = np.diff(layout.neurons) / net.num
    assert np.all(share > 0.25), share
    assert np.all(np.diff(PopulationLayout(net, 8).bounds) == 1)


def test_bad_sharded_runs_raise():
    three = ma.PopulationNetwork([ma.Population(name, 10, ma.IafPscExp()) for name in "ABC"])
    with pytest.raises(ValueError, match=r"more devices \(4\) than populations \(3\)"):
        PopulationShardedRunner(three, 4)
    net = _mixed_network()
    with pytest.raises(ValueError, match=r"window must be an int in \[1, 1\]"):
        PopulationShardedRunner(net, 2, window=2)
    with pytest.raises(TypeError, match="runs a PopulationNetwork"):
        PopulationShardedRunner(ma.load_model("joglekar2018", n_areas=2, neurons_per_area=100).build(), 2)
    with pytest.raises(ValueError, match="devices go with method='sharded'"):
        ma.simulate_populations(net, 1.0, devices=2)
    with pytest.raises(ValueError, match="devices go with method='sharded'"):
        ma.simulate_populations(net, 1.0, method="sharded")


def test_cli_runs_a_population_file_on_devices(tmp_path):
    from multiarea import cli

    path = ma.dump_population_network(_mixed_network(), tmp_path / "net.toml")
    outs = {}
    for devices in (None, 2):
        out = tmp_path / f"out{devices}"
        argv = ["run", str(path), "--duration", "30", "--out", str(out), "--quiet"]
        assert cli.main(argv + (["--devices", str(devices)] if devices else [])) == 0
        with np.load(out / "spikes.npz") as f:
            outs[devices] = (f["steps"], f["neurons"])
    assert outs[None][0].size > 100
    for a, b in zip(outs[None], outs[2]):
        np.testing.assert_array_equal(a, b)
