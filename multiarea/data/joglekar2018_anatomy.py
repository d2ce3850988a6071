"""The anatomy of Joglekar et al. (2018).

``joglekar2018()`` loads the 29-area macaque anatomy used by Joglekar et al.
(2018): FLN and SLN from retrograde tracing (Markov et al. 2014), hierarchy
values (Chaudhuri et al. 2015) and wiring distances.  See
``data/joglekar2018/README.md`` for provenance and licence.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io

from ._paths import data_dir

__all__ = ["Joglekar2018Data", "joglekar2018"]


@dataclass(frozen=True)
class Joglekar2018Data:
    """Anatomy of the 29-area macaque model.

    Attributes:
        area_names: ``(n,)`` area names, in the order of every matrix.
        fln: ``(n, n)`` fraction of labelled neurons; ``fln[i, j]`` is the
            strength of the projection from area ``j`` to area ``i``
            (target, source); zero diagonal.
        sln: ``(n, n)`` fraction of supragranular labelled neurons, same layout.
        hierarchy_raw: ``(n,)`` hierarchy values (V1 = 0).
        hierarchy: ``(n,)`` hierarchy normalised to a maximum of 1.
        distance_mm: ``(n, n)`` inter-areal wiring distance in mm.
    """

    area_names: tuple[str, ...]
    fln: np.ndarray
    sln: np.ndarray
    hierarchy_raw: np.ndarray
    hierarchy: np.ndarray
    distance_mm: np.ndarray

    @property
    def n_areas(self) -> int:
        return len(self.area_names)

    def subset(self, n_areas: int) -> "Joglekar2018Data":
        """The first ``n_areas`` areas (in data order, V1 first).

        The normalised hierarchy keeps the 29-area normalisation, so an area
        has the same hierarchy value in every subset.
        """
        if not isinstance(n_areas, int) or isinstance(n_areas, bool):
            raise TypeError(f"n_areas must be an int, got {n_areas!r}")
        if not 1 <= n_areas <= self.n_areas:
            raise ValueError(f"n_areas must be in [1, {self.n_areas}], got {n_areas}")
        k = slice(0, n_areas)
        return Joglekar2018Data(self.area_names[k], self.fln[k, k], self.sln[k, k],
                                self.hierarchy_raw[k], self.hierarchy[k], self.distance_mm[k, k])


def _load_mat(path: Path, variable: str, shape: tuple[int, ...]) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"missing data file {path} (expected MATLAB variable {variable!r})")
    try:
        contents = scipy.io.loadmat(str(path))
    except Exception as err:  # scipy raises several types for corrupt files
        raise ValueError(f"cannot read {path} as a MATLAB .mat file: {err}") from err
    if variable not in contents:
        raise ValueError(f"{path} has no variable {variable!r} "
                         f"(found {sorted(k for k in contents if not k.startswith('__'))})")
    value = contents[variable]
    if variable == "areaList":
        value = np.array([str(np.ravel(v)[0]) for v in np.ravel(value)])
    else:
        value = np.asarray(value, dtype=np.float64)
    if value.size != int(np.prod(shape)):
        raise ValueError(f"{path}: variable {variable!r} must have shape {shape}, got {value.shape}")
    value = value.reshape(shape)
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        raise ValueError(f"{path}: variable {variable!r} contains NaN or inf")
    return value


def joglekar2018(folder: str | Path | None = None) -> Joglekar2018Data:
    """Load the Joglekar et al. (2018) 29-area anatomy.

    Args:
        folder: the dataset folder; default the bundled ``data/joglekar2018``.

    Raises:
        FileNotFoundError: a file is missing (the message names its path).
        ValueError: a file is malformed (names the path and what was expected).
    """
    folder = Path(folder) if folder is not None else data_dir() / "joglekar2018"
    n = 29
    fln = _load_mat(folder / "efelenMatpython.mat", "flnMatpython", (n, n))
    hier = _load_mat(folder / "hierValspython.mat", "hierVals", (n,))
    dist = _load_mat(folder / "subgraphWiring29.mat", "wiring", (n, n))
    sln = _load_mat(folder / "subgraphData.mat", "slnMat", (n, n))
    names = _load_mat(folder / "subgraphData.mat", "areaList", (n,))
    if np.any(fln < 0) or np.any(fln > 1):
        raise ValueError(f"{folder / 'efelenMatpython.mat'}: FLN must lie in [0, 1]")
    if hier.max() <= 0:
        raise ValueError(f"{folder / 'hierValspython.mat'}: hierarchy must have a positive maximum")
    for arr in (fln, sln, hier, dist):
        arr.setflags(write=False)
    hier_norm = hier / hier.max()
    hier_norm.setflags(write=False)
    return Joglekar2018Data(tuple(str(s) for s in names), fln, sln, hier, hier_norm, dist)
