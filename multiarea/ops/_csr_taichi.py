"""Taichi kernels for the float CSR mat-vec and its transpose (XLA custom ops)."""
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
def _csr_matvec_transpose_cpu(indptr: ti.types.ndarray(dtype=_I32, ndim=1),
                              indices: ti.types.ndarray(dtype=_I32, ndim=1),
                              data: ti.types.ndarray(dtype=_F32, ndim=1),
                              x: ti.types.ndarray(dtype=_F32, ndim=2),   # (n_rows, batch)
                              y: ti.types.ndarray(dtype=_F32, ndim=2)):  # (n_cols, batch), zeroed
    for row in range(x.shape[0]):
        for k in range(indptr[row], indptr[row + 1]):
            for b in range(x.shape[1]):
                y[indices[k], b] += data[k] * x[row, b]  # atomic: rows share columns


matvec_op = XLACustomOp(cpu_kernel=_csr_matvec_cpu, name="csr_matvec", zero_outputs=False)
matvec_transpose_op = XLACustomOp(cpu_kernel=_csr_matvec_transpose_cpu, name="csr_matvec_transpose")
