"""Plots of a :class:`~multiarea.spiking.recording.SpikeRecord` and of its rates and propagation.

Every plot function draws into ``ax`` if given (else a new figure), returns
the matplotlib Figure and saves it to ``path`` if given.  matplotlib is
imported only when a plot is drawn.
"""
from __future__ import annotations

import numpy as np

from ... import _checks
from ..recording import SpikeRecord, split_key
from ._common import _interval, _per_area, _to_steps
from .rates import population_rate

__all__ = ["LOG_FLOOR_HZ", "RASTER_NEURONS", "raster_selection", "raster_plot", "raster_figure", "rate_heatmap",
           "peak_rate_plot", "latency_plot"]

#: Smallest rate (Hz) shown on logarithmic rate axes; lower rates (e.g. 0) are drawn at it.
LOG_FLOOR_HZ = 0.1
#: neurons a raster draws per area and population by default
RASTER_NEURONS = 100


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


def raster_selection(record: SpikeRecord, neurons=None, fraction: float | None = None,
                     seed: int = 0) -> dict[str, np.ndarray]:
    """The neurons a raster draws: population key -> sorted local indices.

    Args:
        neurons: per area and population: an int ``N`` (``N`` neurons drawn at
            random, all of a smaller population), ``"all"``, or None
            (:data:`RASTER_NEURONS`, unless ``fraction`` is given).
        fraction: instead of ``neurons``: this fraction (in (0, 1]) of each
            population, at least one neuron (as Potjans & Diesmann 2014 draw 2.5 %).
        seed: the same seed picks the same neurons in every run of a network.

    Raises:
        ValueError: ``neurons`` and ``fraction`` both given, ``neurons`` < 1 or
            ``fraction`` outside (0, 1].
    """
    if neurons is not None and fraction is not None:
        raise ValueError(f"give neurons or fraction, not both (got neurons={neurons!r}, fraction={fraction!r})")
    if fraction is not None:
        fraction = _checks.positive_float("fraction", fraction)
        if fraction > 1:
            raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    elif neurons is None:
        neurons = RASTER_NEURONS
    elif neurons != "all":
        if isinstance(neurons, str):
            raise ValueError(f"neurons must be an int >= 1 or 'all', got {neurons!r}")
        neurons = _checks.positive_int("neurons", neurons)
    rng = np.random.default_rng(_checks.seed_int("seed", seed))
    chosen = {}
    for key, size in zip(record.keys, record.sizes):
        size = int(size)
        n = size if neurons == "all" else (max(1, int(round(fraction * size))) if fraction is not None
                                            else min(size, neurons))
        chosen[key] = np.arange(size) if n == size else np.sort(rng.choice(size, n, replace=False))
    return chosen


