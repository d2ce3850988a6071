"""Spike counts and sliding-window population rates per area, and rate tables.

Conventions (populations, windows, intervals): :mod:`multiarea.spiking.analysis`.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from ..recording import SpikeRecord
from ._common import _interval, _population_size, _to_steps

__all__ = ["spike_counts", "population_rate", "baseline", "peak_rate", "mean_rate", "rate_table",
           "write_rate_table"]


def spike_counts(record: SpikeRecord, population: str = "E") -> np.ndarray:
    """``(n_areas, n_steps)`` number of spikes of the population per area and step."""
    steps, area, _ = record.population(population)
    counts = np.zeros((len(record.area_names), record.n_steps), np.int64)
    np.add.at(counts, (area, steps), 1)
    return counts


def population_rate(record: SpikeRecord, population: str = "E", window_ms: float = 10.0,
                    step_ms: float = 1.0):
    """Sliding-window population rate per area.

    Args:
        window_ms: window length (ms); step_ms: shift between windows (ms).
            Both are rounded to whole time steps.

    Returns:
        ``(times_ms (n_windows,), rates_hz (n_areas, n_windows))`` with times
        at window centres.

    Raises:
        ValueError: a window longer than the recording, non-positive sizes or
            an unknown population.
    """
    window = _to_steps("window_ms", window_ms, record.dt)
    shift = _to_steps("step_ms", step_ms, record.dt)
    if window > record.n_steps:
        raise ValueError(f"window_ms = {window_ms} is longer than the recording "
                         f"({record.duration_ms} ms)")
    size = _population_size(record, population)
    cumulative = np.concatenate([np.zeros((len(record.area_names), 1), np.int64),
                                 np.cumsum(spike_counts(record, population), axis=1)], axis=1)
    starts = np.arange(0, record.n_steps - window + 1, shift)
    in_window = cumulative[:, starts + window] - cumulative[:, starts]
    rates = in_window / (size[:, None] * window * record.dt * 1e-3)
    return (starts + window / 2) * record.dt, rates


def _windows(record: SpikeRecord, population: str, window_ms, step_ms):
    """:func:`population_rate` plus each window's first and one-past-last step."""
    times, rates = population_rate(record, population, window_ms, step_ms)
    window = _to_steps("window_ms", window_ms, record.dt)
    begin = np.rint(times / record.dt - window / 2).astype(np.int64)
    return times, rates, begin, begin + window


def _rates_inside(record: SpikeRecord, start_ms, stop_ms, population, window_ms, step_ms):
    """``(times_ms, rates_hz)`` of the windows lying entirely inside ``[start_ms, stop_ms)``."""
    first, last = _interval(record, start_ms, stop_ms)
    times, rates, begin, end = _windows(record, population, window_ms, step_ms)
    if last - first < end[0] - begin[0]:
        raise ValueError(f"the interval [start_ms, stop_ms) = [{first * record.dt}, "
                         f"{last * record.dt}) ms is shorter than window_ms = {window_ms!r}")
    inside = (begin >= first) & (end <= last)
    if not inside.any():
        raise ValueError(f"no {window_ms} ms window on the step_ms = {step_ms} ms grid lies "
                         f"inside [start_ms, stop_ms) = [{first * record.dt}, "
                         f"{last * record.dt}) ms")
    return times[inside], rates[:, inside]


def baseline(record: SpikeRecord, start_ms: float, stop_ms: float, population: str = "E",
             window_ms: float = 10.0, step_ms: float = 1.0):
    """Mean and standard deviation over time of the sliding-window rate.

    Only windows lying entirely inside ``[start_ms, stop_ms)`` are used.

    Returns:
        ``(mean_hz (n_areas,), sd_hz (n_areas,))``; the SD is the population
        SD over windows (``ddof=0``), so a single window or a constant rate
        gives 0, and an area without spikes gives mean 0 and SD 0.

    Raises:
        ValueError: an interval outside the recording, ``start_ms >= stop_ms``,
            an interval shorter than one window or holding no window of the
            ``step_ms`` grid, or an invalid population / window.
    """
    _, rates = _rates_inside(record, start_ms, stop_ms, population, window_ms, step_ms)
    return rates.mean(axis=1), rates.std(axis=1)


def peak_rate(record: SpikeRecord, start_ms: float = 0.0, stop_ms: float | None = None,
              population: str = "E", window_ms: float = 10.0, step_ms: float = 1.0):
    """Highest sliding-window rate per area over the windows inside ``[start_ms, stop_ms)``.

    Args:
        stop_ms: end of the interval (ms); ``None`` is the end of the recording.

    Returns:
        ``(peak_hz (n_areas,), peak_time_ms (n_areas,))``, the time being the
        centre of the peak window.  Ties go to the earliest window, so an area
        without spikes has peak 0 Hz at the first window inside the interval.

    Raises:
        ValueError: as :func:`baseline`.
    """
    times, rates = _rates_inside(record, start_ms, stop_ms, population, window_ms, step_ms)
    best = rates.argmax(axis=1)
    return rates[np.arange(rates.shape[0]), best], times[best]


def mean_rate(record: SpikeRecord, start_ms: float = 0.0, stop_ms: float | None = None,
              population: str = "E") -> np.ndarray:
    """``(n_areas,)`` mean rate (Hz) per area over ``[start_ms, stop_ms)``
    (``stop_ms=None``: the end of the recording)."""
    first, last = _interval(record, start_ms, stop_ms)
    size = _population_size(record, population)
    counts = spike_counts(record, population)[:, first:last]
    return counts.sum(axis=1) / (size * (last - first) * record.dt * 1e-3)


def rate_table(record: SpikeRecord, population: str = "E", window_ms: float = 10.0,
               step_ms: float = 1.0, start_ms: float = 0.0) -> dict:
    """Per area: mean rate and peak sliding-window rate (Hz) from ``start_ms`` on.

    ``start_ms`` skips the initial transient (the original code takes rates
    from a third of the run on).  The peak is taken over windows starting at
    or after ``start_ms`` (see :func:`peak_rate`).

    Returns a dict of equal-length columns ``area``, ``mean_rate_hz``,
    ``peak_rate_hz``, ``peak_time_ms``.
    """
    mean = mean_rate(record, start_ms, None, population)
    peak, peak_time = peak_rate(record, start_ms, None, population, window_ms, step_ms)
    return {"area": list(record.area_names), "mean_rate_hz": mean,
            "peak_rate_hz": peak, "peak_time_ms": peak_time}


def write_rate_table(table: dict, path) -> Path:
    """Write a table of equal-length columns (:func:`rate_table`, :func:`propagation`) as CSV.

    Cells are written as: strings as they are, booleans as ``True``/``False``,
    NaN as an empty cell (read back as NaN by ``pandas.read_csv``), other
    numbers with 4 decimals.
    """
    def cell(v):
        if isinstance(v, str):
            return v
        if isinstance(v, (bool, np.bool_)):
            return str(bool(v))
        return "" if math.isnan(v) else f"{v:.4f}"

    path = Path(path)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(list(table))
        for row in zip(*table.values()):
            writer.writerow([cell(v) for v in row])
    return path
