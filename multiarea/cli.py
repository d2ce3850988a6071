"""Command line.

    multiarea run joglekar2018 --regime asynchronous-strong --out DIR
    multiarea run potjans2014 --out DIR [--scale 0.1] [--regime dc]
    multiarea import-mam REPO_DIR --out DIR [--scale 0.01] [--regime ground-state|metastable]
    multiarea run DIR --out RUN   (a folder written by import-mam, or a population .toml)
    multiarea figure joglekar2018 5E --out DIR
    multiarea figure joglekar2018-rate propagation --out DIR
    multiarea figure mam raster|rates|traces --run RUN_DIR --out DIR [--published PROCEDURAL_PAPER_DIR]
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

__all__ = ["main", "parse_seeds", "parse_raster_neurons"]

RATE_WINDOW_MS = 10.0
FORMATS = ("npz", "nwb", "sonata")  #: spike file formats of ``multiarea run --format``
_REEXEC = "MULTIAREA_CLI_REEXEC"  #: set in a command re-run with more host devices
RATE_MODEL = "joglekar2018-rate"  #: the rate model's name in ``multiarea figure``
MAM = "mam"  #: an imported multi-area model's name in ``multiarea figure``


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``"3"``, ``"0-4"`` (inclusive) or ``"0,2,5-7"``; duplicates refused."""
    seeds = []
    for part in str(text).split(","):
        lo, sep, hi = part.strip().partition("-")
        try:
            first, last = int(lo), int(hi if sep else lo)
        except ValueError:
            raise argparse.ArgumentTypeError(f"seeds must look like 3, 0-4 or 0,2,5-7, got {text!r}") from None
        if first < 0 or last < first:
            raise argparse.ArgumentTypeError(f"seed ranges must be non-negative and increasing, got {part!r}")
        seeds += range(first, last + 1)
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"seeds must not repeat, got {text!r}")
    return seeds


def parse_raster_neurons(text: str):
    """``--raster-neurons``: an int >= 1 or ``"all"``."""
    if text == "all":
        return text
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an int >= 1 or 'all', got {text!r}")
    return value


def _overrides(args) -> dict:
    """Select the op backend; the model overrides given on the command line."""
    from . import ops

    if args.backend:
        ops.set_backend(args.backend)
    return {k: v for k, v in (("n_areas", args.areas), ("duration_ms", args.duration),
                              ("seed", args.seed)) if v is not None}


def _output_dir(path) -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _checkpoint_ms(args) -> float:
    """Model time between the checkpoints of ``multiarea run`` (``--checkpoint-ms``)."""
    from .spiking.population_run import CHUNK_MS

    if args.checkpoint_ms is None:
        return CHUNK_MS
    if not (math.isfinite(args.checkpoint_ms) and args.checkpoint_ms > 0):
        raise ValueError(f"--checkpoint-ms must be a positive number of ms, got {args.checkpoint_ms}")
    return args.checkpoint_ms