def raster_plot(record: SpikeRecord, populations=None, neurons=None, fraction: float | None = None,
                seed: int = 0, order=None, start_ms: float | None = None, stop_ms: float | None = None,
                excitatory=None, markersize: float = 1.0, ax=None, path=None):
    """Raster of a subsample of every population: one band per area
    (labelled; bottom band first), the area's populations stacked top to
    bottom in network order inside it, excitatory populations in black,
    inhibitory ones in red.  A one-area record is labelled by population
    (as Potjans & Diesmann 2014, Fig. 6).

    Args:
        populations: population names to draw (e.g. ``("E",)``); None: all.
        neurons, fraction, seed: which neurons (:func:`raster_selection`;
            default :data:`RASTER_NEURONS` per area and population, the same
            ones in every run of the network).
        order: area indices, bottom band first (e.g. ``np.argsort(hierarchy)``);
            a subset shows only those areas.  None: network order.
        start_ms, stop_ms: time window shown (default: the whole recording).
        excitatory: keys of the excitatory populations (default: names ending in ``E``).
        markersize: dot size (points).

    Returns the matplotlib Figure; saves it to ``path`` if given.
    """
    names = record.population_names if populations is None else tuple(populations)
    for name in names:
        record.population_sizes(name)  # names an unknown population
    areas = record.area_names
    order = _area_order(len(areas), order)
    first, last = _interval(record, 0.0 if start_ms is None else start_ms, stop_ms)
    chosen = raster_selection(record, neurons, fraction, seed)
    band = np.full(len(areas), -1)
    band[order] = np.arange(order.size)
    y_of = np.full(record.n_neurons, np.nan)  # y of each drawn global neuron
    exc_of = np.zeros(record.n_neurons, bool)
    rows = {}  # area -> [(global neurons drawn, population name)], top to bottom
    for key, first_neuron, size in zip(record.keys, record.first, record.sizes):
        area, name = split_key(key)
        exc_of[first_neuron:first_neuron + size] = name.endswith("E") if excitatory is None else key in excitatory
        if name in names and band[areas.index(area)] >= 0:
            rows.setdefault(area, []).append((first_neuron + chosen[key], name))
    ticks = []
    for area, held in rows.items():
        total, top, row0 = sum(picked.size for picked, _ in held), band[areas.index(area)] + 1, 0
        for picked, name in held:
            y_of[picked] = top - (row0 + np.arange(picked.size) + 0.5) / total
            ticks.append((top - (row0 + picked.size / 2) / total, name))
            row0 += picked.size
    in_window = (record.steps >= first) & (record.steps < last)
    steps, who = record.steps[in_window], record.neurons[in_window]
    y = y_of[who]
    drawn = ~np.isnan(y)
    fig, ax = _axes(ax, (8, max(3.0, 0.22 * order.size)))
    for exc, color, label in ((True, "k", "excitatory"), (False, "tab:red", "inhibitory")):
        keep = drawn & (exc_of[who] == exc)
        ax.plot(steps[keep] * record.dt, y[keep], linestyle="none", marker=".", color=color,
                markersize=markersize, markeredgewidth=0, rasterized=True, label=label)
    if len(areas) == 1:
        ax.set_yticks([t for t, _ in ticks], [n for _, n in ticks], fontsize=7)
    else:
        for k in range(order.size + 1):
            ax.axhline(k, color="0.7", lw=0.4)
        _area_yticks(ax, areas, order)
    ax.set_ylim(0, order.size)
    ax.set_xlim(first * record.dt, last * record.dt)
    ax.set_xlabel("time (ms)")
    shown = (f"{fraction:.1%} of each population" if fraction is not None else
             "all neurons" if neurons == "all" else
             f"{RASTER_NEURONS if neurons is None else neurons} neurons per area and population")
    ax.set_title(f"{shown} ({', '.join(names)})", fontsize=9)
    return _finish(fig, path)


def raster_figure(record: SpikeRecord, populations=None, neurons=None, fraction: float | None = None,
                  seed: int = 0, order=None, rate_population: str | None = None, window_ms: float = 10.0,
                  step_ms: float = 1.0, log: bool = True, excitatory=None, path=None):
    """A subsampled raster (:func:`raster_plot`) beside an areas x time
    heatmap of ``rate_population``'s rate (:func:`rate_heatmap`, default the
    record's first population, log colour scale), both with the same area
    bands; what the CLI writes for a multi-area run.

    Returns the matplotlib Figure; saves it to ``path`` if given.
    """
    import matplotlib.pyplot as plt

    order = _area_order(len(record.area_names), order)
    height = max(4.0, 0.22 * order.size)
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, height), gridspec_kw=dict(width_ratios=(3, 2)))
    raster_plot(record, populations, neurons, fraction, seed, order, excitatory=excitatory, ax=left)
    left.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=7, markerscale=6, frameon=False)
    rate_heatmap(record, record.population_names[0] if rate_population is None else rate_population,
                 window_ms, step_ms, order, log=log, ax=right)
    right.set_ylabel("")
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
