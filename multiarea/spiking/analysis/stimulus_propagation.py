"""Stimulus propagation: which areas respond to a stimulus, when, and how far up the hierarchy.

* :func:`propagation`: per area, the response to one stimulus in one run;
* :func:`propagation_summary`: how far up the hierarchy that response travelled;
* :func:`seed_summary`: per-area statistics of propagation tables over seeds.

Conventions (populations, windows, intervals): :mod:`multiarea.spiking.analysis`.
"""
from __future__ import annotations

import numpy as np

from ... import _checks
from ..recording import SpikeRecord
from ._common import _per_area, _time_step
from .rates import _windows, baseline

__all__ = ["propagation", "propagation_summary", "seed_summary"]


def propagation(record: SpikeRecord, stimulus_onset_ms: float, baseline_ms=None, k: float = 3.0,
                stop_ms: float | None = None, population: str = "E", window_ms: float = 10.0,
                step_ms: float = 1.0, min_rise_hz: float = 5.0) -> dict:
    """Which areas respond to a stimulus, how strongly and with what latency.

    Per area, the baseline is :func:`baseline` over ``baseline_ms`` and the
    response threshold is ``baseline_hz + max(k * baseline_sd_hz, min_rise_hz)``:
    the rate must exceed both ``k`` SDs and ``min_rise_hz`` above the
    baseline mean.  The floor ``min_rise_hz`` keeps a silent or perfectly
    regular baseline (SD 0) from turning a single spike into a response.

    The response windows are the sliding windows that end after the onset and
    no later than ``stop_ms``, i.e. every window holding some post-onset time
    (the first ones also hold the end of the baseline).  An area ``responded``
    if the peak rate over them exceeds the threshold; its latency is the
    **end** time of the first supra-threshold window minus the onset: the
    time after onset by which the spikes so far show the response (a causal
    estimate, resolved to ``step_ms``, at least one step).

    Args:
        stimulus_onset_ms: stimulus onset (ms), inside the recording.
        baseline_ms: ``(start, stop)`` of the baseline interval (ms), ending
            no later than the onset; ``None`` is ``(0, stimulus_onset_ms)``.
        k: threshold in baseline SDs (>= 0).
        stop_ms: end of the response interval (ms); ``None`` is the end of
            the recording.
        min_rise_hz: smallest rise above the baseline mean (Hz, >= 0) that
            counts as a response.
        population, window_ms, step_ms: as :func:`population_rate`.

    Returns:
        A dict of equal-length columns (usable by :func:`write_rate_table`):
        ``area`` (names), ``baseline_hz``, ``baseline_sd_hz``,
        ``threshold_hz``, ``peak_hz`` and ``peak_time_ms`` (centre of the peak
        response window; earliest one on ties), ``responded`` (bool) and
        ``latency_ms`` (``NaN`` where ``responded`` is False).

    Raises:
        ValueError / TypeError: naming the offending parameter (onset outside
            the recording, a baseline interval that is empty, shorter than a
            window or extends past the onset, negative ``k``/``min_rise_hz``,
            a response interval holding no window, ...).
    """
    onset = _time_step("stimulus_onset_ms", stimulus_onset_ms, record, allow_end=False)
    if baseline_ms is None:
        baseline_ms = (0.0, stimulus_onset_ms)
    try:
        base_start, base_stop = baseline_ms
    except (TypeError, ValueError) as err:
        raise TypeError(f"baseline_ms must be a (start, stop) pair in ms, got {baseline_ms!r}") from err
    if _checks.finite_float("baseline_ms[1]", base_stop) > stimulus_onset_ms:
        raise ValueError(f"baseline_ms must end at or before stimulus_onset_ms = "
                         f"{stimulus_onset_ms}, got {baseline_ms!r}")
    k = _checks.nonnegative_float("k", k)
    min_rise_hz = _checks.nonnegative_float("min_rise_hz", min_rise_hz)
    try:
        base_mean, base_sd = baseline(record, base_start, base_stop, population, window_ms, step_ms)
    except ValueError as err:
        raise ValueError(f"baseline_ms = {baseline_ms!r}: {err}") from err
    last = record.n_steps if stop_ms is None else _time_step("stop_ms", stop_ms, record, True)
    if last <= onset:
        raise ValueError(f"stop_ms must be after stimulus_onset_ms = {stimulus_onset_ms}, "
                         f"got {stop_ms!r}")

    times, rates, _, end = _windows(record, population, window_ms, step_ms)
    response = (end > onset) & (end <= last)
    if not response.any():
        raise ValueError(f"no {window_ms} ms window ends in (stimulus_onset_ms, stop_ms] = "
                         f"({onset * record.dt}, {last * record.dt}] ms")
    times, rates, end = times[response], rates[:, response], end[response]
    threshold = base_mean + np.maximum(k * base_sd, min_rise_hz)
    rows = np.arange(rates.shape[0])
    best = rates.argmax(axis=1)
    peak = rates[rows, best]
    responded = peak > threshold
    first_above = (rates > threshold[:, None]).argmax(axis=1)
    latency = np.where(responded, (end[first_above] - onset) * record.dt, np.nan)
    return {"area": list(record.area_names), "baseline_hz": base_mean, "baseline_sd_hz": base_sd,
            "threshold_hz": threshold, "peak_hz": peak, "peak_time_ms": times[best],
            "responded": responded, "latency_ms": latency}


