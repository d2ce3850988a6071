"""The cortical microcircuit over seeds: per-population rate, ISI CV and
correlation distributions, beside the published full-scale NEST rates.

Each seed is a different network (connectivity, Poisson input, initial V).
Writes ``OUT/seeds.csv`` (one row per seed and population) and prints, per
population, the median and range over seeds.

    python examples/potjans2014_seeds.py --seeds 0-4 --out results/pd14-seeds
    python examples/potjans2014_seeds.py --seeds 0-1 --scale 0.05 --duration 200 --out /tmp/s
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

import multiarea as ma
from multiarea.cli import parse_seeds


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-4"))
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--regime", choices=("poisson", "dc"), default="poisson")
    p.add_argument("--transient", type=float, default=500.0, help="ms, not analysed (NEST reference: 500)")
    p.add_argument("--duration", type=float, default=1000.0, help="ms analysed")
    p.add_argument("--out", type=Path, default=Path("results/pd14-seeds"))
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for seed in args.seeds:
        start = time.perf_counter()
        net = ma.potjans2014.build_network(args.scale, args.regime, seed)
        record = ma.simulate_populations(net, args.transient + args.duration, progress_bar=False)
        stats = ma.analysis.population_statistics(record, start_ms=args.transient)
        stats.insert(0, "seed", seed)
        rows.append(stats)
        print(f"seed {seed}: {time.perf_counter() - start:.1f} s, rates "
              + " ".join(f"{r:.2f}" for r in stats.rate_hz), flush=True)
    table = pd.concat(rows, ignore_index=True)
    path = args.out / "seeds.csv"
    table.to_csv(path, index=False, float_format="%.6g")
    reference = ma.potjans2014.reference_rates()
    summary = table.groupby("population", sort=False).agg(
        rate_median=("rate_hz", "median"), rate_min=("rate_hz", "min"), rate_max=("rate_hz", "max"),
        cv_median=("cv_isi", "median"), corr_median=("corr", "median"))
    summary["nest_rate"] = reference["mean"].reindex(summary.index)
    summary["rel_diff"] = summary.rate_median / summary.nest_rate - 1
    print(f"{len(args.seeds)} seeds, scale {args.scale}, {args.regime} background, "
          f"{args.transient:g} + {args.duration:g} ms:")
    print(summary.to_string(float_format=lambda v: f"{v:.4g}"))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
