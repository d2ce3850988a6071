"""Rates and rasters from a :class:`~multiarea.recording.SpikeRecord`."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from . import _checks
from .recording import SpikeRecord

__all__ = ["spike_counts", "population_rate", "rate_table", "write_rate_table", "raster_plot"]


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
        ValueError: a window longer than the recording, or non-positive sizes.
    """
    window = int(round(_checks.positive_float("window_ms", window_ms) / record.dt))
    shift = int(round(_checks.positive_float("step_ms", step_ms) / record.dt))
    if window < 1 or shift < 1:
        raise ValueError(f"window_ms and step_ms must be at least dt = {record.dt} ms")
    if window > record.n_steps:
        raise ValueError(f"window_ms = {window_ms} is longer than the recording "
                         f"({record.duration_ms} ms)")
    size = record.n_E if population == "E" else record.n_I
    cumulative = np.concatenate([np.zeros((len(record.area_names), 1), np.int64),
                                 np.cumsum(spike_counts(record, population), axis=1)], axis=1)
    starts = np.arange(0, record.n_steps - window + 1, shift)
    in_window = cumulative[:, starts + window] - cumulative[:, starts]
    rates = in_window / (size * window * record.dt * 1e-3)
    return (starts + window / 2) * record.dt, rates


def rate_table(record: SpikeRecord, population: str = "E", window_ms: float = 10.0,
               step_ms: float = 1.0, start_ms: float = 0.0) -> dict:
    """Per area: mean rate and peak sliding-window rate (Hz) from ``start_ms`` on.

    ``start_ms`` skips the initial transient (the original code takes rates
    from a third of the run on).

    Returns a dict of equal-length columns ``area``, ``mean_rate_hz``,
    ``peak_rate_hz``, ``peak_time_ms``.
    """
    if not 0.0 <= start_ms < record.duration_ms:
        raise ValueError(f"start_ms must be in [0, {record.duration_ms}), got {start_ms}")
    size = record.n_E if population == "E" else record.n_I
    first = int(round(start_ms / record.dt))
    counts = spike_counts(record, population)[:, first:]
    mean = counts.sum(axis=1) / (size * counts.shape[1] * record.dt * 1e-3)
    times, rates = population_rate(record, population, window_ms, step_ms)
    late = times - window_ms / 2 >= start_ms
    if not late.any():
        raise ValueError(f"no {window_ms} ms window starts after start_ms = {start_ms}")
    times, rates = times[late], rates[:, late]
    peak = rates.argmax(axis=1)
    return {"area": list(record.area_names), "mean_rate_hz": mean,
            "peak_rate_hz": rates[np.arange(len(peak)), peak], "peak_time_ms": times[peak]}


def write_rate_table(table: dict, path) -> Path:
    """Write a :func:`rate_table` as CSV."""
    path = Path(path)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(list(table))
        for row in zip(*table.values()):
            writer.writerow([v if isinstance(v, str) else f"{v:.4f}" for v in row])
    return path


def raster_plot(record: SpikeRecord, population: str = "E", ax=None, path=None,
                markersize: float = 0.5):
    """Raster of one population, one band per area (labelled), time in ms.

    Returns the matplotlib Figure; saves it to ``path`` if given.
    """
    import matplotlib.pyplot as plt

    steps, area, index = record.population(population)
    size = record.n_E if population == "E" else record.n_I
    n_areas = len(record.area_names)
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, max(3.0, 0.22 * n_areas)))
    else:
        fig = ax.figure
    ax.plot(steps * record.dt, area + index / size, ",k" if markersize < 1 else ".k",
            markersize=markersize, rasterized=True)
    for k in range(n_areas + 1):
        ax.axhline(k, color="0.7", lw=0.4)
    ax.set_yticks(np.arange(n_areas) + 0.5, record.area_names, fontsize=7)
    ax.set_ylim(0, n_areas)
    ax.set_xlim(0, record.duration_ms)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"area ({population} neurons)")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=150)
    return fig