def seed_summary(tables) -> dict:
    """Per-area statistics of :func:`propagation` tables from runs with different seeds.

    Args:
        tables: a non-empty sequence of propagation tables of the same areas.

    Returns:
        A dict of equal-length columns: ``area``, ``n_seeds``,
        ``peak_median_hz``, ``peak_q25_hz``, ``peak_q75_hz`` (quartiles of the
        peak over seeds), ``responded_fraction`` (fraction of seeds in which
        the area responded), ``latency_median_ms``, ``latency_q25_ms``,
        ``latency_q75_ms`` (over the seeds in which it responded; NaN if in
        none) and, if the tables have a ``returned`` column,
        ``returned_fraction``.
    """
    tables = list(tables)
    if not tables or not all(isinstance(t, dict) for t in tables):
        raise TypeError("tables must be a non-empty sequence of propagation tables (dicts)")
    areas = list(tables[0]["area"])
    if any(list(t["area"]) != areas for t in tables):
        raise ValueError("tables must all have the same areas in the same order")
    peaks = np.array([t["peak_hz"] for t in tables], dtype=float)
    responded = np.array([t["responded"] for t in tables], dtype=bool)
    latency = np.array([t["latency_ms"] for t in tables], dtype=float)
    q25, median, q75 = np.percentile(peaks, [25, 50, 75], axis=0)
    table = {"area": areas, "n_seeds": np.full(len(areas), len(tables)),
             "peak_median_hz": median, "peak_q25_hz": q25, "peak_q75_hz": q75,
             "responded_fraction": responded.mean(axis=0)}
    some = responded.any(axis=0)
    lat = np.full((3, len(areas)), np.nan)
    if some.any():
        lat[:, some] = np.nanpercentile(latency[:, some], [25, 50, 75], axis=0)
    table.update(latency_median_ms=lat[1], latency_q25_ms=lat[0], latency_q75_ms=lat[2])
    if all("returned" in t for t in tables):
        table["returned_fraction"] = np.array([t["returned"] for t in tables], dtype=bool).mean(axis=0)
    return table


def propagation_summary(table: dict, hierarchy) -> dict:
    """How far up the hierarchy a response travelled.

    Args:
        table: a :func:`propagation` table (needs ``area``, ``responded``,
            ``latency_ms``).
        hierarchy: ``(n_areas,)`` hierarchy value of each area, in table order.

    Returns:
        A dict with ``n_responding`` (int); ``max_hierarchy_reached``, the
        highest hierarchy value among responding areas (``NaN`` if none
        responded, since 0 is a real hierarchy value: V1's); ``areas_reached``,
        the names of the responding areas by increasing hierarchy (ties in
        table order); and ``latency_hierarchy_spearman``, Spearman's rank
        correlation of latency with hierarchy over the responding areas
        (``NaN`` with fewer than 3 responding areas, or if latency or
        hierarchy is constant over them).
    """
    from scipy.stats import spearmanr

    missing = {"area", "responded", "latency_ms"} - set(table)
    if missing:
        raise ValueError(f"table must be a propagation() table; missing columns {sorted(missing)}")
    names = list(table["area"])
    hierarchy = _per_area("hierarchy", hierarchy, len(names))
    responded = np.asarray(table["responded"], bool)
    latency = np.asarray(table["latency_ms"], np.float64)
    by_rank = [k for k in np.argsort(hierarchy, kind="stable") if responded[k]]
    h, lat = hierarchy[responded], latency[responded]
    rho = np.nan
    if h.size >= 3 and np.ptp(h) > 0 and np.ptp(lat) > 0:
        rho = float(spearmanr(lat, h).statistic)
    return {"n_responding": int(responded.sum()),
            "max_hierarchy_reached": float(h.max()) if h.size else np.nan,
            "areas_reached": [names[k] for k in by_rank],
            "latency_hierarchy_spearman": rho}
