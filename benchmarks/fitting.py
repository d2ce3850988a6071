"""Benchmark: activation maximisation and train_model, multiarea vs connectome_interpreter.

One synthetic connectome (random unique synapses, 30% inhibitory presynaptic
neurons, weights normalised to ~unit summed input per neuron), per-group
slopes and biases, the same sensory neurons, inputs and targets on both sides.
Each side runs in a fresh subprocess of this run (own peak-RSS figure):

* multiarea: ``LayeredConnectomeNet`` + ``multiarea.fitting`` (JAX, jit);
* the peer: connectome_interpreter's ``MultilayeredNetwork``,
  ``activation_maximisation`` and ``train_model`` (PyTorch, CPU), run only if
  ``torch`` and ``connectome_interpreter`` import (``pip install -r
  benchmarks/requirements-peers.txt``).

Each side: one forward pass (timed after a warm-up); then, for activation
maximisation (early stopping off) and for train_model, a first N-iteration
call (N = ``--iterations``; "cold": for multiarea it includes compiling the
step), a 1-iteration call (t_1) and an N-iteration call (t_N; "warm":
multiarea reuses the compiled step of the same model and settings).
Reported: the cold and warm whole-call wall times and the steady time per
iteration (t_N - t_1) / (N - 1).
The forward activations of both sides are compared (max abs difference).

    python benchmarks/fitting.py            # ours only if the peer is missing
    /tmp/peers/bin/python benchmarks/fitting.py
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import in_subprocess, peak_rss_mb, peer_missing  # noqa: E402


def make_problem(args) -> dict:
    """The shared problem, deterministic in ``args.seed`` (numpy only)."""
    import pandas as pd
    import scipy.sparse as sp

    rng = np.random.default_rng(args.seed)
    n, nnz = args.neurons, args.synapses
    flat = np.unique(rng.integers(0, n * n, int(nnz * 1.1), dtype=np.int64))
    if flat.size < nnz:
        raise ValueError(f"--synapses {nnz} is too dense for --neurons {n}")
    flat = rng.permutation(flat)[:nnz]
    pre, post = flat // n, flat % n
    sign = np.where(rng.random(n) < 0.3, -1.0, 1.0)
    w = rng.random(nnz) * sign[pre]
    in_degree = np.bincount(post, minlength=n).clip(min=1)
    w = w / (0.5 * in_degree[post])
    connectome = sp.coo_matrix((w.astype(np.float32), (pre, post)), shape=(n, n))  # W[pre, post]
    group_of = rng.integers(0, args.groups, n)
    groups = [f"g{g:02d}" for g in range(args.groups)]
    idx_to_group = {i: groups[g] for i, g in enumerate(group_of)}
    slopes = dict(zip(groups, rng.uniform(1.0, 5.0, args.groups).round(3).tolist()))
    biases = dict(zip(groups, rng.uniform(0.0, 0.1, args.groups).round(3).tolist()))  # >= 0: the peer uses |bias|
    sensory = np.sort(rng.choice(n, args.sensory, replace=False))
    inputs = rng.random((args.batch, args.sensory, args.layers)).astype(np.float32)
    act_neurons = rng.choice(n, 20, replace=False)
    act_targets = {args.layers - 1: {int(i): 0.5 for i in act_neurons}}
    b, k = np.meshgrid(np.arange(args.batch), np.arange(50), indexing="ij")
    train_neurons = rng.choice(n, 50, replace=False)
    train_targets = pd.DataFrame({"batch": b.ravel(), "neuron_idx": train_neurons[k.ravel()],
                                  "layer": rng.integers(0, args.layers, b.size),
                                  "value": rng.uniform(0.2, 0.8, b.size).round(3)})
    return dict(connectome=connectome, idx_to_group=idx_to_group, slopes=slopes, biases=biases,
                sensory=sensory, inputs=inputs, act_targets=act_targets, train_targets=train_targets)


def run_multiarea(args, out_path, queue):
    import jax

    import multiarea as ma  # noqa: F401  (the package's own setup)
    from multiarea.fitting import TargetActivation, activation_maximisation, train_model
    from multiarea.rate.layered import LayeredConnectomeNet

    prob = make_problem(args)
    t0 = time.perf_counter()
    net = LayeredConnectomeNet(prob["connectome"], prob["sensory"], pre_in="rows", num_layers=args.layers,
                               threshold=0.01, idx_to_group=prob["idx_to_group"], slope_dict=prob["slopes"],
                               bias_dict=prob["biases"], backend=args.backend)
    build_s = time.perf_counter() - t0
    acts = jax.block_until_ready(net.apply(net.params, prob["inputs"]))
    t0 = time.perf_counter()
    acts = jax.block_until_ready(net.apply(net.params, prob["inputs"]))
    forward_s = time.perf_counter() - t0
    np.save(out_path, np.asarray(acts))
    targets = TargetActivation(prob["act_targets"], batch_size=args.batch)
    am_s, train_s = [], []
    for n in (args.iterations, 1, args.iterations):  # first (cold) call, then warm t_1 and t_N
        t0 = time.perf_counter()
        res = activation_maximisation(net, targets, prob["inputs"], num_iterations=n, early_stopping=False,
                                      progress=False)
        am_s.append(time.perf_counter() - t0)
    for n in (args.iterations, 1, args.iterations):
        t0 = time.perf_counter()
        tr = train_model(net, prob["inputs"], prob["train_targets"], num_epochs=n, progress=False)
        train_s.append(time.perf_counter() - t0)
    queue.put(dict(build_s=build_s, forward_s=forward_s, am_s=am_s, train_s=train_s, peak_rss_mb=peak_rss_mb(),
                   am_loss=(float(res.activation_loss[0]), float(res.activation_loss[-1])),
                   train_loss=(float(tr.history["activation_loss"][0]), float(tr.history["activation_loss"][-1]))))


def run_peer(args, out_path, queue):
    os.environ["TQDM_DISABLE"] = "1"
    import torch
    from connectome_interpreter.activation_maximisation import (MultilayeredNetwork, TargetActivation,
                                                                activation_maximisation, train_model)

    prob = make_problem(args)
    def make_model():
        return MultilayeredNetwork(prob["connectome"].T.tocoo(), prob["sensory"], num_layers=args.layers,
                                   threshold=0.01, idx_to_group=prob["idx_to_group"], slope_dict=prob["slopes"],
                                   bias_dict=prob["biases"], device=torch.device("cpu"))

    t0 = time.perf_counter()
    model = make_model()
    build_s = time.perf_counter() - t0
    inputs = torch.tensor(prob["inputs"])
    with torch.no_grad():
        model(inputs)
        t0 = time.perf_counter()
        acts = model(inputs).numpy()
        forward_s = time.perf_counter() - t0
    np.save(out_path, acts)
    targets = TargetActivation(prob["act_targets"], batch_size=args.batch)
    am_s, train_s = [], []
    with contextlib.redirect_stdout(io.StringIO()):
        for n in (args.iterations, 1, args.iterations):  # first (cold) call, then warm t_1 and t_N
            t0 = time.perf_counter()
            _, _, act_loss, *_ = activation_maximisation(model, targets, inputs.clone(), num_iterations=n,
                                                         early_stopping=False, use_tqdm=False, print_output=False,
                                                         device=torch.device("cpu"))
            am_s.append(time.perf_counter() - t0)
        for n in (args.iterations, 1, args.iterations):
            model = make_model()  # train_model trains in place: start each call from the same parameters
            t0 = time.perf_counter()
            _, history, *_ = train_model(model, inputs, prob["train_targets"], num_epochs=n)
            train_s.append(time.perf_counter() - t0)
    queue.put(dict(build_s=build_s, forward_s=forward_s, am_s=am_s, train_s=train_s, peak_rss_mb=peak_rss_mb(),
                   am_loss=(act_loss[0], act_loss[-1]), train_loss=(history["mse_loss"][0], history["mse_loss"][-1]),
                   torch=torch.__version__))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=20_000)
    ap.add_argument("--synapses", type=int, default=1_000_000)
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--sensory", type=int, default=500)
    ap.add_argument("--groups", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backend", default=None, help="multiarea op backend (taichi, jax)")
    ap.add_argument("--no-peer", action="store_true", help="skip connectome_interpreter")
    args = ap.parse_args(argv)

    print(f"fitting: {args.neurons} neurons, {args.synapses} synapses, {args.layers} layers, batch {args.batch}, "
          f"{args.iterations} iterations of activation maximisation and of train_model")
    peer_reason = "skipped (--no-peer)" if args.no_peer else peer_missing("torch", "connectome_interpreter")
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"multiarea": os.path.join(tmp, "ours.npy"), "connectome_interpreter": os.path.join(tmp, "peer.npy")}
        rows = {"multiarea": in_subprocess(run_multiarea, args, paths["multiarea"])}
        if peer_reason is None:
            rows["connectome_interpreter"] = in_subprocess(run_peer, args, paths["connectome_interpreter"])
            diff = np.abs(np.load(paths["multiarea"]) - np.load(paths["connectome_interpreter"])).max()
    for r in rows.values():  # steady seconds per iteration: (t_N - t_1) / (N - 1)
        r["am_it"], r["train_it"] = ((t[2] - t[1]) / max(args.iterations - 1, 1) for t in (r["am_s"], r["train_s"]))
    print(f"{'':24} {'build s':>8} {'forward s':>9} {'act-max cold/warm s':>19} {'ms/it':>7} "
          f"{'train cold/warm s':>17} {'ms/it':>7} {'peak RSS MB':>11}")
    for name, r in rows.items():
        am, tr = r["am_s"], r["train_s"]
        print(f"{name:24} {r['build_s']:8.2f} {r['forward_s']:9.4f} {am[0]:10.2f}/{am[2]:<8.2f} "
              f"{1e3 * r['am_it']:7.1f} {tr[0]:8.2f}/{tr[2]:<8.2f} {1e3 * r['train_it']:7.1f} "
              f"{r['peak_rss_mb']:11.0f}")
    print("(cold: first call of N iterations, incl. compilation; warm: the same call again; "
          "ms/it: steady time per iteration, (t_N - t_1) / (N - 1))")
    for name, r in rows.items():
        print(f"{name:24} activation loss (act-max) {r['am_loss'][0]:.4f} -> {r['am_loss'][1]:.4f}; "
              f"(train_model) {r['train_loss'][0]:.4f} -> {r['train_loss'][1]:.4f}")
    if peer_reason is not None:
        print(f"connectome_interpreter: not run: {peer_reason}")
        return
    ours, peer = rows["multiarea"], rows["connectome_interpreter"]
    print(f"forward activations, max abs difference multiarea vs connectome_interpreter: {diff:.2e}")
    print(f"ratio connectome_interpreter / multiarea (torch {peer['torch']}): "
          f"forward {peer['forward_s'] / ours['forward_s']:.1f}x, peak RSS {peer['peak_rss_mb'] / ours['peak_rss_mb']:.2f}x")
    for label, key in (("activation maximisation", "am"), ("train_model", "train")):
        print(f"  {label}: cold call {peer[key + '_s'][0] / ours[key + '_s'][0]:.1f}x, "
              f"warm call {peer[key + '_s'][2] / ours[key + '_s'][2]:.1f}x, "
              f"steady per iteration {peer[key + '_it'] / ours[key + '_it']:.1f}x")


if __name__ == "__main__":
    main()
