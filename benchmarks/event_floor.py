"""The measured floors of one synaptic event and one neuron update in plain C
on this machine.

* ``benchmarks/event_floor.c`` (gcc -O3 -march=native -fopenmp): its three
  modes (ring additions alone; + the post-index hash; + the delay and weight
  draws: the population kernel's per-synapse work) with 1 and 2 threads, in
  ns per event (wall).  Compare with the kernel's delivery cost printed by
  ``benchmarks/joglekar.py`` and ``benchmarks/potjans2014.py``.
* ``benchmarks/update_floor.c``: the update of the Joglekar model's 58,000
  LIF neurons (ring read and clear, two noise draws, Euler step, threshold,
  spike words), vectorised by gcc or scalar, with the model's 268-slot ring
  or a 2-slot one, 1 and 2 threads, in ns per neuron and step.  Compare with
  the "neuron update" line of ``benchmarks/joglekar.py``.

    python benchmarks/event_floor.py
    python benchmarks/event_floor.py --update-steps 200     # shorter update runs
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
FLAGS = ["-O3", "-march=native", "-fopenmp"]
#: update_floor.c builds: name -> extra gcc flags
UPDATE_BUILDS = {"vectorised, ring 268": [], "scalar, ring 268": ["-fno-tree-vectorize"],
                 "vectorised, ring 2": ["-DSLOTS_EX=2", "-DSLOTS_IN=2"],
                 "scalar, ring 2": ["-fno-tree-vectorize", "-DSLOTS_EX=2", "-DSLOTS_IN=2"]}


def _compile(source: Path, binary: Path, extra=()) -> Path:
    subprocess.run(["gcc", *FLAGS, *extra, str(source), "-o", str(binary), "-lm"], check=True)
    return binary


def _run(binary: Path, threads: int, *args) -> dict:
    out = subprocess.run([str(binary), *args], capture_output=True, text=True, check=True,
                         env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
    return json.loads(out.stdout)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--update-steps", type=int, default=2000, help="steps of each update_floor run")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        events = _compile(HERE / "event_floor.c", Path(tmp) / "event_floor")
        print("synaptic delivery (event_floor.c)")
        print(f"{'mode':>6} {'threads':>7} {'ns/event':>9}")
        for threads in (1, 2):
            for mode in ("add", "hash", "full"):
                print(f"{mode:>6} {threads:>7} {_run(events, threads, mode)['ns_per_event']:9.2f}")
        print("\nneuron update (update_floor.c, 58,000 neurons)")
        print(f"{'build':>22} {'threads':>7} {'ns/neuron-step':>15}")
        for name, extra in UPDATE_BUILDS.items():
            binary = _compile(HERE / "update_floor.c", Path(tmp) / "update_floor", extra)
            for threads in (1, 2):
                ns = _run(binary, threads, str(args.update_steps))["ns_per_neuron_step"]
                print(f"{name:>22} {threads:>7} {ns:15.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
