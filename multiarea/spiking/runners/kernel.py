"""The fast path of a spiking run: many whole steps per XLA custom call.

:class:`KernelRunner` runs a :class:`~multiarea.spiking.network.MultiAreaNetwork`
on the population kernel (``runners.population_kernel``): it builds the
network's population twin (``ei_populations.ei_multiarea_network``: one
:class:`~multiarea.spiking.lif_delta.LifDelta` population per area and type,
the same synapses, noise and initial state) and runs that, in chunks of
steps, each chunk ONE custom call.  The spikes are those of ``LIF.update`` /
``_EINetwork.update`` bit for bit (tests hold it to the DSRunner run on the
pure-JAX backend), and the spike words have the E/I network's layout (each
area's E and I neurons start on a fresh word, E areas first).

The network's Variables hold the state before and after each chunk (the
twin's ring buffers are translated to and from the four projection rings),
so the fast path and ``bp.DSRunner`` can be mixed on one network.

External input is limited to what the kernel takes: per step, per population
and per area, a drive added to ``V_ext`` — what ``MultiAreaNetwork.step_input``
(:class:`~multiarea.spiking.inputs.StepInput`) produces.  :func:`unsupported_reason`
says why a network or input cannot take the fast path.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ... import ops
from ..ei_populations import ei_multiarea_network
from ..inputs import step_drive, step_input_reason
from ..network import MultiAreaNetwork
from ..spike_words import words_to_spikes
from .base import Runner
from .population_kernel import PopulationKernelRunner

__all__ = ["KernelRunner", "unsupported_reason"]


def unsupported_reason(net, inputs=()) -> str | None:
    """Why ``net`` with ``inputs`` cannot run on the fast path, or None."""
    if not isinstance(net, MultiAreaNetwork):
        return f"the fast path runs MultiAreaNetwork, got {type(net).__name__}"
    backends = {ops._resolve_backend(p.backend) for p in (net.EE, net.EI, net.IE, net.II)}
    if backends != {"taichi"}:
        return f"the fast path needs the taichi backend, the network uses {sorted(backends)}"
    reason = step_input_reason(net, inputs)
    return None if reason is None else f"the fast path: {reason} (use method='dsrunner' for other DSRunner inputs)"


class KernelRunner(Runner):
    """Runs a :class:`MultiAreaNetwork` on the population kernel (module docstring).

    The network's Variables hold the state before and after every
    :meth:`run` (read before the call, written after it).

    Args:
        net: the network.
        inputs: drives made by ``net.step_input`` (times from the network's
            last reset).
        deliver: False skips the synaptic delivery (neuron updates only; for
            profiling the phases of a step).

    Raises:
        ValueError: the network or the inputs cannot take the fast path
            (see :func:`unsupported_reason`).
    """

    def __init__(self, net: MultiAreaNetwork, inputs=(), deliver: bool = True):
        inputs = list(inputs)
        reason = unsupported_reason(net, inputs)
        if reason:
            raise ValueError(reason)
        super().__init__(net)
        self.inputs = inputs
        self.n_areas, self.n_E, self.n_I = net.n_areas, net.E.size[1], net.I.size[1]
        #: the population twin the kernel runs
        self.populations = ei_multiarea_network(**net.arguments)
        n = self.n_areas
        self._runner = PopulationKernelRunner(
            self.populations, stim=lambda first, k: step_drive(net, inputs, k, first).reshape(k, 2 * n),
            deliver=deliver)
        self.steps_per_call = self._runner.steps_per_call
        self._loaded = None  # the Variables' values the twin's state was last read from or written to

    def _rings(self):
        """``(projection, receptor, first neuron, last neuron + 1)`` of the
        twin's ring cells that hold each projection's ring."""
        net, n_E_all = self.net, self.n_areas * self.n_E
        return ((net.EE, 0, 0, n_E_all), (net.IE, 1, 0, n_E_all),
                (net.EI, 0, n_E_all, self.populations.num), (net.II, 1, n_E_all, self.populations.num))

    def _blocks(self):
        """``(first neuron, neurons)`` of each of the twin's ring blocks."""
        pn = self.populations
        return ((0, pn.ring_split), (pn.ring_split, pn.num - pn.ring_split))

    @functools.cached_property
    def _load(self):
        """Jitted: the E/I network's state -> the twin's ``(y, left, ring, ring_hi)``."""
        pn, rings, blocks = self.populations, self._rings(), self._blocks()
        R, D = pn.n_receptors, pn.n_slots

        def load(V_E, V_I, left_E, left_I, old_rings, t):
            out = [jnp.zeros(max(1, R * D * n), jnp.float32) for _, n in blocks]
            for (proj, rec, lo, hi), old in zip(rings, old_rings):
                # the steps from t on that both rings hold (no synapse reaches further than D - 1)
                u = t + jnp.arange(min(old.shape[0], D))
                seq = old[u % old.shape[0]].reshape(u.size, -1)  # (slots, hi - lo) in time order
                for b, (start, size) in enumerate(blocks):
                    a, z = max(lo, start), min(hi, start + size)
                    if a < z:
                        cells = out[b].reshape(R, D, -1) if size else out[b]
                        out[b] = cells.at[rec, u % D, a - start:z - start].set(seq[:, a - lo:z - lo]).reshape(-1)
            return (jnp.concatenate([V_E.ravel(), V_I.ravel()]), jnp.concatenate([left_E.ravel(), left_I.ravel()]),
                    out[0], out[1])

        return jax.jit(load)

    @functools.cached_property
    def _store(self):
        """Jitted: the twin's state -> the four projection rings and what arrives at step ``t``."""
        pn, rings, blocks = self.populations, self._rings(), self._blocks()
        R, D = pn.n_receptors, pn.n_slots
        shapes = [proj.ring.shape for proj, *_ in rings]

        def store(ring, ring_hi, t):
            out = []
            for (proj, rec, lo, hi), shape in zip(rings, shapes):
                u = t + jnp.arange(min(shape[0], D))  # the twin holds no input further ahead
                parts = []
                for b, (start, size) in enumerate(blocks):
                    a, z = max(lo, start), min(hi, start + size)
                    if a < z:
                        parts.append((ring, ring_hi)[b].reshape(R, D, -1)[rec, u % D, a - start:z - start])
                seq = jnp.concatenate(parts, axis=1).reshape((u.size,) + shape[1:])
                new = jnp.zeros(shape, jnp.float32).at[u % shape[0]].set(seq)
                out.append((new, new[t % shape[0]]))
            return out

        return jax.jit(store)

    def _variables(self):
        net = self.net
        return (net.E.V.value, net.I.V.value, net.E.refractory_left.value, net.I.refractory_left.value,
                net.EE.ring.value, net.EI.ring.value, net.IE.ring.value, net.II.ring.value)

    def _advance(self, n_steps: int) -> np.ndarray:
        net, pn = self.net, self.populations
        t = int(net.t.value)
        values = self._variables()
        if self._loaded is None or any(a is not b for a, b in zip(values, self._loaded)) or int(pn.t.value) != t:
            V_E, V_I, left_E, left_I, *old = values
            old_rings = (old[0], old[2], old[1], old[3])  # in _rings order: EE, IE, EI, II
            y, left, ring, ring_hi = self._load(V_E, V_I, left_E, left_I, old_rings, t)
            pn.y.value, pn.refractory_left.value, pn.ring.value, pn.ring_hi.value = y, left, ring, ring_hi
            pn.i_syn.value = jnp.zeros_like(pn.i_syn.value)
            pn.t.value = jnp.asarray(t, jnp.int32)
        words = self._runner.run(n_steps)
        t += n_steps
        n_E_all = self.n_areas * self.n_E
        y, left = pn.y.value, pn.refractory_left.value
        net.E.V.value, net.I.V.value = y[:n_E_all].reshape(net.E.size), y[n_E_all:].reshape(net.I.size)
        net.E.refractory_left.value = left[:n_E_all].reshape(net.E.size)
        net.I.refractory_left.value = left[n_E_all:].reshape(net.I.size)
        for (proj, *_), (ring, now) in zip(self._rings(), self._store(pn.ring.value, pn.ring_hi.value, t)):
            proj.ring.value, proj.arriving.value = ring, now.reshape(proj.post_size)
        spike_E, spike_I = words_to_spikes(words[-1:], self.n_areas, self.n_E, self.n_I)
        net.E.spike.value, net.I.spike.value = jnp.asarray(spike_E[0]), jnp.asarray(spike_I[0])
        for var in (net.E.step, net.I.step, net.t):
            var.value = jnp.asarray(t, jnp.int32)
        self._loaded = self._variables()
        return words
