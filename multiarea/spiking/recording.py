"""Spike records: (step, neuron) pairs, never a dense time x neuron matrix.

During a run the spikes of each step arrive from the runner bit-packed (spike
words, ``multiarea.spiking.spike_words``) and are converted on the host, call
by call, to sorted (step, neuron) pairs.  Neurons of a
:class:`~multiarea.spiking.network.MultiAreaNetwork` are numbered E first,
area-major (``area * n_E + i``), then I (``n_areas * n_E + area * n_I + i``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["SpikeRecord", "recorded_mask"]


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


def recorded_mask(net, populations=("E", "I"), areas=None) -> np.ndarray | None:
    """``(n_neurons,)`` bool mask of the neurons of the chosen populations and
    areas of ``net`` (numbered as in the module docstring); None: all of them.

    Raises:
        ValueError: a population other than ``'E'``/``'I'``, an unknown area,
            or nothing chosen.
    """
    n_areas, n_E, n_I = net.n_areas, net.E.size[1], net.I.size[1]
    areas = range(n_areas) if areas is None else [net.area_index(a) for a in areas]
    mask = np.zeros(n_areas * (n_E + n_I), bool)
    for pop in populations:
        if pop not in ("E", "I"):
            raise ValueError(f"populations must contain 'E' and/or 'I', got {pop!r}")
        offset, size = (0, n_E) if pop == "E" else (n_areas * n_E, n_I)
        for a in areas:
            mask[offset + a * size:offset + (a + 1) * size] = True
    if not mask.any():
        raise ValueError("nothing to record: populations and areas must not be empty")
    return None if mask.all() else mask
