"""glibc's dynamic mmap threshold and fix_mmap_threshold (multiarea._memory):
after a large buffer is freed, glibc serves buffers up to its size from the
heap and keeps their pages when they are freed below a live one; with the
threshold fixed they go back to the system.  Each case runs in a fresh
process (mallopt is process-wide)."""
import subprocess
import sys
import textwrap

import pytest

from multiarea import _memory

PROGRAM = textwrap.dedent("""
    import os, sys
    import numpy as np

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    if sys.argv[1] == "fixed":   # the module alone: importing the package (jax, taichi) would move the heap
        import importlib.util
        spec = importlib.util.spec_from_file_location("_memory", sys.argv[2])
        memory = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(memory)
        assert memory.fix_mmap_threshold()
    big = np.ones(16 << 17); del big          # 16 MB: mmapped, freed (glibc raises its threshold to it)
    base = rss_mb()
    buffers, live = [], []
    for _ in range(50):
        buffers.append(np.ones(1 << 17))       # 1 MB
        live.append(np.ones(1 << 10))          # 8 KB, allocated after it and kept
    del buffers
    print(rss_mb() - base)
""")


def _retained_mb(mode):
    out = subprocess.run([sys.executable, "-c", PROGRAM, mode, _memory.__file__], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return float(out.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_fixed_threshold_returns_freed_buffers_to_the_system():
    if not _memory.fix_mmap_threshold():  # sets it in this process too, as every run to disk does
        pytest.skip("the C library has no mallopt (not glibc)")
    assert _retained_mb("dynamic") > 40      # 50 x 1 MB kept by the heap: what a long run saw
    assert _retained_mb("fixed") < 2
