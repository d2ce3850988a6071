"""Brian2 2.0/2.1's random connectivity, drawn from numpy's global stream as those versions drew it.

The authors of Joglekar et al. (2018) ran Brian2 2.0/2.1 (2017) with weave or
Cython; Brian2 2.9's targets draw random numbers differently, so a replay of
their saved run needs the old pattern (``_brian2_replay.py``).  Read from
brian-team/brian2 at tags 2.0, 2.0.1 and 2.1 (``weave_rt.py`` and
``cython_generator.py`` ``rand_code``, ``synapses_create_generator`` templates):

* ``rand()`` in generated code reads from one process-wide buffer, refilled
  with ``numpy.random.rand(20000)`` on the first draw after it is used up;
* ``connect(p=p)`` becomes ``j = '_k for _k in sample(N_post, p=p)'``, and for
  ``p < 0.25`` the template jumps: per presynaptic row ``j = -1``, then while
  ``j + 1 < N_post``: ``j += 1 + floor(log(rand()) / log(1 - p))``; a
  ``j < N_post`` is a synapse, the first ``j >= N_post`` ends the row (that draw
  is consumed too);
* direct numpy calls in the script (``numpy.random.normal`` delays,
  ``rand(len(E))`` voltages) take numbers from numpy between refills.

Pure numpy: the test suite checks ``sample_jump`` against a scalar
transcription of the template.
"""
from __future__ import annotations

import math

import numpy as np

BUFFER_SIZE = 20000  #: Brian2 2.0/2.1's random buffer


class SharedRandBuffer:
    """Brian2 2.0/2.1's ``_rand``: one global buffer of ``numpy.random.rand(size)``, refilled lazily."""

    def __init__(self, size: int = BUFFER_SIZE):
        self.size = size
        self.buffer = None
        self.index = 0          # 0: refill on the next draw, as Brian2 did
        self.refills = 0

    def remaining(self) -> np.ndarray:
        """The draws left in the buffer, refilling it first if it is used up."""
        if self.index == 0:
            self.buffer = np.random.rand(self.size)
            self.refills += 1
        return self.buffer[self.index:]

    def consume(self, n: int) -> None:
        if not 0 <= self.index + n <= self.size:
            raise ValueError(f"cannot consume {n} draws with {self.size - self.index} left")
        self.index = (self.index + n) % self.size


def sample_jump(n_pre: int, n_post: int, p: float, rand: SharedRandBuffer) -> tuple[np.ndarray, np.ndarray]:
    """``(i, j)`` int32 arrays, row-major, of ``connect(p=p)`` (``0 < p < 0.25``) between
    ``n_pre`` and ``n_post`` neurons, exactly as Brian2 2.0/2.1's jump template drew them
    from ``rand`` -- vectorised over each buffer's worth of draws."""
    if not 0 < p < 0.25:
        raise ValueError(f"the jump template is used for 0 < p < 0.25, got p = {p}")
    scale = 1.0 / math.log(1 - p)
    out_i, out_j = [], []
    row, carry = 0, 0           # carry: how far the current row had advanced in earlier buffers
    while row < n_pre:
        draws = rand.remaining()
        reach = np.cumsum(np.floor(np.log(draws) * scale).astype(np.int64) + 1)   # j + 1 after each draw
        first, n = 0, len(reach)
        starts, ends, bases, rows = [], [], [], []
        while row < n_pre:
            base = (reach[first - 1] if first else 0) - carry
            last = max(int(np.searchsorted(reach, base + n_post, side="left")), first)   # first j >= N_post - 1
            starts.append(first)
            bases.append(base)
            rows.append(row)
            if last >= n:       # the row goes on in the next buffer
                ends.append(n)
                carry, first = int(reach[n - 1] - base), n
                break
            ends.append(last + 1 if reach[last] - base == n_post else last)   # j == N_post - 1 is a synapse
            carry, row, first = 0, row + 1, last + 1
            if first >= n:
                break
        rand.consume(first)
        lengths = np.asarray(ends) - np.asarray(starts)
        if lengths.sum():
            k = np.repeat(np.asarray(ends) - np.cumsum(lengths), lengths) + np.arange(lengths.sum())
            out_j.append(reach[k] - np.repeat(np.asarray(bases), lengths) - 1)
            out_i.append(np.repeat(np.asarray(rows), lengths))
    if not out_i:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    return np.concatenate(out_i).astype(np.int32), np.concatenate(out_j).astype(np.int32)
