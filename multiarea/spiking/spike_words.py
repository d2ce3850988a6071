"""Spike words: how a step's spikes travel from a runner to the recording.

A step's spikes are bit-packed into uint32 words, 1 bit per neuron: per area
``ceil(n_E / 32)`` E words, area-major, then the I words likewise; bit ``b``
of an area's word ``w`` is its neuron ``32 w + b`` (:func:`word_neurons`).
Every runner returns ``(K, n_words)`` words for ``K`` steps, the recording
turns them into (step, neuron) pairs (:func:`words_to_pairs`), and the sharded
run exchanges them between devices (:func:`pack_words` inside ``jit``).

Neurons are numbered E first, area-major (``area * n_E + i``), then I
(``n_areas * n_E + area * n_I + i``).
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

__all__ = ["word_neurons", "words_to_pairs", "words_to_spikes", "pack_words", "unpack_words"]


def word_neurons(n_areas: int, n_E: int, n_I: int) -> np.ndarray:
    """``(n_words, 32)`` int32 global neuron index of each bit of a step's spike
    words (-1: padding), in the layout of the module docstring."""
    words_E, words_I = -(-n_E // 32), -(-n_I // 32)
    out = np.full((n_areas * (words_E + words_I), 32), -1, np.int32)
    for offset, n, per_area, first in ((0, n_E, words_E, 0),
                                       (n_areas * words_E, n_I, words_I, n_areas * n_E)):
        local = np.arange(per_area * 32).reshape(per_area, 32)
        for a in range(n_areas):
            rows = slice(offset + a * per_area, offset + (a + 1) * per_area)
            out[rows] = np.where(local < n, first + a * n + local, -1)
    return out


def words_to_pairs(words: np.ndarray, word_neurons: np.ndarray, first_step: int,
                   recorded: np.ndarray | None = None):
    """``(steps, neurons)`` int32 of the spikes in ``(K, n_words)`` words, sorted
    by step then neuron; ``recorded``: optional bool mask over neurons."""
    k, w = np.nonzero(words)
    bits = (words[k, w][:, None] >> np.arange(32, dtype=np.uint32)) & np.uint32(1)
    row, b = np.nonzero(bits)
    steps, neurons = (k[row] + first_step).astype(np.int32), word_neurons[w[row], b]
    if recorded is not None:
        keep = recorded[neurons]
        steps, neurons = steps[keep], neurons[keep]
    return steps, neurons


def words_to_spikes(words: np.ndarray, n_areas: int, n_E: int, n_I: int):
    """``(E, I)`` bool spikes, ``(K, n_areas, n_E)`` and ``(K, n_areas, n_I)``,
    of ``(K, n_words)`` spike words."""
    words = np.ascontiguousarray(words, np.uint32)
    bits = np.unpackbits(words.view(np.uint8), bitorder="little").reshape(len(words), -1, 32) > 0
    split = n_areas * -(-n_E // 32)
    spike_E = bits[:, :split].reshape(len(words), n_areas, -1)[:, :, :n_E]
    spike_I = bits[:, split:].reshape(len(words), n_areas, -1)[:, :, :n_I]
    return spike_E, spike_I


def pack_words(spikes):
    """``(..., n)`` bool -> ``(..., ceil(n / 32))`` uint32 (JAX, traceable); bit
    ``b`` of word ``w`` is neuron ``32 w + b``."""
    n = spikes.shape[-1]
    bits = jnp.pad(spikes, [(0, 0)] * (spikes.ndim - 1) + [(0, -n % 32)]).astype(jnp.uint32)
    bits = bits.reshape(spikes.shape[:-1] + (-1, 32))
    return jnp.sum(bits << jnp.arange(32, dtype=jnp.uint32), axis=-1, dtype=jnp.uint32)


def unpack_words(words, n: int):
    """Inverse of :func:`pack_words`: ``(..., W)`` uint32 -> ``(..., n)`` bool."""
    bits = (words[..., None] >> jnp.arange(32, dtype=jnp.uint32)) & jnp.uint32(1)
    return bits.reshape(words.shape[:-1] + (-1,))[..., :n].astype(bool)
