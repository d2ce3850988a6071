"""Benchmark: the Joglekar et al. (2018) model in multiarea vs plain BrainPy 2.8.

Everything runs in this one invocation, each side in a fresh process (own
peak RSS, the whole machine), one after the other:

* **user path** (the headline): the command line users run,
  ``multiarea run joglekar2018 --regime R --areas A --duration D --out DIR``
  (wall clock from launch to exit: imports, build, compile, the run with
  every spike recorded, the raster/rates/CSV it writes); and ``simulate``
  in a script (build + run + recording of every spike);
* **bare loop**: the whole-step kernel alone (``KernelRunner.run``,
  1000 steps per call, spike words not converted), steady steps/s;
* **per-phase profile** of a step on the kernel path: neuron update (LIF,
  noise, refractoriness, spike words), synaptic delivery, call overhead
  (XLA dispatch, state in/out) and recording (word -> (step, neuron)
  conversion and Python), each measured, not modelled;
* the **DSRunner path** (``simulate(method="dsrunner")``: the per-step XLA
  scan with the Taichi delivery op, what ``simulate`` ran before the kernel);
* the **peer**: the model as a plain BrainPy 2.8 user writes it
  (``benchmarks/_brainpy_peer.py``), build + compile + run;
* with ``--brian2-python``, **Brian2's C++ code** (``cpp_standalone``, OpenMP
  with ``--brian2-threads``, synapses stored): the published model's
  construction (``_brian2_original.py``) timed from launch to exit, and the
  binary's own simulation loop.  Brian2 2.9 needs ``numpy<2``, so it runs
  under its own interpreter (``benchmarks/setup_brian2.sh`` makes it).

Ratios are peer time / our time in the same run.  The BrainPy peer's
end-to-end time excludes its Python imports; ours (the CLI) and Brian2's
include them.

    python benchmarks/joglekar.py --areas 29 --duration 950
    python benchmarks/joglekar.py --brian2-python .peers/brian2/bin/python
    python benchmarks/joglekar.py --brian2-python .peers/brian2/bin/python --brian2-build-dir .peers/brian2-build
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _harness import in_subprocess, peak_rss_mb  # noqa: E402


def _model(args):
    import brainpy.math as bm
    import multiarea as ma

    model = ma.load_model("joglekar2018", regime=args.regime, n_areas=args.areas,
                          neurons_per_area=args.neurons, p=args.p)
    bm.set_dt(model.dt)
    return model


def _events_per_step(net, p, spikes_E, spikes_I):
    """Synaptic events per step from per-step E/I spike counts per area."""
    n_E, n_I = net.E.size[1], net.I.size[1]
    fan_E = p * (n_E * net.EE.plan.pair_mask.sum(0) + n_I * net.EI.plan.pair_mask.sum(0))
    fan_I = p * (n_E + n_I)
    return spikes_E @ fan_E + spikes_I.sum(axis=1) * fan_I


def run_cli(args) -> dict:
    """The command line, timed from launch to exit (a child process)."""
    with tempfile.TemporaryDirectory() as out:
        cmd = ["multiarea", "run", "joglekar2018", "--regime", args.regime, "--areas", str(args.areas),
               "--duration", str(args.duration), "--out", out, "--quiet"]
        if args.neurons != 2000 or args.p != 0.1:
            raise SystemExit("the CLI runs the published size (2000 neurons, p = 0.1)")
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return dict(total_s=wall, peak_rss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                command=" ".join(cmd[:-4] + ["--out", "DIR", "--quiet"]))


def run_simulate(args, queue, method="kernel"):
    import multiarea as ma

    model = _model(args)
    t0 = time.perf_counter()
    net = model.build()
    build_s = time.perf_counter() - t0
    record = ma.simulate(net, args.duration, inputs=[model.stimulus(net)], progress_bar=False,
                         chunk_ms=100.0, method=method)
    total_s = time.perf_counter() - t0
    queue.put(dict(build_s=build_s, total_s=total_s, spikes=int(record.steps.size),
                   peak_rss_mb=peak_rss_mb()))


def run_dsrunner(args, queue):
    run_simulate(args, queue, method="dsrunner")


def run_kernel(args, queue):
    """Bare kernel loop and the per-phase profile of a step."""
    from multiarea.spiking.runners import KernelRunner
    from multiarea.spiking.spike_words import words_to_pairs, words_to_spikes

    model = _model(args)
    n_steps = int(round(args.duration / model.dt))
    calls = [(a, min(a + 1000, n_steps)) for a in range(0, n_steps, 1000)]

    def loop(deliver):
        net = model.build()
        kernel = KernelRunner(net, [model.stimulus(net)], deliver=deliver)
        t0 = time.perf_counter()
        kernel.run(1)  # trace + compile + 1 step
        first_s = time.perf_counter() - t0
        words, run_s = [], 0.0
        for a, b in calls:
            t0 = time.perf_counter()
            words.append(kernel.run(b - a))
            run_s += time.perf_counter() - t0
        return net, kernel, np.concatenate(words), first_s, run_s

    net, kernel, words, compile_s, run_s = loop(True)
    profile = getattr(args, "profile", True)
    _, _, _, _, neuron_s = loop(False) if profile else (None,) * 4 + (float("nan"),)
    # per-call overhead: 200 calls of 4 steps (one launch each) vs the same 800
    # steps in one call, both shapes compiled beforehand
    few, many = 4, 800
    kernel.run(few), kernel.run(many)
    t0 = time.perf_counter()
    for _ in range(200):
        kernel.run(few)
    small_calls = time.perf_counter() - t0
    t0 = time.perf_counter()
    kernel.run(many)
    one_call = time.perf_counter() - t0
    call_overhead_s = (small_calls - one_call) / 199
    # recording: converting the words of the whole run to (step, neuron) pairs
    t0 = time.perf_counter()
    for (a, b) in calls:
        words_to_pairs(words[a:b], kernel.word_neurons, a)
    convert_s = time.perf_counter() - t0

    spikes_E, spikes_I = (s.sum(-1) for s in words_to_spikes(words, net.n_areas, net.E.size[1], net.I.size[1]))
    events = _events_per_step(net, model.params["p"], spikes_E, spikes_I)
    steps = words.shape[0]
    queue.put(dict(compile_s=compile_s, run_s=run_s, steps_per_s=steps / run_s,
                   events_per_step=float(events.mean()), steps=steps,
                   neuron_ms=1e3 * neuron_s / steps, step_ms=1e3 * run_s / steps,
                   call_overhead_ms=1e3 * call_overhead_s, calls=len(calls),
                   convert_ms=1e3 * convert_s / steps, peak_rss_mb=peak_rss_mb(),
                   rate_E=spikes_E.sum(0) / (net.E.size[1] * args.duration * 1e-3)))


def run_brian2(args, queue):
    """Brian2 ``cpp_standalone`` in a child process of this one (its peak RSS
    is this process's largest child)."""
    from multiarea.data import data_dir

    model = _model(args)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "spikes.npz")
        cmd = [args.brian2_python, os.path.join(HERE, "_brian2_original.py"), str(data_dir() / "joglekar2018"),
               str(args.areas), str(model.params["seed"]), str(args.duration), out, "legacy", args.regime,
               "--device", "cpp_standalone", "--threads", str(args.brian2_threads),
               "--build-dir", args.brian2_build_dir or os.path.join(tmp, "build")]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
        n_E = int(round(model.params["neurons_per_area"] * model.params["excitatory_fraction"]))
        with np.load(out) as f:
            area = f["i_E"] // n_E
            rate_E = np.bincount(area, minlength=args.areas) / (n_E * args.duration * 1e-3)
            queue.put(dict(total_s=wall, build_s=float(f["build_s"]), compile_s=float(f["compile_s"]),
                           run_s=float(f["run_s"]), rate_E=rate_E,
                           peak_rss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))


