"""A :class:`~multiarea.spiking.recording.SpikeRecord` in other formats: Neo,
NWB and SONATA spike files.

* :func:`to_neo`: a ``neo.Block`` (for Elephant and the other Neo tools);
* :func:`to_nwb` / :func:`from_nwb`: an NWB file (pynwb) with a Units table;
* :func:`to_sonata` / :func:`from_sonata`: a SONATA spike file (h5py).

The libraries are the ``io`` extra (``pip install "multiarea[io]"``), imported
only when one of these functions runs.  Times are ``step * dt``: ms in Neo and
SONATA, seconds in NWB (its unit); reading back rounds them to the nearest
step, so our own files round-trip exactly (steps, neurons, keys, first, sizes,
dt, n_steps; spikes come back sorted by step, then neuron, as a run records
them).
"""
from __future__ import annotations

import datetime
import importlib
import json
import uuid
from pathlib import Path

import numpy as np

from .. import _checks
from .recording import SpikeRecord, split_key

__all__ = ["to_neo", "to_nwb", "from_nwb", "to_sonata", "from_sonata", "NWB_FORMAT",
           "SONATA_POPULATION"]

#: the ``format`` entry of the JSON layout that :func:`to_nwb` writes into ``NWBFile.notes``
NWB_FORMAT = "multiarea.SpikeRecord"
#: population name of every key read from a foreign SONATA file: SONATA population
#: ``name`` -> key ``f"{name}/{SONATA_POPULATION}"`` (area ``name``)
SONATA_POPULATION = "all"
#: SONATA's ``sorting`` enum (libsonata: a ``char`` enum; we write ``by_time``)
_SORTING = {"none": 0, "by_id": 1, "by_time": 2}
#: root attributes every SONATA HDF5 file carries (the SONATA developer guide)
_SONATA_MAGIC, _SONATA_VERSION = np.uint32(0x0A7A), np.array([0, 1], np.uint32)


def _require(module: str):
    """Import ``module`` (a library of the ``io`` extra) or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"spike records in Neo, NWB and SONATA formats need {module.split('.')[0]} "
                          f"(the io extra): pip install \"multiarea[io]\"") from err


def _trains(record: SpikeRecord):
    """The record's spikes as one train per neuron that fired.

    Returns:
        ``(fired (n,) int64 global neurons, ascending; bounds (n + 1,) int64;
        steps (n_spikes,) int64 sorted by neuron, then step)``: neuron
        ``fired[i]``'s steps are ``steps[bounds[i]:bounds[i + 1]]``.
    """
    order = np.lexsort((record.steps, record.neurons))
    neurons, steps = record.neurons[order].astype(np.int64), record.steps[order].astype(np.int64)
    fired, starts = np.unique(neurons, return_index=True)
    return fired, np.append(starts, neurons.size).astype(np.int64), steps


def _blocks(record: SpikeRecord, neurons: np.ndarray) -> np.ndarray:
    """Population index of each of ``neurons`` (global).

    Raises:
        ValueError: a neuron in no population of the record.
    """
    block = np.full(neurons.shape, -1, np.int64)
    for p, (first, size) in enumerate(zip(record.first, record.sizes)):
        block[(neurons >= first) & (neurons < first + size)] = p
    if np.any(block < 0):
        raise ValueError(f"neurons {neurons[block < 0][:10].tolist()} fired but belong to no population "
                         f"of the record (keys {list(record.keys)}, first {record.first.tolist()}, "
                         f"sizes {record.sizes.tolist()})")
    return block


def _record(steps, neurons, n_steps, dt, keys, first, sizes) -> SpikeRecord:
    """A record of spikes in any order, sorted by step, then neuron."""
    steps, neurons = np.asarray(steps, np.int64), np.asarray(neurons, np.int64)
    order = np.lexsort((neurons, steps))
    return SpikeRecord(steps[order].astype(np.int32), neurons[order].astype(np.int32), int(n_steps),
                       float(dt), tuple(keys), np.asarray(first, np.int64), np.asarray(sizes, np.int64))


def _existing(path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    return path


def to_neo(record: SpikeRecord):
    """The record as a ``neo.Block``.

    One ``Segment`` holds a ``SpikeTrain`` per neuron that fired (times in ms,
    ``t_start=0``, ``t_stop = n_steps * dt`` ms), ordered by global neuron;
    ``block.groups`` has one ``neo.Group`` per population key (network order,
    named by the key, annotated with ``key``, ``area``, ``population``,
    ``first``, ``size``) holding its trains.  Each train is annotated with
    ``area``, ``population``, ``key``, ``neuron`` (index within the population)
    and ``global_neuron``; the block with ``dt_ms`` and ``n_steps``.
    """
    neo = _require("neo")
    train_list = _require("neo.core.spiketrainlist").SpikeTrainList
    fired, bounds, steps = _trains(record)
    block = neo.Block(name="multiarea spike record", dt_ms=float(record.dt), n_steps=int(record.n_steps))
    segment = neo.Segment(name="run")
    block.segments.append(segment)
    segment.block = block
    split = [split_key(key) for key in record.keys]
    trains, members = [], [[] for _ in record.keys]
    for i, p in enumerate(_blocks(record, fired)):
        (area, name), key, local = split[p], record.keys[p], int(fired[i] - record.first[p])
        train = neo.SpikeTrain(steps[bounds[i]:bounds[i + 1]] * record.dt, units="ms", t_start=0.0,
                               t_stop=record.duration_ms, name=f"{key}[{local}]", area=area, population=name,
                               key=key, neuron=local, global_neuron=int(fired[i]))
        train.segment = segment
        trains.append(train)
        members[p].append(train)
    # whole lists at once: appending one by one checks each train against all before it
    segment.spiketrains = train_list(items=trains, parent=segment)
    for key, (area, name), first, size, mine in zip(record.keys, split, record.first, record.sizes, members):
        group = neo.Group(name=key, allowed_types=[neo.SpikeTrain], key=key, area=area, population=name,
                          first=int(first), size=int(size))
        group.spiketrains = train_list(items=mine)
        block.groups.append(group)
    return block


def _json_value(value):
    """``json.dumps`` ``default``: numpy scalars and arrays as Python values."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"metadata must be JSON values (str, numbers, bools, lists, dicts, numpy "
                    f"scalars or arrays), got {value!r} ({type(value).__name__})")


