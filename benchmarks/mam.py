"""Benchmark: the multi-area model of Schmidt et al. (2018) on this machine.

Runs a model folder written by ``multiarea import-mam`` (the user's own
import of INM-6/multi-area-model, CC BY-NC-SA 4.0: not bundled) on the
population kernel and prints build time, time per model second, the phases
of a step (neuron updates alone, ``deliver=False``; delivery = the rest),
synaptic events per second, peak RSS sampled over the run, the bytes the
design gives each neuron, and per-area, per-population rates (Hz), ISI CVs,
LvRs and spike-count correlations over the analysed interval.  Given a
checkout of BrainsOnBoard/procedural_paper (``--published``), it sets them
beside the published NEST and GeNN statistics of the full-scale ground state
(``multiarea.schmidt2018.published``): per population the ratio of the
per-area means and the pooled per-neuron rate distributions.

    multiarea import-mam multi-area-model --out mam-full --regime ground-state
    python benchmarks/mam.py mam-full --t-presim 500 --t-sim 1000 --out mam-run --published procedural_paper

No peer runs the full model on one CPU machine; the published anchors for
one model second of the ground state are in ``docs/schmidt2018.md``.
"""
from __future__ import annotations

import argparse
import gc
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
    p.add_argument("--out", type=Path, default=None,
                   help="folder for the analysed spikes (spikes.npz) and the tables (CSV)")
    p.add_argument("--published", type=Path, default=None,
                   help="a checkout of BrainsOnBoard/procedural_paper: compare with the published statistics")
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
    table_bytes = sum(int(a.nbytes) for a in runner._tables)
    del runner  # its tables go before the profiling runner makes its own: the peak is the run's
    gc.collect()
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
    ring_bytes = 4 * net.n_receptors * net.n_slots
    state_bytes = 4 * (2 + net.n_receptors)  # V, refractory steps left, the synaptic currents (float32 / int32)
    print(f"memory by design: {state_bytes} B of state and {ring_bytes:,} B of ring per neuron (4 B x "
          f"{net.n_receptors} receptor(s) x {net.n_slots} slots: {ring_bytes * net.num / 1e9:.2f} GB); kernel tables "
          f"{table_bytes / 1e9:.2f} GB (4 B per pre neuron of each FixedTotalNumber connection: its synapse count)")
    # correlations as the published analysis: 1 ms bins, 2000 neurons (Knight & Nowotny 2021)
    stats = ma.analysis.population_statistics(record, bin_ms=1.0, sample=2000)
    for column, name in (("rate_hz", "rates (Hz)"), ("cv_isi", "ISI CV"), ("lvr", "LvR (R = 2 ms)"),
                         ("corr", "spike-count correlation (1 ms bins)")):
        print(f"{name}, area x population:")
        print(stats.pivot(index="area", columns="population", values=column)
              .reindex(list(dict.fromkeys(stats.area)))
              .to_string(float_format=lambda v: f"{v:.3g}"))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        record.save(args.out / "spikes.npz")
        stats.to_csv(args.out / "population_stats.csv", index=False)
    if args.published is not None:
        compare(record, stats, args.published, args.out)
    return 0


def compare(record, stats, published_dir: Path, out: Path | None) -> None:
    """Print the run beside the published NEST and GeNN statistics."""
    import pandas as pd
    from scipy.stats import wasserstein_distance

    from multiarea.schmidt2018 import published as pub
    from multiarea.spiking.recording import split_key

    ref = pub.read_published(published_dir)
    rows = []
    for simulator in pub.SIMULATORS:
        table = pub.compare_with_published(stats, ref, simulator)
        if out is not None:
            table.to_csv(out / f"compared_with_{simulator}.csv", index=False)
        for population, part in table.groupby("population", sort=False):
            log_ours, log_ref = np.log10(part.rate_hz + 1e-3), np.log10(part[f"rate_hz_{simulator}"] + 1e-3)
            rows.append(dict(simulator=simulator, population=population, areas=len(part),
                             rate_ratio_median=part.rate_hz_ratio.median(),
                             rate_ratio_q10=part.rate_hz_ratio.quantile(0.1),
                             rate_ratio_q90=part.rate_hz_ratio.quantile(0.9),
                             r_log_rates=np.corrcoef(log_ours, log_ref)[0, 1],
                             lvr_ratio_median=part.lvr_ratio.median(), corr_ratio_median=part.corr_ratio.median()))
    # and NEST against GeNN: the spread between two published simulators
    wide = ref.pivot_table(index=["area", "population"], columns="simulator", values="rate_hz").reset_index()
    for population, part in wide.groupby("population", sort=False):
        ratio = part.genn / part.nest
        rows.append(dict(simulator="genn/nest", population=population, areas=len(part),
                         rate_ratio_median=ratio.median(), rate_ratio_q10=ratio.quantile(0.1),
                         rate_ratio_q90=ratio.quantile(0.9),
                         r_log_rates=np.corrcoef(np.log10(part.nest + 1e-3), np.log10(part.genn + 1e-3))[0, 1]))
    summary = pd.DataFrame(rows)
    print("per-area mean rates against the published ones (ratio run / published over areas; r of log rates):")
    print(summary.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    # per-neuron rates pooled over areas against the published NEST histogram (10 s there: 0.1 Hz steps)
    hist = pub.read_published_histograms(published_dir, "rate_hz")
    rates = np.bincount(record.neurons, minlength=record.n_neurons) / (record.duration_ms * 1e-3)
    rows = []
    for population, (edges, nest, genn) in hist.items():
        ours = np.concatenate([rates[f:f + n] for key, f, n in zip(record.keys, record.first, record.sizes)
                               if split_key(key)[1] == population])
        centres = 0.5 * (edges[:-1] + edges[1:])
        nest_mean = float((centres * nest).sum() / nest.sum())
        rows.append(dict(population=population, neurons=ours.size, nest_neurons=int(nest.sum()),
                         mean=ours.mean(), nest_mean=nest_mean, median=np.median(ours),
                         nest_median=centres[np.searchsorted(np.cumsum(nest), nest.sum() / 2)],
                         q90=np.quantile(ours, 0.9),
                         nest_q90=centres[np.searchsorted(np.cumsum(nest), 0.9 * nest.sum())],
                         emd_hz=wasserstein_distance(ours, centres, v_weights=nest),
                         genn_emd_hz=wasserstein_distance(centres, centres, u_weights=genn, v_weights=nest)))
    print("per-neuron rates pooled over areas (Hz) against the published NEST histogram "
          "(EMD: earth mover's distance; genn_emd: GeNN seed 1 against NEST):")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    sys.exit(main())
