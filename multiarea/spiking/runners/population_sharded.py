"""Population networks split over several devices and processes, with ``jax.sharding``.

Layout.  The populations are split into contiguous blocks, one per device
of a 1-D mesh (``runners.sharded.make_mesh``), balanced by their estimated
cost (neurons and incoming events, ``population_load``); every device needs
at least one population.  A device runs the population kernel
(``ops._population_taichi``) on its own populations only: it updates their
neurons and holds the ring buffer of their input (its own block of ring
cells), and it regenerates the synapses onto them from the same per-synapse
stream as an unsharded run, so no synapse is stored or moved.  The small
per-neuron arrays (V, currents, refractory counters) are kept whole on every
device; each device writes only its own neurons.

Exchange.  Spikes are exchanged once per window of ``W <= min_delay`` steps
(the shortest delay of any synapse), as NEST communicates in steps of its
``min_delay``: a device updates its populations for the window, its spike
words (those of the other devices' populations zero) are summed over the
mesh (``psum``: the devices' bits never overlap, so the sum is their union),
and at the start of the next window every device delivers all of them into
its own rings, step by step.  No spike sent in a window arrives in it, so
this is exact, and every ring cell gets its additions in the order of the
unsharded run (by spike step, then projection, then pre neuron): any number
of devices gives the unsharded run's spikes bit for bit (tested).

Several processes.  The same code runs under ``jax.distributed.initialize``
(one process per device group): every process builds the network, the mesh
spans the devices of all processes, and the words are summed over all of
them.

On one CPU the kernels of a process's devices do not overlap (the custom-op
handler runs one Taichi launch at a time, ``ops/_ffi_handler.cc``), and each
uses the kernel's team of threads: a sharded run on one machine is no
faster than the unsharded kernel.  It splits the ring buffers (the largest
state) over devices and processes.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from ... import ops
from ..populations import PopulationNetwork
from .base import STEPS_PER_CALL, Runner
from .population_kernel import delivery_window, kernel_tables, network_tables, population_load, row_capacity, row_tables
from .sharded import AXIS, _host, make_mesh

__all__ = ["PopulationLayout", "PopulationShardedRunner"]


class PopulationLayout:
    """Which device holds which populations: contiguous blocks, balanced by load.

    Args:
        net: the network.
        n_devices: devices on the mesh axis (at most the number of populations).

    Attributes:
        bounds: ``(n_devices + 1,)`` first population of each device's block (and the end).
        neurons: ``(n_devices + 1,)`` first neuron of each block (and ``net.num``).
    """

    def __init__(self, net: PopulationNetwork, n_devices: int):
        P_ = len(net.populations)
        if n_devices > P_:
            raise ValueError(f"more devices ({n_devices}) than populations ({P_}): every device needs a population")
        cumulative = np.cumsum(population_load(net))
        # block d ends where the cumulative load first reaches (d + 1) / n of the total, keeping >= 1 population each
        bounds = [0]
        for d in range(1, n_devices):
            cut = int(np.searchsorted(cumulative, cumulative[-1] * d / n_devices)) + 1
            bounds.append(min(max(cut, bounds[-1] + 1), P_ - (n_devices - d)))
        self.bounds = np.array(bounds + [P_], np.int64)
        self.neurons = np.concatenate([net.first, [net.num]])[self.bounds]
        self.n_devices = int(n_devices)

    def populations(self, d: int) -> range:
        """Populations of device ``d``."""
        return range(int(self.bounds[d]), int(self.bounds[d + 1]))

    def sizes(self) -> np.ndarray:
        """``(n_devices,)`` neurons of each device."""
        return np.diff(self.neurons)


class PopulationShardedRunner(Runner):
    """Runs a :class:`PopulationNetwork` with its populations split over a device mesh.

    The network's Variables are read when the runner is made and written back
    by :meth:`store`; in between the state lives, sharded, on the devices.
    :meth:`run` returns the words of all populations on every process.

    Args:
        net: the network.
        devices: an int (the first N of ``jax.devices()``), devices, or a mesh
            (``runners.sharded.make_mesh``).
        stim: optional callable ``stim(first_step, n_steps) -> (n_steps, P)``
            (as ``PopulationKernelRunner``).
        window: steps per spike exchange, ``1 <= window <= net.min_delay``
            (default ``net.min_delay``).

    Raises:
        TypeError: ``net`` is not a PopulationNetwork.
        ValueError: more devices than populations, a bad ``window``, or a
            device's ring block of more than 2**31 - 1 cells.
    """

    steps_per_call = STEPS_PER_CALL

    def __init__(self, net: PopulationNetwork, devices, stim=None, window: int | None = None):
        if not isinstance(net, PopulationNetwork):
            raise TypeError(f"PopulationShardedRunner runs a PopulationNetwork, got {type(net).__name__}")
        from ...ops import _population_taichi as kernel

        super().__init__(net)
        self.stim = stim
        self.window = delivery_window(net, window)
        self.mesh = make_mesh(devices)
        self.layout = lay = PopulationLayout(net, self.mesh.size)
        R, D = net.n_receptors, net.n_slots
        self.block_cells = int(R * D * lay.sizes().max())  #: ring cells each device holds
        if self.block_cells > 2**31 - 1:
            raise ValueError(f"a device's ring block ({self.block_cells:,} cells) exceeds 2**31 - 1 (the kernel's "
                             f"int32 indices): use more devices")
        static, tables = network_tables(net)
        pop_i = static[1].copy()
        pop_i[:, kernel.POP_I.index("ring_block")] = 0  # every device's populations are in its block 0
        self._static = tuple(self._put(np.asarray(a), P()) for a in (static[0], pop_i) + static[2:])
        n_rows = int(np.diff(lay.bounds).max())
        rows = [row_tables(net, lay.populations(d), n_rows) for d in range(lay.n_devices)]
        per_device = {k: np.stack([r[k] for r in rows]) for k in rows[0]}
        per_device["ring_shape"] = np.array([[D, lay.neurons[d], lay.sizes()[d], 0, 1] for d in range(lay.n_devices)],
                                            np.int32)
        word_bounds = np.concatenate([net.first_word, [net.n_words]])[lay.bounds]
        mask = np.zeros((lay.n_devices, net.n_words), np.uint32)  # each device's own words: all bits
        for d in range(lay.n_devices):
            mask[d, word_bounds[d]:word_bounds[d + 1]] = np.uint32(0xFFFFFFFF)
        per_device["mask"] = mask
        self._tables = {k: self._put(np.asarray(v), P()) for k, v in tables.items()}
        self._rows = {k: self._put(v, P(AXIS)) for k, v in per_device.items()}
        self._op = ops.XLACustomOp(cpu_kernel=kernel.population_step, name="population_step", zero_outputs=False)
        self._scratch = n_rows * row_capacity(net)
        self._t = int(net.t.value)
        self._pending = 0  # steps of self._prev not yet delivered
        self._prev = self._put(np.zeros((self.window, net.n_words), np.uint32), P())
        self._last_words = None
        self._state = self._shard_state()
        self._calls = {}

    # -- placement -------------------------------------------------------------
    def _put(self, host: np.ndarray, spec: P) -> jax.Array:
        """A global array from the same host array on every process."""
        sharding = NamedSharding(self.mesh, spec)
        return jax.make_array_from_callback(host.shape, sharding, lambda index: host[index])

    def _ring_of(self, first: int, stop: int) -> np.ndarray:
        """The network's ring cells of neurons ``[first, stop)`` as
        ``(receptors, slots, stop - first)`` (host; no copy of the rest)."""
        net = self.net
        R, D, split = net.n_receptors, net.n_slots, net.ring_split
        parts = []
        if first < split:
            parts.append(np.asarray(net.ring.value).reshape(R, D, -1)[:, :, first:min(stop, split)])
        if stop > split:
            parts.append(np.asarray(net.ring_hi.value).reshape(R, D, -1)[:, :, max(first, split) - split:stop - split])
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=2)

    def _shard_state(self) -> tuple:
        net, lay, n = self.net, self.layout, self.layout.n_devices

        def ring_blocks(index) -> np.ndarray:
            """The ring blocks of the devices ``index[0]`` (those of this
            process only: no process makes the others' blocks)."""
            devices = range(n)[index[0]]
            blocks = np.zeros((len(devices), self.block_cells), np.float32)
            for k, d in enumerate(devices):
                cells = self._ring_of(lay.neurons[d], lay.neurons[d + 1]).ravel()
                blocks[k, :cells.size] = cells
            return blocks

        tile = lambda x: np.broadcast_to(np.asarray(x), (n,) + np.shape(x))  # noqa: E731
        host = (tile(net.y.value), tile(net.i_syn.value), tile(net.refractory_left.value))
        sharding = NamedSharding(self.mesh, P(AXIS))
        blocks = jax.make_array_from_callback((n, self.block_cells), sharding, ring_blocks)
        return tuple(self._put(x, P(AXIS)) for x in host) + (blocks, self._put(np.zeros((n, 1), np.float32), P(AXIS)))

    # -- the compiled call -----------------------------------------------------
    def _compiled(self, n_windows: int, window: int):
        if (n_windows, window) not in self._calls:
            self._calls[n_windows, window] = self._build(n_windows, window)
        return self._calls[n_windows, window]

    def _build(self, n_windows: int, window: int):
        """The jitted ``(static, tables, rows, state, prev, pending, t, stim) ->
        (state, prev, words)`` for ``n_windows`` windows of ``window`` steps
        (``window == 0``: only deliver the pending words)."""
        from ...ops._population_taichi import TEAM as team

        op, n_words, W, scratch = self._op, self.net.n_words, self.window, self._scratch
        n_static = 5 + 1 + 19  # static, stim, kernel tables
        aliases = {n_static + i: i for i in range(6)}
        steps = max(window, 1)

        def kernel_call(static, tables, rows, state, prev, pending, t, stim, n_call, deliver_last=0):
            clock = jnp.stack([t, jnp.int32(0), jnp.int32(n_call), jnp.int32(W), pending, jnp.int32(deliver_last)])
            args = kernel_tables(tables, rows, rows["ring_shape"], prev)
            outs = [jax.ShapeDtypeStruct(x.shape, x.dtype) for x in state + (clock,)]
            outs.append(jax.ShapeDtypeStruct((steps, n_words), jnp.uint32))
            outs.append(jax.ShapeDtypeStruct((scratch,), jnp.int32))
            outs.append(jax.ShapeDtypeStruct((scratch,), jnp.float32))
            outs.append(jax.ShapeDtypeStruct(((team + 1) * (steps + 1) + 1,), jnp.int32))
            result = op(*static, stim, *args, *state, clock, outs=outs, input_output_aliases=aliases, deliver=True)
            return tuple(result[:5]), result[6]

        def device(static, tables, rows, state, prev, pending, t, stim):
            rows = {k: v[0] for k, v in rows.items()}
            state = tuple(x[0] for x in state)

            def one_window(carry, stim_w):
                state, prev, pending, t = carry
                state, words = kernel_call(static, tables, rows, state, prev, pending, t, stim_w, window)
                words = jax.lax.psum(words & rows["mask"][None], AXIS)  # the union of every device's spikes
                prev = jnp.zeros((W, n_words), jnp.uint32).at[:window].set(words)
                return (state, prev, jnp.int32(window), t + window), words

            if window == 0:  # deliver what is pending, update nothing
                state, _ = kernel_call(static, tables, rows, state, prev, pending, t,
                                       jnp.zeros((1, stim.shape[-1]), jnp.float32), 0)
                words = jnp.zeros((0, n_words), jnp.uint32)
            else:
                (state, prev, pending, t), words = jax.lax.scan(
                    one_window, (state, prev, pending, t), stim.reshape((n_windows, window, -1)))
                words = words.reshape(-1, n_words)
            return tuple(x[None] for x in state), prev, words

        sharded, replicated = P(AXIS), P()
        static_specs = (replicated,) * 5
        table_specs = {k: replicated for k in self._tables}
        row_specs = {k: sharded for k in self._rows}
        fn = jax.shard_map(device, mesh=self.mesh,
                           in_specs=(static_specs, table_specs, row_specs, (sharded,) * 5, replicated, replicated,
                                     replicated, replicated),
                           out_specs=((sharded,) * 5, replicated, replicated), check_vma=False)
        return jax.jit(fn, donate_argnums=(3,))

    # -- running -----------------------------------------------------------------
    def _stim(self, n_steps: int) -> np.ndarray:
        P_ = len(self.net.populations)
        if self.stim is None:
            return np.zeros((n_steps, P_), np.float32)
        return np.asarray(self.stim(self._t, n_steps), np.float32).reshape(n_steps, P_)

    def _call(self, n_windows: int, window: int, stim: np.ndarray):
        call = self._compiled(n_windows, window)
        self._state, self._prev, words = call(self._static, self._tables, self._rows, self._state, self._prev,
                                              jnp.asarray(self._pending, jnp.int32),
                                              jnp.asarray(self._t, jnp.int32), self._put(stim, P()))
        self._pending = window if window else 0
        self._t += n_windows * window
        return _host(words)

    def _advance(self, n_steps: int) -> np.ndarray:
        stim = self._stim(n_steps)
        parts, done = [], 0
        for n_windows, window in ((n_steps // self.window, self.window), (1, n_steps % self.window)):
            if n_windows == 0 or window == 0:
                continue
            n = n_windows * window
            parts.append(self._call(n_windows, window, stim[done:done + n]))
            done += n
        words = np.concatenate(parts)
        self._last_words = words[-1]
        return words

    @functools.cached_property
    def word_neurons(self) -> np.ndarray:
        return self.net.word_neurons()

    def store(self) -> None:
        """Deliver the last window's spikes, then write the state back to the
        network's Variables, so the network can go on with any other method."""
        if self._pending:
            self._call(1, 0, np.zeros((1, len(self.net.populations)), np.float32))
        net, lay = self.net, self.layout
        y, i_syn, left, blocks, _ = (_host(x) for x in self._state)
        R, D = net.n_receptors, net.n_slots
        own = np.concatenate([np.full(s, d) for d, s in enumerate(lay.sizes())])  # device of each neuron
        neuron = np.arange(net.num)
        net.y.value = jnp.asarray(y[own, neuron])
        net.refractory_left.value = jnp.asarray(left[own, neuron])
        net.i_syn.value = jnp.asarray(i_syn[own, :, neuron].T)
        ring = np.concatenate([blocks[d, :R * D * s].reshape(R, D, s) for d, s in enumerate(lay.sizes())], axis=2)
        net.ring.value = jnp.asarray(ring[:, :, :net.ring_split].ravel())
        if net.ring_split < net.num:
            net.ring_hi.value = jnp.asarray(ring[:, :, net.ring_split:].ravel())
        net.t.value = jnp.asarray(self._t, jnp.int32)
        if self._last_words is not None:
            spikes = (self._last_words[:, None] >> np.arange(32, dtype=np.uint32)) & np.uint32(1)
            flat = np.zeros(net.num, bool)
            wn = self.word_neurons
            flat[wn[wn >= 0]] = spikes.astype(bool)[wn >= 0]
            net.spike.value = jnp.asarray(flat)
