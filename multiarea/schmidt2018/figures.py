"""Figures of a run of the multi-area model, as Schmidt et al. (2018) draw them.

* :func:`mam_raster`: spikes of a subsample of every population of a few
  areas (their Fig. 3A / 5A: V1, V2, FEF), populations stacked in layer order
  in each area band, excitatory black, inhibitory red;
* :func:`rate_matrix`: the area x population matrix of mean rates (their
  Fig. 3B / 5B), log colours, the missing layer 4 of TH blank; given the
  published statistics (:func:`~multiarea.schmidt2018.published.read_published`)
  the NEST matrix beside it on the same scale and a scatter of the two;
* :func:`rate_traces`: the rate of each of a few areas (all its neurons) in
  bins over time: the slow fluctuations of the metastable state (their
  Fig. 4) or the flat rates of the ground state;
* :func:`make_mam_figure`: what ``multiarea figure mam raster|rates|traces
  --run RUN_DIR --out DIR`` writes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..spiking.analysis import plots, population_statistics
from ..spiking.analysis._common import _interval
from ..spiking.recording import SpikeRecord, split_key

__all__ = ["PANELS", "RASTER_AREAS", "mam_raster", "rate_matrix", "rate_traces", "make_mam_figure"]

PANELS = ("raster", "rates", "traces")  #: panels of ``multiarea figure mam``
RASTER_AREAS = ("V1", "V2", "FEF")  #: the areas of the paper's rasters
_LOG_FLOOR_HZ = 1e-2  # rates below this are drawn at it on the log colour scale


def _area_indices(record: SpikeRecord, areas) -> np.ndarray:
    names = record.area_names
    unknown = [a for a in areas if a not in names]
    if not areas or unknown:
        raise ValueError(f"areas must name areas of the record ({', '.join(names)}), got {list(areas)}")
    return np.array([names.index(a) for a in areas])


def mam_raster(record: SpikeRecord, areas=RASTER_AREAS, neurons: int = 100, start_ms: float | None = None,
               stop_ms: float | None = None, path=None):
    """Raster of ``neurons`` neurons per population (the same ones in every
    run) of ``areas`` (bottom band first), over ``[start_ms, stop_ms)`` (ms;
    default the whole record).  Returns the matplotlib Figure; saves it to
    ``path`` if given."""
    order = _area_indices(record, areas)
    fig = plots.raster_plot(record, neurons=neurons, order=order, start_ms=start_ms, stop_ms=stop_ms,
                            markersize=1.5)
    ax = fig.axes[0]
    fig.set_size_inches(8, 2.2 * len(areas))
    title = ax.get_title()
    ax.set_title("")
    ax.set_title(title, fontsize=9, loc="left")  # the legend takes the right of the top
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=7, markerscale=6, frameon=False)
    return plots._finish(fig, path)


def rate_traces(record: SpikeRecord, areas=RASTER_AREAS, bin_ms: float = 10.0, start_ms: float | None = None,
                stop_ms: float | None = None, path=None):
    """Rate of each area in ``areas`` (spikes per neuron and second over all
    its populations, in bins of ``bin_ms``), one panel per area, over
    ``[start_ms, stop_ms)`` (ms; default the whole record).  Returns the
    matplotlib Figure; saves it to ``path`` if given."""
    import matplotlib.pyplot as plt

    from .. import _checks

    order = _area_indices(record, areas)
    bin_steps = int(round(_checks.positive_float("bin_ms", bin_ms) / record.dt))
    first, last = _interval(record, 0.0 if start_ms is None else start_ms, stop_ms)
    n_bins = (last - first) // bin_steps
    if n_bins < 1:
        raise ValueError(f"bin_ms = {bin_ms} is longer than the interval shown ({(last - first) * record.dt} ms)")
    names = record.area_names
    area_of = np.repeat([names.index(split_key(k)[0]) for k in record.keys], record.sizes)  # area of each neuron
    in_window = (record.steps >= first) & (record.steps < first + n_bins * bin_steps)
    fig, axes = plt.subplots(len(order), 1, sharex=True, figsize=(8, 1.3 * len(order) + 0.7), squeeze=False)
    t = (first + (np.arange(n_bins) + 0.5) * bin_steps) * record.dt
    for ax, a in zip(axes[:, 0], order):
        mine = in_window & (area_of[record.neurons] == a)
        counts = np.bincount((record.steps[mine] - first) // bin_steps, minlength=n_bins)
        ax.plot(t, counts / ((area_of == a).sum() * bin_steps * record.dt * 1e-3), color="k", lw=0.8)
        ax.set_ylabel(f"{names[a]}\n(spikes/s)", fontsize=8)
        ax.set_ylim(bottom=0)
    axes[-1, 0].set_xlabel("time (ms)")
    axes[0, 0].set_title(f"area rates, all populations, {bin_ms:g} ms bins", fontsize=9, loc="left")
    return plots._finish(fig, path)


def _matrix(stats, areas, populations, column="rate_hz") -> np.ndarray:
    table = stats.pivot_table(index="area", columns="population", values=column, aggfunc="first")
    return table.reindex(index=list(areas), columns=list(populations)).to_numpy(dtype=np.float64)


def rate_matrix(stats, published=None, simulator: str = "nest", title: str = "multiarea", path=None):
    """Area x population matrix of mean rates (log colours).

    Args:
        stats: DataFrame with columns ``area, population, rate_hz`` (e.g.
            :func:`population_statistics` of a run), areas in model order.
        published: :func:`~multiarea.schmidt2018.published.read_published`'s
            DataFrame, or None.  Given, the ``simulator``'s matrix is drawn
            beside the run's on the same colour scale, with a scatter of the
            two (log axes, identity line).
        title: the run's panel title.

    Returns the matplotlib Figure; saves it to ``path`` if given.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    areas = list(dict.fromkeys(stats.area))
    populations = list(dict.fromkeys(stats.population))
    panels = [(title, _matrix(stats, areas, populations))]
    if published is not None:
        ref = published[published.simulator == simulator]
        panels.append((f"{simulator.upper()} (published)", _matrix(ref, areas, populations)))
    values = np.concatenate([m[np.isfinite(m)] for _, m in panels])
    norm = LogNorm(vmin=max(_LOG_FLOOR_HZ, values[values > 0].min(initial=1.0)), vmax=max(values.max(), 1.0))
    n = len(panels) + (published is not None)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n + 0.8, 0.2 * len(areas) + 1.6), squeeze=False,
                             layout="constrained")  # the colour bar shared by the matrices needs it
    for ax, (name, m) in zip(axes[0], panels):
        image = ax.imshow(np.where(np.isfinite(m), np.maximum(m, norm.vmin), np.nan), norm=norm, cmap="viridis",
                          aspect="auto", interpolation="nearest")
        ax.set_xticks(range(len(populations)), populations, fontsize=7)
        ax.set_yticks(range(len(areas)), areas, fontsize=6)
        ax.set_title(name, fontsize=9)
    fig.colorbar(image, ax=axes[0][:len(panels)].tolist(), label="rate (spikes/s)", shrink=0.8)
    if published is not None:
        ax = axes[0][-1]
        ours, ref = panels[0][1].ravel(), panels[1][1].ravel()
        keep = np.isfinite(ours) & np.isfinite(ref)
        pops = np.tile(np.arange(len(populations)), len(areas))[keep]
        colors = plt.get_cmap("tab10")(pops % 10)
        ax.scatter(np.maximum(ref[keep], _LOG_FLOOR_HZ), np.maximum(ours[keep], _LOG_FLOOR_HZ), s=6, c=colors)
        ax.plot([_LOG_FLOOR_HZ, norm.vmax], [_LOG_FLOOR_HZ, norm.vmax], color="0.5", lw=0.6)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"{simulator.upper()} rate (spikes/s)")
        ax.set_ylabel(f"{title} rate (spikes/s)")
        for k, name in enumerate(populations):
            ax.plot([], [], "o", ms=3, color=plt.get_cmap("tab10")(k % 10), label=name)
        ax.legend(fontsize=6, ncol=2, frameon=False)
        ax.set_title("area x population means", fontsize=9)
    if path is not None:
        fig.savefig(path, dpi=150)
    return fig


