"""Area-parallel runs of a :class:`~multiarea.spiking.network.MultiAreaNetwork` over
several devices and processes, with ``jax.sharding``.

Layout.  The areas are split into contiguous blocks along the mesh axis
``"areas"`` (29 areas on 4 devices: 8, 7, 7 and 7, the shorter blocks padded
to 8 slots with empty areas whose neurons never spike and have no synapses).
Each device holds its areas' neuron state and the post-side delay rings of
its target areas, and regenerates the synapses onto them: the same projection ids, row keys and tables as the unsharded plan
(:meth:`JitConnPlan.tables` of its rows), so no synapse is stored or moved.

Exchange.  A population whose projections cross devices (E: the inter-areal
projections) has its spikes bit-packed (1 bit per neuron, 32 per uint32 word)
and ``all_gather``-ed inside ``shard_map``; the local I->E and I->I
projections need no exchange.  Exchanges happen once per *window* of ``W``
steps, ``W <=`` the shortest delay of any synapse (as NEST communicates
spikes "in steps of dmin", nest-simulator
``doc/userdoc/guides/simulations_with_precise_spike_times.rst``): no spike emitted inside a window arrives inside it, so the
``W`` neuron updates run first, then the window's spikes are exchanged once
and delivered step by step.  The order of every float addition into the
rings is the same as in the unsharded run (step by step, source neurons in
order), so the result does not depend on ``W``.

Identical results.  Connectivity and delays are keyed by (seed, projection
pair, pre neuron, counter) and the noise by (seed, step, global neuron
index); the initial state is the network's own (drawn for the whole
population, then split).  Nothing depends on a device's shard, so 1, 2 and 4
devices give the spikes of the unsharded run, bit for bit (tests hold all of
them to ``bp.DSRunner`` on the pure-JAX backend).

Several processes.  The same code runs under ``jax.distributed.initialize``
(one process per device group): every process builds the network (state
only; synapses are never built), the mesh spans ``jax.devices()`` of all
processes, and the recorded spike words are gathered to every process per
call (``multihost_utils.process_allgather``).

Backends.  The delivery runs the ``event_current`` op of the network's
backend on each shard: the pure-JAX reference or the Taichi custom op.  XLA
runs the shards of a CPU mesh in one process concurrently; the custom-op
handler serialises Taichi launches with one mutex (``ops/_ffi_handler.cc``),
so on CPU the Taichi deliveries of several devices do not overlap.  The
whole-step kernel (``runners.kernel``) is single-device: a sharded run
updates the neurons in XLA.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from ... import ops
from ..inputs import step_drive, step_input_reason
from ..network import MultiAreaNetwork
from ..spike_words import pack_words, unpack_words, words_to_spikes
from .base import STEPS_PER_CALL, Runner

__all__ = ["AreaLayout", "ShardedRunner", "make_mesh", "AXIS"]

AXIS = "areas"  #: the mesh axis the areas are split along


def make_mesh(devices) -> Mesh:
    """A 1-D mesh on the axis ``"areas"``.

    Args:
        devices: an int ``N`` (the first ``N`` of ``jax.devices()``, across
            all processes), a sequence of devices, or a ready ``Mesh`` with an
            ``"areas"`` axis (returned as is).
    """
    if isinstance(devices, Mesh):
        if devices.axis_names != (AXIS,):
            raise ValueError(f"the mesh must have the single axis {AXIS!r}, got {devices.axis_names}")
        return devices
    if isinstance(devices, (int, np.integer)) and not isinstance(devices, bool):
        available = jax.devices()
        if not 1 <= devices <= len(available):
            raise ValueError(
                f"devices must be in [1, {len(available)}] (the devices jax sees), got {devices}; "
                "for N host CPU devices set XLA_FLAGS=--xla_force_host_platform_device_count=N "
                "(or jax.config.update('jax_num_cpu_devices', N)) before jax starts")
        return Mesh(np.array(available[:devices]), (AXIS,))
    try:
        chosen = list(devices)
    except TypeError:
        raise TypeError(f"devices must be an int, a sequence of devices or a Mesh, got {devices!r}") from None
    if not chosen:
        raise ValueError("devices must not be empty")
    return Mesh(np.array(chosen), (AXIS,))


class AreaLayout:
    """Which device holds which area.

    Device ``d`` holds a contiguous block of areas; block sizes differ by at
    most one (29 areas on 4 devices: 8, 7, 7, 7).  Every device has
    ``per_device`` slots, the shorter blocks padded with empty slots.

    Args:
        n_areas: areas of the network.
        n_devices: devices on the mesh axis (at most ``n_areas``).

    Attributes:
        per_device: slots per device, ``ceil(n_areas / n_devices)``.
        slots: ``(n_devices * per_device,)`` int32 global area of each slot
            (device-major), -1 for padding; real slots are in area order.
        device: ``(n_areas,)`` int32 device of each area.
    """

    def __init__(self, n_areas: int, n_devices: int):
        if n_devices > n_areas:
            raise ValueError(f"more devices ({n_devices}) than areas ({n_areas}): every device needs an area")
        self.n_areas, self.n_devices = int(n_areas), int(n_devices)
        self.per_device = -(-self.n_areas // self.n_devices)
        sizes = np.full(self.n_devices, self.n_areas // self.n_devices)
        sizes[:self.n_areas % self.n_devices] += 1
        self.device = np.repeat(np.arange(self.n_devices), sizes).astype(np.int32)
        slots = np.full((self.n_devices, self.per_device), -1, np.int32)
        for d, first in enumerate(np.concatenate([[0], np.cumsum(sizes)[:-1]])):
            slots[d, :sizes[d]] = first + np.arange(sizes[d])
        self.slots = slots.ravel()

    @property
    def n_slots(self) -> int:
        return self.slots.size

    def device_slots(self, d: int) -> tuple:
        """Global areas (-1: padding) of device ``d``'s slots."""
        return tuple(int(a) for a in self.slots[d * self.per_device:(d + 1) * self.per_device])

    def pad(self, x, axis: int = 0, fill=0) -> np.ndarray:
        """``x`` with its area axis (``n_areas`` long) spread over the
        ``n_slots`` slots, padding slots set to ``fill``."""
        x = np.moveaxis(np.asarray(x), axis, 0)
        out = np.full((self.n_slots,) + x.shape[1:], fill, dtype=x.dtype)
        out[self.slots >= 0] = x
        return np.moveaxis(out, 0, axis)


