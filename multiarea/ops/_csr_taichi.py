"""Taichi kernels for the float CSR mat-vec (also used for the transpose, on
the transposed structure) and the sampled dot product of its weight gradient
(XLA custom ops)."""
import taichi as ti

from ._xla_custom_op import XLACustomOp

_I32, _F32 = ti.i32, ti.f32


@ti.kernel
def _csr_matvec_cpu(indptr: ti.types.ndarray(dtype=_I32, ndim=1),
                    indices: ti.types.ndarray(dtype=_I32, ndim=1),
                    data: ti.types.ndarray(dtype=_F32, ndim=1),
                    x: ti.types.ndarray(dtype=_F32, ndim=2),     # (n_cols, batch)
                    y: ti.types.ndarray(dtype=_F32, ndim=2)):    # (n_rows, batch)
    for row in range(y.shape[0]):  # one task per row: no write conflicts
        for b in range(y.shape[1]):
            acc = 0.0
            for k in range(indptr[row], indptr[row + 1]):
                acc += data[k] * x[indices[k], b]
            y[row, b] = acc


@ti.kernel
def _csr_sampled_dot_cpu(indptr: ti.types.ndarray(dtype=_I32, ndim=1),
                         indices: ti.types.ndarray(dtype=_I32, ndim=1),
                         a: ti.types.ndarray(dtype=_F32, ndim=2),     # (n_rows, batch)
                         b: ti.types.ndarray(dtype=_F32, ndim=2),     # (n_cols, batch)
                         out: ti.types.ndarray(dtype=_F32, ndim=1)):  # (nnz,)
    for row in range(indptr.shape[0] - 1):  # out[k] = a[row_k, :] . b[indices[k], :]
        for k in range(indptr[row], indptr[row + 1]):
            acc = 0.0
            for j in range(a.shape[1]):
                acc += a[row, j] * b[indices[k], j]
            out[k] = acc


matvec_op = XLACustomOp(cpu_kernel=_csr_matvec_cpu, name="csr_matvec", zero_outputs=False)
sampled_dot_op = XLACustomOp(cpu_kernel=_csr_sampled_dot_cpu, name="csr_sampled_dot", zero_outputs=False)
