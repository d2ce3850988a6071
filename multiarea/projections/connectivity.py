"""Which (pre, post) pairs a projection connects.

* :class:`FixedProb` — just-in-time random connectivity, never stored: each
  (pre, post) pair exists independently with probability ``p``, drawn by
  geometric skipping from a counter-based RNG keyed by (seed, projection id,
  pre index) (see ``multiarea.ops._rng``).
* :class:`CSR` — explicit connectivity (e.g. a connectome), rows = pre.
"""
from __future__ import annotations

import numpy as np

from .. import _checks
from ..ops import csr_transpose

__all__ = ["FixedProb", "CSR"]


class FixedProb:
    """Bernoulli(``p``) connectivity for every (pre, post) pair.

    Args:
        p: connection probability in (0, 1].
        seed: connectivity seed in [0, 2**32); with the projection id it fully
            determines the synapses (same on every backend and run).
    """

    def __init__(self, p: float, seed: int = 0):
        self.p = _checks.probability("p", p)
        self.seed = _checks.seed_int("seed", seed)

    def __repr__(self):
        return f"FixedProb(p={self.p}, seed={self.seed})"


class CSR:
    """Explicit connectivity in compressed sparse row form (rows = pre neurons).

    Args:
        indptr: ``(n_pre + 1,)`` row pointers.
        indices: ``(nnz,)`` post indices, each in ``[0, n_post)``.
        n_post: number of post neurons.
    """

    def __init__(self, indptr, indices, n_post: int):
        indptr = np.asarray(indptr)
        indices = np.asarray(indices)
        self.n_post = _checks.positive_int("n_post", n_post)
        if indptr.ndim != 1 or indptr.size < 2 or indptr.dtype.kind not in "iu":
            raise ValueError(f"indptr must be a 1-D integer array of length n_pre + 1, got {indptr.dtype} {indptr.shape}")
        if indptr[0] != 0 or np.any(np.diff(indptr) < 0) or indptr[-1] != indices.size:
            raise ValueError("indptr must start at 0, be non-decreasing and end at len(indices)")
        indices = _checks.index_array("indices", indices, self.n_post)
        self.indptr = indptr.astype(np.int32)
        self.indices = indices.astype(np.int32)

    @property
    def n_pre(self) -> int:
        return self.indptr.size - 1

    @property
    def nnz(self) -> int:
        return self.indices.size

    @classmethod
    def from_scipy(cls, matrix) -> "CSR":
        """From a scipy sparse matrix of shape (n_pre, n_post)."""
        m = matrix.tocsr()
        return cls(m.indptr, m.indices, m.shape[1])

    def pre_of_synapse(self) -> np.ndarray:
        """``(nnz,)`` pre index of every synapse."""
        return np.repeat(np.arange(self.n_pre, dtype=np.int32), np.diff(self.indptr))

    def post_major(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The same synapses grouped by post neuron (see :func:`csr_transpose`):
        ``indptr`` ``(n_post + 1,)``, ``pre_index`` ``(nnz,)`` and ``order``
        ``(nnz,)``, synapse ``order[k]`` (pre-major numbering) being the
        ``k``-th in post-major order."""
        return csr_transpose(self.indptr, self.indices, self.n_post)

    def __repr__(self):
        return f"CSR(n_pre={self.n_pre}, n_post={self.n_post}, nnz={self.nnz})"
