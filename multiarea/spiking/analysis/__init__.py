"""Rates, stimulus propagation and plots from a :class:`~multiarea.spiking.recording.SpikeRecord`.

Conventions shared by every function here:

* ``population`` is ``'E'`` or ``'I'``; rates are per neuron of that
  population, in Hz.
* Sliding windows (:func:`population_rate`) are ``window_ms`` long and start
  every ``step_ms`` from time 0; both sizes, like every other time given in
  ms, are rounded to whole time steps.  A window covers the steps
  ``[begin, begin + window)`` and its reported time is its centre.
* An interval ``[start_ms, stop_ms)`` selects the windows lying entirely
  inside it.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from ... import _checks
from ..recording import SpikeRecord

__all__ = ["spike_counts", "population_rate", "mean_rate", "rate_table", "write_rate_table",
           "baseline", "peak_rate", "propagation", "propagation_summary", "seed_summary",
           "raster_plot", "rate_heatmap", "peak_rate_plot", "latency_plot"]

#: Smallest rate (Hz) shown on logarithmic rate axes; lower rates (e.g. 0) are drawn at it.
LOG_FLOOR_HZ = 0.1


# ---------------------------------------------------------------- helpers


def _population_size(record: SpikeRecord, population: str) -> int:
    """Neurons per area of ``population``; rejects unknown or empty populations."""
    if population not in ("E", "I"):
        raise ValueError(f"population must be 'E' or 'I', got {population!r}")
    size = record.n_E if population == "E" else record.n_I
    if size < 1:
        raise ValueError(f"population {population!r} has no neurons in this record "
                         f"(n_{population} = {size})")
    return size


def _to_steps(name: str, value_ms, dt: float) -> int:
    """A positive duration (ms) as a whole number (>= 1) of time steps."""
    steps = int(round(_checks.positive_float(name, value_ms) / dt))
    if steps < 1:
        raise ValueError(f"{name} must be at least dt = {dt} ms, got {value_ms!r}")
    return steps


def _time_step(name: str, value_ms, record: SpikeRecord, allow_end: bool) -> int:
    """A time (ms) in ``[0, duration)`` (``[0, duration]`` if ``allow_end``) as a step."""
    value = _checks.finite_float(name, value_ms)
    end = record.duration_ms
    if not (0.0 <= value <= end if allow_end else 0.0 <= value < end):
        raise ValueError(f"{name} must be in [0, {end}{']' if allow_end else ')'} ms, "
                         f"got {value_ms!r}")
    return int(round(value / record.dt))


def _interval(record: SpikeRecord, start_ms, stop_ms) -> tuple[int, int]:
    """``[start_ms, stop_ms)`` (``stop_ms=None``: end of the recording) as steps."""
    first = _time_step("start_ms", start_ms, record, allow_end=False)
    last = record.n_steps if stop_ms is None else _time_step("stop_ms", stop_ms, record, True)
    if last <= first:
        raise ValueError(f"start_ms must be < stop_ms, got start_ms = {start_ms!r}, "
                         f"stop_ms = {stop_ms!r}")
    return first, last


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


def _area_order(n_areas: int, order) -> np.ndarray:
    """Validated area indices to show (all areas in network order if ``None``)."""
    if order is None:
        return np.arange(n_areas)
    arr = np.asarray(order)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"order must be a non-empty 1-D sequence of area indices, got {order!r}")
    if arr.min() < 0 or arr.max() >= n_areas:
        raise ValueError(f"order must hold area indices in [0, {n_areas}), got {arr.tolist()}")
    if np.unique(arr).size != arr.size:
        raise ValueError(f"order must not repeat areas, got {arr.tolist()}")
    return arr


def _per_area(name: str, value, n_areas: int, allow_nan: bool = False) -> np.ndarray:
    """``value`` as a float ``(n_areas,)`` array (finite, or finite-or-NaN)."""
    return _checks.finite_array(name, value, shape=(n_areas,), allow_nan=allow_nan)


def _per_seed_and_area(name: str, value, n_areas: int, allow_nan: bool = False) -> np.ndarray:
    """``value`` as a float ``(n_seeds, n_areas)`` array; a ``(n_areas,)`` value is one seed."""
    arr = _checks.finite_array(name, value, allow_nan=allow_nan)
    if arr.ndim not in (1, 2) or arr.shape[-1] != n_areas or arr.size == 0:
        raise ValueError(f"{name} must have shape ({n_areas},) or (n_seeds, {n_areas}), "
                         f"got shape {arr.shape}")
    return np.atleast_2d(arr)


def _axes(ax, figsize):
    """``(figure, axes)``: a new figure if ``ax`` is None, else ``ax`` and its figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        return plt.subplots(figsize=figsize)
    return ax.figure, ax


