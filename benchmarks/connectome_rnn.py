"""Benchmark: the fly visual connectome RNN in multiarea vs flyvis's ``Network``.

The extent-15 fly visual network (45,669 neurons, 1,513,231 synapses) with
flyvis's default parameters (per-type biases from its seed-0 torch draw, tau
= 0.05 s, strengths 0.01 / <n_syn> per edge type, ReLU) is driven by the same
random luminance movie on the lattice (batch 4, 100 Euler steps of dt =
0.01 s, from the bias state) in

* multiarea: ``fly_visual_rnn`` (``ConnectomeRNN``, csr_matvec custom op), and
* flyvis 1.2 (PyTorch, CPU), if importable: ``Network()`` default config,

each in a fresh subprocess of this run (own peak RSS).  Printed: compile/build
time, forward and forward+backward wall time (best of ``--repeats``), network
steps/s, synapse updates/s, peak RSS, the speed ratios, and the agreement of
the activities (max abs difference) and of the gradients of the loss
``mean(activity**2)`` with respect to biases and edge strengths.

    python benchmarks/connectome_rnn.py
    pip install -r benchmarks/requirements-peers.txt   # torch, flyvis: enables the peer
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from _harness import in_subprocess, peak_rss_mb, peer_missing

TAU_S = 0.05


def _movie(args, n_columns) -> np.ndarray:
    """``(batch, steps, n_columns)`` luminance in [0, 1], one frame per step."""
    return np.random.default_rng(args.seed).random((args.batch, args.steps, n_columns)).astype(np.float32)


def _best_time(fn, repeats) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run_flyvis(args, queue):
    os.environ.setdefault("FLYVIS_ROOT_DIR", str(Path(tempfile.gettempdir()) / "multiarea-flyvis"))
    import torch
    from flyvis.network import Network

    t0 = time.perf_counter()
    net = Network()  # default config: ConnectomeFromAvgFilters extent 15, PPNeuronIGRSynapses, relu
    build_s = time.perf_counter() - t0
    x = torch.tensor(_movie(args, 721))[:, :, None, :]  # (batch, frames, 1, hexals)
    net.stimulus.zero(args.batch, args.steps)
    net.stimulus.add_input(x)
    stim = net.stimulus()

    def forward():
        with torch.no_grad():
            return net(stim, args.dt)

    activity = forward().numpy()  # (batch, steps, n): the state after each step

    def forward_backward():
        net.zero_grad()
        loss = (net(stim, args.dt) ** 2).mean()
        loss.backward()
        return loss

    fwd_s = _best_time(forward, args.repeats)
    fwd_bwd_s = _best_time(forward_backward, args.repeats)
    bias, strength = net.node_params.bias, net.edge_params.syn_strength
    np.savez(args.exchange, activity=activity,
             bias=bias.raw_values.detach().numpy(), bias_keys=np.array(bias.keys),
             bias_grad=bias.raw_values.grad.numpy(),
             strength_keys=np.array([f"{a}->{b}" for a, b in strength.keys]),
             strength_grad=strength.raw_values.grad.numpy())
    queue.put(dict(build_s=build_s, compile_s=0.0, fwd_s=fwd_s, fwd_bwd_s=fwd_bwd_s,
                   threads=torch.get_num_threads(), peak_rss_mb=peak_rss_mb()))


def run_multiarea(args, queue):
    import jax
    import jax.numpy as jnp

    import multiarea as ma

    t0 = time.perf_counter()
    conn = ma.connectome.fly_visual(15)
    peer = dict(np.load(args.exchange)) if Path(args.exchange).is_file() else None
    bias = ma.Normal(0.5, 0.05) if peer is None else dict(zip(peer["bias_keys"], peer["bias"]))
    rnn = ma.fly_visual_rnn(conn, tau=TAU_S, bias=bias, trainable=("bias", "edge_strength"))
    build_s = time.perf_counter() - t0
    x = np.concatenate([_movie(args, rnn.n_inputs), np.zeros((args.batch, 1, rnn.n_inputs), np.float32)], 1)
    t1 = args.steps * args.dt

    def activity_of(params):  # the states after each step, as flyvis returns them
        return rnn.forward(x, 0.0, t1, args.steps + 1, params=params)[1][:, 1:]

    forward = jax.jit(activity_of)
    loss_and_grad = jax.jit(jax.value_and_grad(lambda p: jnp.mean(activity_of(p) ** 2)))
    t0 = time.perf_counter()
    activity = np.asarray(forward(rnn.params))
    jax.block_until_ready(loss_and_grad(rnn.params))
    compile_s = time.perf_counter() - t0
    fwd_s = _best_time(lambda: forward(rnn.params).block_until_ready(), args.repeats)
    fwd_bwd_s = _best_time(lambda: jax.block_until_ready(loss_and_grad(rnn.params)), args.repeats)
    _, grads = loss_and_grad(rnn.params)
    result = dict(build_s=build_s, compile_s=compile_s, fwd_s=fwd_s, fwd_bwd_s=fwd_bwd_s,
                  backend=ma.ops.get_backend(), n_neurons=rnn.n_neurons, n_synapses=rnn.recurrent.conn.nnz,
                  peak_rss_mb=peak_rss_mb())
    if peer is not None:
        result["max_abs_activity_diff"] = float(np.abs(activity - peer["activity"]).max())
        result["max_abs_activity"] = float(np.abs(peer["activity"]).max())
        type_index = [rnn.type_names.index(k) for k in peer["bias_keys"]]
        edge_index = [rnn.edge_types.index(tuple(k.split("->"))) for k in peer["strength_keys"]]
        for name, ours, theirs in (("bias", np.asarray(grads["bias"])[type_index], peer["bias_grad"]),
                                   ("edge_strength", np.asarray(grads["edge_strength"])[edge_index],
                                    peer["strength_grad"])):
            result[f"grad_{name}_rel_diff"] = float(np.abs(ours - theirs).max() / np.abs(theirs).max())
    queue.put(result)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--dt", type=float, default=0.01, help="Euler step (s); flyvis needs <= 0.02")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        args.exchange = str(Path(tmp) / "flyvis.npz")
        why_not = "skipped (--no-peer)" if args.no_peer else peer_missing("torch", "flyvis")
        rows = {}
        if not why_not:
            rows["flyvis-1.2"] = in_subprocess(run_flyvis, args)
        rows["multiarea"] = ours = in_subprocess(run_multiarea, args)
    updates = ours["n_synapses"] * args.batch * args.steps
    print(f"fly visual network, extent 15: {ours['n_neurons']} neurons, {ours['n_synapses']} synapses; "
          f"batch {args.batch}, {args.steps} Euler steps of {args.dt} s")
    print(f"{'':11} {'build s':>8} {'compile s':>9} {'fwd s':>7} {'steps/s':>8} {'syn upd/s':>10} "
          f"{'fwd+bwd s':>9} {'peak RSS MB':>11}")
    for name, r in rows.items():
        print(f"{name:11} {r['build_s']:8.2f} {r['compile_s']:9.2f} {r['fwd_s']:7.3f} "
              f"{args.steps / r['fwd_s']:8.1f} {updates / r['fwd_s']:10.3g} {r['fwd_bwd_s']:9.3f} "
              f"{r['peak_rss_mb']:11.0f}")
    print(f"multiarea backend: {ours['backend']}")
    if why_not:
        print(f"peer flyvis not run: {why_not}")
        return rows
    peer = rows["flyvis-1.2"]
    print(f"flyvis torch threads: {peer['threads']}")
    print(f"activity agreement: max |ours - flyvis| = {ours['max_abs_activity_diff']:.3g} "
          f"(max |activity| {ours['max_abs_activity']:.3g})")
    print(f"gradient agreement (max abs diff / max |flyvis grad|): bias {ours['grad_bias_rel_diff']:.3g}, "
          f"edge strength {ours['grad_edge_strength_rel_diff']:.3g}")
    print(f"speed-up multiarea vs flyvis: forward {peer['fwd_s'] / ours['fwd_s']:.2f}x, "
          f"forward+backward {peer['fwd_bwd_s'] / ours['fwd_bwd_s']:.2f}x")
    return rows


if __name__ == "__main__":
    main()
