"""What a spiking run takes besides the network: its length and its external drive.

All runners use this module: :func:`run_steps` turns a duration into steps
(and refuses what the network cannot run), :class:`StepInput` is the drive
``MultiAreaNetwork.step_input`` makes, :func:`step_input_reason` says whether
inputs are all such drives, and :func:`step_drive` evaluates them on the host
for the runners that take the drive as an array (the whole-step kernel, the
sharded run), exactly as ``bp.DSRunner`` evaluates them step by step.
"""
from __future__ import annotations

import brainpy as bp
import jax.numpy as jnp
import numpy as np

from .. import _checks

__all__ = ["StepInput", "run_steps", "step_input_reason", "step_drive"]


def run_steps(net, duration_ms: float) -> int:
    """Steps of ``net.dt`` in ``duration_ms``.

    Raises:
        ValueError: ``duration_ms`` is not positive or shorter than a step, or
            the run would go past the steps the legacy refractory timing covers.
    """
    if not duration_ms > 0:
        raise ValueError(f"duration_ms must be > 0, got {duration_ms}")
    total = int(round(duration_ms / net.dt))
    if total < 1:
        raise ValueError(f"duration_ms must be at least one step (dt = {net.dt} ms), got {duration_ms}")
    for pop in (net.E, net.I):
        done_before = int(pop.step.value)
        if pop.max_steps is not None and done_before + total > pop.max_steps:
            raise ValueError(f"duration_ms = {duration_ms} needs {total} steps after the {done_before} "
                             f"already run, more than the {pop.max_steps} steps the legacy refractory "
                             f"timing covers; use refractory_timing='timestep' for longer runs")
    return total


def step_input_reason(net, inputs) -> str | None:
    """Why ``inputs`` are not all what :func:`step_drive` evaluates (inputs made
    by ``net.step_input``), or None."""
    for item in inputs:
        if not (isinstance(item, tuple) and len(item) == 4 and isinstance(item[1], StepInput)
                and item[2] == "func" and item[3] == "+"
                and any(item[0] is pop.input for pop in (net.E, net.I))):
            return f"inputs must be made by MultiAreaNetwork.step_input, got {item!r}"
        if item[1].mask.shape != (net.n_areas, 1):
            return f"a StepInput mask must have shape ({net.n_areas}, 1), got {item[1].mask.shape}"
    return None


def step_drive(net, inputs, n_steps: int, first_step: int | None = None) -> np.ndarray:
    """``(n_steps, 2, n_areas)`` float32: what the ``net.step_input`` inputs add
    to ``V_ext`` of the E (``[:, 0]``) and I (``[:, 1]``) neurons of each area
    over ``n_steps`` steps from ``first_step`` (default the network's next
    step), summed in their order as DSRunner does."""
    first = int(net.t.value) if first_step is None else int(first_step)
    steps = first + np.arange(n_steps)
    stim = np.zeros((n_steps, 2, net.n_areas), np.float32)
    for var, step_input, _, _ in inputs:
        stim[:, 0 if var is net.E.input else 1] += step_input.values(steps, net.dt)[:, :, 0]
    return stim


class StepInput:
    """``amplitude * mask`` during ``[start_ms, start_ms + duration_ms)``, else 0.

    A ``bp.DSRunner`` functional input: called each step, reads the time from
    ``brainpy.share``.
    """

    def __init__(self, mask, amplitude_mV, start_ms, duration_ms):
        self.mask = jnp.asarray(mask, jnp.float32)
        self.amplitude = _checks.finite_float("amplitude_mV", amplitude_mV)
        self.start = _checks.finite_float("start_ms", start_ms)
        self.stop = self.start + _checks.nonnegative_float("duration_ms", duration_ms)

    def __call__(self):
        t = bp.share.load("t")
        on = jnp.logical_and(t >= self.start, t < self.stop)
        return jnp.where(on, self.amplitude, 0.0) * self.mask

    def values(self, steps, dt: float) -> np.ndarray:
        """``(len(steps),) + mask.shape`` float32: what :meth:`__call__` returns at
        those steps, computed on the host exactly as under ``bp.DSRunner``
        (``t = float32(step) * float32(dt)`` compared in float32)."""
        t = np.asarray(steps).astype(np.float32) * np.float32(dt)
        on = (t >= np.float32(self.start)) & (t < np.float32(self.stop))
        return np.where(on, np.float32(self.amplitude), np.float32(0))[:, None, None] * np.asarray(self.mask)
