"""Counter-based random numbers for just-in-time connectivity.

Connectivity is never stored: every random number is a pure function of
``(seed, projection id, pre index, counter)``, so any backend (pure JAX, the
Taichi kernels, numpy on the host) regenerates exactly the same synapses.

All arithmetic is on unsigned 32-bit integers with wrap-around, which every
backend performs identically; floating point is never used to decide which
synapses exist or what their delays are (see ``_tables``).

* ``mix32``: the "lowbias32" integer hash (C. Wellons), a bijection of uint32.
* ``row_key(seed, proj, pre)``: the key of one pre neuron's row in one
  projection.  For a fixed (seed, proj) the keys of different pre neurons are
  distinct (``mix32`` is a bijection).
* ``draw(key, counter)``: the ``counter``-th uint32 of that row.  The
  connectivity of a row uses even counters (``2k`` decides the k-th gap), the
  per-synapse delays odd ones (``2k + 1`` for the k-th synapse), so adding
  delay jitter never changes which synapses exist.

The functions take jax or numpy uint32 arrays (they only use ``^ >> * +``).
"""
from __future__ import annotations

import functools

import numpy as np

MIX_MUL1 = 0x21F0AAAD
MIX_MUL2 = 0x735A2D97
GOLDEN = 0x9E3779B9


def _u32(xp, value):
    return xp.asarray(value, dtype=xp.uint32)


def mix32(x, xp=np):
    """lowbias32 hash of a uint32 array (bijective)."""
    x = x ^ (x >> _u32(xp, 16))
    x = x * _u32(xp, MIX_MUL1)
    x = x ^ (x >> _u32(xp, 15))
    x = x * _u32(xp, MIX_MUL2)
    return x ^ (x >> _u32(xp, 15))


def row_key(seed, proj, pre, xp=np):
    """Key of the row of pre neuron ``pre`` in projection ``proj`` (uint32)."""
    seed, proj, pre = (_u32(xp, v) for v in (seed, proj, pre))
    return mix32(mix32(mix32(seed ^ _u32(xp, GOLDEN), xp) ^ proj, xp) + pre, xp)


def draw(key, counter, xp=np):
    """The ``counter``-th uint32 of the row with key ``key``."""
    return mix32(_u32(xp, key) ^ mix32(_u32(xp, counter), xp), xp)


# -- membrane noise ---------------------------------------------------------------

#: bits of a draw that index :func:`normal_table`
NOISE_BITS = 16
_NOISE_SALT = 0x6E6F6973  # "nois": separates noise keys from connectivity keys


def noise_key(seed) -> np.uint32:
    """The uint32 noise key of a population with seed ``seed``."""
    return mix32(np.uint32(seed) ^ np.uint32(_NOISE_SALT))


def noise_index(key, step, neuron, xp=np):
    """Index into :func:`normal_table` of neuron ``neuron`` at step ``step``:
    the top ``NOISE_BITS`` bits of ``draw(mix32(key ^ mix32(step)), neuron)``."""
    step_key = mix32(_u32(xp, key) ^ mix32(_u32(xp, step), xp), xp)
    return draw(step_key, neuron, xp) >> _u32(xp, 32 - NOISE_BITS)


@functools.lru_cache(maxsize=1)
def normal_table() -> np.ndarray:
    """``(2**NOISE_BITS,)`` float32 standard normal values for the membrane noise.

    Entry ``j`` is the normal quantile at the bin midpoint ``(j + 0.5) /
    2**NOISE_BITS``, so a uniform index gives a normal variate discretised to
    65,536 equiprobable levels; it is exactly symmetric (mean 0) and rescaled
    to variance 1, which truncates it at |z| <= 4.33.  A lookup uses no
    floating-point arithmetic, so the pure-JAX reference and the Taichi kernels
    draw bit-identical noise.
    """
    from scipy.special import ndtri

    half = 1 << (NOISE_BITS - 1)
    upper = ndtri((half + np.arange(half) + 0.5) / (2 * half))  # float64, > 0
    upper /= np.sqrt(np.mean(upper ** 2))
    table = np.concatenate([-upper[::-1], upper]).astype(np.float32)
    table.flags.writeable = False  # cached: shared by every caller
    return table
