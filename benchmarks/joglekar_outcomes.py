"""Joglekar et al. (2018): how often each regime returns to baseline, multiarea against Brian2.

Both simulators' runs of the 29-area model are classified by the same rule
(``multiarea.joglekar2018.experiments.Condition.outcome``: *returned*, every
area back under its response threshold over the last 50 ms; *stayed active*;
*active before the stimulus*).  Per regime and simulator the script prints
the number of runs, the fraction of each outcome with its exact (Clopper-
Pearson) 95 % confidence interval, and Fisher's exact test of the returned
fraction between the simulators; with ``--write`` it puts one row per
(regime, simulator) into ``models/joglekar2018_seeds.csv`` (the table
``multiarea run`` quotes).

Inputs:
    multiarea  ``seed_outcomes.csv`` files written by ``examples/joglekar_seeds.py``
               (``--multiarea``, one or more; rows of the ``default`` semantics);
    Brian2     the .npz spike files of ``_brian2_original.py --device
               cpp_standalone --seeds ...`` named ``<regime>_seed<k>.npz`` in
               ``--brian2-dir`` (classified here, rows cached in
               ``<brian2-dir>/seed_outcomes.csv``).

    python benchmarks/joglekar_outcomes.py --multiarea results/seeds/seed_outcomes.csv \\
        --brian2-dir results/brian2 [--write]

``--per-area REGIME`` (with both inputs) also compares one regime area by
area: peak responses, how often each area responded, latencies.

Either input may be left out: that simulator's side is then the bundled
table's rows (e.g. ``--brian2-dir results/brian2 --write`` adds Brian2 seeds
and compares them with the bundled multiarea runs).

The Brian2 runs (29 areas, legacy refractory timing, 2 OpenMP threads; one
build per regime, run with the regime's duration as multiarea runs it)::

    PY=$(benchmarks/setup_brian2.sh)
    for run in "asynchronous-weak 800" "asynchronous-strong 800" "synchronous-weak 440" "synchronous-strong 440"; do
      set -- $run   # regime, duration (ms)
      $PY benchmarks/_brian2_original.py data/joglekar2018 29 0 $2 "results/brian2/$1_seed{seed}.npz" legacy $1 \\
          --device cpp_standalone --threads 2 --build-dir .peers/brian2-build-joglekar29 --seeds 0-19
    done
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import multiarea as ma
from multiarea.cli import parse_seeds
from multiarea.joglekar2018 import experiments

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
from joglekar_seeds import COLUMNS, REGIMES, outcome_rows, seed_ranges, summarize  # noqa: E402

OUTCOMES = ("returned", "stayed active", "active before stimulus")
#: what the Brian2 rows of the bundled table were measured with
BRIAN2_RUNS = "brian2 2.9 cpp_standalone (2 OpenMP threads, mt19937 per thread)"


def _regime_and_seed(path: Path) -> tuple[str, int]:
    """``(regime, seed)`` of a Brian2 run file ``<regime>_seed<k>.npz``."""
    match = re.fullmatch(r"(.+)_seed(\d+)\.npz", path.name)
    if match is None or match[1] not in REGIMES:
        raise ValueError(f"Brian2 run files must be named <regime>_seed<k>.npz with a regime of {REGIMES}, "
                         f"got {path}")
    return match[1], int(match[2])


def brian2_rows(path: Path) -> pd.DataFrame:
    """The per-area outcome rows (``COLUMNS``) of one Brian2 run ``<regime>_seed<k>.npz``."""
    regime, seed = _regime_and_seed(path)
    model = ma.load_model("joglekar2018", regime)
    n_E = int(round(model.params["neurons_per_area"] * model.params["excitatory_fraction"]))
    n_I = model.params["neurons_per_area"] - n_E
    dt = model.params["dt"]
    with np.load(path) as f:
        steps = np.concatenate([np.rint(f["t_E"] / dt), np.rint(f["t_I"] / dt)]).astype(np.int32)
        neurons = np.concatenate([f["i_E"], f["i_I"] + n_E * model.anatomy.n_areas]).astype(np.int32)
        wall = float(f["run_s"])
    record = ma.SpikeRecord.from_ei(steps, neurons, int(round(model.duration_ms / dt)), dt,
                                    model.anatomy.area_names, n_E, n_I)
    return outcome_rows(regime, "default", seed, experiments.response_table(model, record), wall)


def brian2_table(directory: Path) -> pd.DataFrame:
    """Rows of every ``<regime>_seed<k>.npz`` in ``directory``, cached in its ``seed_outcomes.csv``."""
    cache = directory / "seed_outcomes.csv"
    table = pd.read_csv(cache) if cache.is_file() else pd.DataFrame(columns=COLUMNS)
    done = set(zip(table["regime"], table["seed"]))
    new = [brian2_rows(p) for p in sorted(directory.glob("*_seed*.npz")) if _regime_and_seed(p) not in done]
    if new:
        table = pd.concat([table, *new], ignore_index=True)
        table.to_csv(cache, index=False)
    return table


def ci95(k: int, n: int) -> tuple[float, float]:
    """Exact (Clopper-Pearson) 95 % interval of a fraction k / n."""
    interval = stats.binomtest(k, n).proportion_ci(0.95, method="exact")
    return interval.low, interval.high


def comparison(summary: pd.DataFrame) -> pd.DataFrame:
    """Per regime and simulator (rows of ``summarize`` with a ``simulator``
    column): n, count, fraction and exact 95 % CI of each outcome, and
    Fisher's exact p of returned vs not between the two simulators."""
    rows = []
    for regime in REGIMES:
        counts = {}
        for _, r in summary[summary["regime"] == regime].iterrows():
            stayed = r["runs"] - r["returned"] - r["active_before"]
            counts[r["simulator"]] = (dict(zip(OUTCOMES, (r["returned"], stayed, r["active_before"]))), r["runs"],
                                      r["seeds"])
        p = np.nan
        if len(counts) == 2:
            (a, n_a, _), (b, n_b, _) = counts.values()
            p = stats.fisher_exact([[a["returned"], n_a - a["returned"]],
                                    [b["returned"], n_b - b["returned"]]]).pvalue
        for simulator, (c, n, seeds) in counts.items():
            row = {"regime": regime, "simulator": simulator, "n": n, "seeds": seeds}
            for outcome in OUTCOMES:
                low, high = ci95(int(c[outcome]), int(n))
                row[outcome] = f"{c[outcome]} ({c[outcome] / n:.2f}, {low:.2f}-{high:.2f})"
            row["fisher_p_returned"] = round(p, 3)
            rows.append(row)
    return pd.DataFrame(rows)


