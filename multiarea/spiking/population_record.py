"""Spikes of a :class:`~multiarea.spiking.populations.PopulationNetwork` run.

:class:`PopulationRecord` holds (step, neuron) pairs with the network's
population layout, so that any population's spikes can be asked for by key;
:func:`simulate_populations` runs a network on the whole-step kernel and
records it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import _checks
from .spike_words import words_to_pairs

__all__ = ["PopulationRecord", "simulate_populations"]


@dataclass(frozen=True)
class PopulationRecord:
    """Spikes of a population network.

    Attributes:
        steps: ``(n_spikes,)`` int32 step of each spike (sorted); a spike at
            step ``s`` happened at ``s * dt`` ms (NEST stamps it ``(s + 1) dt``).
        neurons: ``(n_spikes,)`` int32 global neuron of each spike.
        keys: population keys, in network order.
        first, sizes: ``(P,)`` int64 first neuron and size of each population.
        dt: time step (ms).
        n_steps: steps recorded (from step 0).
    """
    steps: np.ndarray
    neurons: np.ndarray
    keys: tuple
    first: np.ndarray
    sizes: np.ndarray
    dt: float
    n_steps: int

    @property
    def duration_ms(self) -> float:
        return self.n_steps * self.dt

    def index(self, key: str) -> int:
        if key not in self.keys:
            raise ValueError(f"unknown population {key!r}; populations are {list(self.keys)}")
        return self.keys.index(key)

    def population(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """``(times_ms, local_neuron)`` of population ``key``'s spikes."""
        p = self.index(key)
        mask = (self.neurons >= self.first[p]) & (self.neurons < self.first[p] + self.sizes[p])
        return self.steps[mask] * self.dt, self.neurons[mask] - int(self.first[p])

    def save(self, path) -> Path:
        """Write an ``.npz`` (read back with :meth:`load`)."""
        path = Path(path)
        np.savez_compressed(path, steps=self.steps, neurons=self.neurons, keys=np.array(self.keys),
                            first=self.first, sizes=self.sizes, dt=self.dt, n_steps=self.n_steps)
        return path

    @classmethod
    def load(cls, path) -> "PopulationRecord":
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no spike file at {path}")
        with np.load(path) as f:
            return cls(f["steps"], f["neurons"], tuple(str(k) for k in f["keys"]), f["first"], f["sizes"],
                       float(f["dt"]), int(f["n_steps"]))


def simulate_populations(net, duration_ms: float, progress_bar: bool = True, stim=None,
                         runner=None, method: str = "kernel", devices=None) -> PopulationRecord:
    """Run ``net`` for ``duration_ms`` from its current state.

    Args:
        net: a :class:`~multiarea.spiking.populations.PopulationNetwork`.
        duration_ms: model time (ms), at least one step.
        progress_bar: show a tqdm bar over the chunks.
        stim: per-step currents, see ``PopulationKernelRunner`` (kernel and sharded).
        runner: an existing runner of ``net`` to reuse.
        method: ``"kernel"`` (the whole-step kernel), ``"sharded"`` (the
            kernel on each of ``devices``, populations split over them:
            ``PopulationShardedRunner``; the network's Variables hold the
            state after the run) or ``"dsrunner"`` (``bp.DSRunner`` over the
            pure-JAX reference step, for small networks); all give the same
            spikes.
        devices: with ``"sharded"``: an int (the first N of ``jax.devices()``),
            devices, or a mesh.

    Returns:
        the :class:`PopulationRecord` of the run (steps counted from its start).
    """
    from tqdm.auto import tqdm

    from .runners.dsrunner import DSRunnerRunner
    from .runners.population_kernel import PopulationKernelRunner
    from .runners.population_sharded import PopulationShardedRunner

    n_steps = int(round(_checks.positive_float("duration_ms", duration_ms) / net.dt))
    if n_steps < 1:
        raise ValueError(f"duration_ms must be at least one step (dt = {net.dt} ms), got {duration_ms}")
    if method not in ("kernel", "sharded", "dsrunner"):
        raise ValueError(f"method must be 'kernel', 'sharded' or 'dsrunner', got {method!r}")
    if (devices is not None) != (method == "sharded"):
        raise ValueError(f"devices go with method='sharded' (and it needs them), got method={method!r}, "
                         f"devices={devices!r}")
    if runner is None and method == "dsrunner":
        if stim is not None:
            raise ValueError("stim applies to method='kernel'; with 'dsrunner' set net.stim through DSRunner inputs")
        runner = DSRunnerRunner(net)
    elif runner is None and method == "sharded":
        runner = PopulationShardedRunner(net, devices, stim=stim)
    elif runner is None:
        runner = PopulationKernelRunner(net, stim=stim)
    word_neurons = runner.word_neurons
    steps, neurons = [], []
    done = 0
    with tqdm(total=n_steps, unit="step", disable=not progress_bar) as bar:
        while done < n_steps:
            k = n_steps - done if runner.steps_per_call is None else min(runner.steps_per_call, n_steps - done)
            s, n = words_to_pairs(runner.run(k), word_neurons, done)
            steps.append(s)
            neurons.append(n)
            done += k
            bar.update(k)
    if isinstance(runner, PopulationShardedRunner):
        runner.store()
    return PopulationRecord(np.concatenate(steps), np.concatenate(neurons),
                            tuple(p.key for p in net.populations), net.first.copy(),
                            np.array([p.size for p in net.populations], np.int64), net.dt, n_steps)
