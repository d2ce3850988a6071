"""Per-area E responses of the spiking Joglekar model, the targets the rate model is fitted to.

For each asynchronous regime of ``models/joglekar2018.toml`` (weak and strong
GBA), each V1 input amplitude and each seed, the 29-area spiking model is
simulated (through :func:`multiarea.experiments.run_condition`) and one row
per (regime, amplitude, seed, area) is written to ``OUT``: baseline (200 ms
before the onset), peak rate and mean rate over the response window (onset to
50 ms after the stimulus ends), and the rises above baseline.  The runs stop
at ``--duration`` ms (default 500: the response window of the 300-450 ms
stimulus ends at 500 ms), before the late prefrontal ignition some strong-GBA
seeds show, which would cost minutes per run.

The bundled ``models/joglekar2018_rate_targets.csv`` was written by

    python examples/joglekar_spiking_targets.py --seeds 0-1 \
        --out models/joglekar2018_rate_targets.csv
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from multiarea import analysis
from multiarea.joglekar2018 import experiments
from multiarea.cli import parse_seeds

#: regime -> V1 input amplitudes (mV); the last one is the model file's own
AMPLITUDES_MV = {"asynchronous-weak": (10.0, 12.5, 15.0), "asynchronous-strong": (5.0, 5.65, 6.3)}


def measure(regime: str, amplitude_mv: float, seed: int, duration_ms: float) -> pd.DataFrame:
    """One spiking run -> one row per area (rates in Hz)."""
    start = time.perf_counter()
    cond = experiments.run_condition(regime, progress_bar=False, seed=seed, stimulus_mV=amplitude_mv,
                                     duration_ms=duration_ms)
    onset, stop = cond.response_window_ms
    table = cond.table
    mean = analysis.mean_rate(cond.record, onset, stop)
    return pd.DataFrame({
        "regime": regime, "stimulus_mV": amplitude_mv, "seed": seed, "area": table["area"],
        "baseline_hz": table["baseline_hz"], "peak_hz": table["peak_hz"],
        "peak_rise_hz": np.asarray(table["peak_hz"]) - np.asarray(table["baseline_hz"]),
        "mean_rise_hz": np.asarray(mean) - np.asarray(table["baseline_hz"]),
        "wall_s": round(time.perf_counter() - start, 1)})


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-1"))
    parser.add_argument("--duration", type=float, default=500.0, help="ms per run")
    parser.add_argument("--out", default="results/joglekar2018_rate_targets.csv")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for regime, amplitudes in AMPLITUDES_MV.items():
        for amplitude in amplitudes:
            for seed in args.seeds:
                rows.append(measure(regime, amplitude, seed, args.duration))
                r = rows[-1]
                print(f"{regime} {amplitude} mV seed {seed}: V1 rise {r.peak_rise_hz.iloc[0]:.1f} Hz, "
                      f"max rise {r.peak_rise_hz.max():.1f} Hz ({r.wall_s.iloc[0]} s)", flush=True)
                pd.concat(rows).to_csv(out, index=False, float_format="%.4f")
    return pd.concat(rows)


if __name__ == "__main__":
    main()
