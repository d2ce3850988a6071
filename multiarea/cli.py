"""Command line.

    multiarea run joglekar2018 --regime asynchronous-strong --out DIR
    multiarea figure joglekar2018 5E --out DIR
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["main"]


def _overrides(args) -> dict:
    """Select the op backend; the model overrides given on the command line."""
    from . import ops

    if args.backend:
        ops.set_backend(args.backend)
    return {k: v for k, v in (("n_areas", args.areas), ("duration_ms", args.duration),
                              ("seed", args.seed)) if v is not None}


def _run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from . import analysis, ops
    from .models import load_model
    from .recording import simulate

    model = load_model(args.model, regime=args.regime, **_overrides(args))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"{model.name} / {model.regime}: {model.anatomy.n_areas} areas x "
          f"{model.params['neurons_per_area']} neurons, {model.duration_ms} ms "
          f"(dt {model.dt} ms), backend {ops.get_backend()}")
    start = time.perf_counter()
    net = model.build()
    record = simulate(net, model.duration_ms, inputs=[model.stimulus(net)],
                      progress_bar=not args.quiet, chunk_ms=100.0)
    elapsed = time.perf_counter() - start
    spikes_path = record.save(out / "spikes.npz")
    table = analysis.rate_table(record, "E", start_ms=model.duration_ms / 3)
    csv_path = analysis.write_rate_table(table, out / "rates_E.csv")
    raster_path = out / "raster_E.png"
    analysis.raster_plot(record, "E", path=raster_path)
    print(f"E rates from {model.duration_ms / 3:.0f} ms on (10 ms window, 1 ms step):")
    print(f"{'area':>6} {'mean (Hz)':>10} {'peak (Hz)':>10} {'at (ms)':>8}")
    for name, mean, peak, t in zip(*table.values()):
        print(f"{name:>6} {mean:10.2f} {peak:10.2f} {t:8.1f}")
    print(f"simulated in {elapsed:.1f} s; {record.steps.size} spikes")
    print(f"wrote {spikes_path}, {csv_path}, {raster_path}")
    return 0


def _figure(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from . import experiments

    if args.model != "joglekar2018":
        raise ValueError(f"figures exist for model 'joglekar2018' only, got {args.model!r}")
    for path in experiments.make_figure(args.panel, args.out, progress_bar=not args.quiet,
                                        **_overrides(args)):
        print(f"wrote {path}")
    return 0


def _add_common(parser) -> None:
    parser.add_argument("model", help="model name (e.g. joglekar2018) or path to a .toml file")
    parser.add_argument("--areas", type=int, default=None, help="number of areas (first N of the data)")
    parser.add_argument("--duration", type=float, default=None, help="simulated time in ms")
    parser.add_argument("--seed", type=int, default=None, help="seed of connectivity and noise")
    parser.add_argument("--backend", default=None, help="op backend (see multiarea.ops.BACKENDS)")
    parser.add_argument("--out", default="multiarea-out", help="output folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="multiarea", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a bundled model and write spikes, rates and a raster")
    _add_common(run)
    run.add_argument("--regime", default=None, help="regime (default: the model's default)")
    figure = sub.add_parser("figure", help="write a panel of Joglekar et al. 2018 (5B 5C 5E 6A 6B 6D)")
    _add_common(figure)
    figure.add_argument("panel", help="panel: 5B, 5C, 5E, 6A, 6B or 6D")
    args = parser.parse_args(argv)
    try:
        return _run(args) if args.command == "run" else _figure(args)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"multiarea: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
