"""Published statistics of the full-scale multi-area model, to validate a run against.

The only per-area, per-population numbers of the full model's ground state
(chi = 1) that are public as data are those of Knight & Nowotny (2021,
"Larger GPU-accelerated brain simulations with procedural connectivity",
Nat Comput Sci 1:136-142), in their repository
`BrainsOnBoard/procedural_paper <https://github.com/BrainsOnBoard/procedural_paper>`_
(read here at commit 76ce034b23198939742d76a40f057e1cfde8391b).  It holds,
under ``scripts/chi_1_0/``:

* ``nest_{rates,irregularity,corr_coeff}_<POP>.npy``: one value per area
  (32 areas; 31 for 4E and 4I, area TH has no layer 4) of the population
  mean rate (spikes/s, silent neurons included), mean LvR (R = 2 ms, neurons
  that spiked; one ISI counts as 0) and mean spike-count correlation (1 ms
  bins, 2000 non-silent neurons) of the published NEST simulation of Schmidt
  et al. (2018), over 0.5-10.5 s;
* ``genn_...``: the same of their GeNN simulation of the same model;
* ``nest_seed_<k>_<metric>_<POP>.npy``: histograms of the per-neuron values
  pooled over areas (three arrays in one file: bin edges, NEST counts, GeNN
  seed k counts).

Their ``scripts/calc_multi_area_stats.py`` made the files.  The arrays carry
no area names: the NEST values follow the iteration of an HDF5 file with one
group per area, which h5py gives in name order (``sorted(AREAS)``); the GeNN
values follow a ``glob`` of ``<area>_<POP>.npy`` files, here taken in file
name order (so ``V3A`` before ``V3``), which makes the two simulators agree
area by area (r >= 0.95 in every population and statistic).

That repository states no licence: nothing of it is part of multiarea.  The
user reads a checkout of their own (``git clone
https://github.com/BrainsOnBoard/procedural_paper``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["AREAS", "POPULATIONS", "SIMULATORS", "read_published", "read_published_histograms",
           "compare_with_published"]

#: the 32 areas in the order of the model's definition (INM-6/multi-area-model)
AREAS = ("V1", "V2", "VP", "V3", "V3A", "MT", "V4t", "V4", "VOT", "MSTd", "PIP", "PO", "DP", "MIP", "MDP", "VIP",
         "LIP", "PITv", "PITd", "MSTl", "CITv", "CITd", "FEF", "TF", "AITv", "FST", "7a", "STPp", "STPa", "46",
         "AITd", "TH")
POPULATIONS = ("23E", "23I", "4E", "4I", "5E", "5I", "6E", "6I")
SIMULATORS = ("nest", "genn")
_METRICS = {"rate_hz": "rates", "lvr": "irregularity", "corr": "corr_coeff"}
_STATE_FOLDER = "scripts/chi_1_0"  # the ground state; the chi = 1.9 arrays cannot be given area names


def _area_order(simulator: str, population: str) -> list[str]:
    areas = [a for a in AREAS if not (a == "TH" and population in ("4E", "4I"))]
    if simulator == "nest":
        return sorted(areas)
    return sorted(areas, key=lambda a: f"{a}_{population}.npy")


def _folder(repo_dir) -> Path:
    folder = Path(repo_dir) / _STATE_FOLDER
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} does not exist: repo_dir must be a checkout of "
                                "BrainsOnBoard/procedural_paper (git clone https://github.com/BrainsOnBoard/"
                                "procedural_paper)")
    return folder


def read_published(repo_dir):
    """The published per-area, per-population statistics of the ground state.

    Args:
        repo_dir: a checkout of BrainsOnBoard/procedural_paper.

    Returns:
        a pandas DataFrame with columns ``simulator`` (``nest``, ``genn``),
        ``area``, ``population``, ``rate_hz``, ``lvr``, ``corr``: one row per
        simulator, area and population (254 per simulator).

    Raises:
        FileNotFoundError: the folder or one of its files is missing (named).
        ValueError: an array is not of one value per area.
    """
    import pandas as pd

    folder = _folder(repo_dir)
    frames = []
    for simulator in SIMULATORS:
        for population in POPULATIONS:
            areas = _area_order(simulator, population)
            columns = {"simulator": simulator, "area": areas, "population": population}
            for column, stem in _METRICS.items():
                path = folder / f"{simulator}_{stem}_{population}.npy"
                if not path.is_file():
                    raise FileNotFoundError(f"no published statistics at {path}")
                values = np.load(path)
                if values.shape != (len(areas),):
                    raise ValueError(f"{path}: expected one value per area, shape ({len(areas)},), "
                                     f"got {values.shape}")
                columns[column] = values.astype(np.float64)
            frames.append(pd.DataFrame(columns))
    return pd.concat(frames, ignore_index=True)


def read_published_histograms(repo_dir, metric: str = "rate_hz", seed: int = 1) -> dict:
    """The published histograms of per-neuron values pooled over the areas.

    Args:
        repo_dir: a checkout of BrainsOnBoard/procedural_paper.
        metric: ``"rate_hz"``, ``"lvr"`` or ``"corr"``.
        seed: the GeNN seed (1, 2 or 3) stored beside the NEST counts.

    Returns:
        ``{population: (edges (B + 1,), nest_counts (B,), genn_counts (B,))}``
        for the populations whose file is present (the correlations of 23E
        and 6E are not in every checkout: files over 4 MB).
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)}, got {metric!r}")
    if seed not in (1, 2, 3):
        raise ValueError(f"seed must be 1, 2 or 3, got {seed!r}")
    folder = _folder(repo_dir)
    out = {}
    for population in POPULATIONS:
        path = folder / f"nest_seed_{seed}_{_METRICS[metric]}_{population}.npy"
        if not path.is_file() or path.stat().st_size < 1024:  # absent, or a Git LFS pointer
            continue
        with open(path, "rb") as f:
            edges, nest, genn = np.load(f), np.load(f), np.load(f)
        out[population] = (edges, nest, genn)
    if not out:
        raise FileNotFoundError(f"no published {metric} histograms (nest_seed_{seed}_*) in {folder}")
    return out


def compare_with_published(stats, published, simulator: str = "nest"):
    """Per-area, per-population statistics of a run beside the published ones.

    Args:
        stats: a DataFrame with columns ``area``, ``population`` and some of
            ``rate_hz``, ``lvr``, ``corr`` (e.g. ``population_statistics`` of
            a run of the imported full-scale model).
        published: :func:`read_published`'s DataFrame.
        simulator: the published simulator to compare with.

    Returns:
        a DataFrame with one row per area and population present in both:
        ``area, population`` and, per statistic, ``<stat>`` (the run),
        ``<stat>_<simulator>`` and ``<stat>_ratio`` (run / published).
    """
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {SIMULATORS}, got {simulator!r}")
    missing = {"area", "population"} - set(stats.columns)
    if missing:
        raise ValueError(f"stats lacks the column(s) {sorted(missing)}")
    shared = [c for c in _METRICS if c in stats.columns]
    if not shared:
        raise ValueError(f"stats has none of the statistics {list(_METRICS)}")
    ref = published[published.simulator == simulator].drop(columns="simulator")
    ref = ref[["area", "population"] + shared].rename(columns={c: f"{c}_{simulator}" for c in shared})
    table = stats[["area", "population"] + shared].merge(ref, on=["area", "population"], how="inner")
    for c in shared:
        table[f"{c}_ratio"] = table[c] / table[f"{c}_{simulator}"]
    return table
