"""Benchmark: the multi-area model of Schmidt et al. (2018) on this machine.

Runs a model folder written by ``multiarea import-mam`` (the user's own
import of INM-6/multi-area-model, CC BY-NC-SA 4.0: not bundled) on the
population kernel and prints build time, time per model second, the phases
of a step (neuron updates alone, ``deliver=False``; delivery = the rest),
synaptic events per second, peak RSS sampled over the run, and per-area,
per-population rates (Hz) and ISI CVs over the analysed interval.

    multiarea import-mam multi-area-model --out mam-full --regime ground-state
    python benchmarks/mam.py mam-full --t-presim 500 --t-sim 1000

No peer runs the full model on one CPU machine; the published anchors for
one model second of the ground state are in ``docs/schmidt2018.md``.
"""
from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np


class PeakRSS:
    """Samples the resident set size (``/proc/self/statm``) every 0.2 s."""

    def __init__(self):
        self.peak_gb, self._stop = 0.0, threading.Event()
        self._page = resource.getpagesize()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.2):
            with open("/proc/self/statm") as f:
                self.peak_gb = max(self.peak_gb, int(f.read().split()[1]) * self._page / 1e9)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.peak_gb, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", type=Path, help="a folder written by multiarea import-mam")
    p.add_argument("--t-presim", type=float, default=500.0, help="ms of transient, not analysed")
    p.add_argument("--t-sim", type=float, default=1000.0, help="ms timed and analysed")
    p.add_argument("--profile-ms", type=float, default=10.0, help="ms of neuron updates alone (the profile)")
    args = p.parse_args(argv)

    import multiarea as ma
    from multiarea.spiking.runners.population_kernel import PopulationKernelRunner

    rss = PeakRSS()
    start = time.perf_counter()
    net = ma.schmidt2018.load_mam(args.folder)
    build_s = time.perf_counter() - start
    runner = PopulationKernelRunner(net)
    start = time.perf_counter()
    if args.t_presim > 0:
        ma.simulate_populations(net, args.t_presim, progress_bar=False, runner=runner)
    presim_s = time.perf_counter() - start
    start = time.perf_counter()
    record = ma.simulate_populations(net, args.t_sim, progress_bar=True, runner=runner)
    sim_s = time.perf_counter() - start
    events = net.synaptic_events(record)
    updates_only = PopulationKernelRunner(net, deliver=False)
    updates_only.run(1)  # compile or load the kernel first
    n_profile = max(1, int(round(args.profile_ms / net.dt)))
    start = time.perf_counter()
    updates_only.run(n_profile)
    update_s = (time.perf_counter() - start) * record.n_steps / n_profile
    peak_gb = rss.stop()

    model_s = args.t_sim * 1e-3
    print(f"{args.folder}: {net.num:,} neurons, {sum(int(s.counts.sum()) for s in net.specs):,} synapses, "
          f"{len(net.connections):,} connections, ring {net.n_receptors} x {net.n_slots} slots")
    print(f"build {build_s:.1f} s; transient {args.t_presim:g} ms in {presim_s:.1f} s; {args.t_sim:g} ms in "
          f"{sim_s:.1f} s: {sim_s / model_s / 60:.1f} min per model second; peak RSS {peak_gb:.2f} GB")
    print(f"per model second: neuron updates ~{update_s / model_s:.0f} s, delivery ~{(sim_s - update_s) / model_s:.0f} s; "
          f"{events:.3g} synaptic events ({events / sim_s:.3g} per wall second, "
          f"{(sim_s - update_s) / max(events, 1) * 1e9:.1f} ns each)")
    stats = ma.analysis.population_statistics(record)
    rates = stats.pivot(index="area", columns="population", values="rate_hz")
    cvs = stats.pivot(index="area", columns="population", values="cv_isi")
    print("rates (Hz), area x population:")
    print(rates.to_string(float_format=lambda v: f"{v:.2f}"))
    print("ISI CV, area x population:")
    print(cvs.to_string(float_format=lambda v: f"{v:.2f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