def run_peer(args, queue):
    from _brainpy_peer import _load_joglekar, build_brainpy_peer, run_brainpy_peer

    model = _model(args)
    p = model.params
    n_E = int(round(p["neurons_per_area"] * p["excitatory_fraction"]))
    hier, fln, delay = _load_joglekar(args.areas)
    params = {k: p[k] for k in ("VextE", "VextI", "muIE", "muEE", "wII", "wEE", "wIE", "wEI",
                                "alpha", "p", "sigma", "tau_E", "tau_I", "tau_ref", "V_rest",
                                "V_reset", "V_th")}
    params["local_delay"] = p["local_delay_ms"]
    t0 = time.perf_counter()
    net = build_brainpy_peer(hier, fln, delay, params, n_E=n_E, n_I=p["neurons_per_area"] - n_E)
    build_s = time.perf_counter() - t0
    r = run_brainpy_peer(net, args.duration, p["stimulus_mV"], p["stimulus_start_ms"],
                         p["stimulus_duration_ms"], dt=model.dt)
    queue.put(dict(build_s=build_s, compile_s=r["compile_s"], run_s=r["run_s"],
                   total_s=build_s + r["compile_s"] + r["run_s"], steps_per_s=r["steps_per_s"],
                   peak_rss_mb=peak_rss_mb(), rate_E=r["rate_E_hz"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--areas", type=int, default=29)
    ap.add_argument("--duration", type=float, default=950.0, help="simulated ms")
    ap.add_argument("--regime", default="asynchronous-weak")
    ap.add_argument("--neurons", type=int, default=2000, help="neurons per area")
    ap.add_argument("--p", type=float, default=0.1, help="connection probability")
    ap.add_argument("--no-peer", action="store_true", help="skip the BrainPy peer")
    ap.add_argument("--no-dsrunner", action="store_true", help="skip the DSRunner path")
    ap.add_argument("--brian2-python", help="interpreter with Brian2 (benchmarks/setup_brian2.sh): "
                                            "adds Brian2 cpp_standalone as a peer")
    ap.add_argument("--brian2-threads", type=int, default=2, help="OpenMP threads of Brian2's C++ code")
    ap.add_argument("--brian2-build-dir", help="keep Brian2's generated code and objects here and reuse them "
                                               "(make recompiles only changed files; a cold 29-area build "
                                               "compiles 5,834 files, over an hour on 2 cores)")
    args = ap.parse_args(argv)

    print(f"Joglekar 2018, {args.regime}: {args.areas} areas x {args.neurons} neurons, "
          f"p={args.p}, {args.duration} ms, dt 0.1 ms", flush=True)
    published = args.neurons == 2000 and args.p == 0.1
    if args.brian2_python and not published:
        raise SystemExit("the Brian2 peer runs the published size (2000 neurons, p = 0.1)")
    cli = run_cli(args) if published else None
    sim = in_subprocess(run_simulate, args)
    ker = in_subprocess(run_kernel, args)
    dsr = None if args.no_dsrunner else in_subprocess(run_dsrunner, args)
    peer = None if args.no_peer else in_subprocess(run_peer, args)
    brian2 = in_subprocess(run_brian2, args) if args.brian2_python else None
    steps = ker["steps"]

    print(f"\n{'path':44} {'total s':>8} {'steps/s':>8} {'peak RSS MB':>11}")
    if cli:
        print(f"{'CLI (user path, records every spike)':44} {cli['total_s']:8.2f} "
              f"{steps / cli['total_s']:8.0f} {cli['peak_rss_mb']:11.0f}")
    print(f"{'simulate() in a script (build + run + record)':44} {sim['total_s']:8.2f} "
          f"{steps / sim['total_s']:8.0f} {sim['peak_rss_mb']:11.0f}")
    print(f"{'bare kernel loop (steady, no conversion)':44} {ker['run_s']:8.2f} "
          f"{ker['steps_per_s']:8.0f} {ker['peak_rss_mb']:11.0f}")
    if dsr:
        print(f"{'simulate(method=dsrunner) (the path before)':44} {dsr['total_s']:8.2f} "
              f"{steps / dsr['total_s']:8.0f} {dsr['peak_rss_mb']:11.0f}")
    if peer:
        print(f"{'brainpy-2.8 peer: build + compile + run':44} {peer['total_s']:8.2f} "
              f"{steps / peer['total_s']:8.0f} {peer['peak_rss_mb']:11.0f}")
        print(f"{'brainpy-2.8 peer: steady (compile excluded)':44} {'':8} {peer['steps_per_s']:8.0f}")
    if brian2:
        print(f"{'brian2 cpp_standalone: launch to exit':44} {brian2['total_s']:8.2f} "
              f"{steps / brian2['total_s']:8.0f} {brian2['peak_rss_mb']:11.0f}")
        print(f"{'brian2 cpp_standalone: simulation loop':44} {brian2['run_s']:8.2f} "
              f"{steps / brian2['run_s']:8.0f}   (build {brian2['build_s']:.1f} s, "
              f"code generation + compile {brian2['compile_s']:.1f} s"
              f"{' with the objects in ' + args.brian2_build_dir if args.brian2_build_dir else ''}, "
              f"{args.brian2_threads} threads)")

    step = ker["step_ms"]
    delivery = step - ker["neuron_ms"]
    overhead = ker["call_overhead_ms"] * ker["calls"] / steps
    print(f"\nper-phase profile of a step, kernel path (mean over {steps} steps, "
          f"{ker['events_per_step']:.0f} synaptic events/step):")
    for name, ms in (("neuron update (LIF, noise, spike words)", ker["neuron_ms"]),
                     ("synaptic delivery (4 fused projections)", delivery),
                     ("call overhead (1000 steps/call)", overhead),
                     ("recording (words -> (step, neuron) pairs)", ker["convert_ms"])):
        print(f"  {name:44} {1e3 * ms:8.1f} us")
    print(f"  {'per synaptic event (delivery / events)':44} {1e6 * delivery / ker['events_per_step']:8.1f} ns")
    print(f"  kernel compile + first step {ker['compile_s']:.2f} s; one custom call costs "
          f"{1e3 * ker['call_overhead_ms']:.0f} us beyond its steps")

    if peer or brian2:
        print()
        for name, r in (("multiarea", ker), ("brainpy", peer), ("brian2", brian2)):
            if r:
                print(f"{name:10} mean E rate per area (Hz): " + " ".join(f"{x:.2f}" for x in r["rate_E"]))
    if peer:
        print("\nratios (brainpy-2.8 / multiarea, same run):")
        if cli:
            print(f"  CLI end to end            {peer['total_s'] / cli['total_s']:6.2f}x")
        print(f"  simulate() end to end     {peer['total_s'] / sim['total_s']:6.2f}x")
        print(f"  steady steps/s            {ker['steps_per_s'] / peer['steps_per_s']:6.2f}x")
        if dsr:
            print(f"  DSRunner path end to end  {peer['total_s'] / dsr['total_s']:6.2f}x")

    if brian2:
        print("\nratios (brian2 cpp_standalone / multiarea, same run):")
        if cli:
            print(f"  CLI vs launch to exit     {brian2['total_s'] / cli['total_s']:6.2f}x")
        print(f"  its loop vs simulate() after the build (compile + loop + recording)  "
              f"{brian2['run_s'] / (sim['total_s'] - sim['build_s']):6.2f}x")
        print(f"  its loop vs bare kernel loop  {brian2['run_s'] / ker['run_s']:6.2f}x")
        print(f"  peak RSS (brian2 / CLI)   {brian2['peak_rss_mb'] / (cli or sim)['peak_rss_mb']:6.2f}x")


if __name__ == "__main__":
    main()
