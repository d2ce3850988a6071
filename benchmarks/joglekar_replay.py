"""Replay of the authors' asynchronous strong-GBA run of Joglekar et al. (2018) in Brian2, spike by spike.

``_brian2_replay.py`` rebuilds the published script's network with the
authors' random stream (seed 324824; connectivity drawn as Brian2 2.0/2.1
drew it) and runs it for 650 ms with 6.3 mV into V1 from 300 to 450 ms.
This script compares its E spikes with the authors' saved ones
(``Brian/OriginalCodes/allspikecur6pt3_150msgoodrate.npy`` of
OpenSourceBrain/JoglekarEtAl18, not bundled: pass its path): the spikes
matched per time step, the first step where they differ and in which areas,
and whether each run returns to baseline (``Condition.outcome``, the rule of
``examples/joglekar_seeds.py``, judged on the E spikes: the saved run has no
I spikes).  The replay needs ~20 GB and runs for tens of minutes under
Brian2's numpy target::

    python benchmarks/joglekar_replay.py --brian2-python "$(benchmarks/setup_brian2.sh)" \\
        --original JoglekarEtAl18/Brian/OriginalCodes/allspikecur6pt3_150msgoodrate.npy --keep replay.npz

``--replay replay.npz`` compares a replay already run.
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

import numpy as np

import multiarea as ma
from multiarea.data import data_dir
from multiarea.joglekar2018 import experiments

PEER = Path(__file__).with_name("_brian2_replay.py")
DURATION_MS, DT, N_E = 650.0, 0.1, 1600


def run_replay(python: str, out: Path) -> None:
    subprocess.run([python, str(PEER), str(data_dir() / "joglekar2018"), str(out)], check=True)


def by_step(steps: np.ndarray, neurons: np.ndarray, n_steps: int) -> list[set]:
    """The set of spiking neurons of every step."""
    order = np.lexsort((neurons, steps))
    bounds = np.searchsorted(steps[order], np.arange(n_steps + 1))
    return [set(neurons[order[a:b]].tolist()) for a, b in zip(bounds[:-1], bounds[1:])]


def outcome(steps, neurons, model):
    record = ma.SpikeRecord.from_ei(steps, neurons, int(round(DURATION_MS / DT)), DT, model.anatomy.area_names,
                                    N_E, 400)
    table = experiments.response_table(model, record)
    return experiments.Condition(model, record, table), table


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--original", type=Path, required=True, help="allspikecur6pt3_150msgoodrate.npy")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--brian2-python", help="interpreter with brian2 (benchmarks/setup_brian2.sh)")
    source.add_argument("--replay", type=Path, help="an .npz written by _brian2_replay.py")
    parser.add_argument("--keep", type=Path, help="where to keep the replay's spikes (with --brian2-python)")
    args = parser.parse_args(argv)
    for path in (args.original, args.replay):
        if path is not None and not path.is_file():
            parser.error(f"{path} does not exist")
    replay_path = args.replay
    if replay_path is None:
        replay_path = args.keep or Path(tempfile.mkdtemp()) / "replay.npz"
        run_replay(args.brian2_python, replay_path)
    saved = np.load(args.original)
    with np.load(replay_path) as f:
        replay = {"t_ms": f["t_ms"], "i": f["i"], "build_s": float(f["build_s"]), "run_s": float(f["run_s"])}
    n_steps = int(round(DURATION_MS / DT))
    runs = {"authors": (np.rint(saved[:, 0] / DT).astype(np.int64), saved[:, 1].astype(np.int64)),
            "replay": (np.rint(replay["t_ms"] / DT).astype(np.int64), replay["i"].astype(np.int64))}
    a, b = (by_step(*runs[k], n_steps) for k in runs)
    same = np.array([x == y for x, y in zip(a, b)])
    first = int(np.argmin(same)) if not same.all() else None
    print(f"replay: built in {replay['build_s']:.0f} s, ran 650 ms in {replay['run_s']:.0f} s")
    print(f"E spikes: authors {len(saved):,}, replay {len(replay['i']):,}")
    names = ma.data.joglekar2018().area_names
    if first is None:
        print("every step identical")
    else:
        differ = sorted(a[first] ^ b[first])
        areas = sorted({names[n // N_E] for n in differ})
        print(f"first step that differs: {first} (t = {first * DT:.1f} ms), {len(differ)} neuron(s) in "
              f"{', '.join(areas)}; identical steps before it: all {first}")
        for stop_ms in (10.0, 50.0, 100.0, 300.0, 650.0):
            k = int(round(stop_ms / DT))
            shared = sum(len(x & y) for x, y in zip(a[:k], b[:k]))
            print(f"  0-{stop_ms:g} ms: {shared:,} spikes in both of {sum(map(len, a[:k])):,} (authors) / "
                  f"{sum(map(len, b[:k])):,} (replay); steps identical {same[:k].mean():.3f}")
    model = ma.load_model("joglekar2018", "asynchronous-strong", duration_ms=DURATION_MS)
    tables = {}
    for k, (steps, neurons) in runs.items():
        condition, tables[k] = outcome(steps.astype(np.int32), neurons.astype(np.int32), model)
        print(f"{k}: {condition.outcome}")
    print(f"\n{'area':>6} " + " ".join(f"{k + ' peak':>13} {k + ' final':>13}" for k in runs) +
          "  (E, Hz: peak over 300-500 ms in 10 ms windows, mean over 600-650 ms)")
    for i in np.argsort(model.anatomy.hierarchy, kind="stable"):
        print(f"{names[i]:>6} " + " ".join(f"{tables[k]['peak_hz'][i]:13.1f} {tables[k]['final_hz'][i]:13.1f}"
                                          for k in runs))

if __name__ == "__main__":
    main()
