"""``simulate``: run a spiking network with a runner and record its spikes."""
from __future__ import annotations

import time
from pathlib import Path

import jax
import numpy as np
from tqdm.auto import tqdm

from .inputs import run_steps
from .recording import SpikeRecord, recorded_mask
from .runners import make_runner
from .spike_words import words_to_pairs

__all__ = ["simulate"]


def simulate(net, duration_ms: float, inputs=(), progress_bar: bool = True,
             populations=("E", "I"), areas=None, chunk_ms: float | None = None,
             out_dir=None, method: str = "auto", devices=None) -> SpikeRecord:
    """Run a :class:`MultiAreaNetwork` and record spikes.

    The run is made by a runner (``multiarea.spiking.runners``), all with the
    same spikes for the same seed:

    * ``"kernel"``: the whole-step Taichi kernel, up to 1000 steps per XLA
      custom call; takes the inputs made by ``net.step_input`` and needs the
      taichi backend;
    * ``"dsrunner"``: ``bp.DSRunner`` over the network's ``update``, spikes
      packed inside the compiled loop; takes any DSRunner input.

    ``"auto"`` (default) takes the kernel where it can.  With ``devices``
    the areas are split over several devices (the sharded runner: the same
    spikes as one device, the inputs of ``net.step_input`` only).  Either
    way the spikes become (step, neuron) pairs after each call, so no dense
    time x neuron buffer ever exceeds one call, and the network's Variables
    hold its state after the run.  Input times count from the network's last
    reset.

    Args:
        net: the network (its ``dt`` is used).
        duration_ms: simulated time (ms).
        inputs: ``bp.DSRunner`` inputs (e.g. ``[net.step_input(...)]``).
        progress_bar: show one progress bar for the whole run (simulated ms,
            steps/s), advanced after each call.
        populations: which of ``'E'``, ``'I'`` to record.
        areas: names or indices of the areas to record (default all).
        chunk_ms: convert (and write, with ``out_dir``) in chunks of this
            length (default: one chunk).
        out_dir: if given, each chunk's pairs are written to
            ``out_dir/spikes_<k>.npz`` as soon as it is done and not kept in
            memory; read them back with :meth:`SpikeRecord.load` on the folder.
            The returned record then holds no spikes (only the metadata).
        method: ``"auto"``, ``"kernel"`` or ``"dsrunner"`` (see above).
        devices: None (one device), or the devices to split the areas over:
            an int N (the first N of ``jax.devices()``, across processes under
            ``jax.distributed``), a list of devices or a ``Mesh`` with an
            ``"areas"`` axis.  Under several processes only process 0 writes
            ``out_dir``; the others return the whole record in memory.

    Raises:
        ValueError: bad durations, populations or areas; ``method="kernel"``
            for a network or input the kernel cannot run (the message says why).
    """
    total = run_steps(net, duration_ms)
    per_chunk = total if chunk_ms is None else int(round(chunk_ms / net.dt))
    if per_chunk < 1:
        raise ValueError(f"chunk_ms must be at least dt = {net.dt} ms, got {chunk_ms}")
    mask = recorded_mask(net, populations, areas)
    runner = make_runner(net, inputs, method, devices)
    per_call = per_chunk if runner.steps_per_call is None else min(per_chunk, runner.steps_per_call)

    meta = dict(dt=net.dt, area_names=net.area_names, n_E=net.E.size[1], n_I=net.I.size[1])
    if jax.process_index() != 0:
        out_dir = None  # one writer: every process holds the same record
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("spikes_*.npz"):
            old.unlink()
    steps, neurons, done = [], [], 0
    bar = tqdm(total=round(total * net.dt, 6), unit="ms", desc="simulating", disable=not progress_bar,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} ms "
                          "[{elapsed}<{remaining}{postfix}]")
    while done < total:
        n_chunk, parts = min(per_chunk, total - done), []
        for first in range(done, done + n_chunk, per_call):
            n = min(per_call, done + n_chunk - first)
            tic = time.perf_counter()
            parts.append(words_to_pairs(runner.run(n), runner.word_neurons, first, mask))
            bar.set_postfix_str(f"{n / (time.perf_counter() - tic):.0f} steps/s", refresh=False)
            bar.update(round(n * net.dt, 6))
        chunk = SpikeRecord.from_ei(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                                    n_steps=done + n_chunk, **meta)
        if out_dir is not None:
            chunk.save(out_dir / f"spikes_{done // per_chunk:05d}.npz")
        else:
            steps.append(chunk.steps)
            neurons.append(chunk.neurons)
        done += n_chunk
    bar.close()
    runner.store()
    if out_dir is not None:
        steps, neurons = [np.zeros(0, np.int32)], [np.zeros(0, np.int32)]
    return SpikeRecord.from_ei(np.concatenate(steps), np.concatenate(neurons), total, **meta)
