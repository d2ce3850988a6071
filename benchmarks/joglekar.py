"""Benchmark: the Joglekar et al. (2018) model in multiarea vs plain BrainPy 2.8.

Runs, one after the other in fresh subprocesses of this run (so each gets its
own peak-RSS figure and the whole machine), the same model in

* multiarea (``load_model('joglekar2018', regime=...)``, backend of your
  choice), and
* the peer: the model as a plain BrainPy 2.8 user writes it
  (``benchmarks/_brainpy_peer.py``: brainpy LIF populations, LengthDelay, one
  ``brainpy.math.jitconn.event_mv_prob_homo`` call per source area over all
  target areas, scaled per target area),

and prints compile time, steps/s, synaptic events per step, peak RSS and the
ratios.  Timing follows the peer module: a 1-step warm-up run (trace + compile
+ 1 step), then the main run; DSRunner re-compiles for the main run, and that
compile time (from ``jax.monitoring``) is subtracted for steady steps/s.

    python benchmarks/joglekar.py --areas 29 --duration 950
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _harness import in_subprocess, peak_rss_mb  # noqa: E402


def _timed_runs(runner_factory, n_steps, dt):
    """Warm-up (1 step) then main run; returns timings and per-step E/I counts."""
    import jax.monitoring
    from _brainpy_peer import _compile_listener

    runner, inputs_for = runner_factory()
    t0 = time.perf_counter()
    runner.run(dt, **inputs_for(0, 1))
    compile_s = time.perf_counter() - t0
    first = {k: np.asarray(v) for k, v in runner.mon.items() if k != "ts"}
    sink = [0.0]
    listener = _compile_listener(sink)
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        t0 = time.perf_counter()
        runner.run((n_steps - 1) * dt, **inputs_for(1, n_steps))
        run_s = time.perf_counter() - t0
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
    counts = {k: np.concatenate([first[k], np.asarray(runner.mon[k])]) for k in first}
    return dict(compile_s=compile_s, run_s=run_s, recompile_s=sink[0],
                steps_per_s=(n_steps - 1) / max(run_s - sink[0], 1e-9), counts=counts)


def run_multiarea(args, queue):
    import brainpy as bp
    import brainpy.math as bm
    import multiarea as ma

    if args.backend:
        ma.ops.set_backend(args.backend)
    model = ma.load_model("joglekar2018", regime=args.regime, n_areas=args.areas,
                          neurons_per_area=args.neurons, p=args.p)
    bm.set_dt(model.dt)
    t0 = time.perf_counter()
    net = model.build()
    build_s = time.perf_counter() - t0
    n_steps = int(round(args.duration / model.dt))

    def factory():
        runner = bp.DSRunner(net, monitors={"E": lambda: net.E.spike.sum(axis=1),
                                            "I": lambda: net.I.spike.sum(axis=1)},
                             inputs=[model.stimulus(net)], dt=model.dt, progress_bar=False)
        return runner, lambda a, b: {}

    res = _timed_runs(factory, n_steps, model.dt)
    # synaptic events: each spike times the expected fan-out of its neuron
    n_E, n_I = net.E.size[1], net.I.size[1]
    fan_E = model.params["p"] * (n_E * net.EE.plan.pair_mask.sum(0) + n_I * net.EI.plan.pair_mask.sum(0))
    fan_I = model.params["p"] * (n_E + n_I)
    events = res["counts"]["E"] @ fan_E + res["counts"]["I"].sum(axis=1) * fan_I
    res.update(build_s=build_s, events_per_step=float(events.mean()), peak_rss_mb=peak_rss_mb(),
               backend=ma.ops.get_backend(), rate_E=res["counts"]["E"].sum(0) / (n_E * args.duration * 1e-3))
    queue.put(res)


def run_peer(args, queue):
    import brainpy.math as bm
    from _brainpy_peer import _load_joglekar, build_brainpy_peer, run_brainpy_peer
    import multiarea as ma

    model = ma.load_model("joglekar2018", regime=args.regime, n_areas=args.areas,
                          neurons_per_area=args.neurons, p=args.p)
    p = model.params
    n_E = int(round(p["neurons_per_area"] * p["excitatory_fraction"]))
    bm.set_dt(model.dt)
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
                   recompile_s=r["run_recompile_s"], steps_per_s=r["steps_per_s"],
                   peak_rss_mb=peak_rss_mb(), rate_E=r["rate_E_hz"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--areas", type=int, default=29)
    ap.add_argument("--duration", type=float, default=950.0, help="simulated ms")
    ap.add_argument("--regime", default="asynchronous-weak")
    ap.add_argument("--neurons", type=int, default=2000, help="neurons per area")
    ap.add_argument("--p", type=float, default=0.1, help="connection probability")
    ap.add_argument("--backend", default=None, help="multiarea op backend")
    ap.add_argument("--no-peer", action="store_true", help="skip the BrainPy peer")
    args = ap.parse_args(argv)

    print(f"Joglekar 2018, {args.regime}: {args.areas} areas x {args.neurons} neurons, "
          f"p={args.p}, {args.duration} ms, dt 0.1 ms")
    rows = {"multiarea": in_subprocess(run_multiarea, args)}
    if not args.no_peer:
        rows["brainpy-2.8"] = in_subprocess(run_peer, args)
    print(f"{'':12} {'build s':>8} {'compile s':>9} {'total s':>8} {'steps/s':>9} {'peak RSS MB':>11}")
    for name, r in rows.items():
        total = r["build_s"] + r["compile_s"] + r["run_s"]
        r["total_s"] = total
        print(f"{name:12} {r['build_s']:8.2f} {r['compile_s']:9.2f} {total:8.2f} "
              f"{r['steps_per_s']:9.1f} {r['peak_rss_mb']:11.0f}")
    ours = rows["multiarea"]
    ns_per_event = 1e9 / (ours["steps_per_s"] * ours["events_per_step"]) if ours["events_per_step"] else float("nan")
    print(f"multiarea backend {ours['backend']}: {ours['events_per_step']:.0f} synaptic events/step, "
          f"{ns_per_event:.1f} ns/event (whole step time / events)")
    print("multiarea mean E rate per area (Hz): " + " ".join(f"{x:.2f}" for x in ours["rate_E"]))
    if "brainpy-2.8" in rows:
        peer = rows["brainpy-2.8"]
        print("brainpy    mean E rate per area (Hz): " + " ".join(f"{x:.2f}" for x in peer["rate_E"]))
        print(f"ratio multiarea / brainpy-2.8: end to end {peer['total_s'] / ours['total_s']:.2f}x, "
              f"steady steps/s {ours['steps_per_s'] / peer['steps_per_s']:.2f}x")


if __name__ == "__main__":
    main()
