import re

import numpy as np
import pytest

import multiarea as ma


def _record():
    # 2 areas, n_E = 4, n_I = 2; neurons 0..7 are E, 8..11 are I
    steps = np.array([0, 0, 5, 9, 9, 12], np.int32)
    neurons = np.array([1, 9, 4, 0, 11, 7], np.int32)
    return ma.SpikeRecord.from_ei(steps, neurons, 20, 0.5, ("A", "B"), 4, 2)


def test_population_split():
    s, area, idx = _record().population("E")
    np.testing.assert_array_equal(s, [0, 5, 9, 12])
    np.testing.assert_array_equal(area, [0, 1, 0, 1])
    np.testing.assert_array_equal(idx, [1, 0, 0, 3])
    s, area, idx = _record().population("I")
    np.testing.assert_array_equal(area, [0, 1])
    np.testing.assert_array_equal(idx, [1, 1])


def test_rates_against_hand_count():
    rec = _record()
    times, rates = ma.analysis.population_rate(rec, "E", window_ms=5.0, step_ms=5.0)
    # windows of 10 steps: [0,10) and [10,20); E spikes: A at 0, 9; B at 5, 12
    np.testing.assert_allclose(times, [2.5, 7.5])
    np.testing.assert_allclose(rates, [[2 / 4 / 0.005, 0], [1 / 4 / 0.005, 1 / 4 / 0.005]])
    table = ma.analysis.rate_table(rec, "E", window_ms=5.0, step_ms=5.0)
    np.testing.assert_allclose(table["mean_rate_hz"], [2 / 4 / 0.01, 2 / 4 / 0.01])
    np.testing.assert_allclose(table["peak_rate_hz"], [100.0, 50.0])
    late = ma.analysis.rate_table(rec, "E", window_ms=5.0, step_ms=5.0, start_ms=5.0)
    np.testing.assert_allclose(late["mean_rate_hz"], [0.0, 1 / 4 / 0.005])  # only spikes at step >= 10
    np.testing.assert_allclose(late["peak_time_ms"], [7.5, 7.5])
    with pytest.raises(ValueError, match="start_ms"):
        ma.analysis.rate_table(rec, start_ms=10.0)
    with pytest.raises(ValueError, match="longer than the recording"):
        ma.analysis.population_rate(rec, window_ms=20.0)


def test_roundtrip(tmp_path):
    rec = _record()
    back = ma.SpikeRecord.load(rec.save(tmp_path / "r.npz"))
    np.testing.assert_array_equal(back.steps, rec.steps)
    np.testing.assert_array_equal(back.neurons, rec.neurons)
    assert (back.n_steps, back.dt, back.area_names, back.keys) == (20, 0.5, ("A", "B"), ("A/E", "B/E", "A/I", "B/I"))
    np.testing.assert_array_equal(back.first, [0, 4, 8, 10])
    np.testing.assert_array_equal(back.sizes, [4, 4, 2, 2])
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        ma.SpikeRecord.load(tmp_path / "nothing.npz")


def _laminar():
    """Areas 'V1' (L4E 3, L4I 2, L23E 4) and '9/46v' (L23E 2): unequal, and an area without L4."""
    keys = ("V1/L4E", "V1/L4I", "V1/L23E", "9/46v/L23E")
    spikes = [(0, 0), (1, 3), (2, 5), (2, 9), (3, 10), (4, 4), (7, 8)]
    steps, neurons = np.array(spikes, np.int32).T
    return ma.SpikeRecord(steps, neurons, 10, 0.1, keys, [0, 3, 5, 9], [3, 2, 4, 2])


def test_any_populations_by_name_and_size():
    rec = _laminar()
    assert rec.area_names == ("V1", "9/46v") and rec.population_names == ("L4E", "L4I", "L23E")
    assert rec.n_neurons == 11
    np.testing.assert_array_equal(rec.population_sizes("L23E"), [4, 2])
    np.testing.assert_array_equal(rec.population_sizes("L4E"), [3, 0])
    steps, area, index = rec.population("L23E")
    np.testing.assert_array_equal(steps, [2, 2, 3, 7])
    np.testing.assert_array_equal(area, [0, 1, 1, 0])
    np.testing.assert_array_equal(index, [0, 0, 1, 3])
    times, local = rec.spikes("V1/L4I")
    np.testing.assert_allclose(times, [0.1, 0.4])
    np.testing.assert_array_equal(local, [0, 1])
    # rates per area divide by that area's size; an area without the population has NaN
    np.testing.assert_allclose(ma.analysis.mean_rate(rec, population="L23E"), [2 / 4 / 1e-3, 2 / 2 / 1e-3])
    rate = ma.analysis.mean_rate(rec, population="L4E")
    assert rate[0] == pytest.approx(1 / 3 / 1e-3) and np.isnan(rate[1])
    with pytest.raises(ValueError, match="unknown population 'E'"):
        rec.population("E")
    with pytest.raises(ValueError, match="unknown population 'V2/L4E'"):
        rec.spikes("V2/L4E")


