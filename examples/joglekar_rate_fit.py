"""Fit the Joglekar rate model to the spiking model and predict a held-out input amplitude.

Reads the spiking model's per-area peak E responses bundled in
``models/joglekar2018_rate_targets.csv`` (asynchronous weak and strong GBA,
three V1 amplitudes, two seeds; ``examples/joglekar_spiking_targets.py``
measures them again), fits the rate model's long-range gains (per type, and
per type and target area) and its input gain with
``multiarea.fitting.train_model`` on two amplitudes, and reports R2, Pearson
r and RMSE of the per-area peaks at the held-out one (the middle amplitude:
interpolation; the largest: extrapolation).  Writes ``fit.csv``,
``fit_metrics.csv`` and ``fit.png`` to ``--out`` (the same as
``multiarea figure joglekar2018-rate fit --out DIR``).

    python examples/joglekar_rate_fit.py --out results/rate_fit
"""
from __future__ import annotations

import argparse

import pandas as pd

from multiarea.joglekar2018 import rate_fit


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="results/rate_fit")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    args = parser.parse_args(argv)
    paths = rate_fit.write_fit_report(args.out, num_epochs=args.epochs, learning_rate=args.learning_rate)
    metrics = pd.read_csv(paths[1])
    held = metrics[metrics["split"] == "held_out"]
    table = held.pivot_table(index=["regime", "gains", "held_out_mV"], columns="stage",
                             values=["r2", "pearson_r", "rmse_hz"])
    with pd.option_context("display.width", 200, "display.precision", 3):
        print(table)
    for path in paths:
        print(f"wrote {path}")
    return metrics


if __name__ == "__main__":
    main()