def per_area(ours: pd.DataFrame, theirs: pd.DataFrame, regime: str) -> pd.DataFrame:
    """Per area of one regime, multiarea's per-seed rows (``COLUMNS``) against
    Brian2's: median peak response (Hz) with its interquartile range, how many
    runs the area responded in, median latency (ms), and the Mann-Whitney U
    test's p of the two peak distributions.

    Raises:
        ValueError: either side has no runs of ``regime``.
    """
    sides = {"multiarea": ours[ours["regime"] == regime], "brian2": theirs[theirs["regime"] == regime]}
    for name, side in sides.items():
        if side.empty:
            raise ValueError(f"no {name} runs of regime {regime!r}")
    rows = []
    for area in sides["multiarea"]["area"].unique():
        row = {"area": area}
        peaks = {}
        for name, side in sides.items():
            runs = side[side["area"] == area]
            peaks[name] = runs["peak_hz"]
            q1, median, q3 = runs["peak_hz"].quantile([0.25, 0.5, 0.75])
            row[f"{name} peak (Hz)"] = f"{median:.1f} ({q1:.1f}-{q3:.1f})"
            row[f"{name} responded"] = f"{int(runs['responded'].sum())}/{len(runs)}"
            row[f"{name} latency (ms)"] = runs["latency_ms"].median()
        row["mann_whitney_p"] = round(stats.mannwhitneyu(peaks["multiarea"], peaks["brian2"]).pvalue, 2)
        rows.append(row)
    return pd.DataFrame(rows)


def bundled_path() -> Path:
    """The outcome table ``multiarea run`` quotes."""
    return experiments.seed_outcomes_path("joglekar2018")


