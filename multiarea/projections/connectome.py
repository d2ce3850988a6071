"""Connectomes: accepting them in any common form, building typed random ones,
and projections into / out of neuron subsets.

Convention: a connectome matrix is ``(n_pre, n_post)`` — rows are presynaptic
neurons, columns postsynaptic (as :class:`multiarea.CSR`).  Every function that
takes a connectome accepts a scipy sparse matrix/array, a dense 2-D array, or
a COO pair ``(indices, values)`` with ``indices`` of shape ``(2, nnz)``
holding (pre, post) rows.

The fly visual system connectome is :func:`fly_visual` (``multiarea.data.fly_visual``).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .. import _checks
from .connectivity import CSR
from .projection import Projection
from ..data.fly_visual import FlyVisualConnectome, fly_visual

__all__ = ["to_csr", "create_sparse_projection", "create_neuron_typed_connectome",
           "plot_typed_connectome", "FlyVisualConnectome", "fly_visual"]

_PRE_IN = ("rows", "columns")


def to_csr(connectome, shape=None, *, pre_in: str = "rows", name: str = "connectome") -> sp.csr_array:
    """A connectome in any accepted form as a scipy CSR array ``(n_pre, n_post)``.

    Args:
        connectome: scipy sparse matrix/array; dense 2-D array; or COO pair
            ``(indices, values)``, ``indices`` ``(2, nnz)`` int, ``values``
            ``(nnz,)`` (duplicate pairs are summed).
        shape: expected ``(n_pre, n_post)``; required for a COO pair, checked
            otherwise.
        pre_in: ``"rows"`` if the input has presynaptic neurons in rows (the
            convention here), ``"columns"`` if in columns (it is transposed).
        name: the parameter name used in error messages.

    Returns:
        ``scipy.sparse.csr_array`` of float64, duplicates summed, indices sorted.
    """
    if pre_in not in _PRE_IN:
        raise ValueError(f"pre_in must be one of {_PRE_IN}, got {pre_in!r}")
    flip = pre_in == "columns"
    if shape is not None:
        shape = tuple(int(s) for s in shape)
        if len(shape) != 2 or min(shape) <= 0:
            raise ValueError(f"shape must be (n_pre, n_post) with positive sizes, got {shape}")
    if sp.issparse(connectome):
        m = sp.csr_array(connectome, dtype=np.float64)
    elif isinstance(connectome, tuple) and len(connectome) == 2:
        m = _from_coo(connectome, shape, flip, name)
        flip = False  # _from_coo already put pre in rows
    else:
        dense = np.asarray(connectome)
        if dense.ndim != 2 or dense.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be a scipy sparse matrix, a numeric 2-D array or an "
                            f"(indices, values) pair, got {type(connectome).__name__} "
                            f"with shape {dense.shape} and dtype {dense.dtype}")
        m = sp.csr_array(dense.astype(np.float64))
    if flip:
        m = sp.csr_array(m.T)
    m.sum_duplicates()
    m.sort_indices()
    if not np.all(np.isfinite(m.data)):
        raise ValueError(f"{name} must be finite; it contains NaN or inf")
    if shape is not None and m.shape != shape:
        raise ValueError(f"{name} must have shape (n_pre, n_post) = {shape}, got {m.shape}")
    return m


def _from_coo(pair, shape, flip: bool, name: str) -> sp.csr_array:
    indices, values = (np.asarray(a) for a in pair)
    if indices.ndim != 2 or indices.shape[0] != 2 or indices.dtype.kind not in "iu":
        raise ValueError(f"{name}: COO indices must be an integer array of shape (2, nnz), "
                         f"got {indices.dtype} {indices.shape}")
    if values.shape != (indices.shape[1],):
        raise ValueError(f"{name}: COO values must have shape ({indices.shape[1]},), got {values.shape}")
    if shape is None:
        raise ValueError(f"{name}: shape (n_pre, n_post) is required for an (indices, values) pair")
    pre, post = (indices[1], indices[0]) if flip else (indices[0], indices[1])
    for label, idx, n in (("pre", pre, shape[0]), ("post", post, shape[1])):
        _checks.index_array(f"{name}: {label} indices", idx, n)
    return sp.csr_array(sp.coo_array((values.astype(np.float64), (pre, post)), shape=shape))


def create_sparse_projection(size: int, num_neurons: int, indices=None, mode: str = "ih",
                             weight=1.0, backend: str | None = None) -> Projection:
    """A one-to-one projection between an external vector and a neuron subset.

    Args:
        size: length of the external vector (inputs for ``"ih"``, readouts for
            ``"ho"``).
        num_neurons: number of neurons in the network.
        indices: ``(size,)`` neuron index of every input (``"ih"``: input ``i``
            drives neuron ``indices[i]``) or readout (``"ho"``: readout ``j``
            reads neuron ``indices[j]``); repeats are allowed.  ``None``: all
            neurons in order (then ``size`` must equal ``num_neurons``).
        mode: ``"ih"`` (input -> hidden: pre = the ``size`` inputs, post = the
            neurons) or ``"ho"`` (hidden -> output: pre = the neurons, post =
            the ``size`` readouts).
        weight: scalar or ``(size,)`` per connection.
        backend: mat-vec op backend (default ``multiarea.ops.get_backend()``).

    Returns:
        A :class:`Projection` without delay; ``proj.matvec(x)`` maps
        ``(n_pre,)``/``(n_pre, batch)`` to ``(n_post,)``/``(n_post, batch)``.
    """
    size = _checks.positive_int("size", size)
    num_neurons = _checks.positive_int("num_neurons", num_neurons)
    if mode not in ("ih", "ho"):
        raise ValueError(f"mode must be 'ih' (input -> hidden) or 'ho' (hidden -> output), got {mode!r}")
    if indices is None:
        if size != num_neurons:
            raise ValueError(f"indices=None connects every neuron, so size must equal "
                             f"num_neurons={num_neurons}, got size={size}")
        indices = np.arange(num_neurons)
    indices = _checks.index_array("indices", indices, num_neurons, size=size)
    ones = np.ones(size)
    if mode == "ih":
        m = sp.csr_array((ones, (np.arange(size), indices)), shape=(size, num_neurons))
        pre, post, order = size, num_neurons, np.arange(size)
    else:
        m = sp.csr_array((ones, (indices, np.arange(size))), shape=(num_neurons, size))
        pre, post = num_neurons, size
        order = np.lexsort((np.arange(size), indices))  # CSR (pre-major) order of the connections
    w = _checks.finite_array("weight", weight)
    if w.ndim == 1:
        if w.shape != (size,):
            raise ValueError(f"weight must be a scalar or ({size},), got shape {w.shape}")
        w = w[order]
    elif w.ndim != 0:
        raise ValueError(f"weight must be a scalar or ({size},), got shape {w.shape}")
    return Projection(pre, post, CSR.from_scipy(m), w, backend=backend)


def create_neuron_typed_connectome(num_neurons: int, neuron_type_probs, neuron_type_connectivity,
                                   deterministic_type_assignment: bool = False, seed: int = 0,
                                   self_connections: bool = False):
    """A random connectome whose connection probability depends on cell types.

    Args:
        num_neurons: number of neurons ``n``.
        neuron_type_probs: ``(n_types,)`` fractions of each type, >= 0,
            summing to 1.
        neuron_type_connectivity: ``(n_types, n_types)`` block matrix; entry
            ``[a, b]`` in [0, 1] is the probability that a neuron of type ``a``
            connects to one of type ``b`` (rows = pre type).
        deterministic_type_assignment: if True, exactly
            ``round(prob * n)`` neurons of each type (largest remainders
            decide the rounding so the counts sum to ``n``), in random order;
            if False, each neuron's type is drawn from ``neuron_type_probs``.
        seed: random seed (types and synapses).
        self_connections: allow ``i -> i`` synapses.

    Returns:
        ``(connectome, neuron_types)``: a ``scipy.sparse.csr_array``
        ``(n, n)`` (pre x post) of ones, and ``(n,)`` int type of every neuron.
    """
    n = _checks.positive_int("num_neurons", num_neurons)
    probs = _checks.finite_array("neuron_type_probs", neuron_type_probs, ndim=1)
    if probs.size == 0 or np.any(probs < 0) or not np.isclose(probs.sum(), 1.0, atol=1e-6):
        raise ValueError(f"neuron_type_probs must be non-negative and sum to 1, got {probs.tolist()} "
                         f"(sum {probs.sum():g})")
    n_types = probs.size
    block = _checks.finite_array("neuron_type_connectivity", neuron_type_connectivity)
    if block.shape != (n_types, n_types):
        raise ValueError(f"neuron_type_connectivity must have shape (n_types, n_types) = "
                         f"{(n_types, n_types)}, got {block.shape}")
    if np.any(block < 0) or np.any(block > 1):
        raise ValueError("neuron_type_connectivity entries are probabilities and must lie in [0, 1], "
                         f"got range [{block.min()}, {block.max()}]")
    rng = np.random.default_rng(_checks.seed_int("seed", seed))
    if deterministic_type_assignment:
        exact = probs * n
        counts = np.floor(exact).astype(int)
        counts[np.argsort(-(exact - counts), kind="stable")[:n - counts.sum()]] += 1
        types = rng.permutation(np.repeat(np.arange(n_types), counts))
    else:
        types = rng.choice(n_types, size=n, p=probs / probs.sum())
    members = [np.flatnonzero(types == a) for a in range(n_types)]
    pre_parts, post_parts = [], []
    for a, b in zip(*np.nonzero(block)):
        pre_idx, post_idx = members[a], members[b]
        n_pairs = pre_idx.size * post_idx.size
        if n_pairs == 0:
            continue
        # iid Bernoulli(p) per pair == Binomial count + uniform subset of pairs
        k = rng.binomial(n_pairs, block[a, b])
        flat = rng.choice(n_pairs, size=k, replace=False)
        pre_parts.append(pre_idx[flat // post_idx.size])
        post_parts.append(post_idx[flat % post_idx.size])
    pre = np.concatenate(pre_parts) if pre_parts else np.zeros(0, int)
    post = np.concatenate(post_parts) if post_parts else np.zeros(0, int)
    if not self_connections:
        keep = pre != post
        pre, post = pre[keep], post[keep]
    m = sp.csr_array((np.ones(pre.size), (pre, post)), shape=(n, n))
    m.sort_indices()
    return m, types


def plot_typed_connectome(connectome, neuron_types, type_names=None, ax=None, max_pixels: int = 600):
    """Plot a connectome with neurons sorted by type and lines between type blocks.

    Synapses are counted in square bins of neurons (one neuron per pixel up
    to ``max_pixels`` neurons, larger networks are binned), so block densities
    stay visible at any size.

    Args:
        connectome: any accepted connectome form, ``(n, n)`` pre x post.
        neuron_types: ``(n,)`` int type of every neuron.
        type_names: labels of the types present, in sorted type order
            (default ``"type k"``).
        ax: matplotlib Axes (default: a new figure).
        max_pixels: largest number of bins per axis.

    Returns:
        The Axes (rows = pre, columns = post, both sorted by type; the image
        holds synapse counts per bin).
    """
    import matplotlib.pyplot as plt

    types = np.asarray(neuron_types)
    n = types.size
    m = to_csr(connectome, (n, n)).tocoo()
    order = np.argsort(types, kind="stable")
    rank = np.empty(n, int)
    rank[order] = np.arange(n)
    labels, starts = np.unique(types[order], return_index=True)
    if type_names is None:
        type_names = [f"type {t}" for t in labels]
    elif len(type_names) != labels.size:
        raise ValueError(f"type_names must name the {labels.size} types present, got {len(type_names)}")
    bins = min(n, _checks.positive_int("max_pixels", max_pixels))
    counts, _, _ = np.histogram2d(rank[m.row], rank[m.col], bins=bins, range=[[-0.5, n - 0.5]] * 2)
    if ax is None:
        ax = plt.figure(figsize=(5, 5)).add_subplot(111)
    ax.imshow(counts, cmap="inferno", extent=(-0.5, n - 0.5, n - 0.5, -0.5), interpolation="nearest")
    for s in starts[1:]:
        ax.axhline(s - 0.5, color="white", lw=0.8)
        ax.axvline(s - 0.5, color="white", lw=0.8)
    centres = (starts + np.append(starts[1:], n)) / 2 - 0.5
    ax.set_yticks(centres, type_names)
    ax.set_xticks(centres, type_names, rotation=90)
    ax.set_xlabel("postsynaptic neuron")
    ax.set_ylabel("presynaptic neuron")
    return ax
