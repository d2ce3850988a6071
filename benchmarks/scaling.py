"""Scaling of the multiarea Joglekar model: steps/s and peak RSS vs size.

Each configuration runs the whole-step kernel (``simulate``'s path; steady
steps/s after compilation) in its own subprocess (asynchronous-weak regime,
200 ms by default: spontaneous activity), with the connection probability
scaled to keep the in-degree per area pair at that of the reference model
(p = 0.1 x 2000 / neurons per area, ~200 inputs):

    python benchmarks/scaling.py                 # areas (2, 8, 29) x neurons (500, 2000, 8000)
    python benchmarks/scaling.py --areas 2 --neurons 500 --duration 10   # one small cell
    python benchmarks/scaling.py --memory        # peak RSS at 29 x 2000 and 29 x 20000 neurons
"""
from __future__ import annotations

import argparse
import sys
from types import SimpleNamespace

from _harness import in_subprocess
from joglekar import run_kernel


def _run(areas, neurons, duration):
    args = SimpleNamespace(regime="asynchronous-weak", areas=areas, neurons=neurons,
                           p=min(1.0, 0.1 * 2000 / neurons), duration=duration, profile=False)
    return in_subprocess(run_kernel, args)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=200.0, help="simulated ms per run")
    ap.add_argument("--areas", type=int, nargs="+", default=[2, 8, 29], help="areas of the grid's rows")
    ap.add_argument("--neurons", type=int, nargs="+", default=[500, 2000, 8000],
                    help="neurons per area of the grid's columns")
    ap.add_argument("--memory", action="store_true", help="peak RSS at 29 x 2000 and 29 x 20000")
    args = ap.parse_args(argv)
    if args.memory:
        print(f"{'areas':>5} {'neurons/area':>12} {'p':>6} {'steps/s':>8} {'peak RSS MB':>11}")
        for neurons in (2000, 20000):
            r = _run(29, neurons, args.duration)
            print(f"{29:5d} {neurons:12d} {min(1.0, 200 / neurons):6.3f} {r['steps_per_s']:8.1f} "
                  f"{r['peak_rss_mb']:11.0f}", flush=True)
        return
    sizes = args.neurons
    print(f"steady steps/s ({args.duration} ms, asynchronous-weak, ~200 inputs per area pair)")
    print(f"{'areas':>5} " + " ".join(f"{f'{n}/area':>10}" for n in sizes))
    for areas in args.areas:
        cells = []
        for neurons in sizes:
            r = _run(areas, neurons, args.duration)
            cells.append(f"{r['steps_per_s']:10.1f}")
        print(f"{areas:5d} " + " ".join(cells), flush=True)


if __name__ == "__main__":
    sys.exit(main())
