"""Benchmark: the cortical microcircuit (Potjans & Diesmann 2014) in multiarea vs NEST 3.9.

One invocation runs, one after the other on the same machine:

* **multiarea** in this process: build (:func:`multiarea.potjans2014.build_network`:
  connectivity tables, Poisson tables), the kernel's first call (compile or
  load from the cache), ``--t-presim`` ms of transient, then ``--t-sim`` ms
  timed with every spike recorded; the per-phase profile (neuron updates
  alone, ``deliver=False``; delivery = the rest) as ns per neuron-step and per
  synaptic event; peak RSS (``ru_maxrss``);
* **NEST 3.9** (with ``--nest-python``, the interpreter
  ``benchmarks/setup_nest.sh`` builds): ``benchmarks/_nest_microcircuit.py``
  in its own process, the same model and schedule with ``--nest-threads``
  threads (NEST 3.9 needs >= 3 at full scale).

It prints real-time factors (wall seconds per model second), build times,
peak memory, the per-population rates, ISI CVs and correlations of both, and
the Kolmogorov-Smirnov distance between the two simulators' per-neuron
distributions of each statistic (how simulators are compared on this model;
``multiarea.spiking.analysis.population_distributions``: 2 ms bins, 250-neuron
samples).

    python benchmarks/potjans2014.py --scale 1.0 --nest-python .peers/nest-python
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def run_multiarea(args) -> dict:
    from multiarea.potjans2014.network import build_network
    from multiarea.spiking import SpikeRecord, simulate_populations
    from multiarea.spiking.runners.population_kernel import PopulationKernelRunner

    t0 = time.perf_counter()
    net = build_network(args.scale, args.background, args.seed)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    runner = PopulationKernelRunner(net)
    runner.run(1)
    first_call_s = time.perf_counter() - t0
    simulate_populations(net, args.t_presim - net.dt, progress_bar=False, runner=runner)
    t0 = time.perf_counter()
    record = simulate_populations(net, args.t_sim, progress_bar=False, runner=runner)
    sim_s = time.perf_counter() - t0
    events = net.synaptic_events(record)
    profile_steps = int(round(min(args.t_sim, 200.0) / net.dt))
    updates_only = PopulationKernelRunner(net, deliver=False)
    updates_only.run(1)
    t0 = time.perf_counter()
    updates_only.run(profile_steps)
    update_s = (time.perf_counter() - t0) * record.n_steps / profile_steps
    presim = int(round(args.t_presim / net.dt))
    shifted = SpikeRecord(record.steps + presim, record.neurons, record.n_steps + presim, record.dt, record.keys,
                          record.first, record.sizes)
    return dict(record=shifted, build_s=build_s, first_call_s=first_call_s, sim_s=sim_s,
                rtf=sim_s / (args.t_sim * 1e-3), peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
                events=float(events), update_ns=update_s / (record.n_steps * net.num) * 1e9,
                delivery_ns=(sim_s - update_s) / events * 1e9 if events else float("nan"),
                n_neurons=net.num, n_synapses=int(sum(s.counts.sum() for s in net.specs)))


def run_nest(args, out: Path) -> dict:
    cmd = [args.nest_python, str(ROOT / "benchmarks" / "_nest_microcircuit.py"), "--scale", str(args.scale),
           "--threads", str(args.nest_threads), "--background", args.background, "--t-presim", str(args.t_presim),
           "--t-sim", str(args.t_sim), "--seed", str(args.seed), "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"NEST failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


def nest_record(path: Path, dt: float):
    from multiarea.potjans2014.network import AREA
    from multiarea.spiking import SpikeRecord

    with np.load(path) as f:
        names = [str(n) for n in f["populations"]]
        sizes = f["n_neurons"].astype(np.int64)
        first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        steps, neurons = [], []
        for i, name in enumerate(names):
            steps.append(np.rint(f[f"times_{name}"] / dt).astype(np.int64) - 1)  # NEST stamps (s + 1) dt
            neurons.append(f[f"senders_{name}"].astype(np.int64) + first[i])
        n_steps = int(round((float(f["t_presim"]) + float(f["t_sim"])) / dt))
    steps, neurons = np.concatenate(steps), np.concatenate(neurons)
    order = np.lexsort((neurons, steps))
    return SpikeRecord(steps[order].astype(np.int32), neurons[order].astype(np.int32), n_steps, dt,
                       tuple(f"{AREA}/{n}" for n in names), first, sizes)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--background", choices=("poisson", "dc"), default="poisson")
    p.add_argument("--t-presim", type=float, default=500.0, help="ms of transient (not analysed)")
    p.add_argument("--t-sim", type=float, default=1000.0, help="ms timed and analysed")
    p.add_argument("--seed", type=int, default=55)
    p.add_argument("--nest-python", default=None, help="NEST's interpreter (benchmarks/setup_nest.sh)")
    p.add_argument("--nest-threads", type=int, default=4)
    args = p.parse_args(argv)

    from scipy.stats import ks_2samp

    from multiarea.spiking.analysis import population_distributions

    ours = run_multiarea(args)
    window = dict(start_ms=args.t_presim, stop_ms=args.t_presim + args.t_sim)
    dists = {"multiarea": population_distributions(ours.pop("record"), **window)}
    print(f"microcircuit, scale {args.scale}, {args.background} background, {args.t_presim:g} ms transient + "
          f"{args.t_sim:g} ms timed, seed {args.seed}")
    print(f"multiarea: {ours['n_neurons']} neurons, {ours['n_synapses']} synapses; build {ours['build_s']:.1f} s, "
          f"first call {ours['first_call_s']:.1f} s, simulation {ours['sim_s']:.1f} s -> real-time factor "
          f"{ours['rtf']:.2f}; peak RSS {ours['peak_rss_gb']:.2f} GB")
    print(f"  {ours['events']:.3g} synaptic events ({ours['events'] / args.t_sim * 1e3:.3g} per model second, "
          f"{ours['events'] / ours['sim_s']:.3g} per wall second); neuron update {ours['update_ns']:.2f} ns per "
          f"neuron-step, delivery {ours['delivery_ns']:.2f} ns per event (wall, all threads)")
    nest = None
    if args.nest_python:
        with tempfile.TemporaryDirectory() as tmp:
            nest = run_nest(args, Path(tmp) / "nest.npz")
            dists["NEST"] = population_distributions(nest_record(Path(tmp) / "nest.npz", 0.1), **window)
        print(f"NEST {nest['nest_version']} ({args.nest_threads} threads): build {nest['build_s']:.1f} s, "
              f"simulation {nest['sim_s']:.1f} s -> real-time factor {nest['rtf']:.2f}; peak RSS "
              f"{nest['peak_rss_gb']:.2f} GB; launch to exit {nest['wall_s']:.1f} s")
        print(f"ratios NEST / multiarea: simulation {nest['sim_s'] / ours['sim_s']:.2f}x, build "
              f"{nest['build_s'] / ours['build_s']:.2f}x, memory {nest['peak_rss_gb'] / ours['peak_rss_gb']:.1f}x")
    stats = ("rate_hz", "cv_isi", "corr")
    header = f"{'population':>10} " + " ".join(f"{s + ' ' + sim:>18}" for s in stats for sim in dists)
    if nest:
        header += " " + " ".join(f"{'KS ' + s:>10}" for s in stats)
    print(header)
    for key in dists["multiarea"]:
        cells = [f"{dists[sim][key][s].mean():18.4f}" if dists[sim][key][s].size else f"{'-':>18}"
                 for s in stats for sim in dists]
        if nest:
            cells += [f"{ks_2samp(dists['multiarea'][key][s], dists['NEST'][key][s]).statistic:10.3f}"
                      if dists['multiarea'][key][s].size and dists['NEST'][key][s].size else f"{'-':>10}"
                      for s in stats]
        print(f"{key.rpartition('/')[2]:>10} " + " ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
