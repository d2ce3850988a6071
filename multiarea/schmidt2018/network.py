"""An imported multi-area model (``multiarea import-mam``) as a :class:`PopulationNetwork`.

The folder :func:`~multiarea.schmidt2018.import_mam.import_mam` writes holds
``mam.toml`` (provenance, ``dt``, seed, the neuron parameters shared by all
populations, the initial V_m and drive settings) and ``mam.npz`` (arrays per
population and per connection).  :func:`load_mam` builds the network as the
authors' ``simulation.py`` builds it in NEST 3:

* one :class:`Population` per (area, population), ``iaf_psc_exp`` with the
  shared parameters and its own ``I_e`` (the DC of a scaled network), V_m
  from ``TruncatedNormal(V0_mean, V0_sd)`` without bounds;
* one :class:`Connection` per (source, target) pair with synapses:
  ``FixedTotalNumber(n)``, weight ``TruncatedNormal(W, W_sd, low, high)``,
  delay ``TruncatedNormal(d, 0.5 d, low=dt)``;
* one :class:`PoissonDrive` per population: ``rate_ext x K_ext``, weight
  ``W_ext``, 1 ms.

Why npz and not the population TOML of ``spiking.population_file``: the arrays
are exact float64 and load in milliseconds, and they are what analyses of the
model want (matrices of synapse numbers, weights, delays); the same network
as one population TOML is ``ma.dump_population_network(load_mam(dir), path)``.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..data.io import read_toml
from ..projections.rules import FixedTotalNumber, TruncatedNormal
from ..spiking.iaf_psc_exp import IafPscExp
from ..spiking.populations import Connection, PoissonDrive, Population, PopulationNetwork
from .import_mam import ARRAYS, FORMAT, FORMAT_VERSION, HEADER

__all__ = ["read_mam", "mam_components", "load_mam", "is_mam_folder"]

POPULATION_ARRAYS = ("area", "population", "size", "I_e", "drive_rate_hz", "drive_weight")
CONNECTION_ARRAYS = ("pre", "post", "synapses", "weight_mean", "weight_sd", "weight_low", "weight_high",
                     "delay_mean", "delay_sd", "delay_low")


def is_mam_folder(path) -> bool:
    """Whether ``path`` is a folder written by ``import-mam``."""
    return Path(path).is_dir() and (Path(path) / HEADER).is_file()


def _table(header: dict, name: str, keys, where: Path) -> dict:
    table = header.get(name)
    if not isinstance(table, dict):
        raise ValueError(f"{where}: missing table [{name}]")
    missing = [k for k in keys if k not in table]
    if missing:
        raise ValueError(f"{where} [{name}]: missing key(s) {missing}")
    return table


def read_mam(folder) -> tuple[dict, dict]:
    """``(header, arrays)`` of an imported model folder, checked.

    Raises:
        FileNotFoundError: no folder, or no ``mam.toml`` / arrays file in it.
        ValueError: not an import-mam header, another format version, missing
            tables, keys or arrays, arrays of inconsistent lengths or
            connection indices out of range.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder at {folder} (expected one written by multiarea import-mam)")
    path = folder / HEADER
    if not path.is_file():
        raise FileNotFoundError(f"{folder} has no {HEADER}: not a folder written by multiarea import-mam")
    header = read_toml(path)
    model = _table(header, "model", ("format", "format_version", "arrays"), path)
    if model["format"] != FORMAT:
        raise ValueError(f"{path}: format must be {FORMAT!r}, got {model['format']!r}")
    if model["format_version"] != FORMAT_VERSION:
        raise ValueError(f"{path}: format_version {model['format_version']} is not supported (this multiarea "
                         f"reads {FORMAT_VERSION}): import the model again")
    _table(header, "network", ("dt", "seed"), path)
    neuron = _table(header, "neuron", ("model",), path)
    unknown = sorted(set(neuron) - {"model", *IafPscExp.PARAMETERS})
    if unknown or neuron["model"] != "iaf_psc_exp":
        raise ValueError(f"{path} [neuron]: model must be 'iaf_psc_exp' with keys from "
                         f"{list(IafPscExp.PARAMETERS)}; got model {neuron['model']!r}, unknown keys {unknown}")
    _table(header, "initial_potential", ("mean", "sd"), path)
    _table(header, "drive", ("delay",), path)
    array_path = folder / model["arrays"]
    if not array_path.is_file():
        raise FileNotFoundError(f"{folder}: the arrays file {model['arrays']} named in {HEADER} is missing")
    with np.load(array_path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    missing = [k for k in POPULATION_ARRAYS + CONNECTION_ARRAYS if k not in arrays]
    if missing:
        raise ValueError(f"{array_path}: missing array(s) {missing}")
    for group in (POPULATION_ARRAYS, CONNECTION_ARRAYS):
        lengths = {k: arrays[k].shape for k in group}
        if len(set(lengths.values())) != 1 or len(next(iter(lengths.values()))) != 1:
            raise ValueError(f"{array_path}: arrays {list(group)} must be 1-d of one length, got {lengths}")
    n_pop = arrays["size"].size
    for k in ("pre", "post"):
        if arrays[k].size and not (0 <= arrays[k].min() and arrays[k].max() < n_pop):
            raise ValueError(f"{array_path}: {k} indices must be in [0, {n_pop}), got "
                             f"[{arrays[k].min()}, {arrays[k].max()}]")
    return header, arrays


def _bound(x: float) -> float:
    return float(x) if math.isfinite(x) else (math.inf if x > 0 else -math.inf)


def mam_components(folder) -> tuple[list, list, list, dict]:
    """``(populations, connections, drives, network)`` of an imported model:
    the objects :func:`load_mam` hands to :class:`PopulationNetwork` and its
    ``[network]`` table (``dt``, ``seed``).  Every object checks its values
    (a ``ValueError`` names the population or connection)."""
    header, a = read_mam(folder)
    base = IafPscExp(**{k: v for k, v in header["neuron"].items() if k != "model"})
    v0 = header["initial_potential"]
    v_init = TruncatedNormal(v0["mean"], v0["sd"])
    pops = [Population(str(p), int(n), base.replace(I_e=float(i_e)), area=str(area), V_init=v_init)
            for area, p, n, i_e in zip(a["area"], a["population"], a["size"], a["I_e"])]
    key = [p.key for p in pops]
    conns = []
    for i in range(a["pre"].size):
        where = f"connection {key[a['pre'][i]]} -> {key[a['post'][i]]}"
        try:
            weight = TruncatedNormal(float(a["weight_mean"][i]), float(a["weight_sd"][i]),
                                     _bound(a["weight_low"][i]), _bound(a["weight_high"][i]))
            delay = TruncatedNormal(float(a["delay_mean"][i]), float(a["delay_sd"][i]), low=float(a["delay_low"][i]))
        except (ValueError, TypeError) as err:
            raise type(err)(f"{where}: {err}") from None
        conns.append(Connection(key[a["pre"][i]], key[a["post"][i]], FixedTotalNumber(int(a["synapses"][i])),
                                weight, delay))
    delay = float(header["drive"]["delay"])
    drives = [PoissonDrive(key[i], float(rate), float(w), delay)
              for i, (rate, w) in enumerate(zip(a["drive_rate_hz"], a["drive_weight"])) if rate > 0]
    return pops, conns, drives, header["network"]


def load_mam(folder, seed: int | None = None) -> PopulationNetwork:
    """The :class:`PopulationNetwork` of a folder written by ``multiarea import-mam``.

    Args:
        folder: the folder.
        seed: seed of connectivity, drive and initial potentials (default: the
            ``[network]`` seed of the folder, the authors' ``rng_seed``).

    Raises:
        FileNotFoundError / ValueError: see :func:`read_mam`; a ``ValueError``
            from any population or connection names it.
    """
    pops, conns, drives, network = mam_components(folder)
    return PopulationNetwork(pops, conns, drives, dt=network["dt"], seed=network["seed"] if seed is None else seed)
