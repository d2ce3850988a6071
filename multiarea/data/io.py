"""Reading connectome data files into numpy and JAX arrays.

``load_array(path)`` picks a reader by the file's extension (case-insensitive)
and returns a ``numpy.ndarray``, or a ``scipy.sparse.csr_array`` when the file
holds a sparse matrix; ``load_tensor(path)`` returns the same data as a JAX
array (``jax.experimental.sparse.BCOO`` for sparse matrices)::

    .npy               numpy.load (no pickles)
    .npz               one named array (``key``), or a scipy.sparse.save_npz matrix
    .csv .tsv .txt     pandas.read_csv: comma / tab with a header row;
                       .txt is whitespace-separated with no header
    .mat               scipy.io.loadmat, one variable (``key``)
    .pt .pth           torch.load(weights_only=True), needs PyTorch

These mirror torch-biopl's ``load_array``/``load_tensor``.
"""
from __future__ import annotations

import os
import tomllib
import warnings
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import scipy.io
import scipy.sparse as sp
from jax.experimental.sparse import BCOO

__all__ = ["load_array", "load_tensor", "read_toml"]

_TEXT_DEFAULTS = {".csv": {}, ".tsv": {"sep": "\t"}, ".txt": {"sep": r"\s+", "header": None}}
_KEYED = (".npz", ".mat", ".pt", ".pth")
_SUPPORTED = (".npy", *_TEXT_DEFAULTS, *_KEYED)
_SPARSE_NPZ_KEYS = {"format", "shape", "data"}  # what scipy.sparse.save_npz always writes


def load_array(path: str | os.PathLike, key: str | None = None, **read_kwargs) -> np.ndarray | sp.csr_array:
    """Read the array stored in ``path``, choosing the reader by extension.

    Args:
        path: the file; ``.npy .npz .csv .tsv .txt .mat .pt .pth``.
        key: which array to read from a file holding several (the name in an
            ``.npz``, the variable in a ``.mat``, the entry of a dict saved in
            a ``.pt``).  May be omitted when the file holds exactly one.
        **read_kwargs: for ``.csv/.tsv/.txt`` only, passed to
            ``pandas.read_csv`` and overriding the defaults above.

    Returns:
        The stored array with its shape and dtype; 2-D sparse matrices as
        ``scipy.sparse.csr_array``.  A text file gives ``(rows, columns)``:
        numeric when every column is numeric, else a numpy ``str`` array
        (missing entries read as ``"nan"``).  MATLAB has no 1-D arrays, so a
        ``.mat`` vector comes back as ``(1, n)`` or ``(n, 1)``.

    A csv written by ``DataFrame.to_csv`` carries the index as a first column
    named ``"Unnamed: 0"``; pass ``index_col=0`` to drop it (it is kept, with
    a warning, otherwise)::

        pd.DataFrame({"type": ["E", "I"]}).to_csv("neuron_types_str.csv")
        load_array("neuron_types_str.csv", index_col=0).squeeze()  # array(['E', 'I'])
    """
    path = _existing_path(path)
    ext = path.suffix.lower()
    if ext not in _SUPPORTED:
        raise ValueError(f"path={str(path)!r}: unsupported extension {ext!r}; "
                         f"supported: {', '.join(_SUPPORTED)}")
    if key is not None and ext not in _KEYED:
        raise ValueError(f"key={key!r} given, but a {ext} file holds a single array; "
                         f"key is for {', '.join(_KEYED)}")
    if ext in _TEXT_DEFAULTS:
        return _read_text(path, {**_TEXT_DEFAULTS[ext], **read_kwargs})
    if read_kwargs:
        raise TypeError(f"read_kwargs {sorted(read_kwargs)} apply to .csv/.tsv/.txt files only, not {ext}")
    if ext == ".npy":
        return np.load(path, allow_pickle=False)
    if ext == ".npz":
        return _read_npz(path, key)
    if ext == ".mat":
        return _read_mat(path, key)
    return _read_torch(path, key)


