"""Analysis on hand-built spike records (no simulation)."""
import csv
import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

import multiarea as ma
from multiarea import analysis

NAMES = ("A", "B", "C", "D")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _record(spikes, n_steps, dt=1.0, names=NAMES[:2], n_E=2, n_I=1):
    """A SpikeRecord from ``{(area, population): [(step, index), ...]}``."""
    steps, neurons = [], []
    for (area, pop), pairs in spikes.items():
        offset = area * n_E if pop == "E" else len(names) * n_E + area * n_I
        for step, index in pairs:
            steps.append(step)
            neurons.append(offset + index)
    order = np.argsort(steps, kind="stable")
    return ma.SpikeRecord.from_ei(np.asarray(steps, np.int32)[order], np.asarray(neurons, np.int32)[order],
                                  n_steps, dt, tuple(names), n_E, n_I)


def _staircase():
    """Area A (n_E = 2): 0, 1, 2, 3 E spikes in the 10 ms blocks [0,10) .. [30,40); B silent.

    Non-overlapping 10 ms windows thus give A 0, 50, 100, 150 Hz.  One I spike
    in B checks that the populations stay apart.
    """
    a = [(12, 0), (22, 0), (25, 1), (31, 0), (33, 1), (37, 0)]
    return _record({(0, "E"): a, (1, "I"): [(3, 0)]}, n_steps=40)


