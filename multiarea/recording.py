"""Spike records: (step, neuron) pairs, never a dense time x neuron matrix.

During a run the spikes of each step are bit-packed (1 bit per neuron and
step; by the whole-step kernel, or by ``jnp.packbits`` in a DSRunner monitor)
and converted on the host, call by call, to sorted (step, neuron) pairs.  Neurons of a
:class:`~multiarea.network.MultiAreaNetwork` are numbered E first, area-major
(``area * n_E + i``), then I (``n_areas * n_E + area * n_I + i``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import brainpy as bp
import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

__all__ = ["SpikeRecord", "simulate", "METHODS"]


@dataclass(frozen=True)
class SpikeRecord:
    """Spikes of a multi-area run.

    Attributes:
        steps: ``(n_spikes,)`` int32 step of each spike (time = step * dt ms).
        neurons: ``(n_spikes,)`` int32 neuron index (see module docstring).
        n_steps: number of simulated steps.
        dt: time step (ms).
        area_names: area names in network order.
        n_E, n_I: neurons per area in each population.
    """

    steps: np.ndarray
    neurons: np.ndarray
    n_steps: int
    dt: float
    area_names: tuple[str, ...]
    n_E: int
    n_I: int

    @property
    def duration_ms(self) -> float:
        return self.n_steps * self.dt

    def population(self, population: str):
        """``(steps, area, index within area)`` of the spikes of ``'E'`` or ``'I'``."""
        n_areas = len(self.area_names)
        if population == "E":
            keep = self.neurons < n_areas * self.n_E
            local, size = self.neurons[keep], self.n_E
        elif population == "I":
            keep = self.neurons >= n_areas * self.n_E
            local, size = self.neurons[keep] - n_areas * self.n_E, self.n_I
        else:
            raise ValueError(f"population must be 'E' or 'I', got {population!r}")
        return self.steps[keep], local // size, local % size

    def save(self, path) -> Path:
        """Write a compressed ``.npz``; returns the path."""
        path = Path(path)
        np.savez_compressed(path, steps=self.steps, neurons=self.neurons, n_steps=self.n_steps,
                            dt=self.dt, area_names=np.array(self.area_names), n_E=self.n_E,
                            n_I=self.n_I)
        return path

    @classmethod
    def load(cls, path) -> "SpikeRecord":
        """Read a record written by :meth:`save`, or a folder of chunks written
        by :func:`simulate` with ``out_dir`` (concatenated in order)."""
        path = Path(path)
        if path.is_dir():
            files = sorted(path.glob("spikes_*.npz"))
            if not files:
                raise FileNotFoundError(f"no spike chunks (spikes_*.npz) in {path}")
            chunks = [cls.load(f) for f in files]
            last = chunks[-1]
            return cls(np.concatenate([c.steps for c in chunks]),
                       np.concatenate([c.neurons for c in chunks]), last.n_steps, last.dt,
                       last.area_names, last.n_E, last.n_I)
        if not path.is_file():
            raise FileNotFoundError(f"no spike record at {path}")
        with np.load(path) as f:
            missing = {"steps", "neurons", "n_steps", "dt", "area_names", "n_E", "n_I"} - set(f.files)
            if missing:
                raise ValueError(f"{path} is not a spike record: missing {sorted(missing)}")
            return cls(f["steps"], f["neurons"], int(f["n_steps"]), float(f["dt"]),
                       tuple(str(a) for a in f["area_names"]), int(f["n_E"]), int(f["n_I"]))


def _unpack(packed: np.ndarray, recorded: np.ndarray, first_step: int, chunk: int = 1024):
    """(step, neuron) pairs from bit-packed spikes ``(n_steps, ceil(n/8))`` of
    the neurons ``recorded`` (global indices), steps counted from ``first_step``."""
    steps, neurons = [np.zeros(0, np.int32)], [np.zeros(0, np.int32)]
    for start in range(0, packed.shape[0], chunk):
        bits = np.unpackbits(packed[start:start + chunk], axis=1, count=recorded.size)
        s, n = np.nonzero(bits)
        steps.append((s + start + first_step).astype(np.int32))
        neurons.append(recorded[n].astype(np.int32))
    return np.concatenate(steps), np.concatenate(neurons)


def _recorded_neurons(net, populations, areas) -> np.ndarray:
    """Global indices (sorted) of the neurons of the chosen populations and areas."""
    n_areas, n_E, n_I = net.n_areas, net.E.size[1], net.I.size[1]
    areas = range(n_areas) if areas is None else [net.area_index(a) for a in areas]
    chosen = []
    for pop in populations:
        if pop not in ("E", "I"):
            raise ValueError(f"populations must contain 'E' and/or 'I', got {pop!r}")
        offset, size = (0, n_E) if pop == "E" else (n_areas * n_E, n_I)
        chosen += [offset + a * size + np.arange(size) for a in areas]
    if not chosen:
        raise ValueError("nothing to record: populations and areas must not be empty")
    return np.unique(np.concatenate(chosen))


#: how a run is executed, see :func:`simulate`
METHODS = ("auto", "kernel", "dsrunner")
_KERNEL_CALL_STEPS = 1000  #: steps per custom call on the kernel path (progress, word memory)


def _recorded_mask(net, recorded: np.ndarray) -> np.ndarray | None:
    """Bool mask over all neurons of the ``recorded`` ones (None: all)."""
    mask = np.zeros(net.E.num + net.I.num, bool)
    mask[recorded] = True
    return None if mask.all() else mask


def _kernel_steps(net, inputs, recorded: np.ndarray):
    """``(run, max_steps, finish)``: ``run(first, n)`` advances ``net`` ``n``
    steps on the whole-step kernel and returns the recorded (step, neuron)
    pairs, steps counted from ``first``; ``finish()`` (None: nothing) ends the
    run."""
    from .engine import NetworkKernel, words_to_pairs

    kernel = NetworkKernel(net)
    mask = _recorded_mask(net, recorded)

    def run(first, n):
        return words_to_pairs(kernel.run(kernel.drive(inputs, n)), kernel.word_neurons, first, mask)

    return run, min(_KERNEL_CALL_STEPS, kernel.max_steps_per_call), None


def _sharded_steps(net, inputs, recorded: np.ndarray, devices):
    """Like :func:`_kernel_steps`, with the areas split over ``devices``
    (``multiarea.sharding``); the state is written back at the end."""
    from .engine import words_to_pairs
    from .sharding import ShardedRun

    sharded = ShardedRun(net, devices)
    mask = _recorded_mask(net, recorded)

    def run(first, n):
        return words_to_pairs(sharded.run(sharded.drive(inputs, n)), sharded.word_neurons, first, mask)

    return run, _KERNEL_CALL_STEPS, sharded.store


def _dsrunner_steps(net, inputs, recorded: np.ndarray):
    """Like :func:`_kernel_steps`, with ``bp.DSRunner`` and bit-packed monitors."""
    select = None if recorded.size == net.E.num + net.I.num else jnp.asarray(recorded)

    def packed_spikes():
        spikes = jnp.concatenate([net.E.spike.value.ravel(), net.I.spike.value.ravel()])
        return jnp.packbits(spikes if select is None else spikes[select])

    runner = bp.DSRunner(net, monitors={"spikes": packed_spikes}, inputs=list(inputs),
                         dt=net.dt, progress_bar=False)
    # input time counts from the network's last reset, as on the other paths:
    # DSRunner's clock is t = i * dt with i its step index, which starts at i0
    runner.i0 = int(net.t.value)

    def run(first, n):
        runner.run(n * net.dt)
        return _unpack(np.asarray(runner.mon["spikes"]), recorded, first)

    return run, None, None


def simulate(net, duration_ms: float, inputs=(), progress_bar: bool = True,
             populations=("E", "I"), areas=None, chunk_ms: float | None = None,
             out_dir=None, method: str = "auto", devices=None) -> SpikeRecord:
    """Run a :class:`MultiAreaNetwork` and record spikes.

    Two ways to run, with the same spikes for the same seed:

    * ``"kernel"``: the whole-step Taichi kernel, up to 1000 steps per XLA
      custom call, spikes bit-packed by the kernel (``multiarea.engine``);
      takes the inputs made by ``net.step_input`` and needs the taichi
      backend;
    * ``"dsrunner"``: ``bp.DSRunner`` over the network's ``update``, spikes
      monitored bit-packed inside the compiled loop; takes any DSRunner input.

    ``"auto"`` (default) takes the kernel where it can.  With ``devices``
    the areas are split over several devices (``multiarea.sharding``: the
    same spikes as one device, the inputs of ``net.step_input`` only).
    Either way the spikes
    become (step, neuron) pairs after each call, so no dense time x neuron
    buffer ever exceeds one call, and the network's Variables hold its state
    after the run.  Input times count from the network's last reset.

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
    from .engine import unsupported_reason

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not duration_ms > 0:
        raise ValueError(f"duration_ms must be > 0, got {duration_ms}")
    total = int(round(duration_ms / net.dt))
    if total < 1:
        raise ValueError(f"duration_ms must be at least one step (dt = {net.dt} ms), got {duration_ms}")
    per_chunk = total if chunk_ms is None else int(round(chunk_ms / net.dt))
    if per_chunk < 1:
        raise ValueError(f"chunk_ms must be at least dt = {net.dt} ms, got {chunk_ms}")
    for pop in (net.E, net.I):
        done_before = int(pop.step.value)
        if pop.max_steps is not None and done_before + total > pop.max_steps:
            raise ValueError(f"duration_ms = {duration_ms} needs {total} steps after the {done_before} "
                             f"already run, more than the {pop.max_steps} steps the legacy refractory "
                             f"timing covers; use refractory_timing='timestep' for longer runs")
    recorded = _recorded_neurons(net, populations, areas)
    inputs = list(inputs)
    if devices is not None:
        if method != "auto":
            raise ValueError(f"devices={devices!r} runs the sharded path; method must be 'auto', got {method!r}")
        run, max_call, finish = _sharded_steps(net, inputs, recorded, devices)
    else:
        why_not = unsupported_reason(net, inputs) if method != "dsrunner" else None
        if method == "kernel" and why_not:
            raise ValueError(f"method='kernel' cannot run this: {why_not}")
        steps_of = _dsrunner_steps if method == "dsrunner" or why_not else _kernel_steps
        run, max_call, finish = steps_of(net, inputs, recorded)
    per_call = per_chunk if max_call is None else min(per_chunk, max_call)

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
            parts.append(run(first, n))
            bar.set_postfix_str(f"{n / (time.perf_counter() - tic):.0f} steps/s", refresh=False)
            bar.update(round(n * net.dt, 6))
        chunk = SpikeRecord(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                            n_steps=done + n_chunk, **meta)
        if out_dir is not None:
            chunk.save(out_dir / f"spikes_{done // per_chunk:05d}.npz")
        else:
            steps.append(chunk.steps)
            neurons.append(chunk.neurons)
        done += n_chunk
    bar.close()
    if finish is not None:
        finish()
    if out_dir is not None:
        steps, neurons = [np.zeros(0, np.int32)], [np.zeros(0, np.int32)]
    return SpikeRecord(np.concatenate(steps), np.concatenate(neurons), total, **meta)
