"""Area-parallel (sharded) runs of the Joglekar model on 1, 2 and 4 host devices.

For each size (29 areas x N neurons, fixed in-degree: p = 0.1 x 2000 / N,
asynchronous-weak regime, spontaneous activity) one subprocess with 4 host CPU
devices runs, in the same process: the one-device whole-step kernel (what
``simulate`` runs without ``devices``), and ``ShardedRunner`` on 1, 2 and 4
devices (spikes exchanged once per window of min-delay steps), plus 2 devices
exchanging every step.  It prints steady steps/s (after compilation),
synaptic events/s, the ratio to the one-device kernel, the spike-word bytes
each device sends and receives per step, the bytes a device holds (state,
tables, XLA temporaries), and the measured cost of the exchange alone (an
``all_gather`` of the same words, nothing else, in the same kind of loop):

    python benchmarks/sharding.py                       # 29 x 2000 and 29 x 20000
    python benchmarks/sharding.py --neurons 2000 --duration 200

All host devices share this machine's cores, so sharding cannot speed a run up
here; the numbers say what a device computes and exchanges, which is what the
table of when sharding pays (docs/sharding.md) is computed from.
"""
from __future__ import annotations

import argparse
import os
import time
from types import SimpleNamespace

from _harness import in_subprocess, peak_rss_mb

N_HOST_DEVICES = 4
CHUNK_STEPS = 250  #: steps per timed call


def _exchange_cost(mesh, words_per_device: int, window: int, n_steps: int) -> float:
    """Seconds per step of ``all_gather``-ing ``(window, words_per_device)``
    uint32 words per window on ``mesh``, nothing else."""
    import jax
    import jax.numpy as jnp
    from jax.sharding import PartitionSpec as P

    from multiarea.spiking.runners.sharded import AXIS

    n_windows = max(1, n_steps // window)

    def device(words):
        def body(acc, k):
            sent = words ^ (acc[:1] + k.astype(jnp.uint32))  # depends on the last exchange
            got = jax.lax.all_gather(sent, AXIS, axis=1, tiled=True)
            return acc ^ got[:, :words.shape[1]], None
        return jax.lax.scan(body, words, jnp.arange(n_windows))[0]

    fn = jax.jit(jax.shard_map(device, mesh=mesh, in_specs=P(None, AXIS), out_specs=P(None, AXIS)))
    words = jnp.zeros((window, words_per_device * mesh.size), jnp.uint32)
    fn(words).block_until_ready()
    t0 = time.perf_counter()
    fn(words).block_until_ready()
    return (time.perf_counter() - t0) / (n_windows * window)


def run_size(neurons: int, duration_ms: float, queue) -> None:
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               f" --xla_force_host_platform_device_count={N_HOST_DEVICES}")
    import numpy as np

    from joglekar import _events_per_step, _model
    from multiarea.spiking.runners import KernelRunner, ShardedRunner
    from multiarea.spiking.spike_words import words_to_spikes

    p = min(1.0, 0.1 * 2000 / neurons)
    model = _model(SimpleNamespace(regime="asynchronous-weak", areas=29, neurons=neurons, p=p))
    n_steps = int(round(duration_ms / model.dt))
    rows = []

    def timed(runner, net, chunk):
        runner.run(chunk)  # compile
        words, run_s = [], 0.0
        for _ in range(max(1, n_steps // chunk)):
            t0 = time.perf_counter()
            words.append(runner.run(chunk))
            run_s += time.perf_counter() - t0
        words = np.concatenate(words)
        spike_E, spike_I = words_to_spikes(words, net.n_areas, net.E.size[1], net.I.size[1])
        events = _events_per_step(net, p, spike_E.sum(-1), spike_I.sum(-1)).mean()
        return words.shape[0] / run_s, events

    net = model.build()
    steps_s, events = timed(KernelRunner(net, [model.stimulus(net)]), net, CHUNK_STEPS)
    rows.append(dict(name="whole-step kernel, 1 device", devices=1, window="-", steps_s=steps_s,
                     events=events, sent=0, received=0, memory=None, exchange_s=0.0))
    for devices, window in ((1, None), (2, None), (4, None), (2, 1)):
        net = model.build()
        run = ShardedRunner(net, devices, [model.stimulus(net)], window=window)
        chunk = run.window * -(-CHUNK_STEPS // run.window)
        steps_s, events = timed(run, net, chunk)
        exchanged = run.bytes_exchanged_per_step()
        exchange_s = (_exchange_cost(run.mesh, exchanged["sent"] // 4, run.window, chunk)
                      if devices > 1 else 0.0)
        rows.append(dict(name="sharded", devices=devices, window=run.window, steps_s=steps_s, events=events,
                         memory=run.device_memory(chunk), exchange_s=exchange_s, **exchanged))
        del run, net
    queue.put(dict(rows=rows, peak_rss_mb=peak_rss_mb(), p=p))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, nargs="+", default=[2000, 20000], help="neurons per area")
    ap.add_argument("--duration", type=float, default=100.0, help="simulated ms per timed run")
    args = ap.parse_args(argv)
    mb = 1 << 20
    for neurons in args.neurons:
        result = in_subprocess(run_size, neurons, args.duration)
        rows = result["rows"]
        base = rows[0]["steps_s"]
        print(f"\n29 areas x {neurons} neurons (p = {result['p']:.3f}), asynchronous-weak, "
              f"{args.duration:g} ms, {N_HOST_DEVICES} host CPU devices on {os.cpu_count()} cores; "
              f"peak RSS of the process {result['peak_rss_mb']:.0f} MB")
        print(f"{'path':>28} {'dev':>3} {'window':>6} {'steps/s':>8} {'vs kernel':>9} {'events/s':>9} "
              f"{'sent B/step':>11} {'recv B/step':>11} {'exch us/step':>12} {'state MB/dev':>12} "
              f"{'tables MB/dev':>13} {'temp MB/dev':>11}")
        for r in rows:
            m = r["memory"]
            mem = ("-", "-", "-") if m is None else (f"{m['state'] / mb:.1f}", f"{m['tables'] / mb:.1f}",
                                                    f"{m['temporaries'] / mb:.1f}")
            print(f"{r['name']:>28} {r['devices']:3d} {r['window']!s:>6} {r['steps_s']:8.1f} "
                  f"{r['steps_s'] / base:9.2f} {r['steps_s'] * r['events']:9.3g} {r['sent']:11d} "
                  f"{r['received']:11d} {r['exchange_s'] * 1e6:12.1f} {mem[0]:>12} {mem[1]:>13} {mem[2]:>11}",
                  flush=True)


if __name__ == "__main__":
    main()