def to_nwb(record: SpikeRecord, path, **metadata) -> Path:
    """Write the record as an NWB file (read back with :func:`from_nwb`).

    The Units table has one row per neuron that fired (ascending global
    neuron): ``spike_times`` in seconds (NWB's unit; the table's
    ``resolution`` is ``dt`` in s), and the columns
    ``area``, ``population``, ``neuron`` (index within the population) and
    ``global_neuron``.  The layout and run parameters (``format``, ``dt_ms``,
    ``n_steps``, ``keys``, ``first``, ``sizes``, and ``metadata``: the
    keyword arguments, e.g. ``model``, ``regime``, ``seed``) are a JSON object
    in ``NWBFile.notes``: a core text field that pynwb's validator accepts
    without an extension (``LabMetaData`` would need one, cached in the file)
    and that tools show as free text (``ScratchData`` is meant for data not
    ready to share).

    Args:
        record: the spikes.
        path: the file to write (overwritten).
        **metadata: JSON values (numpy scalars and arrays allowed).

    Returns:
        the path.

    Raises:
        TypeError: a metadata value JSON cannot hold.
        ValueError: a neuron that fired in no population of the record.
        ImportError: pynwb missing.
    """
    pynwb = _require("pynwb")
    notes = json.dumps(dict(format=NWB_FORMAT, dt_ms=float(record.dt), n_steps=int(record.n_steps),
                            keys=list(record.keys), first=record.first.tolist(), sizes=record.sizes.tolist(),
                            metadata=metadata), default=_json_value)
    fired, bounds, steps = _trains(record)
    block = _blocks(record, fired)
    areas, names = [split_key(k)[0] for k in record.keys], [split_key(k)[1] for k in record.keys]
    nwbfile = pynwb.NWBFile(
        session_description=f"spikes of a multiarea simulation: {len(record.keys)} populations, "
                            f"{record.duration_ms:g} ms (dt {record.dt:g} ms)",
        identifier=str(uuid.uuid4()), session_start_time=datetime.datetime.now(datetime.timezone.utc),
        notes=notes)
    # columns built here, not by Units.add_column: hdmf warns when spike_times gets a list index
    column = pynwb.core.VectorData
    times = column(name="spike_times", description="spike times (s), ascending per unit",
                   data=steps * (record.dt * 1e-3))
    columns = [times, pynwb.core.VectorIndex(name="spike_times_index", data=bounds[1:], target=times),
               column(name="area", description="area of the neuron", data=np.array(areas, str)[block]),
               column(name="population", description="population of the neuron within its area",
                      data=np.array(names, str)[block]),
               column(name="neuron", description="index of the neuron within its population",
                      data=fired - record.first[block]),
               column(name="global_neuron", description="index of the neuron in the network", data=fired)]
    units = pynwb.misc.Units(name="units", description="one unit per simulated neuron that fired",
                             id=np.arange(fired.size), columns=columns, resolution=record.dt * 1e-3)
    nwbfile.units = units
    path = Path(path)
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def from_nwb(path) -> SpikeRecord:
    """Read a record written by :func:`to_nwb` (steps recovered as
    ``round(t * 1000 / dt)`` of the spike times ``t`` in seconds).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: an NWB file that :func:`to_nwb` did not write (no layout in
            its ``notes``).
        ImportError: pynwb missing.
    """
    pynwb = _require("pynwb")
    path = _existing(path)
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        layout = _nwb_layout(nwbfile.notes)
        if layout is None:
            raise ValueError(f"{path} was not written by SpikeRecord.to_nwb: its notes hold no "
                             f"{NWB_FORMAT!r} layout")
        units = nwbfile.units
        if units is None or len(units) == 0:
            times, neurons = np.zeros(0), np.zeros(0, np.int64)
        else:
            index = units["spike_times"]   # VectorIndex: end of each unit's spikes in its target
            times = np.asarray(index.target.data[:], np.float64)
            counts = np.diff(np.concatenate([[0], index.data[:]]))
            neurons = np.repeat(np.asarray(units["global_neuron"].data[:], np.int64), counts)
    dt = layout["dt_ms"]
    return _record(np.rint(times * 1e3 / dt), neurons, layout["n_steps"], dt, layout["keys"], layout["first"],
                   layout["sizes"])


