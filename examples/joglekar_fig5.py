"""Joglekar et al. (2018) Fig. 5: asynchronous regime, weak vs strong GBA.

Simulates the 29-area model in both conditions and writes to ``--out``:
rasters (5B weak, 5C strong), peak E rate per area for both (5E), and per
condition a CSV of per-area baseline, peak rate, response and latency; prints
the two tables side by side.

    python examples/joglekar_fig5.py --out figures
"""
import argparse
import sys
import time

from multiarea.joglekar2018 import experiments


def run_figures(panels, regimes, argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures")
    parser.add_argument("--areas", type=int, default=29)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--duration", type=float, default=None, help="ms (default: the regime's)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    overrides = dict(n_areas=args.areas, seed=args.seed)
    if args.duration is not None:
        overrides["duration_ms"] = args.duration
    conditions = {}
    for regime in regimes:
        start = time.perf_counter()
        conditions[regime] = experiments.run_condition(regime, progress_bar=not args.quiet, **overrides)
        print(f"{regime}: simulated in {time.perf_counter() - start:.1f} s")
    for panel in panels:
        for path in experiments.make_figure(panel, args.out, conditions=conditions):
            print(f"wrote {path}")
    print(experiments.compare_table(conditions))
    return conditions


if __name__ == "__main__":
    run_figures(["5B", "5C", "5E"], ["asynchronous-weak", "asynchronous-strong"], sys.argv[1:])
