"""Benchmark: memory over a long run with recording to disk.

Runs the Joglekar model (29 areas x 2000 neurons by default, asynchronous
weak GBA) for ``--steps`` steps with ``simulate(..., chunk_ms, out_dir)``
(spike chunks, checkpoints and manifest written as the CLI writes them) and
samples this process's resident set size (``/proc/self/statm``) after every
chunk.  Prints the RSS curve and its growth after the first chunk; exits 1
if the growth exceeds ``--max-growth`` percent.  (A run to disk fixes
glibc's mmap threshold, ``multiarea._memory``: without that the RSS
wandered by +-40 MB, +7 % over 10^5 steps, with no leak behind it.)

    python benchmarks/long_run.py                   # 10^5 steps (10 s of model time)
    python benchmarks/long_run.py --steps 20000 --areas 5
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time


def rss_mb() -> float:
    """Current resident set size of this process (MB)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(steps: int, areas: int, chunk_ms: float, regime: str, out_dir: str) -> list[tuple[int, float, float]]:
    """``(step, seconds since start, RSS MB)`` after every chunk of a run of ``steps`` steps."""
    import multiarea as ma
    from multiarea.spiking.run_folder import RunFolder

    model = ma.load_model("joglekar2018", regime=regime, n_areas=areas)
    net = model.build()
    samples, start = [], time.perf_counter()
    add_chunk = RunFolder.add_chunk

    def add_and_sample(self, chunk, net_):
        add_chunk(self, chunk, net_)
        samples.append((chunk.n_steps, time.perf_counter() - start, rss_mb()))

    RunFolder.add_chunk = add_and_sample
    try:
        ma.simulate(net, steps * net.dt, inputs=[model.stimulus(net)], chunk_ms=chunk_ms, out_dir=out_dir,
                    progress_bar=False)
    finally:
        RunFolder.add_chunk = add_chunk
    return samples


def growth_percent(samples) -> float:
    """Largest RSS after the first chunk relative to the RSS after it (%)."""
    first = samples[0][2]
    return 100.0 * (max(s[2] for s in samples[1:]) - first) / first if len(samples) > 1 else 0.0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--areas", type=int, default=29)
    p.add_argument("--chunk-ms", type=float, default=100.0)
    p.add_argument("--regime", default="asynchronous-weak")
    p.add_argument("--max-growth", type=float, default=5.0, help="percent RSS growth allowed after the first chunk")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as out:
        samples = measure(args.steps, args.areas, args.chunk_ms, args.regime, out)
    print(f"Joglekar {args.regime}, {args.areas} areas, {args.steps} steps, chunks of {args.chunk_ms:g} ms "
          f"written to disk with checkpoints")
    print(f"{'step':>8} {'wall (s)':>9} {'RSS (MB)':>9}")
    every = max(1, len(samples) // 20)
    for step, wall, rss in samples[::every] + ([samples[-1]] if (len(samples) - 1) % every else []):
        print(f"{step:8d} {wall:9.1f} {rss:9.1f}")
    growth = growth_percent(samples)
    print(f"RSS after the first chunk {samples[0][2]:.1f} MB, largest after it "
          f"{max(s[2] for s in samples):.1f} MB: growth {growth:+.2f} % (limit {args.max_growth:g} %)")
    return 0 if growth <= args.max_growth else 1


if __name__ == "__main__":
    sys.exit(main())
