"""Spike records: (step, neuron) pairs, never a dense time x neuron matrix.

During a run the spikes of each step are monitored bit-packed
(``jnp.packbits``, 1 bit per neuron and step) and converted on the host, in
chunks, to sorted (step, neuron) pairs.  Neurons of a
:class:`~multiarea.network.MultiAreaNetwork` are numbered E first, area-major
(``area * n_E + i``), then I (``n_areas * n_E + area * n_I + i``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import brainpy as bp
import jax.numpy as jnp
import numpy as np

__all__ = ["SpikeRecord", "simulate"]


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
        """Read a record written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no spike record at {path}")
        with np.load(path) as f:
            missing = {"steps", "neurons", "n_steps", "dt", "area_names", "n_E", "n_I"} - set(f.files)
            if missing:
                raise ValueError(f"{path} is not a spike record: missing {sorted(missing)}")
            return cls(f["steps"], f["neurons"], int(f["n_steps"]), float(f["dt"]),
                       tuple(str(a) for a in f["area_names"]), int(f["n_E"]), int(f["n_I"]))


def _unpack(packed: np.ndarray, n_neurons: int, chunk: int = 1024):
    steps, neurons = [], []
    for start in range(0, packed.shape[0], chunk):
        bits = np.unpackbits(packed[start:start + chunk], axis=1, count=n_neurons)
        s, n = np.nonzero(bits)
        steps.append((s + start).astype(np.int32))
        neurons.append(n.astype(np.int32))
    return np.concatenate(steps), np.concatenate(neurons)


def simulate(net, duration_ms: float, inputs=(), progress_bar: bool = True) -> SpikeRecord:
    """Run a :class:`MultiAreaNetwork` with ``bp.DSRunner`` and record all spikes.

    Args:
        net: the network (its ``dt`` is used).
        duration_ms: simulated time (ms).
        inputs: ``bp.DSRunner`` inputs (e.g. ``[net.step_input(...)]``).
        progress_bar: show DSRunner's progress bar.
    """
    if not duration_ms > 0:
        raise ValueError(f"duration_ms must be > 0, got {duration_ms}")

    def packed_spikes():
        return jnp.packbits(jnp.concatenate([net.E.spike.value.ravel(), net.I.spike.value.ravel()]))

    runner = bp.DSRunner(net, monitors={"spikes": packed_spikes}, inputs=list(inputs),
                         dt=net.dt, progress_bar=progress_bar)
    runner.run(duration_ms)
    packed = np.asarray(runner.mon["spikes"])
    n_neurons = net.E.num + net.I.num
    steps, neurons = _unpack(packed, n_neurons)
    return SpikeRecord(steps, neurons, packed.shape[0], net.dt, net.area_names,
                       net.E.size[1], net.I.size[1])