def test_record_checks_its_layout():
    free = ma.SpikeRecord(np.zeros(0), np.zeros(0), 1, 0.1, ("E",), [0], [1])  # no area, as Population keys it
    assert free.area_names == ("",) and free.population_names == ("E",)
    for bad in ("a/", "/E", ""):
        with pytest.raises(ValueError, match=f"'area/population' or 'population', got '{bad}'"):
            ma.SpikeRecord(np.zeros(0), np.zeros(0), 1, 0.1, (bad,), [0], [1])
    with pytest.raises(ValueError, match="one entry per key"):
        ma.SpikeRecord(np.zeros(0), np.zeros(0), 1, 0.1, ("a/E",), [0, 1], [1])
    with pytest.raises(ValueError, match="unique"):
        ma.SpikeRecord(np.zeros(0), np.zeros(0), 1, 0.1, ("a/E", "a/E"), [0, 1], [1, 1])
    with pytest.raises(ValueError, match="sizes must be >= 1"):
        ma.SpikeRecord(np.zeros(0), np.zeros(0), 1, 0.1, ("a/E",), [0], [0])
    with pytest.raises(ValueError, match="one length"):
        ma.SpikeRecord(np.zeros(2), np.zeros(3), 1, 0.1, ("a/E",), [0], [1])


def test_load_reads_any_output_folder_and_older_files(tmp_path):
    rec = _laminar()
    one = tmp_path / "one"
    one.mkdir()
    rec.save(one / "spikes.npz")
    assert ma.SpikeRecord.load(one).keys == rec.keys                       # the CLI's single file
    chunks = tmp_path / "chunks"
    chunks.mkdir()
    early = rec.steps < 3
    for k, keep in enumerate((early, ~early)):
        ma.SpikeRecord(rec.steps[keep], rec.neurons[keep], 3 if k == 0 else 10, 0.1, rec.keys, rec.first,
                       rec.sizes).save(chunks / f"spikes_{k:05d}.npz")
    back = ma.SpikeRecord.load(chunks)
    np.testing.assert_array_equal(back.neurons, rec.neurons)
    assert back.n_steps == 10
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=re.escape("looked for spikes.npz and chunks spikes_*.npz")):
        ma.SpikeRecord.load(empty)
    # a file of the E/I-only format (n_E, n_I) reads as the E/I layout
    np.savez(tmp_path / "old.npz", steps=np.array([3], np.int32), neurons=np.array([9], np.int32), n_steps=20,
             dt=0.5, area_names=np.array(["A", "B"]), n_E=4, n_I=2)
    old = ma.SpikeRecord.load(tmp_path / "old.npz")
    assert old.keys == ("A/E", "B/E", "A/I", "B/I")
    np.testing.assert_array_equal(old.population("I")[1:], [[0], [1]])
    np.savez(tmp_path / "other.npz", x=1)
    with pytest.raises(ValueError, match="not a spike record: missing"):
        ma.SpikeRecord.load(tmp_path / "other.npz")
    with pytest.raises(ValueError, match="different networks"):
        ma.SpikeRecord.concatenate([rec, _record()])


def _net(seed=2):
    d = ma.data.joglekar2018().subset(3)
    return ma.MultiAreaNetwork(d.area_names, d.hierarchy, d.fln, d.distance_mm, n_E=80, n_I=20,
                               p=0.2, wEE=0.1, wEI=0.5, wIE=0.5, wII=0.5, muEE=0.2, muIE=0.2,
                               VextE=16.0, lif=dict(sigma=3.0), seed=seed, dt=0.1)


def test_chunked_streaming_equals_one_run_and_loads_back(tmp_path):
    whole = ma.simulate(_net(), 30.0, progress_bar=False)
    streamed = ma.simulate(_net(), 30.0, progress_bar=False, chunk_ms=7.0, out_dir=tmp_path)
    assert streamed.steps.size == 0 and streamed.n_steps == 300
    files = sorted(tmp_path.glob("spikes_*.npz"))
    assert len(files) == 5                         # 7 ms chunks of 30 ms
    back = ma.SpikeRecord.load(tmp_path)
    assert whole.steps.size > 20
    np.testing.assert_array_equal(back.steps, whole.steps)
    np.testing.assert_array_equal(back.neurons, whole.neurons)
    assert back.n_steps == 300 and back.area_names == whole.area_names
    # each chunk holds only its own steps: the dense buffer is one chunk long
    for k, f in enumerate(files):
        chunk = ma.SpikeRecord.load(f)
        assert chunk.steps.size == 0 or (chunk.steps.min() >= 70 * k and chunk.steps.max() < 70 * (k + 1))