def _nwb_layout(notes) -> dict | None:
    """The layout :func:`to_nwb` writes into ``NWBFile.notes``, or None."""
    try:
        layout = json.loads(notes)
    except (TypeError, ValueError):
        return None
    return layout if isinstance(layout, dict) and layout.get("format") == NWB_FORMAT else None


def _sonata_names(keys) -> list[str]:
    """A SONATA population name for each key: ``/`` -> ``_``, then ``_2``,
    ``_3``, ... appended where two keys would get the same name."""
    names = []
    for key in keys:
        name, k = key.replace("/", "_"), 2
        while name in names:
            name, k = f"{key.replace('/', '_')}_{k}", k + 1
        names.append(name)
    return names


def to_sonata(record: SpikeRecord, path) -> Path:
    """Write the record as a SONATA spike file (read back with :func:`from_sonata`).

    Layout (SONATA developer guide, "Spike file"): root attributes ``magic``
    (uint32 0x0A7A) and ``version`` ([0, 1]); per population key a group
    ``/spikes/<name>`` (the key with ``/`` replaced by ``_``; SONATA names may
    not contain ``/``) with attribute ``sorting`` (enum, ``by_time``) and
    datasets ``timestamps`` (float64 ms, attribute ``units="ms"``) and
    ``node_ids`` (uint64 index within the population), sorted by time, then
    node.  For an exact round trip the file also holds the root attributes
    ``dt_ms`` and ``n_steps`` and, per group, ``key`` (the exact key),
    ``first`` and ``size``; groups are in network order (HDF5 creation order).

    Returns:
        the path.

    Raises:
        ValueError: a neuron that fired in no population of the record.
        ImportError: h5py missing.
    """
    h5py = _require("h5py")
    sorting = h5py.enum_dtype(_SORTING, basetype=np.int8)
    path = Path(path)
    with h5py.File(path, "w") as f:
        f.attrs["magic"], f.attrs["version"] = _SONATA_MAGIC, _SONATA_VERSION
        f.attrs["dt_ms"], f.attrs["n_steps"] = float(record.dt), np.int64(record.n_steps)
        spikes = f.create_group("spikes", track_order=True)
        block = _blocks(record, record.neurons)
        for p, (key, name) in enumerate(zip(record.keys, _sonata_names(record.keys))):
            mine = block == p
            steps, local = record.steps[mine].astype(np.int64), record.neurons[mine] - record.first[p]
            order = np.lexsort((local, steps))
            group = spikes.create_group(name)
            group.attrs.create("sorting", _SORTING["by_time"], dtype=sorting)
            group.attrs["key"], group.attrs["first"], group.attrs["size"] = key, record.first[p], record.sizes[p]
            group.create_dataset("timestamps", data=steps[order] * record.dt, dtype=np.float64)
            group["timestamps"].attrs["units"] = "ms"
            group.create_dataset("node_ids", data=local[order], dtype=np.uint64)
    return path