def make_mam_figure(panel: str, run_dir, out_dir, published_dir=None, areas=RASTER_AREAS,
                    start_ms: float = 0.0) -> list[Path]:
    """Write ``panel`` (``raster``, ``rates`` or ``traces``) of the run in ``run_dir``
    (a folder of ``multiarea run`` on an imported model) into ``out_dir``.

    ``published_dir``: a checkout of BrainsOnBoard/procedural_paper for the
    NEST matrix beside the rates (the full-scale ground state only: a
    scaled-down model's rates are not the full model's).  ``start_ms``: the
    rates are taken from there to the end of the run (leave the transient
    out).  Returns the paths written.
    """
    import matplotlib.pyplot as plt

    if panel not in PANELS:
        raise ValueError(f"panel must be one of {PANELS} for the multi-area model, got {panel!r}")
    record = SpikeRecord.load(run_dir)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if panel == "raster":
        path = out_dir / "mam_raster.png"
        plt.close(mam_raster(record, areas, start_ms=start_ms, path=path))
        return [path]
    if panel == "traces":
        path = out_dir / "mam_traces.png"
        plt.close(rate_traces(record, areas, start_ms=start_ms, path=path))
        return [path]
    stats = population_statistics(record, start_ms=start_ms)
    published = None
    if published_dir is not None:
        from .published import read_published

        published = read_published(published_dir)
    path = out_dir / "mam_rates.png"
    plt.close(rate_matrix(stats, published, path=path))
    table = out_dir / "mam_rates.csv"
    stats.to_csv(table, index=False)
    return [path, table]
