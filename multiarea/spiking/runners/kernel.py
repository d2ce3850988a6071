"""The fast path of a spiking run: many whole steps per XLA custom call.

:class:`KernelRunner` runs a :class:`~multiarea.spiking.network.MultiAreaNetwork` in
chunks of steps, each chunk ONE custom call that launches the Taichi
whole-step kernel (``ops._network_taichi.network_step``) once per step: the
LIF update with its noise, threshold, reset and refractoriness, the delivery
through all four fused projections, and the bit-packed spike words that are
both the delivery's spike lists and the recording.  The network's Variables
hold the state before and after each chunk, so the fast path and
``bp.DSRunner`` can be mixed on one network, and both give the same spikes
for the same seed (the kernel implements ``LIF.update`` /
``_EINetwork.update`` bit for bit; tests hold it to the DSRunner run on the
pure-JAX backend).

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
from ...ops import _rng
from ..inputs import step_drive, step_input_reason
from ..network import MultiAreaNetwork
from ..spike_words import words_to_spikes
from .base import STEPS_PER_CALL, Runner

__all__ = ["KernelRunner", "unsupported_reason"]

_WORD_BYTES_PER_CALL = 64 << 20  #: spike words one call may write (bounds steps per call)
_PAD32 = np.uint32(0xFFFFFFFF)
#: steps unrolled into one kernel launch (a launch and its tasks cost tens of us each)
STEPS_PER_LAUNCH = 4


def unsupported_reason(net, inputs=()) -> str | None:
    """Why ``net`` with ``inputs`` cannot run on the fast path, or None."""
    if not isinstance(net, MultiAreaNetwork):
        return f"the fast path runs MultiAreaNetwork, got {type(net).__name__}"
    backends = {ops._resolve_backend(p.backend) for p in (net.EE, net.EI, net.IE, net.II)}
    if backends != {"taichi"}:
        return f"the fast path needs the taichi backend, the network uses {sorted(backends)}"
    reason = step_input_reason(net, inputs)
    return None if reason is None else f"the fast path: {reason} (use method='dsrunner' for other DSRunner inputs)"


def _stack_padded(arrays, fill, extra: int) -> np.ndarray:
    """Stack arrays that differ in their last axis, padding it with ``fill``
    to the longest plus ``extra`` entries."""
    width = max(a.shape[-1] for a in arrays) + extra
    out = np.full((len(arrays),) + arrays[0].shape[:-1] + (width,), fill, dtype=arrays[0].dtype)
    for i, a in enumerate(arrays):
        out[i, ..., :a.shape[-1]] = a
    return out


class KernelRunner(Runner):
    """Runs a :class:`MultiAreaNetwork` on the whole-step Taichi kernel.

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
        from ...ops import _event_taichi, _network_taichi

        super().__init__(net)
        self.inputs = inputs
        self.deliver = bool(deliver)
        self.n_areas, self.n_E, self.n_I = net.n_areas, net.E.size[1], net.I.size[1]
        self.words_E, self.words_I = -(-self.n_E // 32), -(-self.n_I // 32)
        self.n_words = self.n_areas * (self.words_E + self.words_I)
        pops = (net.E, net.I)
        lif_f = np.array([[p.V_rest, p.V_reset, p.V_th, p.euler_factor, p.noise_scale] for p in pops],
                         np.float32)
        ref_words = [p._ref_words for p in pops if p._ref_words is not None]
        if len(ref_words) == 2 and not np.array_equal(*ref_words):
            raise ValueError("the fast path needs one legacy refractory table for E and I "
                             f"(tau_ref {net.E.tau_ref} vs {net.I.tau_ref} ms)")
        lif_i = np.array([[p._ref_base, p._ref_words is not None, p.synapses_during_refractory,
                           np.uint32(p.noise_key).view(np.int32)] for p in pops], np.int32)
        projections = (net.EE, net.EI, net.IE, net.II)
        plan_arrays = [_event_taichi._plan_arrays(p.plan) for p in projections]
        proj_ids, geo, geo_guide, tables, guide, pair_delay = (list(a) for a in zip(*plan_arrays))
        self._static = tuple(jnp.asarray(a) for a in (
            lif_f, lif_i,
            ref_words[0] if ref_words else np.zeros(1, np.uint32),
            _rng.normal_table(),
            np.broadcast_to(net.E.V_ext, net.E.size).astype(np.float32).ravel(),
            np.broadcast_to(net.I.V_ext, net.I.size).astype(np.float32).ravel()))
        self._tables = tuple(jnp.asarray(a) for a in (
            np.stack([p.weights for p in projections]).astype(np.float32),
            np.stack(proj_ids),
            np.stack(pair_delay),
            np.array([_rng.mix32(np.uint32(p.plan.seed) ^ np.uint32(_rng.GOLDEN)) for p in projections],
                     np.uint32),
            _stack_padded(geo, _PAD32, _network_taichi.WALK_FREE).ravel(),
            np.array([g.shape[0] for g in geo], np.int32),
            np.stack(geo_guide).ravel(),
            _stack_padded(tables, _PAD32, _network_taichi.WALK_FREE).ravel(),
            np.stack(guide).ravel(),
            _rng.mix32(np.arange(2 * max(self.n_E, self.n_I) + 2, dtype=np.uint32))))
        self._op = ops.XLACustomOp(cpu_kernel=_network_taichi.network_step, name="network_step",
                                   zero_outputs=False)
        self.steps_per_call = min(STEPS_PER_CALL, max(1, _WORD_BYTES_PER_CALL // (4 * self.n_words)))
        #: shortest synaptic delay (steps) of any projection
        self.min_delay = min(p.plan.min_delay for p in projections)

    @functools.cached_property
    def _call(self):
        n_static = len(self._static) + 1 + len(self._tables)  # + stim
        aliases = {n_static + i: i for i in range(9)}
        op, n_words, deliver = self._op, self.n_words, self.deliver
        pipelined = self.min_delay >= 2
        scratch = 4 * self.n_areas * 2 * max(self.n_E, self.n_I)  # one row's (slot, post) per task

        def call(static, stim, tables, state):
            n_steps = stim.shape[0]
            outs = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in state]
            outs.append(jax.ShapeDtypeStruct((n_steps, n_words), jnp.uint32))
            outs.append(jax.ShapeDtypeStruct((scratch,), jnp.int32))
            result = op(*static, stim, *tables, *state, outs=outs, input_output_aliases=aliases,
                        repeat=-(-n_steps // STEPS_PER_LAUNCH), deliver=deliver,
                        steps=STEPS_PER_LAUNCH, pipelined=pipelined)
            state = tuple(result[:9])  # the same buffers, updated in place (no reshapes: they copy)
            t = state[8][0]  # the step after the call: its input is what arrives next
            arriving = tuple(jax.lax.dynamic_index_in_dim(ring, t % ring.shape[0], keepdims=False)
                             for ring in state[4:8])
            return state, arriving, result[9]

        return jax.jit(call, donate_argnums=(3,))

    def _state(self, t: int, n_steps: int):
        net = self.net
        return (net.E.V.value, net.I.V.value, net.E.refractory_left.value,
                net.I.refractory_left.value, net.EE.ring.value, net.EI.ring.value,
                net.IE.ring.value, net.II.ring.value, jnp.asarray([t, 0, n_steps], jnp.int32))

    def _store(self, state, arriving, last_words: np.ndarray, t: int) -> None:
        net = self.net
        V_E, V_I, left_E, left_I, *rings, _ = state
        net.E.V.value, net.I.V.value = V_E, V_I
        net.E.refractory_left.value, net.I.refractory_left.value = left_E, left_I
        for proj, ring, now in zip((net.EE, net.EI, net.IE, net.II), rings, arriving):
            proj.ring.value = ring
            proj.arriving.value = now.reshape(proj.post_size)
        spike_E, spike_I = words_to_spikes(last_words[None], self.n_areas, self.n_E, self.n_I)
        net.E.spike.value, net.I.spike.value = jnp.asarray(spike_E[0]), jnp.asarray(spike_I[0])
        for var in (net.E.step, net.I.step, net.t):
            var.value = jnp.asarray(t, jnp.int32)

    def _advance(self, n_steps: int) -> np.ndarray:
        stim = step_drive(self.net, self.inputs, n_steps)  # (K, 2, n_areas): added to V_ext of E, I
        t = int(self.net.t.value)
        state, arriving, words = self._call(self._static, jnp.asarray(stim), self._tables,
                                            self._state(t, n_steps))
        words = np.asarray(words)
        self._store(state, arriving, words[-1], t + n_steps)
        return words