def load_tensor(path: str | os.PathLike, key: str | None = None, dtype=None,
                **read_kwargs) -> jax.Array | BCOO:
    """``load_array(path, key, **read_kwargs)`` as a JAX array.

    Dense data becomes ``jnp.asarray(array, dtype)`` (same shape; JAX's dtype
    rules apply, so 64-bit values become 32-bit unless ``jax_enable_x64`` is
    on); sparse matrices become a ``BCOO`` of the same shape.  Files of strings
    raise ``TypeError``: read those with ``load_array``.
    """
    array = load_array(path, key, **read_kwargs)
    if sp.issparse(array):
        matrix = BCOO.from_scipy_sparse(array)
        return matrix if dtype is None else matrix.astype(dtype)
    if array.dtype.kind in "US":
        raise TypeError(f"path={os.fspath(path)!r} holds strings (dtype {array.dtype}); "
                        "JAX arrays cannot hold strings, use load_array instead")
    return jnp.asarray(array, dtype=dtype)


def _existing_path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {path!r} ({type(path).__name__})")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path={str(path)!r}: no such file")
    return path


def _pick(path: Path, names: list, key):
    """The entry ``key`` selects among ``names``; ``key=None`` needs exactly one."""
    if key is None and len(names) == 1:
        return names[0]
    if key is None:
        raise ValueError(f"key=None, but {str(path)!r} holds {len(names)} arrays; pass key= one of {names}")
    if key not in names:
        raise ValueError(f"key={key!r} is not in {str(path)!r}; available: {names}")
    return key


def _read_text(path: Path, read_kwargs: dict) -> np.ndarray:
    frame = pd.read_csv(path, **read_kwargs)
    if (frame.columns[:1].tolist() == ["Unnamed: 0"]
            and np.array_equal(frame.iloc[:, 0].to_numpy(), np.arange(len(frame)))):
        warnings.warn(f"{str(path)!r}: the first column 'Unnamed: 0' looks like the index written by "
                      "DataFrame.to_csv; it is kept as data, pass index_col=0 to drop it", stacklevel=3)
    values = frame.to_numpy()
    if values.dtype == object:  # strings, or numbers mixed with bools
        numeric = all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes)
        values = values.astype(float if numeric else str)
    return values


def _read_npz(path: Path, key) -> np.ndarray | sp.csr_array:
    with np.load(path, allow_pickle=False) as archive:
        if key is not None or not _SPARSE_NPZ_KEYS <= set(archive.files):
            return archive[_pick(path, archive.files, key)]
    return sp.csr_array(sp.load_npz(path))


def _read_mat(path: Path, key) -> np.ndarray | sp.csr_array:
    variables = scipy.io.loadmat(path)
    names = [name for name in variables if not (name.startswith("__") and name.endswith("__"))]
    value = variables[_pick(path, names, key)]
    return sp.csr_array(value) if sp.issparse(value) else value


def _read_torch(path: Path, key) -> np.ndarray | sp.csr_array:
    try:
        import torch
    except ImportError as err:
        raise ImportError(f"reading .pt files needs PyTorch (pip install torch); "
                          f"cannot read {str(path)!r}") from err
    value = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(value, dict):
        value = value[_pick(path, list(value), key)]
    elif key is not None:
        raise ValueError(f"key={key!r} given, but {str(path)!r} holds a single "
                         f"{type(value).__name__}, not a dict")
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{str(path)!r} holds a {type(value).__name__}; "
                        "expected a tensor or a dict of tensors")
    value = value.detach()
    if value.layout == torch.strided:
        return value.numpy()
    if value.ndim != 2:
        raise ValueError(f"{str(path)!r} holds a sparse tensor of shape {tuple(value.shape)}; "
                         "only 2-D is supported")
    coo = value.to_sparse_coo().coalesce()
    rows, cols = coo.indices().numpy()
    return sp.csr_array((coo.values().numpy(), (rows, cols)), shape=tuple(coo.shape))


def read_toml(path) -> dict:
    """A TOML file (model descriptions, population networks, imported models)
    as a dict.

    Raises:
        ValueError: the file is not valid TOML (the message names it).
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path} is not valid TOML: {err}") from err