def _device_blocks(per_device: list) -> np.ndarray:
    """Stack per-device arrays on a new leading (device) axis."""
    return np.stack([np.asarray(a) for a in per_device])


class _Delivery:
    """One projection's per-device tables and weights, and whether its source
    spikes are exchanged (some pair crosses devices) or stay local."""

    def __init__(self, proj, layout: AreaLayout):
        plan = proj.plan
        tgt, src = np.nonzero(plan.pair_mask)
        self.exchanged = bool(np.any(layout.device[tgt] != layout.device[src]))
        gathered = tuple(int(a) for a in layout.slots)
        tables, weights = [], []
        for d in range(layout.n_devices):
            targets = layout.device_slots(d)
            sources = gathered if self.exchanged else targets
            tables.append(plan.tables(targets, sources))
            rows, cols = np.ix_(np.maximum(targets, 0), np.maximum(sources, 0))
            real = (np.asarray(targets) >= 0)[:, None] & (np.asarray(sources) >= 0)[None, :]
            weights.append(np.where(real, proj.weights[rows, cols], 0).astype(np.float32))
        self.tables = ops.PairTables(*(_device_blocks(field) for field in zip(*tables)))
        self.weights = _device_blocks(weights)


class ShardedRunner(Runner):
    """Runs a :class:`MultiAreaNetwork` with its areas split over a device mesh.

    The network's Variables are read when the runner is made and written back
    by :meth:`store`; in between the state lives, sharded, on the devices.
    :meth:`run` returns the words of all areas on every process.

    Args:
        net: the network.
        devices: see :func:`make_mesh`.
        inputs: drives made by ``net.step_input`` (times from the network's
            last reset).
        window: steps per spike exchange, ``1 <= window <= min_delay``
            (default ``min_delay``, the shortest delay of any synapse).

    Raises:
        TypeError: ``net`` is not a MultiAreaNetwork.
        ValueError: more devices than areas, a bad ``window``, or inputs not
            made by ``net.step_input``.
    """

    steps_per_call = STEPS_PER_CALL

    def __init__(self, net: MultiAreaNetwork, devices, inputs=(), window: int | None = None):
        if not isinstance(net, MultiAreaNetwork):
            raise TypeError(f"a sharded run takes a MultiAreaNetwork, got {type(net).__name__}")
        inputs = list(inputs)
        why_not = step_input_reason(net, inputs)
        if why_not:
            raise ValueError(f"a sharded run cannot take these inputs: {why_not}")
        super().__init__(net)
        self.inputs = inputs
        self.mesh = make_mesh(devices)
        self.layout = AreaLayout(net.n_areas, self.mesh.size)
        self.n_E, self.n_I = net.E.size[1], net.I.size[1]
        self.projections = (net.EE, net.EI, net.IE, net.II)
        #: shortest delay (steps) of any synapse: the longest exchange window
        self.min_delay = min(p.plan.min_delay for p in self.projections)
        if window is None:
            window = self.min_delay
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) \
                or not 1 <= window <= self.min_delay:
            raise ValueError(f"window must be an int in [1, {self.min_delay}] (the shortest delay "
                             f"in steps), got {window!r}")
        self.window = int(window)
        self._deliveries = tuple(_Delivery(p, self.layout) for p in self.projections)
        self.exchange_E = self._deliveries[0].exchanged or self._deliveries[1].exchanged
        self.exchange_I = self._deliveries[2].exchanged or self._deliveries[3].exchanged
        self._t = int(net.t.value)
        self._calls = {}
        self._last_words = None
        self._state = self._shard_state()
        self._static = self._shard_static()

    # -- placement -------------------------------------------------------------
    def _put(self, host: np.ndarray, spec: P) -> jax.Array:
        """A global array from the same host array on every process."""
        sharding = NamedSharding(self.mesh, spec)
        return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])

    def _shard_state(self) -> tuple:
        net, lay = self.net, self.layout
        area, ring = P(AXIS), P(None, AXIS)
        host = [lay.pad(np.asarray(net.E.V.value)), lay.pad(np.asarray(net.I.V.value)),
                lay.pad(np.asarray(net.E.refractory_left.value)),
                lay.pad(np.asarray(net.I.refractory_left.value))]
        state = [self._put(x, area) for x in host]
        state += [self._put(lay.pad(np.asarray(p.ring.value), axis=1), ring) for p in self.projections]
        return tuple(state)

    def _shard_static(self) -> tuple:
        lay, net = self.layout, self.net
        area = P(AXIS)
        slots = np.maximum(lay.slots, 0)
        static = [self._put(lay.slots >= 0, area),
                  self._put(slots.astype(np.int32), area)]
        for pop in (net.E, net.I):
            v_ext = np.broadcast_to(np.asarray(pop.V_ext), pop.size).astype(np.float32)
            static.append(self._put(lay.pad(v_ext), area))
        for delivery in self._deliveries:
            static.append(ops.PairTables(*(self._put(np.asarray(x), area) for x in delivery.tables)))
            static.append(self._put(delivery.weights, area))
        return tuple(static)

    # -- the compiled step -----------------------------------------------------
    def _compiled(self, n_windows: int, window: int):
        """The jitted ``(static, state, t, stim) -> (state, E words, I words)``
        for calls of ``n_windows * window`` steps (cached per shape)."""
        if (n_windows, window) not in self._calls:
            self._calls[n_windows, window] = self._build(n_windows, window)
        return self._calls[n_windows, window]

    def _build(self, n_windows: int, window: int):
        net, n_E, n_I = self.net, self.n_E, self.n_I
        E, I = net.E, net.I
        plans = [p.plan for p in self.projections]
        backends = [p.backend for p in self.projections]
        exchange = (self.exchange_E, self.exchange_I)

        def device(static, state, t, stim):
            real, area, vext_E, vext_I, *deliveries = static
            tables = [jax.tree.map(lambda x: x[0], tab) for tab in deliveries[0::2]]
            weights = [w[0] for w in deliveries[1::2]]
            neuron_E = area[:, None] * n_E + jnp.arange(n_E, dtype=jnp.int32)
            neuron_I = area[:, None] * n_I + jnp.arange(n_I, dtype=jnp.int32)

            def arrivals(rings, t0):
                """``(window, areas here, n)`` jumps arriving at the window's steps
                onto E and I (all sent before the window: every delay >= window)."""
                slots = [jnp.take(r, (t0 + jnp.arange(window)) % r.shape[0], axis=0) for r in rings]
                return slots[0] + slots[2], slots[1] + slots[3]  # EE + IE, EI + II

            def one_window(carry, stim_w):  # stim_w: (window, 2, areas here)
                V_E, V_I, left_E, left_I, rings, t0, jump_E, jump_I = carry

                def update(c, xs):
                    V_E, V_I, left_E, left_I = c
                    k, drive, j_E, j_I = xs
                    step = t0 + k
                    V_E, s_E, left_E = E.advance(V_E, left_E, step, j_E, vext_E + drive[0][:, None], neuron_E)
                    V_I, s_I, left_I = I.advance(V_I, left_I, step, j_I, vext_I + drive[1][:, None], neuron_I)
                    s_E, s_I = s_E & real[:, None], s_I & real[:, None]
                    return (V_E, V_I, left_E, left_I), (pack_words(s_E), pack_words(s_I))

                (V_E, V_I, left_E, left_I), (w_E, w_I) = jax.lax.scan(
                    update, (V_E, V_I, left_E, left_I), (jnp.arange(window), stim_w, jump_E, jump_I))
                sent = [jax.lax.all_gather(w, AXIS, axis=1, tiled=True) if ex else w
                        for w, ex in zip((w_E, w_I), exchange)]

                def deliver(rings, xs):
                    k, g_E, g_I = xs
                    spikes = (unpack_words(g_E, n_E), unpack_words(g_I, n_I))
                    return tuple(
                        ops.event_current(plan, spikes[i // 2], w, ring, t0 + k, backend=backend, tables=tab)
                        for i, (plan, w, ring, backend, tab)
                        in enumerate(zip(plans, weights, rings, backends, tables))), None

                rings, _ = jax.lax.scan(deliver, rings, (jnp.arange(window), *sent))
                # read the next window's input now, after the in-place deliveries
                # (a read left next to them makes XLA copy the rings)
                t1 = t0 + window
                return (V_E, V_I, left_E, left_I, rings, t1, *arrivals(rings, t1)), (w_E, w_I)

            V_E, V_I, left_E, left_I, *rings = state
            stim = stim.reshape((n_windows, window) + stim.shape[1:])
            init = (V_E, V_I, left_E, left_I, tuple(rings), t, *arrivals(rings, t))
            (V_E, V_I, left_E, left_I, rings, *_), (w_E, w_I) = jax.lax.scan(one_window, init, stim)
            return ((V_E, V_I, left_E, left_I, *rings), w_E.reshape((-1,) + w_E.shape[2:]),
                    w_I.reshape((-1,) + w_I.shape[2:]))

        area, ring = P(AXIS), P(None, AXIS)
        static_specs = (area, area, area, area) + sum(
            ((ops.PairTables(*([area] * 5)), area) for _ in plans), ())
        state_specs = (area,) * 4 + (ring,) * 4
        words = P(None, AXIS)
        fn = jax.shard_map(device, mesh=self.mesh,
                           in_specs=(static_specs, state_specs, P(), P(None, None, AXIS)),
                           out_specs=(state_specs, words, words), check_vma=False)
        return jax.jit(fn, donate_argnums=(1,))

    # -- running -----------------------------------------------------------------
    def _advance(self, n_steps: int) -> np.ndarray:
        # (K, 2, n_slots) drive added to V_ext of E, I, padding slots 0
        stim = self.layout.pad(step_drive(self.net, self.inputs, n_steps, first_step=self._t), axis=2)
        parts, done = [], 0
        for n_windows, window in ((n_steps // self.window, self.window), (1, n_steps % self.window)):
            if n_windows == 0 or window == 0:
                continue
            n = n_windows * window
            call = self._compiled(n_windows, window)
            self._state, w_E, w_I = call(self._static, self._state, jnp.asarray(self._t, jnp.int32),
                                         self._put(stim[done:done + n], P(None, None, AXIS)))
            parts.append(self._words(w_E, w_I))
            self._t += n
            done += n
        words = np.concatenate(parts)
        self._last_words = words[-1]
        return words

    def _words(self, w_E, w_I) -> np.ndarray:
        """Host ``(K, n_words)`` words (padding areas dropped) from the
        sharded ``(K, n_slots, words per area)`` E and I words."""
        real = self.layout.slots >= 0
        out = []
        for w in (w_E, w_I):
            host = _host(w)[:, real]
            out.append(host.reshape(host.shape[0], -1))
        return np.concatenate(out, axis=1)

    def bytes_exchanged_per_step(self) -> dict:
        """Spike-word bytes each device sends and receives per step."""
        lay = self.layout
        words = sum((-(-n // 32)) * lay.per_device
                    for n, ex in ((self.n_E, self.exchange_E), (self.n_I, self.exchange_I)) if ex)
        return {"sent": 4 * words, "received": 4 * words * (lay.n_devices - 1)}

    def device_memory(self, n_steps: int) -> dict:
        """Bytes one device holds (this process's first device, a full one):
        ``state`` (neuron state and delay rings), ``tables`` (its pairs' tables and weights),
        and ``temporaries`` of the compiled call for ``n_steps``-step calls
        (XLA's memory analysis; spike words and scratch included)."""
        def shard_bytes(tree):
            return sum(x.addressable_shards[0].data.nbytes for x in jax.tree.leaves(tree))

        n_windows = max(1, n_steps // self.window)
        stim = self._put(np.zeros((n_windows * self.window, 2, self.layout.n_slots), np.float32),
                         P(None, None, AXIS))
        compiled = self._compiled(n_windows, self.window).lower(
            self._static, self._state, jnp.asarray(self._t, jnp.int32), stim).compile()
        analysis = compiled.memory_analysis()
        return {"state": shard_bytes(self._state), "tables": shard_bytes(self._static),
                "temporaries": int(analysis.temp_size_in_bytes) if analysis is not None else -1}

    def store(self) -> None:
        """Write the state back to the network's Variables (after the last
        :meth:`run`), so the network can go on with any other method."""
        net, real = self.net, self.layout.slots >= 0
        V_E, V_I, left_E, left_I, *rings = (_host(x) for x in self._state)
        net.E.V.value, net.I.V.value = jnp.asarray(V_E[real]), jnp.asarray(V_I[real])
        net.E.refractory_left.value = jnp.asarray(left_E[real])
        net.I.refractory_left.value = jnp.asarray(left_I[real])
        for proj, ring in zip(self.projections, rings):
            ring = ring[:, real]
            proj.ring.value = jnp.asarray(ring)
            proj.arriving.value = jnp.asarray(ring[self._t % ring.shape[0]].reshape(proj.post_size))
        for var in (net.E.step, net.I.step, net.t):
            var.value = jnp.asarray(self._t, jnp.int32)
        if self._last_words is not None:
            spike_E, spike_I = words_to_spikes(self._last_words[None], net.n_areas, self.n_E, self.n_I)
            net.E.spike.value, net.I.spike.value = jnp.asarray(spike_E[0]), jnp.asarray(spike_I[0])


def _host(x: jax.Array) -> np.ndarray:
    """The whole of a (possibly multi-process) global array on this host."""
    if x.is_fully_addressable:
        return np.asarray(x)
    from jax.experimental import multihost_utils
    return np.asarray(multihost_utils.process_allgather(x, tiled=True))