def _run_microcircuit(args) -> int:
    from .potjans2014 import experiments
    from .potjans2014.network import BACKGROUNDS

    given = [flag for flag, value in (("--areas", args.areas), ("--backend", args.backend)) if value is not None]
    if given:
        raise ValueError(f"{', '.join(given)} do not apply to potjans2014 (one area, whole-step kernel)")
    background = args.regime or "poisson"
    if background not in BACKGROUNDS:
        raise ValueError(f"--regime for potjans2014 must be one of {BACKGROUNDS}, got {background!r}")
    duration = experiments.DEFAULT_DURATION_MS if args.duration is None else args.duration
    seed = 55 if args.seed is None else args.seed
    out = _output_dir(args.out)
    print(f"potjans2014 / {background} background: scale {args.scale}, {args.transient:g} ms transient + "
          f"{duration:g} ms, seed {seed}")
    result = experiments.run_microcircuit(out, scale=args.scale, background=background, duration_ms=duration,
                                          transient_ms=args.transient, seed=seed, progress_bar=not args.quiet,
                                          devices=args.devices, raster_neurons=args.raster_neurons,
                                          resume=args.resuming, arguments={"argv": args.argv},
                                          chunk_ms=_checkpoint_ms(args))
    model_s = (args.transient + duration) * 1e-3
    print(f"{result['num_neurons']} neurons, {result['num_synapses']} synapses; built in {result['build_s']:.1f} s, "
          f"simulated in {result['simulate_s']:.1f} s (real-time factor {result['simulate_s'] / model_s:.2f})")
    reference = experiments.reference_rates()
    stats = result["stats"].set_index("population")
    print(f"{'population':>10} {'rate (Hz)':>10} {'NEST (Hz)':>16} {'CV ISI':>7} {'corr':>9}")
    for name, row in stats.iterrows():
        ref = reference.loc[name] if name in reference.index else None
        published = "" if ref is None else f"{ref['mean']:.2f} [{ref['min']:.2f}-{ref['max']:.2f}]"
        print(f"{name:>10} {row.rate_hz:10.3f} {published:>16} {row.cv_isi:7.3f} {row['corr']:9.5f}")
    print("NEST: full-scale Poisson-background runs (data/potjans2014/README.md); a scaled-down network "
          "differs from them" if args.scale != 1.0 else
          "NEST: full-scale Poisson-background runs (data/potjans2014/README.md)")
    paths = _write_formats(result["record"], out, args.format, model="potjans2014", regime=background, seed=seed)
    print("wrote " + ", ".join(str(p) for p in paths + result["paths"][1:]))
    return 0


def _population_file(model: str):
    """The parsed TOML if ``model`` is a population-network file, else None."""
    import tomllib

    from .spiking.population_file import is_population_file

    path = Path(model)
    if path.suffix != ".toml" or not path.is_file():
        return None
    try:
        return path if is_population_file(tomllib.loads(path.read_text())) else None
    except tomllib.TOMLDecodeError:
        return None


def _mam_folder(model: str):
    """The folder if ``model`` is one written by ``import-mam``, else None."""
    path = Path(model)
    return path if path.is_dir() and (path / "mam.toml").is_file() else None


