"""Float CSR sparse mat-vec ``y = A @ x`` (or ``A.T @ x``), differentiable.

``A`` is ``(n_rows, n_cols)`` in CSR form (``indptr``, ``indices``, ``data``).
``x`` is ``(n,)`` or ``(n, batch)``.  The product is linear in ``x`` and in
``data``: forward-mode derivatives go through a custom JVP, reverse mode
through the transposes (``A.T @ ct`` for ``x``, the sampled dot product
``ct[row] . x[col]`` per entry for ``data``), each an op of the chosen
backend, so ``jax.grad``/``jax.jvp`` work on both.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import linear_call

__all__ = ["csr_matvec", "csr_transpose"]


def csr_transpose(indptr: np.ndarray, indices: np.ndarray, n_cols: int):
    """The CSR structure of ``A.T`` for ``A`` in CSR form with ``n_cols`` columns.

    Returns:
        ``indptr`` ``(n_cols + 1,)``, ``indices`` ``(nnz,)`` (the rows of
        ``A``) and ``order`` ``(nnz,)``: entry ``order[k]`` of ``A`` is entry
        ``k`` of ``A.T`` (all int32).
    """
    order = np.argsort(indices, kind="stable").astype(np.int32)
    t_indptr = np.concatenate([[0], np.cumsum(np.bincount(indices, minlength=n_cols))]).astype(np.int32)
    rows = np.repeat(np.arange(indptr.size - 1, dtype=np.int32), np.diff(indptr))
    return t_indptr, rows[order], order


def as_float(value) -> jax.Array:
    """``value`` as a float32 array, or float64 if it already is float64 (64-bit JAX)."""
    arr = jnp.asarray(value)
    return arr if arr.dtype == jnp.float64 else arr.astype(jnp.float32)


def _rows_of_entries(indptr, nnz):
    return jnp.searchsorted(indptr, jnp.arange(nnz, dtype=indptr.dtype), side="right") - 1


def _product_jax(indptr, indices, data, x, n_out, transpose):
    rows = _rows_of_entries(indptr, indices.shape[0])
    if transpose:
        contrib = data[:, None] * x[rows]
        return jnp.zeros((n_out, x.shape[1]), contrib.dtype).at[indices].add(contrib)
    return jax.ops.segment_sum(data[:, None] * x[indices], rows, num_segments=n_out)


_TRANSPOSED: dict = {}  # structure hash -> (indptr, indices, order) of A.T in CSR form


def _transposed_structure(indptr: np.ndarray, indices: np.ndarray, n_cols: int):
    """The CSR structure of ``A.T`` and the entry permutation: entry ``order[k]``
    of ``A`` is entry ``k`` of ``A.T`` (numpy, cached by content)."""
    key = (n_cols, indptr.size, hash(indptr.tobytes()), hash(indices.tobytes()))
    if key not in _TRANSPOSED:
        if len(_TRANSPOSED) >= 16:
            _TRANSPOSED.pop(next(iter(_TRANSPOSED)))
        _TRANSPOSED[key] = csr_transpose(indptr, indices, n_cols)
    return _TRANSPOSED[key]


def _product_taichi(indptr, indices, data, x, n_out, transpose):
    """Row-parallel kernel; ``A.T x`` runs it on the transposed structure
    (a permutation of ``data``) rather than scattering with atomics."""
    from . import _csr_taichi

    if transpose:
        indptr, indices, order = _transposed_structure(indptr, indices, n_out)
        data = data[order]
    chunks = []
    for start in range(0, x.shape[1], _csr_taichi.MAX_WIDTH):
        part = x[:, start:start + _csr_taichi.MAX_WIDTH]
        op = _csr_taichi.matvec_op(part.shape[1])
        chunks += op(indptr, indices, data, part, outs=[jax.ShapeDtypeStruct((n_out, part.shape[1]), jnp.float32)])
    return chunks[0] if len(chunks) == 1 else jnp.concatenate(chunks, axis=1)


def _sampled_dot_jax(indptr, indices, a, b):
    rows = _rows_of_entries(indptr, indices.shape[0])
    return jnp.sum(a[rows] * b[indices], axis=1)


def _sampled_dot_taichi(indptr, indices, a, b):
    from . import _csr_taichi

    total = 0.0
    for start in range(0, a.shape[1], _csr_taichi.MAX_WIDTH):
        cols = slice(start, start + _csr_taichi.MAX_WIDTH)
        op = _csr_taichi.sampled_dot_op(a[:, cols].shape[1])
        (out,) = op(indptr, indices, a[:, cols], b[:, cols], outs=[jax.ShapeDtypeStruct(indices.shape, jnp.float32)])
        total = total + out
    return total


def _data_cotangent(backend, indptr, indices, ct, x, transpose):
    """``d <ct, y> / d data`` for ``y = A x`` (``A.T x``): per entry ``k`` of
    row ``r`` and column ``c``, ``ct[r] . x[c]`` (``x[r] . ct[c]``)."""
    impl = _sampled_dot_taichi if backend == "taichi" else _sampled_dot_jax
    return impl(indptr, indices, x, ct) if transpose else impl(indptr, indices, ct, x)


def _product(backend, indptr, indices, data, x, n_out, transpose):
    impl = _product_taichi if backend == "taichi" else _product_jax
    return impl(indptr, indices, data, x, n_out, transpose)


@partial(jax.custom_jvp, nondiff_argnums=(0, 1, 2, 3))
def _matvec(backend, shape, transpose, indptr_indices, data, x):
    indptr, indices = indptr_indices
    n_out = shape[1] if transpose else shape[0]
    return _product(backend, indptr, indices, data, x, n_out, transpose)


@_matvec.defjvp
def _matvec_jvp(backend, shape, transpose, indptr_indices, primals, tangents):
    data, x = primals
    data_dot, x_dot = tangents
    indptr, indices = indptr_indices
    n_rows, n_cols = shape
    n_out, n_in = (n_cols, n_rows) if transpose else (n_rows, n_cols)
    y = _product(backend, indptr, indices, data, x, n_out, transpose)

    # the (static, numpy) structure is closed over; only data / x are residuals
    def forward(d, v):
        return _product(backend, indptr, indices, d, v, n_out, transpose)

    def backward(d, ct):
        return _product(backend, indptr, indices, d, ct, n_in, not transpose)

    def forward_data(v, d):
        return _product(backend, indptr, indices, d, v, n_out, transpose)

    def backward_data(v, ct):
        return _data_cotangent(backend, indptr, indices, ct, v, transpose)

    y_dot = linear_call(forward, backward, data, x_dot)
    y_dot = y_dot + linear_call(forward_data, backward_data, x, data_dot)
    return y, y_dot


def csr_matvec(indptr, indices, data, x, *, shape, transpose: bool = False, backend: str | None = None):
    """``A @ x`` (or ``A.T @ x`` with ``transpose=True``) for a CSR matrix ``A``.

    Args:
        indptr: ``(n_rows + 1,)`` int row pointers (static: a numpy array).
        indices: ``(nnz,)`` int column indices (static: a numpy array).
        data: ``(nnz,)`` float32 values (differentiable).
        x: ``(n_cols,)`` or ``(n_cols, batch)`` (``n_rows`` leading if
            ``transpose``), float32 (differentiable).  If ``data`` or ``x``
            is float64 (64-bit JAX) the product is float64 and runs the
            pure-JAX backend whatever ``backend`` says.
        shape: ``(n_rows, n_cols)``.
        backend: ``"taichi"`` or ``"jax"``; default ``multiarea.ops.get_backend()``.

    Returns:
        ``(n_rows,)`` / ``(n_rows, batch)`` (``n_cols`` leading if ``transpose``).
    """
    from . import _resolve_backend

    n_rows, n_cols = (int(s) for s in shape)
    # numpy, not jnp: they are static (custom_jvp nondiff args); a jnp array
    # made inside a trace would be a tracer and leak into the outer trace
    indptr = np.asarray(indptr, np.int32)
    indices = np.asarray(indices, np.int32)
    data, x = as_float(data), as_float(x)
    dtype = jnp.result_type(data, x)
    data, x = data.astype(dtype), x.astype(dtype)
    if indptr.shape != (n_rows + 1,):
        raise ValueError(f"indptr must have shape ({n_rows + 1},) for shape {shape}, got {indptr.shape}")
    if data.shape != indices.shape or indices.ndim != 1:
        raise ValueError(f"indices and data must be 1-D of equal length, got {indices.shape} and {data.shape}")
    n_in = n_rows if transpose else n_cols
    if x.ndim not in (1, 2) or x.shape[0] != n_in:
        raise ValueError(f"x must have shape ({n_in},) or ({n_in}, batch), got {x.shape}")
    squeeze = x.ndim == 1
    backend = "jax" if dtype == jnp.float64 else _resolve_backend(backend)  # the kernels are float32
    y = _matvec(backend, (n_rows, n_cols), bool(transpose), (indptr, indices),
                data, x[:, None] if squeeze else x)
    return y[:, 0] if squeeze else y
