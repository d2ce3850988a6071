"""``simulate``: run a spiking network with a runner and record its spikes."""
from __future__ import annotations

import time

import jax
import numpy as np
from tqdm.auto import tqdm

from .. import _checks
from .._memory import fix_mmap_threshold
from .inputs import run_steps
from .recording import SpikeRecord, recorded_mask
from .run_folder import RunFolder
from .runners import make_runner
from .spike_words import words_to_pairs

__all__ = ["simulate", "record_chunks", "open_run_folder", "chunk_steps"]


def simulate(net, duration_ms: float, inputs=(), progress_bar: bool = True,
             populations=("E", "I"), areas=None, chunk_ms: float | None = None,
             out_dir=None, method: str = "auto", devices=None, resume: bool = False,
             arguments: dict | None = None) -> SpikeRecord:
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
            memory, with a checkpoint of the network's state and a manifest
            (``multiarea.spiking.run_folder``); read them back with
            :meth:`SpikeRecord.load` on the folder.  The returned record then
            holds no spikes (only the metadata).
        resume: go on with the run in ``out_dir`` from its last checkpoint
            (``net``, ``inputs`` and ``duration_ms`` as the run had them):
            the chunks of the whole run are then the spikes of an
            uninterrupted run.
        arguments: JSON-able dict stored in the manifest (what the caller
            needs to rebuild ``net`` to resume).
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
    per_chunk = chunk_steps(net.dt, total, chunk_ms)
    mask = recorded_mask(net, populations, areas)
    folder, start = open_run_folder(net, out_dir, resume, arguments)
    runner = make_runner(net, inputs, method, devices)
    meta = dict(dt=net.dt, area_names=net.area_names, n_E=net.E.size[1], n_I=net.I.size[1])
    return record_chunks(net, runner, total, per_chunk, lambda s, n, k: SpikeRecord.from_ei(s, n, k, **meta),
                         mask, folder, start, progress_bar)


def chunk_steps(dt: float, total: int, chunk_ms: float | None) -> int:
    """Steps per chunk: ``chunk_ms`` (ms) on the ``dt`` grid, or ``total`` if None.

    Raises:
        ValueError: ``chunk_ms`` not > 0, or shorter than ``dt``.
    """
    if chunk_ms is None:
        return total
    per_chunk = int(round(_checks.positive_float("chunk_ms", chunk_ms) / dt))
    if per_chunk < 1:
        raise ValueError(f"chunk_ms must be at least dt = {dt} ms, got {chunk_ms}")
    return per_chunk


def open_run_folder(net, out_dir, resume: bool, arguments: dict | None = None):
    """``(folder, start)``: the :class:`RunFolder` a run writes (process 0
    only: every process holds the same record; None without ``out_dir``) and
    the step it starts from: 0, or with ``resume`` the checkpoint's step,
    whose state is loaded into ``net`` on every process (make the runner
    after this).

    A run with ``out_dir`` is a long one: it fixes glibc's mmap threshold
    (:func:`multiarea._memory.fix_mmap_threshold`) so that the state it
    frees every chunk goes back to the system and its memory stays flat."""
    if out_dir is None:
        if resume:
            raise ValueError("resume=True needs the out_dir of the run to resume")
        return None, 0
    fix_mmap_threshold()
    writer = jax.process_index() == 0
    if not resume:
        return (RunFolder.create(out_dir, arguments) if writer else None), 0
    folder = RunFolder.open(out_dir, clean=writer)
    return (folder if writer else None), folder.restore(net)


def record_chunks(net, runner, total: int, per_chunk: int, make_record, mask=None, folder=None, start: int = 0,
                  progress_bar: bool = True) -> SpikeRecord:
    """Run ``runner`` from step ``start`` to step ``total`` of a run in chunks
    of ``per_chunk`` steps and record the spikes.

    Each call's words become (step, neuron) pairs at once (``mask``: the
    neurons kept).  With a :class:`RunFolder` each chunk goes to disk with a
    checkpoint of ``net`` (after ``runner.store()``).

    Args:
        make_record: ``(steps, neurons, n_steps) -> SpikeRecord`` of this network.

    Returns:
        the record of the steps run (without a folder), or one with no spikes
        and the layout (with a folder: the spikes are in its chunks).
    """
    done = start
    if done > total:
        raise ValueError(f"the run to resume is at step {done}, past its end ({total})")
    steps, neurons = [], []
    per_call = per_chunk if runner.steps_per_call is None else min(per_chunk, runner.steps_per_call)
    bar = tqdm(total=round(total * net.dt, 6), initial=round(done * net.dt, 6), unit="ms", desc="simulating",
               disable=not progress_bar,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} ms [{elapsed}<{remaining}{postfix}]")
    while done < total:
        n_chunk, parts = min(per_chunk, total - done), []
        for first in range(done, done + n_chunk, per_call):
            n = min(per_call, done + n_chunk - first)
            tic = time.perf_counter()
            parts.append(words_to_pairs(runner.run(n), runner.word_neurons, first, mask))
            bar.set_postfix_str(f"{n / (time.perf_counter() - tic):.0f} steps/s", refresh=False)
            bar.update(round(n * net.dt, 6))
        chunk = make_record(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                            done + n_chunk)
        done += n_chunk
        if folder is not None:
            runner.store()
            folder.add_chunk(chunk, net)
        else:
            steps.append(chunk.steps)
            neurons.append(chunk.neurons)
    bar.close()
    if folder is None:  # with a folder the state was stored at every chunk
        runner.store()
    empty = np.zeros(0, np.int32)
    return make_record(np.concatenate(steps) if steps else empty, np.concatenate(neurons) if neurons else empty,
                       total)