def _run_population_file(args, path) -> int:
    from .spiking.population_file import load_population_network
    from .spiking.population_run import run_population_network

    mam = path.is_dir()
    given = [flag for flag, value in (("--areas", args.areas), ("--backend", args.backend),
                                      ("--regime", args.regime), ("--scale", args.scale),
                                      ("--seed", None if mam else args.seed))
             if value is not None]
    if given:
        raise ValueError(f"{', '.join(given)} do not apply to a population-network file (edit the file)" if not mam
                         else f"{', '.join(given)} do not apply to an imported multi-area model "
                              "(give them to multiarea import-mam)")
    if mam:
        from .schmidt2018 import load_mam

        net = load_mam(path, seed=args.seed)
    else:
        net = load_population_network(path)
    duration = 1000.0 if args.duration is None else args.duration
    out = _output_dir(args.out)
    print(f"{path}: {len(net.populations)} populations, {net.num} neurons, {len(net.connections)} connections; "
          f"{args.transient:g} ms transient + {duration:g} ms")
    if args.devices is not None:
        import jax

        print(f"populations split over {args.devices} devices: {jax.devices()[:args.devices]}")
    result = run_population_network(net, out, duration, args.transient, raster_neurons=args.raster_neurons,
                                    progress_bar=not args.quiet, devices=args.devices, resume=args.resuming,
                                    arguments={"argv": args.argv}, chunk_ms=_checkpoint_ms(args))
    print(f"simulated in {result['simulate_s']:.1f} s")
    print(result["stats"].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    paths = _write_formats(result["record"], out, args.format, model=str(path), seed=args.seed)
    print("wrote " + ", ".join(str(p) for p in paths + result["paths"][1:]))
    return 0


def _run(args) -> int:
    if args.model == "potjans2014":
        return _run_microcircuit(args)
    population_file = _population_file(args.model) or _mam_folder(args.model)
    if population_file is not None:
        return _run_population_file(args, population_file)
    given = [flag for flag, value in (("--scale", args.scale), ("--transient", args.transient_given))
             if value is not None]
    if given:
        raise ValueError(f"{', '.join(given)} apply to potjans2014 only")
    import matplotlib

    matplotlib.use("Agg")
    import jax

    from . import ops
    from .spiking import analysis
    from .spiking.model_file import load_model
    from .spiking.run_folder import complete_run
    from .spiking.simulation import simulate

    model = load_model(args.model, regime=args.regime, **_overrides(args))
    if not model.duration_ms >= model.dt:
        raise ValueError(f"--duration must be at least one step (dt = {model.dt} ms), got {model.duration_ms}")
    out = _output_dir(args.out)
    print(f"{model.name} / {model.regime}: {model.anatomy.n_areas} areas x "
          f"{model.params['neurons_per_area']} neurons, {model.duration_ms} ms "
          f"(dt {model.dt} ms), seed {model.params['seed']}, backend {ops.get_backend()}")
    if args.devices is not None:
        print(f"areas split over {args.devices} devices: {jax.devices()[:args.devices]}")
    start = time.perf_counter()
    net = model.build()
    simulate(net, model.duration_ms, inputs=[model.stimulus(net)], progress_bar=not args.quiet,
             chunk_ms=_checkpoint_ms(args),
             devices=args.devices, out_dir=out, resume=args.resuming, arguments={"argv": args.argv})
    elapsed = time.perf_counter() - start
    record = complete_run(out)
    written = _write_formats(record, out, args.format, model=model.name, regime=model.regime,
                             seed=model.params["seed"])
    raster_path = out / "raster.png"
    analysis.raster_figure(record, neurons=args.raster_neurons, path=raster_path)
    written.append(raster_path)
    start_ms, window_ms, step_ms = _rate_windows(model.duration_ms, model.dt)
    table = analysis.rate_table(record, "E", window_ms=window_ms, step_ms=step_ms, start_ms=start_ms)
    written.append(analysis.write_rate_table(table, out / "rates_E.csv"))
    print(f"E rates from {start_ms:g} ms on ({window_ms:g} ms window every {step_ms:g} ms):")
    print(f"{'area':>6} {'mean (Hz)':>10} {'peak (Hz)':>10} {'at (ms)':>8}")
    for name, mean, peak, t in zip(*table.values()):
        print(f"{name:>6} {mean:10.2f} {peak:10.2f} {t:8.1f}")
    print(f"simulated in {elapsed:.1f} s; {record.steps.size} spikes")
    _print_outcome(model, record)
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _write_formats(record, out: Path, formats, **metadata) -> list[Path]:
    """The run's spikes in each of ``formats`` (``FORMATS``); ``spikes.npz``
    (written by the run) is removed if ``"npz"`` is not among them."""
    paths = []
    for fmt in formats:
        if fmt == "npz":
            paths.append(out / "spikes.npz")
        elif fmt == "nwb":
            paths.append(record.to_nwb(out / "spikes.nwb", **metadata))
        else:
            paths.append(record.to_sonata(out / "spikes.h5"))
    if "npz" not in formats:
        (out / "spikes.npz").unlink()
    return paths


def _rate_windows(duration_ms: float, dt: float) -> tuple[float, float, float]:
    """``(start_ms, window_ms, step_ms)`` of the printed rate table.

    Rates are taken from a third of the run on (as the original code does)
    in 10 ms windows every 1 ms; a run too short for that gets one window
    spanning the rest of the run, on the dt grid.
    """
    start_ms = duration_ms / 3
    if duration_ms - start_ms >= RATE_WINDOW_MS + 1.0:
        return start_ms, RATE_WINDOW_MS, 1.0
    first = math.ceil(round(start_ms / dt, 9)) * dt
    if duration_ms - first < dt:
        first = 0.0
    return round(first, 9), round(duration_ms - first, 9), dt


def _print_outcome(model, record) -> None:
    """Whether this run returned to baseline, in the context of the measured seed statistics."""
    from .joglekar2018 import experiments

    try:
        outcome = experiments.Condition(model, record, experiments.response_table(model, record)).outcome
    except ValueError as err:
        print(f"return to baseline not judged: {err}")
        return
    explained = {"returned": "every area back under its response threshold over the last "
                             f"{experiments.FINAL_MS:g} ms",
                 "stayed active": f"some area above its response threshold over the last "
                                  f"{experiments.FINAL_MS:g} ms",
                 "active before stimulus": f"some area above {experiments.ACTIVE_BASELINE_HZ:g} Hz "
                                           f"before the stimulus"}
    print(f"this run: {outcome} ({explained[outcome]})")
    measured = experiments.seed_outcomes(model)
    if not measured:
        print("no seed statistics are bundled for these parameters; compare seeds with "
              "examples/joglekar_seeds.py")
        return
    print("returned to baseline over seeds with these parameters (a single run is one draw; "
          "benchmarks/joglekar_outcomes.py compares the simulators):")
    for m in measured:
        if m["simulator"] == "multiarea":
            older = ("" if m["noise"] == experiments.NOISE_GENERATOR else
                     f", with the {m['noise']} noise of earlier versions: the same model, other draws")
            name, how = "multiarea", f"examples/joglekar_seeds.py{older}"
        else:
            name, how = "Brian2", f"the original construction, {m['noise']}"
        print(f"  {name + ':':10s} {m['returned']} of {m['runs']} seeds ({m['seeds']}; {m['active_before']} "
              f"active before the stimulus; {how})")


def _figure(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from .joglekar2018 import experiments

    if args.model == RATE_MODEL:
        return _rate_figure(args)
    if args.model == MAM:
        return _mam_figure(args)
    if args.model != "joglekar2018":
        raise ValueError(f"figures exist for models 'joglekar2018', {RATE_MODEL!r} and {MAM!r} only, "
                         f"got {args.model!r}")
    given = [flag for flag, value in (("--run", args.run), ("--published", args.published),
                                      ("--show", args.show)) if value is not None]
    if given:
        raise ValueError(f"{', '.join(given)} apply to 'multiarea figure {MAM}' only")
    if args.seeds is not None and args.seed is not None:
        raise ValueError("give either --seed or --seeds, not both")
    out = _output_dir(args.out)
    for path in experiments.make_figure(args.panel, out, progress_bar=not args.quiet,
                                        seeds=args.seeds, **_overrides(args)):
        print(f"wrote {path}")
    return 0


def _rate_figure(args) -> int:
    from .joglekar2018 import rate_figures

    given = [flag for flag, value in (("--areas", args.areas), ("--duration", args.duration), ("--seed", args.seed),
                                      ("--seeds", args.seeds)) if value is not None]
    if given:
        raise ValueError(f"{', '.join(given)} do not apply to the rate model {RATE_MODEL!r} "
                         f"(29 areas, 10 s, deterministic)")
    if args.backend:
        from . import ops

        ops.set_backend(args.backend)
    for path in rate_figures.make_rate_figure(args.panel, _output_dir(args.out)):
        print(f"wrote {path}")
    return 0


def _mam_figure(args) -> int:
    from .schmidt2018 import figures

    given = [flag for flag, value in (("--areas", args.areas), ("--duration", args.duration), ("--seed", args.seed),
                                      ("--seeds", args.seeds), ("--backend", args.backend)) if value is not None]
    if given:
        raise ValueError(f"{', '.join(given)} do not apply to 'multiarea figure {MAM}' (it draws the run in --run)")
    if args.run is None:
        raise ValueError(f"multiarea figure {MAM} needs --run RUN_DIR: a folder of 'multiarea run' on a model "
                         f"written by import-mam")
    areas = figures.RASTER_AREAS if args.show is None else tuple(a for a in args.show.split(",") if a)
    for path in figures.make_mam_figure(args.panel, args.run, _output_dir(args.out), published_dir=args.published,
                                        areas=areas, start_ms=args.start):
        print(f"wrote {path}")
    return 0


def _import_mam(args) -> int:
    from .schmidt2018 import importer

    print(f"importing the multi-area model ({args.regime}, scale {args.scale:g}) from {args.repo}: running the "
          f"authors' code without NEST ...")
    start = time.perf_counter()
    result = importer.import_mam(args.repo, args.out, scale=args.scale, regime=args.regime,
                                 fullscale_rates=args.fullscale_rates, python=args.python)
    print(f"{result['n_populations']} populations, {result['n_neurons']:,} neurons, {result['n_connections']:,} "
          f"connections, {result['n_synapses']:,} synapses (their label {result['label']}); "
          f"{time.perf_counter() - start:.1f} s")
    print("wrote " + ", ".join(str(p) for p in result["paths"]))
    print(f"these numbers are derived from INM-6/multi-area-model (CC BY-NC-SA 4.0): "
          f"see {Path(args.out) / 'README.md'}")
    print(f"run it: multiarea run {args.out} --duration 100 --out RUN_DIR")
    return 0


def _add_common(parser, model_optional: bool = False) -> None:
    parser.add_argument("model", nargs="?" if model_optional else None,
                        help="model name (e.g. joglekar2018), a population .toml file or a folder "
                             "written by import-mam")
    parser.add_argument("--areas", type=int, default=None, help="number of areas (first N of the data)")
    parser.add_argument("--duration", type=float, default=None, help="simulated time in ms")
    parser.add_argument("--seed", type=int, default=None, help="seed of connectivity and noise")
    parser.add_argument("--backend", default=None, help="op backend (see multiarea.ops.BACKENDS)")
    parser.add_argument("--out", default="multiarea-out", help="output folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _resumed(parser, args, argv):
    """``run`` arguments: as given (``args.argv`` stored with the run), or with
    ``--resume DIR`` the stored ones of the run in DIR (``args.resuming``)."""
    args.resuming = args.resume is not None
    if not args.resuming:
        if args.model is None:
            parser.error("run needs a model (or --resume DIR)")
        args.argv = argv
        return args
    from .spiking.run_folder import RunFolder

    others = [a for a in argv if a not in ("run", "--resume", args.resume) and not a.startswith("--resume=")]
    if others:
        raise ValueError(f"--resume takes no other arguments (the run's own are stored in "
                         f"{Path(args.resume) / 'manifest.json'}), got {others}")
    folder = RunFolder.read(args.resume)  # its files are checked when the run opens it
    folder.check_resumable()
    stored = folder.arguments.get("argv")
    if not isinstance(stored, list):
        raise ValueError(f"{folder.path / 'manifest.json'} holds no command line to resume")
    resumed = parser.parse_args(stored)
    resumed.out, resumed.resuming, resumed.argv = args.resume, True, stored
    print(f"resuming {' '.join(stored)} from step {folder.step}")
    return resumed


def _host_devices(argv, n: int) -> None:
    """Make ``n`` devices visible: on a CPU-only machine with fewer host
    devices, run this command again in a process with ``n`` host devices
    (XLA fixes the device count when jax starts, which importing brainpy does)."""
    import jax

    if n < 1:
        raise ValueError(f"--devices must be >= 1, got {n}")
    devices = jax.devices()
    if len(devices) >= n:
        return
    if any(d.platform != "cpu" for d in devices) or os.environ.get(_REEXEC):
        raise ValueError(f"--devices {n}: jax sees only {len(devices)} devices ({devices})")
    flags = os.environ.get("XLA_FLAGS", "")
    flags = " ".join(f for f in flags.split() if not f.startswith("--xla_force_host_platform_device_count"))
    env = dict(os.environ, XLA_FLAGS=f"{flags} --xla_force_host_platform_device_count={n}".strip(),
               **{_REEXEC: "1"})
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, "-m", "multiarea.cli", *argv], env)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="multiarea", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a bundled model and write spikes, rates and a raster")
    _add_common(run, model_optional=True)
    run.add_argument("--regime", default=None, help="regime (default: the model's default)")
    run.add_argument("--scale", type=float, default=None,
                     help="potjans2014: neurons and in-degrees scaled by this, in (0, 1] (default 1)")
    run.add_argument("--transient", type=float, default=None,
                     help="potjans2014: ms simulated before the analysed --duration (default 100)")
    run.add_argument("--devices", type=int, default=None,
                     help="split the areas (populations, for population files) over N devices (jax.sharding; "
                          "same spikes as one device); "
                          "on a CPU-only machine N host devices are made")
    run.add_argument("--raster-neurons", type=parse_raster_neurons, default=None, metavar="N|all",
                     help="neurons drawn per area and population in raster.png, the same ones every run "
                          "(default 100; potjans2014: 2.5 %% of each population, as the paper)")
    run.add_argument("--format", nargs="+", choices=FORMATS, default=["npz"],
                     help="spike file formats: npz (spikes.npz), nwb (spikes.nwb), sonata (spikes.h5); "
                          "nwb and sonata need pip install \"multiarea[io]\" (default npz)")
    run.add_argument("--checkpoint-ms", type=float, default=None, metavar="MS",
                     help="model time between the checkpoints written to --out (default 100 ms); a checkpoint "
                          "holds the whole network state (12 GB for the full multi-area model)")
    run.add_argument("--resume", metavar="DIR", default=None,
                     help="go on with the killed run in DIR from its last checkpoint (no other arguments: the "
                          "run's own are stored in DIR/manifest.json)")
    figure = sub.add_parser("figure", help="write a panel of Joglekar et al. 2018: spiking model (5B 5C 5E 6A "
                                           "6B 6D) or rate model (propagation timecourses variants eigen fit all); "
                                           "or of a run of the multi-area model of Schmidt et al. 2018 (mam: "
                                           "raster rates traces)")
    _add_common(figure)
    figure.add_argument("panel", help="joglekar2018: 5B, 5C, 5E, 6A, 6B or 6D; joglekar2018-rate: propagation, "
                                      "timecourses, variants, eigen, fit or all; mam: raster, rates or traces")
    figure.add_argument("--run", default=None, metavar="RUN_DIR",
                        help="mam: the folder of a 'multiarea run' of a model written by import-mam")
    figure.add_argument("--published", default=None, metavar="DIR",
                        help="mam rates: a checkout of BrainsOnBoard/procedural_paper, the published NEST rates of "
                             "the full-scale ground state drawn beside the run's")
    figure.add_argument("--show", default=None, metavar="AREA,AREA",
                        help="mam raster, traces: the areas drawn (default V1,V2,FEF, as the paper)")
    figure.add_argument("--start", type=float, default=0.0,
                        help="mam: ms from which the run is drawn and its rates taken (leave the transient out)")
    figure.add_argument("--seeds", type=parse_seeds, default=None,
                        help="several seeds, e.g. 0-4 or 0,3,7: per-area median, IQR, fraction "
                             "responded and latency spread over seeds")
    imp = sub.add_parser("import-mam", help="compute the multi-area model of Schmidt et al. (2018) from a checkout "
                                            "of INM-6/multi-area-model (its code runs here, without NEST) and "
                                            "write it for multiarea run")
    imp.add_argument("repo", metavar="REPO_DIR", help="a checkout of INM-6/multi-area-model (e.g. v1.2.0)")
    imp.add_argument("--out", required=True, help="output folder")
    imp.add_argument("--scale", type=float, default=1.0,
                     help="neurons and in-degrees scaled by this, in (0, 1] (their N_scaling = K_scaling; "
                          "weights / sqrt(F) and DC added as their scale_network does); default 1")
    imp.add_argument("--regime", default="ground-state", choices=("ground-state", "metastable"),
                     help="the paper's ground state (chi = 1) or metastable state (chi = 1.9, chi_I = 2)")
    imp.add_argument("--fullscale-rates", default=None,
                     help="rates JSON for the DC compensation of a scaled network "
                          "(default: the checkout's tests/fullscale_rates.json)")
    imp.add_argument("--python", default=None,
                     help="Python interpreter that runs the authors' code (default: this one)")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.command == "run":
        try:
            args = _resumed(parser, args, argv)
        except (ValueError, FileNotFoundError) as err:
            print(f"multiarea: error: {err}", file=sys.stderr)
            return 2
    if args.command == "import-mam":
        try:
            return _import_mam(args)
        except (ValueError, TypeError, FileNotFoundError, ImportError, RuntimeError) as err:
            print(f"multiarea: error: {err}", file=sys.stderr)
            return 2
    if args.command == "run":  # --scale and --transient exist for population networks only
        populations = (args.model == "potjans2014" or _population_file(args.model) is not None
                       or _mam_folder(args.model) is not None)
        args.transient_given = None if populations else args.transient
        args.scale = 1.0 if args.scale is None and args.model == "potjans2014" else args.scale
        args.transient = 100.0 if args.transient is None else args.transient
    try:
        if args.command == "run" and args.devices is not None:
            _host_devices(argv, args.devices)
        return _run(args) if args.command == "run" else _figure(args)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"multiarea: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
