"""The interface every way of running a spiking network implements."""
from __future__ import annotations

import abc
import functools
import numbers

import numpy as np

from ..spike_words import word_neurons

__all__ = ["Runner", "STEPS_PER_CALL"]

STEPS_PER_CALL = 1000  #: steps per call of the compiled runners (progress updates, word memory)


class Runner(abc.ABC):
    """Advances a :class:`~multiarea.spiking.network.MultiAreaNetwork` and
    returns its spikes as words.

    A runner is made for one network and one list of inputs; input times count
    from the network's last reset.  :meth:`run` may be called any number of
    times, each call going on where the last stopped; :meth:`store` leaves the
    network's Variables holding the state, so that another runner (or a
    DSRunner) can continue the run.

    Attributes:
        net: the network.
        steps_per_call: the most steps one :meth:`run` should be given (the
            words it returns stay small), or None: any number.
    """

    steps_per_call: int | None = None

    def __init__(self, net):
        self.net = net

    def run(self, n_steps: int) -> np.ndarray:
        """Advance ``n_steps`` steps.

        Returns:
            ``(n_steps, n_words)`` uint32 spike words of every neuron, in the
            layout of :attr:`word_neurons` (``multiarea.spiking.spike_words``).

        Raises:
            ValueError: ``n_steps`` is not an int >= 1.
        """
        if isinstance(n_steps, bool) or not isinstance(n_steps, numbers.Integral) or n_steps < 1:
            raise ValueError(f"n_steps must be an int >= 1, got {n_steps!r}")
        return self._advance(int(n_steps))

    @abc.abstractmethod
    def _advance(self, n_steps: int) -> np.ndarray:
        """:meth:`run` after its checks."""

    def store(self) -> None:
        """Write the state into the network's Variables (a runner whose state
        lives there all the time has nothing to do)."""

    @functools.cached_property
    def word_neurons(self) -> np.ndarray:
        """``(n_words, 32)`` int32 global neuron of each bit of a step's words (-1: padding)."""
        net = self.net
        return word_neurons(net.n_areas, net.E.size[1], net.I.size[1])
