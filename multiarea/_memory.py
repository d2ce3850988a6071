"""Keeping a long run's resident memory flat.

glibc serves an allocation above its mmap threshold (128 KiB at start) with
its own ``mmap``, returned to the system when freed; but each such free
raises the threshold (up to 32 MiB), after which buffers of that size come
from the heap, whose freed pages are not returned while anything above them
lives.  A run recorded to disk frees and re-makes its state (rings of
4-50 MB) every chunk, so its resident set wandered by +-40 MB (7 % of the
29-area model) with no leak behind it (``benchmarks/long_run.py``).
Fixing the threshold (``mallopt(M_MMAP_THRESHOLD)``, the same as setting
``MALLOC_MMAP_THRESHOLD_`` before the process starts) keeps it within 0.2 %
at the same speed.
"""
from __future__ import annotations

import ctypes

__all__ = ["fix_mmap_threshold", "MMAP_THRESHOLD"]

MMAP_THRESHOLD = 128 * 1024  #: bytes: glibc's initial threshold, kept fixed
_M_MMAP_THRESHOLD = -3       # glibc malloc.h


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold of this process at ``threshold`` bytes
    (no dynamic raise): every freed buffer larger than it goes back to the
    system.  Process-wide and lasting; harmless to call again.

    Returns:
        True if set; False where the C library has no ``mallopt`` (not glibc).
    """
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the C library this process already runs on
    return mallopt is not None and bool(mallopt(_M_MMAP_THRESHOLD, int(threshold)))
