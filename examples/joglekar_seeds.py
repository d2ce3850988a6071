"""Joglekar et al. (2018) over seeds: how often each regime returns to baseline.

For every regime of ``models/joglekar2018.toml`` and every refractory
semantics below, the 29-area model is simulated for each seed and one row per
(regime, semantics, seed, area) is appended to ``OUT/seed_outcomes.csv``:
baseline, peak response (stimulus onset to 50 ms after its end), whether the
area responded, its latency, the mean rate over the last 50 ms of the run and
whether that is back under the response threshold.  Rows already in the file
are kept and their runs skipped, so an interrupted sweep resumes.  At the end
``OUT/seed_summary.csv`` gets one row per (regime, semantics): in how many
seeds every area returned to baseline (the format of the bundled
``models/joglekar2018_seeds.csv``, which the command line quotes).

    python examples/joglekar_seeds.py --seeds 0-9 --out results/seeds

Semantics:
    default  input during refractoriness discarded, Brian2 < 2.1.3 refractory
             timing (the model file's defaults; the original simulation's)
    modern   input discarded, refractoriness of exactly round(tau_ref / dt)
             steps (Brian2 >= 2.1.3)
    applied  input during refractoriness applied, exact steps (this
             package's semantics before issue 10)
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from multiarea import load_model
from multiarea.joglekar2018 import experiments
from multiarea.cli import parse_seeds

SEMANTICS = {
    "default": {},
    "modern": {"refractory_timing": "timestep"},
    "applied": {"refractory_timing": "timestep", "synapses_during_refractory": True},
}
REGIMES = ("asynchronous-weak", "asynchronous-strong", "synchronous-weak", "synchronous-strong")
COLUMNS = ["regime", "semantics", "seed", "area", "baseline_hz", "threshold_hz", "peak_hz",
           "responded", "latency_ms", "final_hz", "returned", "wall_s"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-9"))
    parser.add_argument("--regimes", nargs="+", default=list(REGIMES), choices=REGIMES)
    parser.add_argument("--semantics", nargs="+", default=["default", "modern"], choices=list(SEMANTICS))
    parser.add_argument("--out", default="results/seeds")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "seed_outcomes.csv"
    done = pd.read_csv(path) if path.is_file() else pd.DataFrame(columns=COLUMNS)
    finished = set(zip(done["regime"], done["semantics"], done["seed"]))
    for regime in args.regimes:
        for semantics in args.semantics:
            for seed in args.seeds:
                if (regime, semantics, seed) in finished:
                    continue
                tic = time.perf_counter()
                cond = experiments.run_condition(regime, progress_bar=False, seed=seed,
                                                 **SEMANTICS[semantics])
                wall = time.perf_counter() - tic
                rows = outcome_rows(regime, semantics, seed, cond.table, wall)
                rows.to_csv(path, mode="a", header=not path.is_file(), index=False)
                print(f"{regime:20s} {semantics:8s} seed {seed:2d}: {cond.outcome}, max peak "
                      f"{rows.peak_hz.max():6.1f} Hz, {int(rows.responded.sum()):2d} areas responded, "
                      f"max final {rows.final_hz.max():6.1f} Hz ({wall:.0f} s)", flush=True)
    summary = summarize(pd.read_csv(path))
    summary.to_csv(out / "seed_summary.csv", index=False)
    print(summary.to_string(index=False))


def outcome_rows(regime: str, semantics: str, seed: int, table: dict, wall_s: float) -> pd.DataFrame:
    """One run's rows (``COLUMNS``, one per area) from its propagation table
    (``experiments.response_table``) and its wall time (s)."""
    rows = pd.DataFrame({k: table[k] for k in COLUMNS[4:-1]})
    rows.insert(0, "area", table["area"])
    rows.insert(0, "seed", seed)
    rows.insert(0, "semantics", semantics)
    rows.insert(0, "regime", regime)
    rows["wall_s"] = round(wall_s, 1)
    return rows


def seed_ranges(seeds) -> str:
    """``[0, 1, 2, 5]`` -> ``"0-2,5"``."""
    seeds, parts, start = sorted(seeds), [], None
    for k, s in enumerate(seeds):
        start = s if start is None else start
        if k + 1 == len(seeds) or seeds[k + 1] != s + 1:
            parts.append(f"{start}-{s}" if s > start else f"{s}")
            start = None
    return ",".join(parts)


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Per (regime, semantics): the semantics' parameters, seeds, and how many
    runs were active before the stimulus, returned to baseline, or stayed
    active (``experiments.Condition.outcome``)."""
    runs = table.groupby(["regime", "semantics", "seed"]).apply(
        lambda run: experiments.outcome_of(run["baseline_hz"], run["returned"]),
        include_groups=False).rename("outcome").reset_index()
    runs["returned"] = runs["outcome"] == "returned"
    runs["active_before"] = runs["outcome"] == "active before stimulus"
    rows = []
    for (regime, semantics), group in runs.groupby(["regime", "semantics"], sort=False):
        params = load_model("joglekar2018", regime=regime, **SEMANTICS[semantics]).params
        rows.append({"regime": regime, "semantics": semantics,
                     "synapses_during_refractory": params["synapses_during_refractory"],
                     "refractory_timing": params["refractory_timing"],
                     "n_areas": params["n_areas"], "duration_ms": params["duration_ms"],
                     "seeds": seed_ranges(group["seed"]), "returned": int(group["returned"].sum()),
                     "active_before": int(group["active_before"].sum()), "runs": len(group),
                     "noise": experiments.NOISE_GENERATOR})
    return pd.DataFrame(rows)


if __name__ == "__main__":
    main()
