"""Argument checks shared by the public constructors.

Every check raises ``ValueError``/``TypeError`` naming the parameter and the
value it got, so user mistakes surface at construction time, not inside a
compiled loop.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def finite_float(name: str, value) -> float:
    """``value`` as a finite Python float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def positive_float(name: str, value) -> float:
    """``value`` as a finite float > 0."""
    value = finite_float(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return value


def nonnegative_float(name: str, value) -> float:
    """``value`` as a finite float >= 0."""
    value = finite_float(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return value


def probability(name: str, value) -> float:
    """A connection probability in (0, 1]."""
    value = finite_float(name, value)
    if not 0.0 < value <= 1.0:
        raise ValueError(f"{name} must be in (0, 1], got {value!r}")
    return value


def positive_int(name: str, value) -> int:
    """``value`` as a Python int > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return int(value)


def nonnegative_int(name: str, value) -> int:
    """``value`` as a Python int >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def seed_int(name: str, value) -> int:
    """A seed: an int in [0, 2**32)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer seed, got {value!r} ({type(value).__name__})")
    if not 0 <= value < 2**32:
        raise ValueError(f"{name} must be in [0, 2**32), got {value!r}")
    return int(value)


def index_array(name: str, value, n: int, size: int | None = None) -> np.ndarray:
    """``value`` as a 1-D int64 array of indices in ``[0, n)`` (of length ``size`` if given)."""
    idx = np.asarray(value)
    if idx.ndim != 1 or (size is not None and idx.shape != (size,)) or (idx.size and idx.dtype.kind not in "iu"):
        shape = "" if size is None else f" of shape ({size},)"
        raise ValueError(f"{name} must be a 1-D integer array{shape}, got {idx.dtype} {idx.shape}")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"{name} must lie in [0, {n}), got range [{idx.min()}, {idx.max()}]")
    return idx.astype(np.int64)


def finite_array(name: str, value, shape: tuple | None = None, ndim: int | None = None,
                 allow_nan: bool = False) -> np.ndarray:
    """``value`` as a finite (or, with ``allow_nan``, finite-or-NaN) float64
    numpy array, optionally of a given shape/ndim."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a numeric array, got {type(value).__name__}") from err
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {arr.shape}")
    if allow_nan and np.isinf(arr).any():
        raise ValueError(f"{name} must not contain inf")
    if not allow_nan and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; it contains NaN or inf")
    return arr
