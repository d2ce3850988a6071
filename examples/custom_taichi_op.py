"""Register your own Taichi kernel as an XLA custom op and run it in a network.

The kernel is the event-driven multi-area current of the BrainPy Joglekar
tutorial, with its own random number generator: every spiking neuron of a
source area adds the (target, source) weight to ~p of the neurons of every
target area, chosen just in time by uniform random increments in
[1, 2/p - 1] (mean 1/p) from a per-(pair, neuron) seed.  ``XLACustomOp`` turns
it into a JAX function; the network below calls it every step under
``bp.DSRunner``.

    python examples/custom_taichi_op.py --out examples-out
"""
import argparse
from pathlib import Path

import brainpy as bp
import jax
import jax.numpy as jnp
import numpy as np
import taichi as ti

import multiarea as ma


@ti.func
def hash32(x: ti.u32) -> ti.u32:
    x ^= x >> ti.u32(16)
    x *= ti.u32(0x7FEB352D)
    x ^= x >> ti.u32(15)
    x *= ti.u32(0x846CA68B)
    x ^= x >> ti.u32(16)
    return x


@ti.kernel
def multi_area_current(events: ti.types.ndarray(dtype=ti.u8, ndim=2),    # (n_src, n_pre)
                       weight: ti.types.ndarray(dtype=ti.f32, ndim=2),   # (n_tgt, n_src)
                       seeds: ti.types.ndarray(dtype=ti.u32, ndim=2),    # (n_tgt, n_src)
                       clen: ti.types.ndarray(dtype=ti.i32, ndim=1),     # (1,): 2/p - 1
                       out: ti.types.ndarray(dtype=ti.f32, ndim=2)):     # (n_tgt, n_post)
    for src, i in ti.ndrange(events.shape[0], events.shape[1]):
        if events[src, i] != 0:
            for tgt in range(out.shape[0]):
                w = weight[tgt, src]
                if w != 0.0:
                    key = hash32(seeds[tgt, src] ^ hash32(ti.cast(i, ti.u32)))
                    j = ti.cast(key % ti.cast(clen[0], ti.u32), ti.i32)      # first target in [0, clen)
                    while j < out.shape[1]:
                        out[tgt, j] += w
                        key = hash32(key)
                        j += 1 + ti.cast(key % ti.cast(clen[0], ti.u32), ti.i32)  # step in [1, clen]


current_op = ma.ops.XLACustomOp(cpu_kernel=multi_area_current)


def multi_area_current_jax(events, weight, seeds, clen, n_post):
    """``(n_tgt, n_post)`` currents: the registered kernel, callable from JAX."""
    (out,) = current_op(events.astype(jnp.uint8), weight, seeds, jnp.asarray([clen], jnp.int32),
                        outs=[jax.ShapeDtypeStruct((weight.shape[0], n_post), jnp.float32)])
    return out


def multi_area_current_numpy(events, weight, seeds, clen, n_post):
    """The same computation in numpy (for checking the kernel)."""
    def h(x):
        x = np.uint32(x)
        x ^= x >> np.uint32(16)
        x = np.uint32((int(x) * 0x7FEB352D) & 0xFFFFFFFF)
        x ^= x >> np.uint32(15)
        x = np.uint32((int(x) * 0x846CA68B) & 0xFFFFFFFF)
        return x ^ (x >> np.uint32(16))

    out = np.zeros((weight.shape[0], n_post), np.float32)
    for src, i in zip(*np.nonzero(events)):
        for tgt in range(weight.shape[0]):
            if weight[tgt, src] == 0:
                continue
            key = h(np.uint32(seeds[tgt, src]) ^ h(i))
            j = int(key % np.uint32(clen))
            while j < n_post:
                out[tgt, j] += weight[tgt, src]
                key = h(key)
                j += 1 + int(key % np.uint32(clen))
    return out


class UserNetwork(bp.DynamicalSystem):
    """E populations of several areas coupled by the user's kernel (1-step delay)."""

    def __init__(self, fln, n=800, p=0.1, w_local=0.03, w_long=0.05, seed=0):
        super().__init__()
        n_areas = fln.shape[0]
        self.E = ma.LIF((n_areas, n), V_ext=16.0, sigma=3.0, seed=seed)
        self.weight = jnp.asarray(w_long * fln + w_local * np.eye(n_areas), jnp.float32)
        rng = np.random.default_rng(seed)
        self.seeds = jnp.asarray(rng.integers(0, 2**32, (n_areas, n_areas), dtype=np.uint32))
        self.clen = int(np.ceil(2 / p - 1))
        self.current = bp.math.Variable(jnp.zeros((n_areas, n), jnp.float32))

    def update(self):
        spikes = self.E.update(self.current.value)
        self.current.value = multi_area_current_jax(spikes, self.weight, self.seeds, self.clen,
                                                    self.E.size[1])
        return spikes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=4)
    parser.add_argument("--duration", type=float, default=300.0)
    parser.add_argument("--out", default="examples-out")
    args = parser.parse_args(argv)
    anatomy = ma.data.joglekar2018().subset(args.areas)
    net = UserNetwork(anatomy.fln)
    runner = bp.DSRunner(net, monitors={"E": lambda: net.E.spike.sum(axis=1)},
                         inputs=[(net.E.input, np.eye(args.areas, 1, dtype=np.float32) * 4.0, "fix", "+")],
                         progress_bar=False)
    runner.run(args.duration)
    rates = runner.mon["E"].sum(axis=0) / (net.E.size[1] * args.duration * 1e-3)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    np.savetxt(out / "custom_op_rates.csv", rates[None], delimiter=",", header=",".join(anatomy.area_names))
    for name, rate in zip(anatomy.area_names, rates):
        print(f"{name:>5}: {rate:6.2f} Hz")
    return rates


if __name__ == "__main__":
    main()
