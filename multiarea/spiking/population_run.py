"""One run of a population network with its outputs: spikes, statistics, raster."""
from __future__ import annotations

import time
from pathlib import Path

from .. import _checks
from .analysis.population_stats import population_raster, population_statistics
from .population_record import simulate_populations

__all__ = ["run_population_network"]


def run_population_network(net, out, duration_ms: float, transient_ms: float = 0.0,
                           raster_fraction: float = 0.025, progress_bar: bool = True, devices=None) -> dict:
    """Simulate ``transient_ms + duration_ms`` on the whole-step kernel (on
    ``devices``, populations split over them, if given) and write,
    into folder ``out``, ``spikes.npz`` (every spike, ``PopulationRecord``),
    ``population_stats.csv`` (``population_statistics`` over the last
    ``duration_ms``) and ``raster.png`` (``raster_fraction`` of each population
    over the last 200 ms at most).

    Returns:
        dict with ``stats`` (DataFrame), ``record``, ``paths``, ``simulate_s``.
    """
    out = Path(out)
    duration_ms = _checks.positive_float("duration_ms", duration_ms)
    transient_ms = _checks.nonnegative_float("transient_ms", transient_ms)
    start = time.perf_counter()
    record = simulate_populations(net, transient_ms + duration_ms, progress_bar=progress_bar,
                                  method="kernel" if devices is None else "sharded", devices=devices)
    simulate_s = time.perf_counter() - start
    stats = population_statistics(record, start_ms=transient_ms)
    paths = [record.save(out / "spikes.npz"), out / "population_stats.csv", out / "raster.png"]
    stats.to_csv(paths[1], index=False, float_format="%.6g")
    end = record.duration_ms
    population_raster(record, paths[2], start_ms=max(transient_ms, end - 200.0), stop_ms=end,
                      fraction=raster_fraction, excitatory=net.excitatory_populations())
    return dict(stats=stats, record=record, paths=paths, simulate_s=simulate_s)
