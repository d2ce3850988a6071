"""Benchmark harness: each side in a fresh subprocess (own peak RSS, whole
machine), and whether a peer library is installed."""
from __future__ import annotations

import importlib.util
import multiprocessing as mp
import queue as queue_module
import resource


def peak_rss_mb() -> float:
    """Peak resident set size of this process (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_subprocess(target, *args):
    """Run ``target(*args, queue)`` in a spawned process and return what it
    puts on the queue; raise if the process dies without an answer."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    while True:
        try:
            result = queue.get(timeout=5)
            break
        except queue_module.Empty:
            if not proc.is_alive():
                raise RuntimeError(f"{target.__name__} exited with code {proc.exitcode} without a result") from None
    proc.join()
    return result


def peer_missing(*modules: str) -> str | None:
    """Why the peer cannot run (the modules not importable here), or None."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        return (f"{' and '.join(missing)} not importable from this interpreter; "
                f"pip install -r benchmarks/requirements-peers.txt")
    return None
