"""The microcircuit as a population network, its command line, and the
per-population statistics it writes."""
import numpy as np
import pandas as pd
import pytest

from multiarea.cli import main
from multiarea.potjans2014 import parameters
from multiarea.potjans2014.network import AREA, build_network
from multiarea.spiking.analysis import lvr, population_distributions, population_statistics
from multiarea.spiking import SpikeRecord


def test_network_follows_the_parameters():
    params = parameters.load(regime="poisson")
    net = build_network(0.02, "poisson", seed=1)
    n = parameters.neuron_numbers(params, 0.02)
    assert [p.size for p in net.populations] == list(n)
    assert [p.key for p in net.populations] == [f"{AREA}/{name}" for name in params["populations"]]
    syn = parameters.synapse_numbers(params, 0.02, 0.02)
    for c, spec in zip(net.connections, net.specs):
        t, s = net.index[c.post], net.index[c.pre]
        assert spec.counts.sum() == syn[t, s]  # FixedTotalNumber: exactly the reference's counts
    w = parameters.weight_matrix(params, 0.02)
    first = net.connections[0]
    assert first.weight.mean == pytest.approx(w[net.index[first.post], net.index[first.pre]])
    assert len(net.drives) == 8
    assert net.drives[0].rate_hz == pytest.approx(parameters.poisson_rates(params, 0.02)[0])
    dc = build_network(0.02, "dc", seed=1)
    assert dc.drives == ()
    assert dc.populations[0].neuron.I_e == pytest.approx(parameters.dc_amplitudes(params, 0.02, poisson=False)[0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="background must be one of"):
        build_network(0.1, "noise")
    with pytest.raises(ValueError, match="scaling"):
        build_network(1.5)


def test_cli_writes_spikes_raster_and_statistics(tmp_path, capsys):
    assert main(["run", "potjans2014", "--scale", "0.03", "--duration", "200", "--transient", "50",
                 "--out", str(tmp_path), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "real-time factor" in printed and "L23E" in printed and "0.92 [0.90-0.94]" in printed
    stats = pd.read_csv(tmp_path / "population_stats.csv")
    assert list(stats.columns) == ["area", "population", "n", "rate_hz", "cv_isi", "lvr", "corr"]
    assert list(stats.population) == ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
    # the layer-5 and inhibitory populations fire most, L2/3 E least (as in the published model)
    rates = stats.set_index("population").rate_hz
    assert 1.0 < rates["L5E"] < 15 and rates["L23E"] < rates["L4E"] < rates["L5E"]
    assert (tmp_path / "raster.png").stat().st_size > 10_000
    record = SpikeRecord.load(tmp_path / "spikes.npz")
    assert record.n_steps == 2500 and record.steps.size > 0
    again = population_statistics(record, start_ms=50.0)
    np.testing.assert_allclose(again.rate_hz, stats.rate_hz, rtol=1e-5)


def test_cli_rejects_options_of_other_models(tmp_path, capsys):
    assert main(["run", "potjans2014", "--areas", "3", "--out", str(tmp_path)]) == 2
    assert "--areas do not apply to potjans2014" in capsys.readouterr().err
    assert main(["run", "potjans2014", "--regime", "noise", "--out", str(tmp_path)]) == 2
    assert "--regime for potjans2014 must be one of" in capsys.readouterr().err
    assert main(["run", "joglekar2018", "--scale", "0.5", "--out", str(tmp_path)]) == 2
    assert "--scale apply to potjans2014 only" in capsys.readouterr().err


def _record(spikes_per_neuron):
    """Two populations of 4 neurons over 1000 ms (dt 1 ms) with given spike steps."""
    steps, neurons = [], []
    for n, s in spikes_per_neuron.items():
        steps += s
        neurons += [n] * len(s)
    order = np.lexsort((neurons, steps))
    return SpikeRecord(np.array(steps)[order].astype(np.int32), np.array(neurons)[order].astype(np.int32), 1000,
                       1.0, ("a/E", "a/I"), np.array([0, 4]), np.array([4, 4]))


def test_statistics_on_known_spike_trains():
    regular = list(range(0, 1000, 100))  # 10 Hz, CV 0
    record = _record({0: regular, 1: regular, 2: [5, 10, 50], 4: [1, 2, 4, 8]})
    d = population_distributions(record, bin_ms=2.0)
    np.testing.assert_allclose(d["a/E"]["rate_hz"], [10, 10, 3, 0])
    np.testing.assert_allclose(d["a/E"]["cv_isi"], [0, 0, np.std([5, 40]) / 22.5])
    # LvR: 0 for a regular train; ISIs 5, 40 ms with R = 2 ms: 3 (1 - 4 * 5 * 40 / 45^2) (1 + 4 * 2 / 45)
    np.testing.assert_allclose(d["a/E"]["lvr"], [0, 0, 3 * (1 - 800 / 2025) * (1 + 8 / 45)])
    assert population_distributions(record, lvr_ref_ms=0.0)["a/E"]["lvr"][2] == pytest.approx(3 * (1 - 800 / 2025))
    assert d["a/E"]["corr"].size == 3 and d["a/E"]["corr"].max() == pytest.approx(1.0)  # neurons 0 and 1
    assert d["a/I"]["corr"].size == 0  # one active neuron: no pair
    table = population_statistics(record, bin_ms=2.0)
    assert list(table.population) == ["E", "I"] and list(table.area) == ["a", "a"]
    assert np.isnan(table.loc[1, "corr"])
    with pytest.raises(ValueError, match="start_ms < stop_ms"):
        population_statistics(record, start_ms=500, stop_ms=400)
    with pytest.raises(ValueError, match="lvr_ref_ms"):
        population_statistics(record, lvr_ref_ms=-1.0)
    with pytest.raises(ValueError, match="at least 2 intervals"):
        lvr([10.0])
    with pytest.raises(ValueError, match="unknown population 'b/E'"):
        record.spikes("b/E")
    with pytest.raises(FileNotFoundError, match="no spike record at"):
        SpikeRecord.load("/nonexistent/spikes.npz")


def test_seed_sweep_example(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "potjans2014_seeds.py"
    spec = importlib.util.spec_from_file_location("potjans2014_seeds", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    assert example.main(["--seeds", "0-1", "--scale", "0.02", "--transient", "20", "--duration", "100",
                         "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "seeds.csv")
    assert sorted(set(table.seed)) == [0, 1] and len(table) == 16
    assert not table[table.seed == 0].rate_hz.equals(table[table.seed == 1].rate_hz.reset_index(drop=True))
    assert "rel_diff" in capsys.readouterr().out
