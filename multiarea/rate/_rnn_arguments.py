"""Checks and conversions of :class:`~multiarea.rate.connectome_rnn.ConnectomeRNN`'s arguments.

Cell-type tables, settings given once / per type / by type name,
nonlinearities, neuron classes (synapse signs), clamp specifications and
dtypes.  Each check raises ``ValueError``/``TypeError`` naming the argument.
"""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

#: nonlinearities ``phi`` by name, for ``ConnectomeRNN(nonlinearity=...)``
NONLINEARITIES: dict[str, Callable] = {
    "relu": jax.nn.relu, "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "softplus": jax.nn.softplus,
    "elu": jax.nn.elu, "identity": lambda v: v,
}
_CLASSES = {"excitatory": 1.0, "inhibitory": -1.0}
_DTYPES = {"float32": jnp.float32, "float64": jnp.float64}


def _dtype(spec):
    """``"float32"``/``"float64"`` (or the numpy dtypes) -> the jnp dtype; float64 needs x64."""
    try:
        name = spec if isinstance(spec, str) else np.dtype(spec).name
    except TypeError:
        name = None
    if name not in _DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {spec!r}")
    _check_x64(name)
    return _DTYPES[name]


def _check_x64(name) -> None:
    if name == "float64" and not jax.config.jax_enable_x64:
        raise ValueError("dtype='float64' needs 64-bit JAX: run inside `with jax.enable_x64(True):` "
                         "or set jax.config.update('jax_enable_x64', True)")


def _type_table(neuron_types, type_names):
    types = np.asarray(neuron_types)
    if types.ndim != 1 or types.size == 0:
        raise ValueError(f"neuron_types must be a non-empty 1-D array, got shape {types.shape}")
    if types.dtype.kind in "UO":
        names, index = np.unique(types.astype(str), return_inverse=True)
        if type_names is not None:
            raise ValueError("type_names is only used with integer neuron_types (string types name themselves)")
        return [str(s) for s in names], index.astype(np.int32)
    if types.dtype.kind not in "iu":
        raise TypeError(f"neuron_types must hold ints or strings, got dtype {types.dtype}")
    n_types = int(types.max()) + 1 if type_names is None else len(type_names)
    if types.min() < 0 or types.max() >= n_types:
        raise ValueError(f"neuron_types must lie in [0, {n_types}), got range [{types.min()}, {types.max()}]")
    names = [str(k) for k in range(n_types)] if type_names is None else [str(s) for s in type_names]
    return names, types.astype(np.int32)


def _per_type(name, spec, type_names, check):
    """A per-type setting given once, as a list (one per type) or a dict by type name."""
    if isinstance(spec, dict):
        missing = [t for t in type_names if t not in spec]
        if missing:
            raise ValueError(f"{name} must name every type; missing {missing[:5]}")
        return [check(spec[t]) for t in type_names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != len(type_names):
            raise ValueError(f"{name} must have one entry per type ({len(type_names)}), got {len(spec)}")
        return [check(s) for s in spec]
    return [check(spec)] * len(type_names)


def _nonlinearity(spec) -> Callable:
    if callable(spec):
        return spec
    if isinstance(spec, str) and spec.lower() in NONLINEARITIES:
        return NONLINEARITIES[spec.lower()]
    raise ValueError(f"unknown nonlinearity {spec!r}; use a callable or one of {sorted(NONLINEARITIES)}")


def _neuron_class(spec) -> float:
    if isinstance(spec, str) and spec.lower() in _CLASSES:
        return _CLASSES[spec.lower()]
    raise ValueError(f"neuron_type_class entries must be 'excitatory' or 'inhibitory', got {spec!r}")


def _check_clamp(name, spec):
    if spec is None or spec == "non_negative":
        return spec
    if isinstance(spec, tuple) and len(spec) == 2:
        lo, hi = spec
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clamp[{name!r}] = {spec}: lower bound above upper bound")
        return spec
    raise ValueError(f"clamp[{name!r}] must be None, 'non_negative' or (min, max), got {spec!r}")
