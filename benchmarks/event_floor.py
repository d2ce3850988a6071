"""The measured floor of one synaptic event in plain C on this machine.

Compiles ``benchmarks/event_floor.c`` (gcc -O3 -march=native -fopenmp) and
runs its three modes (ring additions alone; + the post-index hash; + the
delay and weight draws: the population kernel's per-synapse work) with 1 and
2 threads, printing ns per event (wall).  Compare with the kernel's delivery
cost printed by ``benchmarks/potjans2014.py``.

    python benchmarks/event_floor.py
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = Path(__file__).with_name("event_floor.c")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "event_floor"
        subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp", str(SOURCE), "-o", str(binary), "-lm"],
                       check=True)
        print(f"{'mode':>6} {'threads':>7} {'ns/event':>9}")
        for threads in (1, 2):
            for mode in ("add", "hash", "full"):
                out = subprocess.run([str(binary), mode], capture_output=True, text=True, check=True,
                                     env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
                result = json.loads(out.stdout)
                print(f"{mode:>6} {threads:>7} {result['ns_per_event']:9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