def _step_response(onsets=(300, 320, 340, None), n_steps=500):
    """Deterministic stimulus response, dt = 1 ms, n_E = 10.

    Before its onset each area fires one E spike at steps 5, 15, 25, ... (every
    10 ms window holds exactly one: 10 Hz, SD 0); from its onset on it fires
    two spikes per step (200 Hz).  ``None``: baseline throughout.
    """
    spikes = {}
    for area, onset in enumerate(onsets):
        stop = n_steps if onset is None else onset
        pairs = [(s, (s // 10) % 10) for s in range(5, stop, 10)]
        if onset is not None:
            pairs += [(s, i) for s in range(onset, n_steps) for i in ((2 * s) % 10, (2 * s + 1) % 10)]
        spikes[(area, "E")] = pairs
    return _record(spikes, n_steps, names=NAMES[:len(onsets)], n_E=10, n_I=2)


def _empty(n_steps=200):
    return _record({}, n_steps)


# ------------------------------------------------------------------ rates


def test_baseline_mean_and_sd_by_hand():
    rec = _staircase()
    mean, sd = analysis.baseline(rec, 10.0, 40.0, window_ms=10.0, step_ms=10.0)
    np.testing.assert_allclose(mean, [100.0, 0.0])
    np.testing.assert_allclose(sd, [math.sqrt(5000 / 3), 0.0])        # 50, 100, 150 Hz
    # [5, 35) holds only the windows [10, 20) and [20, 30)
    mean, sd = analysis.baseline(rec, 5.0, 35.0, window_ms=10.0, step_ms=10.0)
    np.testing.assert_allclose(mean, [75.0, 0.0])
    np.testing.assert_allclose(sd, [25.0, 0.0])
    mean, sd = analysis.baseline(rec, 0.0, 40.0, population="I", window_ms=10.0, step_ms=10.0)
    np.testing.assert_allclose(mean, [0.0, 100.0 / 4])                  # 1 spike of 1 neuron / 40 ms
    # overlapping windows agree with population_rate restricted to the interval
    times, rates = analysis.population_rate(rec, window_ms=10.0, step_ms=1.0)
    inside = (times - 5 >= 10) & (times + 5 <= 40)
    mean, sd = analysis.baseline(rec, 10.0, 40.0)
    np.testing.assert_allclose(mean, rates[:, inside].mean(axis=1))
    np.testing.assert_allclose(sd, rates[:, inside].std(axis=1))


def test_peak_rate_by_hand():
    rec = _staircase()
    peak, when = analysis.peak_rate(rec, window_ms=10.0, step_ms=10.0)
    np.testing.assert_allclose(peak, [150.0, 0.0])
    np.testing.assert_allclose(when, [35.0, 5.0])     # silent B: first window (ties -> earliest)
    peak, when = analysis.peak_rate(rec, 0.0, 30.0, window_ms=10.0, step_ms=10.0)
    np.testing.assert_allclose(peak, [100.0, 0.0])
    np.testing.assert_allclose(when, [25.0, 5.0])
    # sliding 1 ms: at most 3 spikes in 10 ms, first in [22, 32) (centre 27 ms)
    peak, when = analysis.peak_rate(rec)
    np.testing.assert_allclose(peak, [150.0, 0.0])
    np.testing.assert_allclose(when, [27.0, 5.0])


def test_rate_table_peak_matches_peak_rate():
    rec = _step_response()
    table = analysis.rate_table(rec, start_ms=100.0)
    peak, when = analysis.peak_rate(rec, 100.0)
    np.testing.assert_allclose(table["peak_rate_hz"], peak)
    np.testing.assert_allclose(table["peak_time_ms"], when)
    np.testing.assert_allclose(table["mean_rate_hz"][3], 10.0)


# ------------------------------------------------------------------ propagation


def test_propagation_on_step_response():
    rec = _step_response()
    table = analysis.propagation(rec, 300.0, baseline_ms=(0.0, 300.0))
    assert table["area"] == list(NAMES)
    assert len({len(v) for v in table.values()}) == 1
    np.testing.assert_allclose(table["baseline_hz"], 10.0)
    np.testing.assert_allclose(table["baseline_sd_hz"], 0.0)
    np.testing.assert_allclose(table["threshold_hz"], 15.0)          # SD 0: the 5 Hz floor
    np.testing.assert_array_equal(table["responded"], [True, True, True, False])
    # latency = end of the first window above 15 Hz - onset; e.g. for A the
    # window [291, 301) holds the baseline spike at 295 and 2 response spikes (30 Hz)
    np.testing.assert_allclose(table["latency_ms"], [1.0, 21.0, 41.0, np.nan])
    np.testing.assert_allclose(table["peak_hz"], [200.0, 200.0, 200.0, 10.0])
    np.testing.assert_allclose(table["peak_time_ms"], [305.0, 325.0, 345.0, 296.0])
    # the default baseline is [0, onset); a late stop_ms cuts the response of B and C
    default = analysis.propagation(rec, 300.0, stop_ms=321.0)
    np.testing.assert_allclose(default["baseline_hz"], table["baseline_hz"])
    np.testing.assert_array_equal(default["responded"], [True, True, False, False])
    # a floor above the response hides it
    high = analysis.propagation(rec, 300.0, min_rise_hz=500.0)
    assert not high["responded"].any() and np.isnan(high["latency_ms"]).all()


def test_propagation_threshold_uses_k_sd():
    # Poisson baseline 5 Hz in both areas; area A jumps to 80 Hz from 200 ms
    rng = np.random.default_rng(0)
    n_E, dt, n_steps = 200, 0.5, 800
    rate = np.full((2, n_steps), 5.0)
    rate[0, 400:] = 80.0
    counts = rng.poisson(rate * n_E * dt * 1e-3)
    area, steps = np.nonzero(counts)
    steps, area = np.repeat(steps, counts[area, steps]), np.repeat(area, counts[area, steps])
    neurons = area * n_E + rng.integers(0, n_E, steps.size)
    rec = ma.SpikeRecord.from_ei(steps.astype(np.int32), neurons.astype(np.int32), n_steps, dt,
                                 ("A", "B"), n_E, 50)
    table = analysis.propagation(rec, 200.0, baseline_ms=(20.0, 200.0))
    assert table["baseline_sd_hz"].min() > 0
    np.testing.assert_allclose(table["threshold_hz"], table["baseline_hz"] + np.maximum(
        3 * table["baseline_sd_hz"], 5.0))
    np.testing.assert_array_equal(table["responded"], [True, False])
    assert 0 < table["latency_ms"][0] <= 5.0 and np.isnan(table["latency_ms"][1])
    assert 60 < table["peak_hz"][0] < 100


def test_propagation_summary():
    table = analysis.propagation(_step_response(), 300.0)
    summary = analysis.propagation_summary(table, [0.0, 0.2, 0.1, 0.9])
    assert summary["n_responding"] == 3
    assert summary["max_hierarchy_reached"] == pytest.approx(0.2)
    assert summary["areas_reached"] == ["A", "C", "B"]
    # latency ranks 1, 2, 3 vs hierarchy ranks 1, 3, 2: rho = 1 - 6 * 2 / (3 * 8)
    assert summary["latency_hierarchy_spearman"] == pytest.approx(0.5)
    monotone = analysis.propagation_summary(table, [0.0, 0.5, 0.7, 0.9])
    assert monotone["latency_hierarchy_spearman"] == pytest.approx(1.0)
    two = analysis.propagation(_step_response((300, 320, None)), 300.0)
    summary = analysis.propagation_summary(two, np.array([0.3, 0.0, 1.0]))
    assert summary["n_responding"] == 2 and summary["areas_reached"] == ["B", "A"]
    assert summary["max_hierarchy_reached"] == pytest.approx(0.3)
    assert math.isnan(summary["latency_hierarchy_spearman"])         # < 3 responding


def test_empty_record_gives_zeros_not_nan():
    rec = _empty()
    mean, sd = analysis.baseline(rec, 0.0, 100.0)
    np.testing.assert_array_equal(mean, [0.0, 0.0])
    np.testing.assert_array_equal(sd, [0.0, 0.0])
    peak, when = analysis.peak_rate(rec, 50.0)
    np.testing.assert_array_equal(peak, [0.0, 0.0])
    np.testing.assert_allclose(when, [55.0, 55.0])
    table = analysis.propagation(rec, 100.0)
    assert not table["responded"].any()
    for column in ("baseline_hz", "baseline_sd_hz", "peak_hz", "peak_time_ms", "threshold_hz"):
        assert np.isfinite(table[column]).all(), column
    assert np.isnan(table["latency_ms"]).all()
    summary = analysis.propagation_summary(table, [0.0, 1.0])
    assert summary["n_responding"] == 0 and summary["areas_reached"] == []
    assert math.isnan(summary["max_hierarchy_reached"])
    assert math.isnan(summary["latency_hierarchy_spearman"])


def test_write_propagation_table(tmp_path):
    table = analysis.propagation(_step_response(), 300.0)
    path = analysis.write_rate_table(table, tmp_path / "propagation.csv")
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [r["area"] for r in rows] == list(NAMES)
    assert [r["responded"] for r in rows] == ["True", "True", "True", "False"]
    assert [r["latency_ms"] for r in rows] == ["1.0000", "21.0000", "41.0000", ""]
    assert float(rows[0]["peak_hz"]) == 200.0


# ------------------------------------------------------------------ errors


def test_errors_name_the_parameter():
    rec = _staircase()
    with pytest.raises(ValueError, match=re.escape("unknown population 'X'; this record has ['E', 'I']")):
        analysis.baseline(rec, 0.0, 40.0, population="X")
    with pytest.raises(ValueError, match="population"):
        analysis.peak_rate(rec, population="e")
    with pytest.raises(ValueError, match="unknown population 'X'"):
        analysis.raster_plot(rec, populations=("X",))
    with pytest.raises(ValueError, match="window_ms = 50.0 is longer than the recording"):
        analysis.peak_rate(rec, window_ms=50.0)
    with pytest.raises(ValueError, match="window_ms must be > 0"):
        analysis.baseline(rec, 0.0, 40.0, window_ms=0.0)
    with pytest.raises(TypeError, match="step_ms must be a real number"):
        analysis.baseline(rec, 0.0, 40.0, step_ms="1")
    with pytest.raises(ValueError, match="start_ms must be < stop_ms"):
        analysis.baseline(rec, 20.0, 20.0)
    with pytest.raises(ValueError, match="start_ms must be in"):
        analysis.baseline(rec, -1.0, 20.0)
    with pytest.raises(ValueError, match="stop_ms must be in"):
        analysis.peak_rate(rec, 0.0, 41.0)
    with pytest.raises(ValueError, match="shorter than window_ms"):
        analysis.baseline(rec, 0.0, 5.0)
    with pytest.raises(ValueError, match="step_ms"):         # [3, 13) holds no window starting at 0, 10, ...
        analysis.baseline(rec, 3.0, 13.0, step_ms=10.0)


def test_propagation_errors():
    rec = _step_response()
    with pytest.raises(ValueError, match="stimulus_onset_ms must be in"):
        analysis.propagation(rec, 500.0)
    with pytest.raises(ValueError, match="baseline_ms must end at or before"):
        analysis.propagation(rec, 300.0, baseline_ms=(0.0, 310.0))
    with pytest.raises(ValueError, match="baseline_ms .*shorter than window_ms"):
        analysis.propagation(rec, 300.0, baseline_ms=(295.0, 300.0))
    with pytest.raises(ValueError, match="baseline_ms .*start_ms must be < stop_ms"):
        analysis.propagation(rec, 300.0, baseline_ms=(200.0, 100.0))
    with pytest.raises(TypeError, match="baseline_ms must be a"):
        analysis.propagation(rec, 300.0, baseline_ms=100.0)
    with pytest.raises(ValueError, match="k must be >= 0"):
        analysis.propagation(rec, 300.0, k=-1.0)
    with pytest.raises(ValueError, match="min_rise_hz must be >= 0"):
        analysis.propagation(rec, 300.0, min_rise_hz=-5.0)
    with pytest.raises(ValueError, match="stop_ms must be after"):
        analysis.propagation(rec, 300.0, stop_ms=300.0)
    table = analysis.propagation(rec, 300.0)
    with pytest.raises(ValueError, match=r"hierarchy must have shape \(4,\)"):
        analysis.propagation_summary(table, [0.0, 1.0])
    with pytest.raises(ValueError, match="missing columns"):
        analysis.propagation_summary({"area": ["A"]}, [0.0])


# ------------------------------------------------------------------ plots


def _labels(ticks):
    return [t.get_text() for t in ticks]


def test_raster_plot_order_window_and_subsampling(tmp_path):
    rec = _step_response()
    fig = analysis.raster_plot(rec, populations=("E",), order=[2, 0, 3, 1], start_ms=250.0, stop_ms=350.0,
                               neurons=3, path=tmp_path / "raster.png")
    ax = fig.axes[0]
    assert _labels(ax.get_yticklabels()) == ["C", "A", "D", "B"]
    assert ax.get_xlim() == (250.0, 350.0)
    (x_e, y_e), (x_i, _) = (line.get_data() for line in ax.lines[:2])
    assert x_i.size == 0 and x_e.min() >= 250.0 and x_e.max() < 350.0
    chosen = analysis.raster_selection(rec, neurons=3)
    steps, area, index = rec.population("E")
    drawn = np.array([i in chosen[f"{rec.area_names[a]}/E"] for a, i in zip(area, index)])
    keep = (steps >= 250) & (steps < 350) & drawn
    assert x_e.size == keep.sum() > 0
    band_of_area = {2: 0, 0: 1, 3: 2, 1: 3}
    np.testing.assert_allclose(np.sort(np.floor(y_e)), np.sort([band_of_area[a] for a in area[keep]]))
    assert (tmp_path / "raster.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a subset of areas, drawn into a given axes
    fig, given = plt.subplots()
    assert analysis.raster_plot(rec, order=[1], ax=given) is fig
    assert _labels(given.get_yticklabels()) == ["B"]
    with pytest.raises(ValueError, match="order must not repeat"):
        analysis.raster_plot(rec, order=[0, 0])
    with pytest.raises(ValueError, match="order must hold area indices"):
        analysis.raster_plot(rec, order=[4])
    with pytest.raises(TypeError, match="order"):
        analysis.raster_plot(rec, order=["A"])


def test_raster_selection_is_a_seeded_subsample_of_every_population():
    rec = _step_response()                                       # 4 areas x (E 10, I 2)
    chosen = analysis.raster_selection(rec, neurons=3, seed=7)
    assert list(chosen) == list(rec.keys)
    for key, size in zip(rec.keys, rec.sizes):
        assert chosen[key].size == min(3, size) and np.all(np.diff(chosen[key]) > 0) and chosen[key].max() < size
    again = analysis.raster_selection(rec, neurons=3, seed=7)
    assert all(np.array_equal(chosen[k], again[k]) for k in rec.keys)          # the same neurons every run
    other = analysis.raster_selection(rec, neurons=3, seed=8)
    assert any(not np.array_equal(chosen[k], other[k]) for k in rec.keys)
    assert all(analysis.raster_selection(rec, neurons="all")[k].size == n for k, n in zip(rec.keys, rec.sizes))
    assert analysis.raster_selection(rec)["A/E"].size == 10                    # RASTER_NEURONS > 10: all
    assert analysis.raster_selection(rec, fraction=0.25)["A/E"].size == 2       # round(2.5), at least one
    assert analysis.raster_selection(rec, fraction=0.01)["A/I"].size == 1
    with pytest.raises(ValueError, match="neurons or fraction, not both"):
        analysis.raster_selection(rec, neurons=3, fraction=0.5)
    with pytest.raises(ValueError, match="neurons must be > 0|neurons must be an int >= 1"):
        analysis.raster_selection(rec, neurons=0)
    with pytest.raises(ValueError, match="'some'"):
        analysis.raster_selection(rec, neurons="some")
    with pytest.raises(ValueError, match="fraction must be in"):
        analysis.raster_selection(rec, fraction=1.5)


def test_raster_figure_draws_every_population_in_colour_beside_the_rates(tmp_path):
    rec = _step_response()
    fig = analysis.raster_figure(rec, neurons=5, order=[3, 2, 1, 0], path=tmp_path / "both.png")
    raster, heat = fig.axes[:2]
    assert _labels(raster.get_yticklabels()) == ["D", "C", "B", "A"]
    assert _labels(heat.get_yticklabels()) == ["D", "C", "B", "A"]
    colours = [line.get_color() for line in raster.lines[:2]]
    assert colours == ["k", "tab:red"]
    assert [t.get_text() for t in raster.get_legend().get_texts()] == ["excitatory", "inhibitory"]
    assert heat.images[0].get_array().shape[0] == 4
    assert (tmp_path / "both.png").stat().st_size > 5000


def test_rate_heatmap(tmp_path):
    rec = _step_response()
    fig = analysis.rate_heatmap(rec, order=[3, 2, 1, 0], path=tmp_path / "heat.png")
    ax, colorbar = fig.axes
    assert _labels(ax.get_yticklabels()) == ["D", "C", "B", "A"]
    assert "Hz" in colorbar.get_ylabel()
    image = ax.get_images()[0]
    times, rates = analysis.population_rate(rec)
    assert image.get_array().shape == (4, times.size)
    np.testing.assert_allclose(image.get_array()[0], rates[3])
    np.testing.assert_allclose(image.get_extent(), [4.5, 495.5, 0, 4])
    assert (tmp_path / "heat.png").stat().st_size > 1000
    log = analysis.rate_heatmap(_empty(), log=True)
    assert log.axes[0].get_images()[0].get_array().min() == analysis.LOG_FLOOR_HZ


def test_peak_rate_plot(tmp_path):
    conditions = {"weak": np.array([10.0, 2.0, 0.0]), "strong": np.array([80.0, 40.0, 20.0])}
    fig = analysis.peak_rate_plot(conditions, ["V1", "V2", "V4"], order=[2, 0, 1],
                                  path=tmp_path / "peaks.png")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["weak", "strong"]
    assert ax.get_yscale() == "log"
    assert _labels(ax.get_xticklabels()) == ["V4", "V1", "V2"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [analysis.LOG_FLOOR_HZ, 10.0, 2.0])
    assert (tmp_path / "peaks.png").is_file()
    with pytest.raises(ValueError, match=r"conditions\['weak'\] must have shape \(2,\)"):
        analysis.peak_rate_plot({"weak": [1.0, 2.0, 3.0]}, ["V1", "V2"])
    with pytest.raises(TypeError, match="conditions"):
        analysis.peak_rate_plot({}, ["V1"])


def test_latency_plot(tmp_path):
    table = analysis.propagation(_step_response(), 300.0)
    hierarchy = [0.0, 0.2, 0.1, 0.9]
    fig = analysis.latency_plot(table, hierarchy, NAMES, path=tmp_path / "latency.png")
    ax = fig.axes[0]
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(x, [0.0, 0.2, 0.1])              # D did not respond: omitted
    np.testing.assert_allclose(y, [1.0, 21.0, 41.0])
    assert [t.get_text() for t in ax.texts] == ["A", "B", "C"]
    assert (tmp_path / "latency.png").is_file()
    fig = analysis.latency_plot([np.nan, 5.0], [0.0, 1.0], ["V1", "V2"])
    assert [t.get_text() for t in fig.axes[0].texts] == ["V2"]
    with pytest.raises(ValueError, match="hierarchy"):
        analysis.latency_plot(table, [0.0, 1.0], NAMES)


# ------------------------------------------------------------------ over seeds

def _table(peaks, responded, latency, returned=None):
    table = {"area": ["V1", "V2", "V4"], "peak_hz": np.array(peaks, float),
             "responded": np.array(responded), "latency_ms": np.array(latency, float)}
    if returned is not None:
        table["returned"] = np.array(returned)
    return table


def test_seed_summary_by_hand():
    tables = [_table([10, 1, 50], [True, False, True], [5, np.nan, 20], [True, True, False]),
              _table([20, 2, 70], [True, False, True], [7, np.nan, 30], [True, True, True]),
              _table([30, 9, 60], [True, True, False], [9, 40, np.nan], [True, False, True]),
              _table([40, 3, 80], [True, False, True], [11, np.nan, 40], [True, True, True])]
    s = analysis.seed_summary(tables)
    assert s["area"] == ["V1", "V2", "V4"]
    np.testing.assert_array_equal(s["n_seeds"], 4)
    np.testing.assert_allclose(s["peak_median_hz"], [25.0, 2.5, 65.0])
    np.testing.assert_allclose(s["peak_q25_hz"], [17.5, 1.75, 57.5])
    np.testing.assert_allclose(s["peak_q75_hz"], [32.5, 4.5, 72.5])
    np.testing.assert_allclose(s["responded_fraction"], [1.0, 0.25, 0.75])
    np.testing.assert_allclose(s["latency_median_ms"], [8.0, 40.0, 30.0])   # over responding seeds
    np.testing.assert_allclose(s["latency_q25_ms"], [6.5, 40.0, 25.0])
    np.testing.assert_allclose(s["returned_fraction"], [1.0, 0.75, 0.75])
    none = analysis.seed_summary([_table([1, 1, 1], [False] * 3, [np.nan] * 3)])
    assert np.isnan(none["latency_median_ms"]).all() and "returned_fraction" not in none
    with pytest.raises(TypeError, match="tables"):
        analysis.seed_summary([])
    other = _table([1, 1, 1], [False] * 3, [np.nan] * 3)
    other["area"] = ["V1", "V4", "V2"]
    with pytest.raises(ValueError, match="same areas"):
        analysis.seed_summary([tables[0], other])


def test_peak_rate_plot_with_seeds_draws_median_band_and_seeds(tmp_path):
    peaks = np.array([[10.0, 1.0, 50.0], [20.0, 2.0, 70.0], [30.0, 9.0, 60.0], [40.0, 3.0, 80.0]])
    fig = analysis.peak_rate_plot({"strong": peaks, "weak": peaks[0] / 2}, ["V1", "V2", "V4"],
                                  path=tmp_path / "peaks.png")
    ax = fig.axes[0]
    seeds_line, median_line, weak_line = ax.get_lines()
    np.testing.assert_allclose(median_line.get_ydata(), [25.0, 2.5, 65.0])
    assert seeds_line.get_ydata().size == peaks.size
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(1.75) and band.max() == pytest.approx(72.5)
    np.testing.assert_allclose(weak_line.get_ydata(), peaks[0] / 2)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["strong (median, IQR; 4 seeds)", "weak"]
    with pytest.raises(ValueError, match=r"must have shape \(3,\) or \(n_seeds, 3\)"):
        analysis.peak_rate_plot({"x": np.ones((2, 4))}, ["V1", "V2", "V4"])


def test_latency_plot_with_seeds():
    latency = np.array([[5.0, np.nan, 20.0], [7.0, np.nan, 30.0], [9.0, np.nan, np.nan]])
    fig = analysis.latency_plot(latency, [0.0, 0.5, 1.0], ["V1", "V2", "V4"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["V1", "V4"]     # V2 never responded
    medians = ax.containers[0].lines[0].get_ydata()
    np.testing.assert_allclose(medians, [7.0, 25.0])
    assert "3 seeds" in ax.get_legend().get_texts()[0].get_text()


def test_mean_rate_by_hand():
    rec = _staircase()            # A: 0, 1, 2, 3 E spikes in [0,10) .. [30,40); n_E = 2, dt = 1 ms
    np.testing.assert_allclose(analysis.mean_rate(rec, 10.0, 30.0), [3 / 2 / 0.02, 0.0])
    np.testing.assert_allclose(analysis.mean_rate(rec), [6 / 2 / 0.04, 0.0])
    with pytest.raises(ValueError, match="start_ms"):
        analysis.mean_rate(rec, 30.0, 20.0)
