"""Run a Taichi ``@ti.kernel`` inside JAX as an XLA FFI custom call.

Replacement for BrainPy 2.5's ``bm.XLACustomOp`` (which no longer works with
current JAX).  Example::

    @ti.kernel
    def scatter(idx: ti.types.ndarray(ndim=1), w: ti.types.ndarray(ndim=1),
                out: ti.types.ndarray(ndim=1)):
        for i in idx:
            out[idx[i]] += w[0]

    op = XLACustomOp(cpu_kernel=scatter)
    (out,) = op(idx, w, outs=[jax.ShapeDtypeStruct((n,), jnp.float32)])

How it works: on first use with a given signature (dtypes, ndims, template
values) the kernel is compiled ahead of time with ``ti.aot.Module`` and saved in
an on-disk cache (``_taichi_aot``); a small C++ FFI handler (``_build``,
``_ffi_handler.cc``) loads it through Taichi's C API and launches it on XLA's
buffers without copies.  Under ``jax.jit`` there is no Python in the call path.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from . import _build, _taichi_aot
from ._build import CustomOpUnavailable

__all__ = ["XLACustomOp", "CustomOpUnavailable"]


class XLACustomOp:
    """A JAX-callable operator backed by a Taichi kernel.

    Args:
        cpu_kernel: ``@ti.kernel`` run on CPU backends.
        gpu_kernel: ``@ti.kernel`` run on CUDA backends.  **Untested**: no GPU
            was available when this path was written.
        name: name used in error messages (default: the kernel's name).
        zero_outputs: if True (default) every output that is not aliased to an
            input is set to zero before the kernel runs, so kernels may
            accumulate (``out[i] += w``).  If False such outputs start
            **uninitialised** (XLA does not clear buffers) and the kernel must
            write every element.

    Kernel requirements: every parameter is either an ndarray
    (``ti.types.ndarray(dtype=..., ndim=...)``, both optional, scalar element
    types only) or a ``ti.template()`` compile-time constant.  The ndarray
    parameters are the op's inputs followed by its outputs, in declaration
    order (as in BrainPy 2.5).  Run-time scalars must be passed as 1-element
    arrays.  Supported element dtypes: float16/32/64, int8/16/32/64,
    uint8/16/32/64 and bool.  A bool array is seen by the kernel as ``ti.u8``
    (annotate it ``dtype=ti.u8`` or leave the dtype open); a bool output must
    only receive 0 or 1.

    Transformations: works under ``jax.jit``, ``jax.lax.scan``/``fori_loop``
    and ``jax.vmap`` (``vmap_method="sequential"``: a batched call runs the
    kernel once per batch element).  There is no autodiff rule.

    Caching: compiled kernels live on disk (see ``_taichi_aot``) and are reused
    across processes; within a process each signature is resolved once per op
    and the C++ side caches the runtime, module, kernel and imported buffers.
    """

    def __init__(self, cpu_kernel=None, gpu_kernel=None, name: str | None = None,
                 zero_outputs: bool = True):
        kernels = {"cpu": cpu_kernel, "cuda": gpu_kernel}
        self._kernels = {p: k for p, k in kernels.items() if k is not None}
        if not self._kernels:
            raise ValueError("XLACustomOp needs a cpu_kernel and/or a gpu_kernel")
        self._signatures = {p: _taichi_aot.inspect_kernel(k) for p, k in self._kernels.items()}
        self.name = name or next(iter(self._kernels.values())).__name__
        self.zero_outputs = bool(zero_outputs)
        self._resolved: dict[tuple, _taichi_aot.AotKernel] = {}

    def __repr__(self) -> str:
        return f"XLACustomOp(name={self.name!r}, platforms={sorted(self._kernels)})"

    def __call__(self, *inputs, outs: Sequence[Any],
                 input_output_aliases: Mapping[int, int] | None = None, repeat: int = 1,
                 **static_attrs) -> list[jax.Array]:
        """Run the kernel.

        Args:
            *inputs: arrays (anything ``jnp.asarray`` accepts) for the kernel's
                first ``len(inputs)`` ndarray parameters.
            outs: one ``jax.ShapeDtypeStruct`` (or any object with ``shape``
                and ``dtype``) per remaining ndarray parameter.
            input_output_aliases: ``{input_index: output_index}``; the output
                then shares (is updated in place from) the buffer of that input,
                which must have the same shape and dtype.  Aliased outputs are
                never zeroed, so the kernel sees the input's values (use this
                for in-place updates such as a ring buffer).
            repeat: launch the kernel this many times in a row in one call,
                on the same buffers (outputs are zeroed once, before the
                first launch).  A kernel that advances its own counter in an
                aliased buffer runs ``repeat`` time steps per call this way
                (``repeat`` is therefore not available as a template name).
            **static_attrs: values of the kernel's ``ti.template()``
                parameters, by name (bool/int/float, compile-time constants;
                each distinct value compiles a separate kernel).

        Returns:
            List of output arrays, one per entry of ``outs``.

        Raises:
            TypeError: wrong number of arrays, unsupported or mismatching
                dtype, missing/unknown template values.
            ValueError: ndim mismatch, invalid aliases.
            CustomOpUnavailable: the FFI handler cannot be built on this machine.
        """
        if isinstance(repeat, bool) or not isinstance(repeat, (int, np.integer)) or repeat < 1:
            raise ValueError(f"{self.name}: repeat must be an int >= 1, got {repeat!r}")
        inputs = [jnp.asarray(x) for x in inputs]
        outs = [jax.ShapeDtypeStruct(tuple(o.shape), jnp.dtype(o.dtype)) for o in outs]
        aliases = {int(i): int(o) for i, o in (input_output_aliases or {}).items()}
        self._check_aliases(inputs, outs, aliases)

        branches = {}
        for platform in self._kernels:
            if platform == "cuda" and not _build.cuda_enabled():
                continue
            target = _build.register_target(platform)  # fail fast if unavailable
            aot = self._resolve(platform, inputs, outs, static_attrs)
            branches[platform] = self._lowering(target, platform, aot, outs, aliases, int(repeat))
        if not branches:
            raise CustomOpUnavailable(f"{self.name}: no kernel for the available JAX backends")
        if len(branches) == 1:
            return list(next(iter(branches.values()))(*inputs))
        return list(jax.lax.platform_dependent(*inputs, **branches))

    # -- validation and compilation -------------------------------------------------

    def _check_aliases(self, inputs, outs, aliases: dict[int, int]) -> None:
        if len(set(aliases.values())) != len(aliases):
            raise ValueError(f"{self.name}: an output is aliased to several inputs: {aliases}")
        for i, o in aliases.items():
            if not (0 <= i < len(inputs) and 0 <= o < len(outs)):
                raise ValueError(
                    f"{self.name}: input_output_aliases entry {i}: {o} is out of range "
                    f"({len(inputs)} inputs, {len(outs)} outputs)")
            if inputs[i].shape != outs[o].shape or inputs[i].dtype != outs[o].dtype:
                raise ValueError(
                    f"{self.name}: input {i} ({inputs[i].dtype}{list(inputs[i].shape)}) "
                    f"cannot alias output {o} ({outs[o].dtype}{list(outs[o].shape)}): "
                    "shape and dtype must match")

    def _resolve(self, platform: str, inputs, outs, static_attrs) -> _taichi_aot.AotKernel:
        """Validate the call against the kernel and return its compiled module."""
        kernel, signature = self._kernels[platform], self._signatures[platform]
        kname = kernel.__name__
        params = signature.ndarrays
        if len(inputs) + len(outs) != len(params):
            raise TypeError(
                f"{self.name}: kernel '{kname}' has {len(params)} ndarray parameters "
                f"({', '.join(p.name for p in params)}) = inputs then outputs, but got "
                f"{len(inputs)} inputs and {len(outs)} outputs")
        unknown = sorted(set(static_attrs) - set(signature.templates))
        missing = sorted(set(signature.templates) - set(static_attrs))
        if unknown or missing:
            raise TypeError(
                f"{self.name}: kernel '{kname}' template parameters are "
                f"{list(signature.templates)}; unknown keyword(s) {unknown}, missing {missing}")
        for key, value in static_attrs.items():
            if not isinstance(value, (bool, int, float)):
                raise TypeError(
                    f"{self.name}: template parameter '{key}' must be a bool, int or "
                    f"float, got {type(value).__name__}")

        arg_types = []
        arrays = [("input", i, x) for i, x in enumerate(inputs)]
        arrays += [("output", j, o) for j, o in enumerate(outs)]
        for param, (kind, index, arr) in zip(params, arrays):
            where = f"{self.name}: argument '{param.name}' ({kind} #{index}) of kernel '{kname}'"
            dtype = np.dtype(arr.dtype)
            ti_dtype = np.dtype(np.uint8) if dtype == np.bool_ else dtype
            if ti_dtype not in _taichi_aot.SUPPORTED_DTYPES:
                raise TypeError(f"{where}: unsupported dtype {dtype}")
            if param.dtype is not None and param.dtype != ti_dtype:
                raise TypeError(
                    f"{where} expects dtype {param.dtype}, got {dtype}"
                    + (" (bool arrays are passed as uint8)" if dtype == np.bool_ else ""))
            if param.ndim is not None and param.ndim != arr.ndim:
                raise ValueError(
                    f"{where} expects ndim={param.ndim}, got shape {tuple(arr.shape)} "
                    f"(ndim={arr.ndim})")
            if arr.ndim > 16:
                raise ValueError(f"{where}: at most 16 dimensions are supported")
            arg_types.append((ti_dtype, arr.ndim))

        key = (platform, tuple((d.str, n) for d, n in arg_types),
               tuple(sorted((k, type(v).__name__, v) for k, v in static_attrs.items())))
        aot = self._resolved.get(key)
        if aot is None:
            arch = "cuda" if platform == "cuda" else _taichi_aot.host_arch()
            aot = _taichi_aot.compile_kernel(kernel, arg_types, static_attrs, arch)
            if platform == "cpu":  # CUDA modules are loaded lazily on the device
                _build.preload_kernel(aot.arch_id, 0, aot.module_dir, aot.kernel_name)
            self._resolved[key] = aot
        return aot

    def _lowering(self, target: str, platform: str, aot: _taichi_aot.AotKernel, outs, aliases,
                  repeat: int):
        """Function ``(*inputs) -> outputs`` issuing the FFI call ``target`` on ``platform``."""
        zero = [self.zero_outputs and j not in aliases.values() for j in range(len(outs))]
        attrs = dict(module_dir=aot.module_dir, kernel=aot.kernel_name,
                     arch=np.int64(aot.arch_id), repeat=np.int64(repeat))

        if platform == "cpu":  # the handler memsets the flagged outputs
            call = jax.ffi.ffi_call(target, outs, vmap_method="sequential",
                                    input_output_aliases=aliases or None)
            flags = np.asarray(zero, dtype=np.int64)
            return lambda *xs: call(*xs, num_inputs=np.int64(len(xs)),
                                    zero_outputs=flags, **attrs)

        # CUDA (untested): zero-filled extra operands, aliased to the outputs and
        # not passed to the kernel (the handler only uses the first `num_inputs`).
        zeroed = [j for j, z in enumerate(zero) if z]

        def cuda_call(*xs):
            extra = [jnp.zeros(outs[j].shape, outs[j].dtype) for j in zeroed]
            all_aliases = {**aliases, **{len(xs) + k: j for k, j in enumerate(zeroed)}}
            call = jax.ffi.ffi_call(target, outs, vmap_method="sequential",
                                    input_output_aliases=all_aliases or None)
            return call(*xs, *extra, num_inputs=np.int64(len(xs)),
                        zero_outputs=np.zeros(len(outs), np.int64), **attrs)

        return cuda_call