def from_sonata(path, dt: float | None = None) -> SpikeRecord:
    """Read a SONATA spike file.

    A file written by :func:`to_sonata` comes back exactly (its ``dt_ms``,
    ``n_steps`` and per-group ``key``, ``first``, ``size``).  In a foreign file
    each population ``/spikes/<name>`` becomes key ``f"{name}/all"`` (area
    ``name``, population :data:`SONATA_POPULATION`), of ``max(node_ids) + 1``
    neurons, the populations consecutive blocks in the file's order; one
    without spikes is left out (its size is unknown); times are rounded to
    the nearest multiple of ``dt`` and ``n_steps`` is the last spike's step + 1.

    Args:
        path: the file.
        dt: time step (ms): needed for a foreign file; for ours it must equal
            the file's (None: the file's).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: no ``/spikes`` group, ``dt`` missing for a foreign file or
            different from ours, timestamps not in ms or negative, or
            timestamps and node_ids of different lengths.
        ImportError: h5py missing.
    """
    h5py = _require("h5py")
    path = _existing(path)
    dt = None if dt is None else _checks.positive_float("dt", dt)
    with h5py.File(path, "r") as f:
        if "spikes" not in f:
            raise ValueError(f"{path} is not a SONATA spike file: no /spikes group")
        ours = {"dt_ms", "n_steps"} <= set(f.attrs)
        if ours:
            if dt is not None and dt != float(f.attrs["dt_ms"]):
                raise ValueError(f"dt = {dt!r} ms differs from the file's dt_ms = {float(f.attrs['dt_ms'])!r} "
                                 f"({path}); pass dt=None")
            dt = float(f.attrs["dt_ms"])
        elif dt is None:
            raise ValueError(f"{path} is a SONATA spike file without our dt_ms: pass its time step "
                             f"dt (ms), e.g. from_sonata(path, dt=0.1)")
        keys, first, sizes, steps, neurons, offset = [], [], [], [], [], 0
        for name, group in f["spikes"].items():
            times, nodes = group["timestamps"], np.asarray(group["node_ids"][:], np.int64)
            units = times.attrs.get("units", "ms")
            units = units.decode() if isinstance(units, bytes) else str(units)
            if units != "ms":
                raise ValueError(f"/spikes/{name}/timestamps in {path} are in {units!r}, not 'ms'")
            times = np.asarray(times[:], np.float64)
            if times.shape != nodes.shape:
                raise ValueError(f"/spikes/{name} in {path}: {times.size} timestamps but {nodes.size} node_ids")
            if np.any(times < 0):
                raise ValueError(f"/spikes/{name} in {path} has negative timestamps")
            if ours:
                key, start, size = str(group.attrs["key"]), int(group.attrs["first"]), int(group.attrs["size"])
            elif nodes.size:
                key, start, size = f"{name}/{SONATA_POPULATION}", offset, int(nodes.max()) + 1
            else:
                continue
            keys.append(key)
            first.append(start)
            sizes.append(size)
            offset += size
            steps.append(np.rint(times / dt))
            neurons.append(nodes + start)
        steps = np.concatenate(steps) if steps else np.zeros(0)
        neurons = np.concatenate(neurons) if neurons else np.zeros(0, np.int64)
        n_steps = int(f.attrs["n_steps"]) if ours else int(steps.max(initial=-1)) + 1
    return _record(steps, neurons, n_steps, dt, keys, first, sizes)
