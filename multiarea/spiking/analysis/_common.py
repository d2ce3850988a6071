"""Argument checks and time conversions shared by the analysis modules.

Times are in ms and converted to whole time steps of the record's ``dt``
(see the conventions in :mod:`multiarea.spiking.analysis`).
"""
from __future__ import annotations

import numpy as np

from ... import _checks
from ..recording import SpikeRecord


def _population_size(record: SpikeRecord, population: str) -> np.ndarray:
    """``(n_areas,)`` float neurons of ``population`` in each area, NaN where
    an area has none (its rates are NaN); rejects unknown populations."""
    sizes = record.population_sizes(population)
    return np.where(sizes > 0, sizes, np.nan)


def _to_steps(name: str, value_ms, dt: float) -> int:
    """A positive duration (ms) as a whole number (>= 1) of time steps."""
    steps = int(round(_checks.positive_float(name, value_ms) / dt))
    if steps < 1:
        raise ValueError(f"{name} must be at least dt = {dt} ms, got {value_ms!r}")
    return steps


def _time_step(name: str, value_ms, record: SpikeRecord, allow_end: bool) -> int:
    """A time (ms) in ``[0, duration)`` (``[0, duration]`` if ``allow_end``) as a step."""
    value = _checks.finite_float(name, value_ms)
    end = record.duration_ms
    if not (0.0 <= value <= end if allow_end else 0.0 <= value < end):
        raise ValueError(f"{name} must be in [0, {end}{']' if allow_end else ')'} ms, "
                         f"got {value_ms!r}")
    return int(round(value / record.dt))


def _interval(record: SpikeRecord, start_ms, stop_ms) -> tuple[int, int]:
    """``[start_ms, stop_ms)`` (``stop_ms=None``: end of the recording) as steps."""
    first = _time_step("start_ms", start_ms, record, allow_end=False)
    last = record.n_steps if stop_ms is None else _time_step("stop_ms", stop_ms, record, True)
    if last <= first:
        raise ValueError(f"start_ms must be < stop_ms, got start_ms = {start_ms!r}, "
                         f"stop_ms = {stop_ms!r}")
    return first, last


def _per_area(name: str, value, n_areas: int, allow_nan: bool = False) -> np.ndarray:
    """``value`` as a float ``(n_areas,)`` array (finite, or finite-or-NaN)."""
    return _checks.finite_array(name, value, shape=(n_areas,), allow_nan=allow_nan)
