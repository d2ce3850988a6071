"""Initial distributions of group-shared parameters (as in flyvis).

A parameter shared by groups (cell types, or (pre type, post type) edge
types) is declared by one of these; :func:`group_values` turns it into one
value per group.  Besides these, a parameter may be given as a scalar (the same
value for every group), an array with one value per group, or a dict naming
every group.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks

__all__ = ["Value", "Normal", "Lognormal", "group_values"]


@dataclass(frozen=True)
class Value:
    """Every group starts at ``value``."""
    value: float

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.full(n, _checks.finite_float("value", self.value))


@dataclass(frozen=True)
class Normal:
    """Independent normal values, mean ``mean`` and standard deviation ``std``."""
    mean: float
    std: float

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        mean = _checks.finite_float("mean", self.mean)
        return rng.normal(mean, _checks.nonnegative_float("std", self.std), n)


@dataclass(frozen=True)
class Lognormal:
    """Independent positive values ``median * exp(sigma * N(0, 1))``."""
    median: float
    sigma: float

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        median = _checks.positive_float("median", self.median)
        return median * np.exp(_checks.nonnegative_float("sigma", self.sigma) * rng.standard_normal(n))


_DISTRIBUTIONS = (Value, Normal, Lognormal)


def group_values(name: str, spec, groups: list, rng: np.random.Generator) -> np.ndarray:
    """One float per group from a parameter declaration.

    Args:
        name: the parameter's name (for error messages).
        spec: a :class:`Value`/:class:`Normal`/:class:`Lognormal`; a scalar;
            an array of ``len(groups)`` values; or a dict ``{group: value}``
            naming every group.
        groups: the group keys (type names, or (pre, post) name pairs).
        rng: source of the random draws.

    Returns:
        ``(len(groups),)`` float64.
    """
    n = len(groups)
    if isinstance(spec, _DISTRIBUTIONS):
        return spec.sample(n, rng)
    if isinstance(spec, dict):
        missing = [g for g in groups if g not in spec]
        unknown = [k for k in spec if k not in set(groups)]
        if missing or unknown:
            raise ValueError(f"{name}: a dict must give a value for every group; "
                             f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
                             f"unknown {unknown[:5]}{'...' if len(unknown) > 5 else ''}")
        return np.array([_checks.finite_float(f"{name}[{g!r}]", spec[g]) for g in groups])
    values = _checks.finite_array(name, spec)
    if values.ndim == 0:
        return np.full(n, float(values))
    if values.shape != (n,):
        raise ValueError(f"{name} must be a scalar, an initial distribution, a dict or an array of "
                         f"{n} values (one per group), got shape {values.shape}")
    return values
