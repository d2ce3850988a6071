import numpy as np
import pytest

import multiarea as ma


def _record():
    # 2 areas, n_E = 4, n_I = 2; neurons 0..7 are E, 8..11 are I
    steps = np.array([0, 0, 5, 9, 9, 12], np.int32)
    neurons = np.array([1, 9, 4, 0, 11, 7], np.int32)
    return ma.SpikeRecord(steps, neurons, 20, 0.5, ("A", "B"), 4, 2)


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
    assert (back.n_steps, back.dt, back.area_names, back.n_E, back.n_I) == (20, 0.5, ("A", "B"), 4, 2)
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        ma.SpikeRecord.load(tmp_path / "nothing.npz")