def _finish(fig, path):
    """Tighten the layout, save to ``path`` if given (150 dpi) and return ``fig``."""
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=150)
    return fig


def _area_yticks(ax, names, order: np.ndarray):
    """Label the bands ``[j, j + 1)`` of the y axis with the names of the ``order`` areas."""
    ax.set_yticks(np.arange(order.size) + 0.5, [names[k] for k in order], fontsize=7)


# ---------------------------------------------------------------- rates


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
    rates = in_window / (size * window * record.dt * 1e-3)
    return (starts + window / 2) * record.dt, rates


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


# ---------------------------------------------------------------- propagation


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


# ---------------------------------------------------------------- plots


def raster_plot(record: SpikeRecord, population: str = "E", ax=None, path=None,
                markersize: float = 0.5, order=None, start_ms: float | None = None,
                stop_ms: float | None = None, max_neurons_per_area: int | None = None):
    """Raster of one population, one band per area (labelled), time in ms.

    Args:
        order: area indices, bottom band first (e.g. ``np.argsort(hierarchy)``);
            a subset shows only those areas.  ``None``: network order.
        start_ms, stop_ms: time window shown (default: the whole recording).
        max_neurons_per_area: show only the first N neurons of each area
            (keeps plots of large networks light); ``None`` shows all.
        markersize: below 1 each spike is a pixel, else a dot of that size.

    Returns the matplotlib Figure; saves it to ``path`` if given.
    """
    size = _population_size(record, population)
    order = _area_order(len(record.area_names), order)
    first, last = _interval(record, 0.0 if start_ms is None else start_ms, stop_ms)
    shown = size if max_neurons_per_area is None else min(
        size, _checks.positive_int("max_neurons_per_area", max_neurons_per_area))
    band = np.full(len(record.area_names), -1)
    band[order] = np.arange(order.size)
    steps, area, index = record.population(population)
    keep = (steps >= first) & (steps < last) & (index < shown) & (band[area] >= 0)
    fig, ax = _axes(ax, (8, max(3.0, 0.22 * order.size)))
    ax.plot(steps[keep] * record.dt, band[area[keep]] + index[keep] / shown,
            ",k" if markersize < 1 else ".k", markersize=markersize, rasterized=True)
    for k in range(order.size + 1):
        ax.axhline(k, color="0.7", lw=0.4)
    _area_yticks(ax, record.area_names, order)
    ax.set_ylim(0, order.size)
    ax.set_xlim(first * record.dt, last * record.dt)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"area ({population} neurons)")
    return _finish(fig, path)


def rate_heatmap(record: SpikeRecord, population: str = "E", window_ms: float = 10.0,
                 step_ms: float = 1.0, order=None, log: bool = False, ax=None, path=None):
    """Areas x time image of the sliding-window rate (:func:`population_rate`).

    Each column is centred on its window's centre time (x in ms); rows follow
    ``order`` bottom-up (as :func:`raster_plot`).  With ``log=True`` the
    colour scale is logarithmic and rates below :data:`LOG_FLOOR_HZ` are
    drawn at the floor.  The colour bar is labelled in Hz.

    Returns the matplotlib Figure; saves it to ``path`` if given.
    """
    from matplotlib.colors import LogNorm, Normalize

    order = _area_order(len(record.area_names), order)
    times, rates = population_rate(record, population, window_ms, step_ms)
    rates = rates[order]
    half = _to_steps("step_ms", step_ms, record.dt) * record.dt / 2
    if log:
        rates = np.maximum(rates, LOG_FLOOR_HZ)
        norm = LogNorm(vmin=LOG_FLOOR_HZ, vmax=max(rates.max(), 10 * LOG_FLOOR_HZ))
    else:
        norm = Normalize(vmin=0.0, vmax=max(rates.max(), LOG_FLOOR_HZ))
    fig, ax = _axes(ax, (8, max(3.0, 0.22 * order.size)))
    image = ax.imshow(rates, aspect="auto", origin="lower", interpolation="nearest", norm=norm,
                      extent=(times[0] - half, times[-1] + half, 0, order.size))
    fig.colorbar(image, ax=ax, label=f"{population} rate (Hz)")
    _area_yticks(ax, record.area_names, order)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("area")
    return _finish(fig, path)


