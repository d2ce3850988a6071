"""Runs of a population network: :func:`simulate_populations` (the spikes)
and :func:`run_population_network` (with its outputs: spikes, statistics,
raster)."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import _checks
from .analysis.plots import raster_figure, raster_plot
from .analysis.population_stats import population_statistics
from .recording import SpikeRecord
from .run_folder import complete_run
from .simulation import chunk_steps, open_run_folder, record_chunks

__all__ = ["simulate_populations", "run_population_network", "CHUNK_MS"]

CHUNK_MS = 100.0  #: model time between the checkpoints of a run with outputs (ms)


def simulate_populations(net, duration_ms: float, progress_bar: bool = True, stim=None, runner=None,
                         method: str = "kernel", devices=None, chunk_ms: float | None = None, out_dir=None,
                         resume: bool = False, arguments: dict | None = None) -> SpikeRecord:
    """Run ``net`` for ``duration_ms`` from its current state.

    Args:
        net: a :class:`~multiarea.spiking.populations.PopulationNetwork`.
        duration_ms: model time (ms), at least one step.
        progress_bar: show a tqdm bar (simulated ms).
        stim: per-step currents, see ``PopulationKernelRunner`` (kernel and sharded).
        runner: an existing runner of ``net`` to reuse.
        method: ``"kernel"`` (the whole-step kernel), ``"sharded"`` (the
            kernel on each of ``devices``, populations split over them:
            ``PopulationShardedRunner``; the network's Variables hold the
            state after the run) or ``"dsrunner"`` (``bp.DSRunner`` over the
            pure-JAX reference step, for small networks); all give the same
            spikes.
        devices: with ``"sharded"``: an int (the first N of ``jax.devices()``),
            devices, or a mesh.
        chunk_ms, out_dir, resume, arguments: as for :func:`~multiarea.simulate`:
            chunks written to ``out_dir`` with checkpoints; ``resume`` goes on
            from the last one (``net`` built as the run built it).

    Returns:
        the :class:`~multiarea.spiking.recording.SpikeRecord` of the run
        (steps counted from its start; with ``out_dir`` the spikes are in the folder).
    """
    from .runners.dsrunner import DSRunnerRunner
    from .runners.population_kernel import PopulationKernelRunner
    from .runners.population_sharded import PopulationShardedRunner

    n_steps = int(round(_checks.positive_float("duration_ms", duration_ms) / net.dt))
    if n_steps < 1:
        raise ValueError(f"duration_ms must be at least one step (dt = {net.dt} ms), got {duration_ms}")
    per_chunk = chunk_steps(net.dt, n_steps, chunk_ms)
    if method not in ("kernel", "sharded", "dsrunner"):
        raise ValueError(f"method must be 'kernel', 'sharded' or 'dsrunner', got {method!r}")
    if (devices is not None) != (method == "sharded"):
        raise ValueError(f"devices go with method='sharded' (and it needs them), got method={method!r}, "
                         f"devices={devices!r}")
    if resume and runner is not None:
        raise ValueError("resume makes its runner from the restored state: do not pass a runner")
    folder, start = open_run_folder(net, out_dir, resume, arguments)
    if runner is None and method == "dsrunner":
        if stim is not None:
            raise ValueError("stim applies to method='kernel'; with 'dsrunner' set net.stim through DSRunner inputs")
        runner = DSRunnerRunner(net)
    elif runner is None and method == "sharded":
        runner = PopulationShardedRunner(net, devices, stim=stim)
    elif runner is None:
        runner = PopulationKernelRunner(net, stim=stim)
    keys, sizes = tuple(p.key for p in net.populations), np.array([p.size for p in net.populations], np.int64)
    return record_chunks(net, runner, n_steps, per_chunk,
                         lambda s, n, k: SpikeRecord(s, n, k, net.dt, keys, net.first.copy(), sizes),
                         folder=folder, start=start, progress_bar=progress_bar)


def run_population_network(net, out, duration_ms: float, transient_ms: float = 0.0, raster_neurons=None,
                           raster_fraction: float | None = None, progress_bar: bool = True, devices=None,
                           chunk_ms: float = CHUNK_MS, resume: bool = False, arguments: dict | None = None) -> dict:
    """Simulate ``transient_ms + duration_ms`` on the whole-step kernel (on
    ``devices``, populations split over them, if given) and write,
    into folder ``out``, ``spikes.npz`` (every spike, a ``SpikeRecord``;
    during the run chunks of ``chunk_ms`` with checkpoints, so that a killed
    run goes on with ``resume=True``: ``multiarea.spiking.run_folder``),
    ``population_stats.csv`` (``population_statistics`` over the last
    ``duration_ms``) and ``raster.png``: a subsample of each population
    (``raster_neurons`` per population, an int or ``"all"``, default
    ``RASTER_NEURONS``, or ``raster_fraction`` of each: ``raster_selection``),
    for one area over the last 200 ms at most, for several areas over the
    whole run beside a heatmap of the first population's rate (``raster_figure``).

    Returns:
        dict with ``stats`` (DataFrame), ``record``, ``paths``, ``simulate_s``.
    """
    out = Path(out)
    duration_ms = _checks.positive_float("duration_ms", duration_ms)
    transient_ms = _checks.nonnegative_float("transient_ms", transient_ms)
    start = time.perf_counter()
    simulate_populations(net, transient_ms + duration_ms, progress_bar=progress_bar,
                         method="kernel" if devices is None else "sharded", devices=devices, chunk_ms=chunk_ms,
                         out_dir=out, resume=resume, arguments=arguments)
    simulate_s = time.perf_counter() - start
    record = complete_run(out)
    stats = population_statistics(record, start_ms=transient_ms)
    paths = [out / "spikes.npz", out / "population_stats.csv", out / "raster.png"]
    stats.to_csv(paths[1], index=False, float_format="%.6g")
    end, excitatory = record.duration_ms, net.excitatory_populations()
    if len(record.area_names) == 1:
        raster_plot(record, neurons=raster_neurons, fraction=raster_fraction, start_ms=max(transient_ms, end - 200.0),
                    excitatory=excitatory, path=paths[2])
    else:
        raster_figure(record, neurons=raster_neurons, fraction=raster_fraction, excitatory=excitatory, path=paths[2])
    return dict(stats=stats, record=record, paths=paths, simulate_s=simulate_s)
