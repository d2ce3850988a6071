"""multiarea against Brian2 running the original Joglekar et al. (2018) model.

For each seed, one regime (default asynchronous strong GBA) on the first
``--areas`` areas is simulated by Brian2 (``_brian2_original.py``: the published script's
construction, Brian2's numpy target) and by multiarea with the same refractory
semantics; per area and time window the script prints the mean E rate over
seeds (mean +- sd), the ratio and Welch's p-value, and the wall time of
both.  Brian2 2.9 needs ``numpy<2`` while jax needs numpy 2, so Brian2 runs
under its own interpreter::

    python -m venv b2 && b2/bin/pip install brian2 "numpy<2" scipy
    python benchmarks/brian2_crosscheck.py --brian2-python b2/bin/python --areas 5 --seeds 0-7

Windows: baseline 100 ms to the onset, response from the onset to 50 ms after
the stimulus, end = the last 40 ms of the run.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

import multiarea as ma
from multiarea.data import data_dir
from multiarea.cli import parse_seeds

PEER = Path(__file__).with_name("_brian2_original.py")


def windows_ms(model) -> dict:
    """Baseline (100 ms to the onset), response (onset to 50 ms after the
    stimulus) and the last 40 ms of the run."""
    p = model.params
    onset, stop = p["stimulus_start_ms"], p["stimulus_start_ms"] + p["stimulus_duration_ms"] + 50.0
    return {"baseline": (100.0, onset), "response": (onset, stop),
            "end": (model.duration_ms - 40.0, model.duration_ms)}


def _rates(t_ms, neuron, n_areas, n_E, windows):
    """(window -> (n_areas,)) mean E rates (Hz) from spike times and E indices."""
    area = neuron // n_E
    return {name: np.bincount(area[(t_ms >= lo) & (t_ms < hi)], minlength=n_areas) / (n_E * (hi - lo) * 1e-3)
            for name, (lo, hi) in windows.items()}


def run_brian2(python, model, timing):
    p = model.params
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "spikes.npz"
        tic = time.perf_counter()
        subprocess.run([python, str(PEER), str(data_dir() / "joglekar2018"), str(p["n_areas"]),
                        str(p["seed"]), str(model.duration_ms), str(out), timing, model.regime], check=True)
        wall = time.perf_counter() - tic
        with np.load(out) as f:
            return _rates(f["t_E"], f["i_E"], p["n_areas"], 1600, windows_ms(model)), wall


def run_multiarea(model):
    tic = time.perf_counter()
    net = model.build()
    record = ma.simulate(net, model.duration_ms, inputs=[model.stimulus(net)], progress_bar=False,
                         populations=("E",), chunk_ms=100.0)
    wall = time.perf_counter() - tic
    steps, area, index = record.population("E")
    return (_rates(steps * record.dt, area * record.n_E + index, net.n_areas, record.n_E, windows_ms(model)),
            wall)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--brian2-python", default=sys.executable, help="interpreter with brian2 installed")
    parser.add_argument("--areas", type=int, default=5)
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-7"))
    parser.add_argument("--regime", default="asynchronous-strong")
    parser.add_argument("--duration", type=float, default=None,
                        help="simulated ms (default: 60 ms after the response window)")
    parser.add_argument("--timing", choices=("legacy", "timestep"), default="legacy")
    args = parser.parse_args(argv)
    b2, ours, wall_b2, wall_ours = [], [], [], []
    for seed in args.seeds:
        model = ma.load_model("joglekar2018", args.regime, n_areas=args.areas, seed=seed,
                              refractory_timing=args.timing)
        p = model.params
        duration = args.duration or p["stimulus_start_ms"] + p["stimulus_duration_ms"] + 110.0
        model = ma.load_model("joglekar2018", args.regime, n_areas=args.areas, seed=seed,
                              refractory_timing=args.timing, duration_ms=duration)
        windows = windows_ms(model)
        if windows["end"][0] < windows["response"][1]:
            parser.error(f"--duration must leave 40 ms after the response window ({windows['response']} ms)")
        r, w = run_brian2(args.brian2_python, model, args.timing)
        b2.append(r)
        wall_b2.append(w)
        r, w = run_multiarea(model)
        ours.append(r)
        wall_ours.append(w)
        print(f"seed {seed}: Brian2 {wall_b2[-1]:.1f} s, multiarea {wall_ours[-1]:.1f} s", flush=True)
    names = ma.data.joglekar2018().area_names[:args.areas]
    print(f"\n{args.regime}, {args.areas} areas, {args.timing} refractory timing, input discarded while "
          f"refractory; E rates (Hz), mean +- sd over {len(args.seeds)} seeds")
    for window, (lo, hi) in windows.items():
        print(f"{window} [{lo:.0f}, {hi:.0f}) ms")
        for k, name in enumerate(names):
            x = np.array([r[window][k] for r in b2])
            y = np.array([r[window][k] for r in ours])
            p = stats.ttest_ind(x, y, equal_var=False).pvalue
            print(f"  {name:6s} Brian2 {x.mean():7.2f} +- {x.std(ddof=1):5.2f}   multiarea {y.mean():7.2f} +- "
                  f"{y.std(ddof=1):5.2f}   ratio {y.mean() / x.mean():5.3f}   Welch p {p:4.2f}")
    print(f"\nwall time per run (build + simulate): Brian2 {np.median(wall_b2):.1f} s, multiarea "
          f"{np.median(wall_ours):.1f} s (medians; multiarea includes compilation)")


if __name__ == "__main__":
    main()
