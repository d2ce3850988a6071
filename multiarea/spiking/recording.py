"""Spike records: (step, neuron) pairs, never a dense time x neuron matrix.

During a run the spikes of each step arrive from the runner bit-packed (spike
words, ``multiarea.spiking.spike_words``) and are converted on the host, call
by call, to sorted (step, neuron) pairs.  A :class:`SpikeRecord` knows the
network's layout: its populations by key (``"area/population"``), each a
block of consecutive neurons.  A
:class:`~multiarea.spiking.network.MultiAreaNetwork` numbers its neurons E
first, area-major (``area * n_E + i``), then I (``n_areas * n_E + area * n_I +
i``): populations ``"<area>/E"`` of every area, then ``"<area>/I"``
(:meth:`SpikeRecord.from_ei`).  A
:class:`~multiarea.spiking.populations.PopulationNetwork` numbers them
population after population in its order.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._files import write_atomic

__all__ = ["SpikeRecord", "recorded_mask", "split_key"]

#: what :meth:`SpikeRecord.load` reads from an output folder: one file, or chunks
RECORD_FILE, CHUNK_PATTERN = "spikes.npz", "spikes_*.npz"


def split_key(key: str) -> tuple[str, str]:
    """``(area, population)`` of a population key: ``"area/population"`` (an
    area name may contain ``/``, a population name may not), or
    ``"population"`` for a population without an area (area ``""``), as
    :class:`~multiarea.spiking.populations.Population` keys them."""
    area, sep, population = str(key).rpartition("/")
    if not population or (sep and not area):
        raise ValueError(f"a population key is 'area/population' or 'population', got {key!r}")
    return area, population


@dataclass(frozen=True)
class SpikeRecord:
    """Spikes of a run of a network of populations.

    Attributes:
        steps: ``(n_spikes,)`` int32 step of each spike, sorted (time =
            ``step * dt`` ms; NEST stamps the same spike ``(step + 1) * dt``).
        neurons: ``(n_spikes,)`` int32 global neuron of each spike.
        n_steps: number of simulated steps (from step 0).
        dt: time step (ms).
        keys: ``(P,)`` population keys ``"area/population"`` (``"population"``
            without an area), network order.
        first: ``(P,)`` int64 first global neuron of each population.
        sizes: ``(P,)`` int64 neurons of each population.
    """

    steps: np.ndarray
    neurons: np.ndarray
    n_steps: int
    dt: float
    keys: tuple[str, ...]
    first: np.ndarray
    sizes: np.ndarray

    def __post_init__(self):
        keys = tuple(str(k) for k in self.keys)
        for k in keys:
            split_key(k)
        first, sizes = np.asarray(self.first, np.int64), np.asarray(self.sizes, np.int64)
        if first.shape != (len(keys),) or sizes.shape != (len(keys),):
            raise ValueError(f"first and sizes must have one entry per key ({len(keys)}), "
                             f"got shapes {first.shape} and {sizes.shape}")
        if len(set(keys)) != len(keys):
            raise ValueError(f"population keys must be unique, got {list(keys)}")
        if np.any(sizes < 1):
            raise ValueError(f"population sizes must be >= 1, got {sizes.tolist()}")
        steps, neurons = np.asarray(self.steps), np.asarray(self.neurons)
        if steps.shape != neurons.shape or steps.ndim != 1:
            raise ValueError(f"steps and neurons must be 1-d of one length, got shapes {steps.shape} "
                             f"and {neurons.shape}")
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "first", first)
        object.__setattr__(self, "sizes", sizes)
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "neurons", neurons)

    @classmethod
    def from_ei(cls, steps, neurons, n_steps: int, dt: float, area_names, n_E: int, n_I: int) -> "SpikeRecord":
        """The record of a :class:`~multiarea.spiking.network.MultiAreaNetwork`
        (E of every area, then I; see the module docstring); a population of
        0 neurons is left out."""
        names, keys, first, sizes, offset = tuple(str(a) for a in area_names), [], [], [], 0
        for pop, size in (("E", int(n_E)), ("I", int(n_I))):
            for a in names:
                if size:
                    keys.append(f"{a}/{pop}")
                    first.append(offset)
                    sizes.append(size)
                offset += size
        return cls(steps, neurons, int(n_steps), float(dt), tuple(keys), np.array(first, np.int64),
                   np.array(sizes, np.int64))

    @property
    def duration_ms(self) -> float:
        return self.n_steps * self.dt

    @property
    def n_neurons(self) -> int:
        return int((self.first + self.sizes).max(initial=0))

    @property
    def area_names(self) -> tuple[str, ...]:
        """Areas in order of their first population."""
        return tuple(dict.fromkeys(split_key(k)[0] for k in self.keys))

    @property
    def population_names(self) -> tuple[str, ...]:
        """Population names (``"E"``, ``"L23E"``, ...) in order of first appearance."""
        return tuple(dict.fromkeys(split_key(k)[1] for k in self.keys))

    def index(self, key: str) -> int:
        """Index of population ``key`` (``"area/population"``)."""
        if key not in self.keys:
            raise ValueError(f"unknown population {key!r}; populations are {list(self.keys)}")
        return self.keys.index(key)

    def spikes(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """``(times_ms, local_neuron)`` of the spikes of population ``key``."""
        p = self.index(key)
        mask = (self.neurons >= self.first[p]) & (self.neurons < self.first[p] + self.sizes[p])
        return self.steps[mask] * self.dt, self.neurons[mask] - int(self.first[p])

    def population_sizes(self, population: str) -> np.ndarray:
        """``(n_areas,)`` int64 neurons of population ``population`` in each
        area (0 where an area has none)."""
        self._check_population(population)
        sizes = dict(zip(self.keys, self.sizes))
        return np.array([sizes.get(f"{a}/{population}", 0) for a in self.area_names], np.int64)

    def population(self, population: str):
        """``(steps, area, index within the population)`` of the spikes of
        population ``population`` (e.g. ``"E"``) in every area; ``area``
        indexes :attr:`area_names`."""
        self._check_population(population)
        areas = {a: i for i, a in enumerate(self.area_names)}
        block = np.full(len(self.keys), -1)
        for p, key in enumerate(self.keys):
            area, name = split_key(key)
            if name == population:
                block[p] = areas[area]
        p = self._block_of(self.neurons)
        keep = block[p] >= 0
        p = p[keep]
        return self.steps[keep], block[p], self.neurons[keep] - self.first[p]

    def _check_population(self, population: str) -> None:
        if population not in self.population_names:
            raise ValueError(f"unknown population {population!r}; this record has {list(self.population_names)}")

    def _block_of(self, neurons: np.ndarray) -> np.ndarray:
        """Population index of each of ``neurons`` (global)."""
        order = np.argsort(self.first)
        return order[np.searchsorted(self.first[order], neurons, side="right") - 1]

    def save(self, path) -> Path:
        """Write a compressed ``.npz`` (read back with :meth:`load`),
        atomically (a crash leaves the old file or the whole new one);
        returns the path."""
        return write_atomic(path, lambda f: np.savez_compressed(
            f, steps=self.steps, neurons=self.neurons, n_steps=self.n_steps, dt=self.dt, keys=np.array(self.keys),
            first=self.first, sizes=self.sizes))

    @classmethod
    def load(cls, path) -> "SpikeRecord":
        """Read a record: a file written by :meth:`save`, or the output folder
        of a run (its ``spikes.npz``, or its chunks ``spikes_*.npz``
        concatenated in order, checked against the folder's manifest if it
        has one: ``multiarea.spiking.run_folder``).

        Raises:
            FileNotFoundError: nothing there (the message says what was looked for).
            ValueError: a file that is not a spike record, chunks of different
                networks, or a chunk that does not match the manifest (named).
        """
        path = Path(path)
        if path.is_dir():
            if (path / RECORD_FILE).is_file():
                return cls.load(path / RECORD_FILE)
            from .run_folder import MANIFEST, RunFolder

            if (path / MANIFEST).is_file():  # a run's folder: its chunks checked against the manifest
                return RunFolder.read(path).record()
            files = sorted(path.glob(CHUNK_PATTERN))
            if not files:
                raise FileNotFoundError(f"no spike record in folder {path}: looked for {RECORD_FILE} "
                                        f"and chunks {CHUNK_PATTERN}")
            return cls.concatenate([cls.load(f) for f in files])
        if not path.is_file():
            raise FileNotFoundError(f"no spike record at {path}")
        with np.load(path) as f:
            if {"n_E", "n_I", "area_names"} <= set(f.files):  # written before records had keys
                missing = {"steps", "neurons", "n_steps", "dt"} - set(f.files)
                if not missing:
                    return cls.from_ei(f["steps"], f["neurons"], int(f["n_steps"]), float(f["dt"]),
                                       [str(a) for a in f["area_names"]], int(f["n_E"]), int(f["n_I"]))
            missing = {"steps", "neurons", "n_steps", "dt", "keys", "first", "sizes"} - set(f.files)
            if missing:
                raise ValueError(f"{path} is not a spike record: missing {sorted(missing)}")
            return cls(f["steps"], f["neurons"], int(f["n_steps"]), float(f["dt"]),
                       tuple(str(k) for k in f["keys"]), f["first"], f["sizes"])

    @classmethod
    def concatenate(cls, chunks) -> "SpikeRecord":
        """One record of consecutive chunks of a run (each with the steps so
        far as ``n_steps``; the last one's is the record's)."""
        chunks = list(chunks)
        if not chunks:
            raise ValueError("concatenate needs at least one chunk")
        last = chunks[-1]
        for c in chunks:
            if c.keys != last.keys or c.dt != last.dt or not np.array_equal(c.first, last.first) \
                    or not np.array_equal(c.sizes, last.sizes):
                raise ValueError("chunks of different networks (keys, dt or sizes differ)")
        return cls(np.concatenate([c.steps for c in chunks]), np.concatenate([c.neurons for c in chunks]),
                   last.n_steps, last.dt, last.keys, last.first, last.sizes)

    # Other formats (multiarea.spiking.export; the io extra: pip install "multiarea[io]")

    def to_neo(self):
        """A ``neo.Block``: one spike train (ms) per neuron that fired, a
        ``neo.Group`` per population (:func:`~multiarea.spiking.export.to_neo`)."""
        from .export import to_neo
        return to_neo(self)

    def to_nwb(self, path, **metadata) -> Path:
        """Write an NWB file: a Units table (spike times in s), the layout and
        ``metadata`` as JSON in its notes (:func:`~multiarea.spiking.export.to_nwb`);
        returns the path."""
        from .export import to_nwb
        return to_nwb(self, path, **metadata)

    @classmethod
    def from_nwb(cls, path) -> "SpikeRecord":
        """Read a file written by :meth:`to_nwb` (:func:`~multiarea.spiking.export.from_nwb`)."""
        from .export import from_nwb
        return from_nwb(path)

    def to_sonata(self, path) -> Path:
        """Write a SONATA spike file (:func:`~multiarea.spiking.export.to_sonata`);
        returns the path."""
        from .export import to_sonata
        return to_sonata(self, path)

    @classmethod
    def from_sonata(cls, path, dt: float | None = None) -> "SpikeRecord":
        """Read a SONATA spike file; ``dt`` (ms) is needed for files not written
        by :meth:`to_sonata` (:func:`~multiarea.spiking.export.from_sonata`)."""
        from .export import from_sonata
        return from_sonata(path, dt)


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
