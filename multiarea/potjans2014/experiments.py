"""Running the microcircuit: spikes, a raster and per-population statistics,
compared with the published NEST rates (``data/potjans2014/reference_stats.csv``)."""
from __future__ import annotations

import time

import numpy as np

from ..data._paths import data_dir
from ..spiking.population_run import CHUNK_MS, run_population_network
from .network import build_network

__all__ = ["DEFAULT_DURATION_MS", "DEFAULT_TRANSIENT_MS", "reference_rates", "run_microcircuit"]

DEFAULT_DURATION_MS = 1000.0  #: analysed model time (ms)
DEFAULT_TRANSIENT_MS = 100.0  #: simulated before it and left out of the analysis (ms)


def reference_rates():
    """Published full-scale NEST rates (Poisson background): a DataFrame indexed
    by population with ``mean``, ``min``, ``max`` (Hz) over the documented runs."""
    import pandas as pd

    path = data_dir() / "potjans2014" / "reference_stats.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no reference statistics at {path}")
    table = pd.read_csv(path)
    table = table[(table.source == "full_mean_rates") & (table.statistic == "rate_hz")]
    return table.set_index("population")[["mean", "min", "max", "n_runs"]]


def run_microcircuit(out, *, scale: float = 1.0, background: str = "poisson",
                     duration_ms: float = DEFAULT_DURATION_MS, transient_ms: float = DEFAULT_TRANSIENT_MS,
                     seed: int = 55, progress_bar: bool = True, devices=None, raster_neurons=None,
                     resume: bool = False, arguments: dict | None = None, chunk_ms: float = CHUNK_MS) -> dict:
    """Simulate ``transient_ms + duration_ms`` (on ``devices``, populations
    split over them, if given: the same spikes) and write, into folder ``out``,
    ``spikes.npz`` (all spikes, :class:`~multiarea.spiking.recording.SpikeRecord`), ``raster.png`` (2.5 %
    of each population at full scale, as the paper draws it, ``0.025 / scale``
    of a scaled network, or ``raster_neurons`` per population if given: an
    int or ``"all"``; over the last 200 ms) and ``population_stats.csv``
    (``resume``, ``arguments``, ``chunk_ms``: see :func:`run_population_network`)
    (:func:`population_statistics` over the analysed interval).

    Returns:
        dict with ``stats`` (DataFrame), ``record``, ``paths``, ``build_s``, ``simulate_s``,
        ``num_neurons``, ``num_synapses``.
    """
    start = time.perf_counter()
    net = build_network(scale, background, seed)
    build_s = time.perf_counter() - start
    fraction = min(1.0, 0.025 / scale) if raster_neurons is None else None
    result = run_population_network(net, out, duration_ms, transient_ms, raster_neurons, fraction,
                                    progress_bar=progress_bar, devices=devices, resume=resume, arguments=arguments,
                                    chunk_ms=chunk_ms)
    return dict(stats=result["stats"], record=result["record"], paths=result["paths"], build_s=build_s,
                simulate_s=result["simulate_s"],
                num_neurons=net.num, num_synapses=int(sum(np.sum(s.counts) for s in net.specs)))