def peak_rate_plot(conditions: dict, area_names, order=None, ax=None, path=None):
    """Peak rate per area for several conditions (Joglekar et al. 2018, Fig. 5E style).

    Args:
        conditions: name -> ``(n_areas,)`` peak rates (Hz), e.g. from
            :func:`peak_rate` or ``propagation(...)["peak_hz"]``, or
            ``(n_seeds, n_areas)`` peak rates of several seeds.
        area_names: ``(n_areas,)`` names.
        order: area indices along x (e.g. ``np.argsort(hierarchy)``).

    One line with markers per condition (legend entry = its name), areas on
    x, logarithmic rate axis; rates below :data:`LOG_FLOOR_HZ` (e.g. 0) are
    drawn at the floor.  With several seeds the line is the median over
    seeds, the band the interquartile range and the dots the single seeds.

    Returns the matplotlib Figure; saves it to ``path`` if given.
    """
    if not isinstance(conditions, dict) or not conditions:
        raise TypeError(f"conditions must be a non-empty dict name -> peak rates, got {conditions!r}")
    names = [str(a) for a in area_names]
    order = _area_order(len(names), order)
    fig, ax = _axes(ax, (max(5.0, 0.3 * order.size), 3.5))
    x = np.arange(order.size)
    for k, (label, peaks) in enumerate(conditions.items()):
        peaks = np.maximum(_per_seed_and_area(f"conditions[{label!r}]", peaks, len(names))[:, order],
                           LOG_FLOOR_HZ)
        color = f"C{k}"
        if peaks.shape[0] == 1:
            ax.plot(x, peaks[0], "o-", color=color, markersize=4, label=str(label))
            continue
        q25, median, q75 = np.percentile(peaks, [25, 50, 75], axis=0)
        ax.fill_between(x, q25, q75, color=color, alpha=0.25, lw=0)
        ax.plot(np.broadcast_to(x, peaks.shape).ravel(), peaks.ravel(), ".", color=color,
                markersize=2, alpha=0.5)
        ax.plot(x, median, "o-", color=color, markersize=4,
                label=f"{label} (median, IQR; {peaks.shape[0]} seeds)")
    ax.set_yscale("log")
    ax.set_xticks(np.arange(order.size), [names[k] for k in order], rotation=90, fontsize=7)
    ax.set_xlim(-0.5, order.size - 0.5)
    ax.set_ylabel("peak rate (Hz)")
    ax.legend(fontsize=7)
    return _finish(fig, path)


def latency_plot(table_or_latencies, hierarchy, area_names, ax=None, path=None):
    """Response latency against hierarchy, each point labelled with its area.

    Args:
        table_or_latencies: a :func:`propagation` table (its ``latency_ms``)
            or ``(n_areas,)`` latencies in ms with ``NaN`` for areas that did
            not respond, or ``(n_seeds, n_areas)`` latencies of several seeds.
        hierarchy, area_names: ``(n_areas,)`` hierarchy values and names.

    Non-responding areas (NaN latency) are omitted.  With several seeds every
    seed's latency is a small dot and each area that responded in some seed
    gets its median (large marker, labelled) with the interquartile range as
    a vertical bar.

    Returns the matplotlib Figure; saves it to ``path`` if given.
    """
    names = [str(a) for a in area_names]
    latencies = (table_or_latencies["latency_ms"] if isinstance(table_or_latencies, dict)
                 else table_or_latencies)
    latencies = _per_seed_and_area("latency_ms", latencies, len(names), allow_nan=True)
    hierarchy = _per_area("hierarchy", hierarchy, len(names))
    shown = np.flatnonzero(~np.all(np.isnan(latencies), axis=0))
    fig, ax = _axes(ax, (5.0, 3.5))
    if latencies.shape[0] == 1:
        centre = latencies[0]
        ax.plot(hierarchy[shown], centre[shown], "o", color="C0")
    else:
        some = latencies[:, shown]
        q25, centre_shown, q75 = np.nanpercentile(some, [25, 50, 75], axis=0)
        centre = np.full(len(names), np.nan)
        centre[shown] = centre_shown
        ax.plot(np.broadcast_to(hierarchy[shown], some.shape).ravel(), some.ravel(), ".",
                color="C0", markersize=3, alpha=0.4)
        ax.errorbar(hierarchy[shown], centre_shown, yerr=(centre_shown - q25, q75 - centre_shown),
                    fmt="o", color="C0", capsize=2, label=f"median, IQR ({latencies.shape[0]} seeds)")
        ax.legend(fontsize=7)
    for k in shown:
        ax.annotate(names[k], (hierarchy[k], centre[k]), xytext=(3, 3),
                    textcoords="offset points", fontsize=7)
    ax.margins(0.1)                                   # room for the labels
    ax.set_xlabel("hierarchy")
    ax.set_ylabel("latency (ms)")
    return _finish(fig, path)