def write_bundled(new: pd.DataFrame) -> Path:
    """Put these summaries (``joglekar_seeds.summarize`` with a ``simulator``
    column) into ``models/joglekar2018_seeds.csv``.

    Against a bundled row of the same simulator, regime, semantics and noise
    generator (runs are deterministic given these and the seed): new seeds
    disjoint from its seeds extend it (counts summed, seeds joined); seeds it
    already holds leave it as it is; otherwise, and for another generator, the
    new row replaces it.  Rows of other semantics stay."""
    path = bundled_path()
    old = pd.read_csv(path, dtype={"seeds": str})
    new = new.reset_index(drop=True)
    key = ["simulator", "regime", "semantics"]
    for k, row in new.iterrows():
        same = old[(old[key] == row[key]).all(axis=1)]
        if len(same) == 1 and same["noise"].iloc[0] == row["noise"]:
            before, now = set(parse_seeds(same["seeds"].iloc[0])), set(parse_seeds(row["seeds"]))
            if now <= before:
                new.loc[k] = same.iloc[0][new.columns]
            elif not before & now:
                for column in ("returned", "active_before", "runs"):
                    new.loc[k, column] += int(same[column].iloc[0])
                new.loc[k, "seeds"] = seed_ranges(before | now)
    kept = old.merge(new[key], on=key, how="left", indicator=True).query("_merge == 'left_only'")
    table = pd.concat([kept.drop(columns="_merge"), new], ignore_index=True)
    table["order"] = table["regime"].map(REGIMES.index)
    table = table.sort_values(["order", "semantics", "simulator"], ascending=[True, True, False])
    table[["simulator", *(c for c in old.columns if c != "simulator")]].to_csv(path, index=False)
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--multiarea", nargs="+", type=Path, default=[],
                        help="seed_outcomes.csv files of examples/joglekar_seeds.py (default: the bundled rows)")
    parser.add_argument("--brian2-dir", type=Path,
                        help="directory of Brian2 run files <regime>_seed<k>.npz (default: the bundled rows)")
    parser.add_argument("--per-area", choices=REGIMES, metavar="REGIME",
                        help="also compare one regime area by area (needs both --multiarea and --brian2-dir)")
    parser.add_argument("--write", action="store_true",
                        help="put the rows into models/joglekar2018_seeds.csv and compare what it then holds")
    args = parser.parse_args(argv)
    if not args.multiarea and args.brian2_dir is None:
        parser.error("give --multiarea, --brian2-dir or both")
    if args.per_area and not (args.multiarea and args.brian2_dir):
        parser.error(f"--per-area {args.per_area} needs both --multiarea and --brian2-dir")
    for path in [*args.multiarea, args.brian2_dir]:
        if path is not None and not path.exists():
            parser.error(f"{path} does not exist")
    summaries = []
    if args.multiarea:
        ours = pd.concat([pd.read_csv(p) for p in args.multiarea], ignore_index=True)
        ours = ours[ours["semantics"] == "default"].drop_duplicates(["regime", "seed", "area"])
        summaries.append(summarize(ours).assign(simulator="multiarea"))
    if args.brian2_dir is not None:
        theirs = brian2_table(args.brian2_dir)
        summaries.append(summarize(theirs).assign(simulator="brian2", noise=BRIAN2_RUNS))
    new = pd.concat(summaries, ignore_index=True)
    if args.write:
        print(f"wrote {write_bundled(new)}")
        new = new.iloc[:0]
    bundled = pd.read_csv(bundled_path(), dtype={"seeds": str}).query("semantics == 'default'")
    summary = pd.concat([new, bundled[~bundled["simulator"].isin(new["simulator"])]], ignore_index=True)
    print("outcomes per regime (default semantics): count (fraction, exact 95 % CI); Fisher's exact test "
          "of 'returned' between the simulators")
    print(comparison(summary).to_string(index=False))
    if args.per_area:
        print(f"\n{args.per_area} per area over seeds: median peak response (interquartile range), runs the area "
              "responded in, median latency; Mann-Whitney U test of the peaks")
        print(per_area(ours, theirs, args.per_area).to_string(index=False))


if __name__ == "__main__":
    main()
