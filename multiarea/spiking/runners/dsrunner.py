"""Running a network with ``bp.DSRunner``: any network, any DSRunner input."""
from __future__ import annotations

import functools

import brainpy as bp
import jax.numpy as jnp
import numpy as np

from ..spike_words import pack_words
from .base import Runner

__all__ = ["DSRunnerRunner"]


class DSRunnerRunner(Runner):
    """Runs a network's ``update`` with ``bp.DSRunner``, one compiled loop per
    call; the spike words are packed inside the loop (a monitor).

    Slower than the whole-step kernel, but it takes every DSRunner input and
    any backend; the spikes are the same for the same seed.  The network's
    Variables hold the state between calls.

    Args:
        net: the network.
        inputs: ``bp.DSRunner`` inputs (times from the network's last reset).
    """

    def __init__(self, net, inputs=()):
        super().__init__(net)

        def words():
            if hasattr(net, "spike_words"):  # a PopulationNetwork
                return net.spike_words()
            return jnp.concatenate([pack_words(net.E.spike.value).ravel(), pack_words(net.I.spike.value).ravel()])

        self._runner = bp.DSRunner(net, monitors={"words": words}, inputs=list(inputs), dt=net.dt,
                                   progress_bar=False)
        # input time counts from the network's last reset, as on the other runners:
        # DSRunner's clock is t = i * dt with i its step index, which starts at i0
        self._runner.i0 = int(net.t.value)

    @functools.cached_property
    def word_neurons(self) -> np.ndarray:
        if hasattr(self.net, "spike_words"):
            return self.net.word_neurons()
        return super().word_neurons

    def _advance(self, n_steps: int) -> np.ndarray:
        self._runner.run(n_steps * self.net.dt)
        return np.asarray(self._runner.mon["words"]).reshape(n_steps, -1)