def test_recording_a_subset():
    whole = ma.simulate(_net(), 20.0, progress_bar=False)
    sub = ma.simulate(_net(), 20.0, progress_bar=False, populations=("E",), areas=["V2"])
    keep = (whole.neurons >= 80) & (whole.neurons < 160)          # E neurons of area 1
    np.testing.assert_array_equal(sub.steps, whole.steps[keep])
    np.testing.assert_array_equal(sub.neurons, whole.neurons[keep])
    with pytest.raises(ValueError, match="populations"):
        ma.simulate(_net(), 1.0, progress_bar=False, populations=("X",))
    with pytest.raises(ValueError, match="unknown area"):
        ma.simulate(_net(), 1.0, progress_bar=False, areas=["nowhere"])


@pytest.mark.parametrize("method", ["kernel", "dsrunner"])
def test_spike_words_span_one_call_whatever_the_duration(monkeypatch, method):
    from multiarea.spiking import simulation

    seen = []
    convert = simulation.words_to_pairs

    def spy(words, *args):
        seen.append(words.shape)
        return convert(words, *args)

    monkeypatch.setattr(simulation, "words_to_pairs", spy)
    ma.simulate(_net(), 40.0, progress_bar=False, chunk_ms=5.0, method=method)
    assert seen == [(50, 3 * (3 + 1))] * 8             # 50 steps x (E 3 words + I 1) per area


def test_kernel_calls_are_at_most_steps_per_call(monkeypatch):
    from multiarea.spiking import simulation
    from multiarea.spiking.runners import population_kernel

    seen = []
    convert = simulation.words_to_pairs

    def spy(words, *args):
        seen.append(words.shape)
        return convert(words, *args)

    monkeypatch.setattr(simulation, "words_to_pairs", spy)
    monkeypatch.setattr(population_kernel, "STEPS_PER_CALL", 120)
    ma.simulate(_net(), 40.0, progress_bar=False, method="kernel")
    assert [rows for rows, _ in seen] == [120, 120, 120, 40]   # calls of at most 120 steps


def test_legacy_refractory_timing_limits_the_run_length():
    net = _net()
    assert net.E.max_steps == ma.spiking.neurons.LEGACY_TABLE_STEPS
    net.E.max_steps = 250                      # pretend the table ends at step 250
    ma.simulate(net, 20.0, progress_bar=False)
    with pytest.raises(ValueError, match="legacy refractory"):
        ma.simulate(net, 10.0, progress_bar=False)   # steps 200..300 would pass the end
    with pytest.raises(ValueError, match="at least one step"):
        ma.simulate(_net(), 0.01, progress_bar=False)


def test_one_progress_bar_for_the_whole_run(capsys):
    ma.simulate(_net(), 20.0, progress_bar=True, chunk_ms=5.0)
    frames = [f for f in re.split(r"[\r\n]+", capsys.readouterr().err) if "%|" in f]
    assert frames and all(f.startswith("simulating:") for f in frames)    # no per-chunk bars
    assert "20/20 ms" in frames[-1] and "steps/s" in frames[-1]
    done = [float(f.split("|")[-1].split("/")[0]) for f in frames]
    assert done[0] == 0 and done == sorted(done)      # one bar advancing to the end


def test_dsrunner_input_time_counts_from_the_last_reset():
    """A pulse lands at the same network step whether the run is split or not."""
    model = ma.load_model("joglekar2018", regime="asynchronous-strong", n_areas=2, neurons_per_area=200,
                          stimulus_start_ms=20.0, stimulus_duration_ms=30.0)
    runs = []
    for parts in ((60.0,), (25.0, 35.0)):
        net = model.build(backend="jax")
        records = [ma.simulate(net, ms, inputs=[model.stimulus(net)], progress_bar=False, method="dsrunner")
                   for ms in parts]
        offsets = np.cumsum([0] + [r.n_steps for r in records[:-1]])
        runs.append((np.concatenate([r.steps + o for r, o in zip(records, offsets)]),
                     np.concatenate([r.neurons for r in records]), np.asarray(net.E.V.value)))
    for whole, split in zip(*runs):
        np.testing.assert_array_equal(whole, split)
