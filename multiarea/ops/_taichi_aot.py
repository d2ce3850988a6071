"""Ahead-of-time compilation of Taichi kernels, cached on disk.

A ``@ti.kernel`` whose parameters are ndarrays (plus optional ``ti.template()``
compile-time constants) is compiled for concrete argument dtypes/ndims with
taichi's AOT module builder (what ``ti.aot.Module`` uses; ``ti.aot.Module``
itself can only be created once per ``ti.init``) and saved under
``<cache>/kernels/<kernel name>-<hash>/``, where ``<cache>`` is
:func:`multiarea.ops._build.cache_dir`.  The hash covers

* the kernel's source, plus the source of the ``ti.func`` helpers and the
  values of the scalar globals/closure variables it references (recursively),
* the taichi version and the target arch,
* the signature: element dtype and ndim of every ndarray parameter, and the
  values of the template parameters.

A saved module is loaded at run time through Taichi's C API by the XLA FFI
handler; Python taichi is only used here, at trace time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.metadata
import inspect
import io
import marshal
import os
import platform
import shutil
import tempfile
import textwrap
import threading
import types
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ._build import cache_dir

__all__ = [
    "NdarrayParam",
    "KernelSignature",
    "AotKernel",
    "SUPPORTED_DTYPES",
    "host_arch",
    "inspect_kernel",
    "compile_kernel",
    "compile_count",
]

#: TiArch values of the Taichi C API (taichi_core.h).
_TI_ARCH_IDS = {"cuda": 3, "x64": 4, "arm64": 5}

#: numpy dtypes accepted as ndarray element types (bool is passed as uint8).
SUPPORTED_DTYPES = tuple(np.dtype(t) for t in (
    np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
    np.uint8, np.uint16, np.uint32, np.uint64))

_lock = threading.RLock()
_compile_count = 0
_initialised_arch: str | None = None  # arch of the ti.init() done by this module


@dataclasses.dataclass(frozen=True)
class NdarrayParam:
    """An ndarray parameter of a kernel.

    Attributes:
        name: parameter name in the kernel's Python signature.
        dtype: annotated element dtype as a numpy dtype, or None if unannotated.
        ndim: annotated number of dimensions, or None if unannotated.
    """

    name: str
    dtype: np.dtype | None
    ndim: int | None


@dataclasses.dataclass(frozen=True)
class KernelSignature:
    """Parameters of a kernel, split by kind, each in declaration order."""

    ndarrays: tuple[NdarrayParam, ...]
    templates: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class AotKernel:
    """A compiled kernel saved on disk.

    Attributes:
        module_dir: directory written by ``ti.aot.Module.save``.
        kernel_name: name of the kernel inside the module.
        arch: ``"x64"``, ``"arm64"`` or ``"cuda"``.
        arch_id: the matching ``TiArch`` value of the C API.
    """

    module_dir: str
    kernel_name: str
    arch: str
    arch_id: int


def host_arch() -> str:
    """Taichi CPU arch name of this machine (``"x64"`` or ``"arm64"``)."""
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return "x64"
    if machine in ("aarch64", "arm64"):
        return "arm64"
    raise RuntimeError(f"no Taichi CPU backend for machine type {machine!r}")


def compile_count() -> int:
    """Number of Taichi AOT compilations done in this process (disk-cache misses)."""
    return _compile_count


def _primal(kernel):
    primal = getattr(kernel, "_primal", None)
    if primal is None or not hasattr(primal, "arguments"):
        raise TypeError(f"expected a function decorated with @ti.kernel, got {kernel!r}")
    return primal


def inspect_kernel(kernel) -> KernelSignature:
    """Read the parameter list of a ``@ti.kernel``.

    Raises:
        TypeError: ``kernel`` is not a Taichi kernel, or has a parameter that is
            neither a scalar-element ndarray nor a ``ti.template()``.
    """
    from taichi.lang.util import to_numpy_type
    from taichi.types.annotations import Template
    from taichi.types.ndarray_type import NdarrayType

    name = kernel.__name__
    ndarrays, templates = [], []
    for arg in _primal(kernel).arguments:
        anno = arg.annotation
        if isinstance(anno, NdarrayType):
            dtype = None
            if anno.dtype is not None:
                try:
                    dtype = np.dtype(to_numpy_type(anno.dtype))
                except (TypeError, KeyError, ValueError):
                    raise TypeError(
                        f"kernel '{name}': parameter '{arg.name}' has element type "
                        f"{anno.dtype}; only scalar element types are supported") from None
            ndarrays.append(NdarrayParam(arg.name, dtype, anno.ndim))
        elif isinstance(anno, Template):
            templates.append(arg.name)
        else:
            raise TypeError(
                f"kernel '{name}': parameter '{arg.name}' is annotated {anno!r}; only "
                "ti.types.ndarray(...) and ti.template() parameters are supported "
                "(pass run-time scalars as 1-element arrays)")
    return KernelSignature(tuple(ndarrays), tuple(templates))


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names) | set(code.co_freevars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _fingerprint(fn, hasher, seen: set[int]) -> None:
    """Feed the source of ``fn`` and of what it depends on into ``hasher``."""
    primal = getattr(fn, "_primal", None)
    fn = inspect.unwrap(primal.func if primal is not None else fn)
    if id(fn) in seen:
        return
    seen.add(id(fn))
    try:
        hasher.update(textwrap.dedent(inspect.getsource(fn)).encode())
    except (OSError, TypeError):  # no source file (exec, REPL): use byte code
        hasher.update(marshal.dumps(fn.__code__))
    scope = dict(fn.__globals__)
    if fn.__closure__:
        for var, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            try:
                scope[var] = cell.cell_contents
            except ValueError:  # empty cell
                pass
    for name in sorted(_code_names(fn.__code__)):
        value = scope.get(name)
        if isinstance(value, (bool, int, float, np.generic)):
            hasher.update(f"{name}={value!r};".encode())
        elif getattr(value, "_is_taichi_function", False):  # a ti.func helper
            _fingerprint(value, hasher, seen)


def _fast_math(arch: str) -> bool:
    """Whether kernels for ``arch`` compile with Taichi's fast math: False
    unless the user initialised taichi with it (then their setting is kept)."""
    from taichi.lang import impl

    if impl.get_runtime().prog is not None and _initialised_arch is None:
        return bool(impl.current_cfg().fast_math)
    return False


def _ensure_taichi(arch: str):
    """Import taichi and make sure its current arch is ``arch``.

    ``ti.init`` resets all taichi state, so it is only called when taichi is
    not initialised yet, or when this module initialised it for another arch.
    This module initialises it with ``fast_math=False``: kernels then keep
    IEEE semantics (no reassociation, no contraction into FMAs), which the
    exact arithmetic of ``_population_taichi`` relies on.

    Raises:
        RuntimeError: the user initialised taichi for a different arch.
    """
    global _initialised_arch
    import taichi as ti
    from taichi.lang import impl

    wanted = getattr(ti, arch)
    if impl.get_runtime().prog is not None:
        current = impl.current_cfg().arch
        if current == wanted:
            return ti
        if _initialised_arch is None:
            raise RuntimeError(
                f"taichi is initialised for arch {current}, but compiling for {arch} "
                f"requires ti.init(arch=ti.{arch}), which would reset your taichi state")
    with contextlib.redirect_stdout(io.StringIO()):  # "[Taichi] Starting on arch=..."
        ti.init(arch=wanted, log_level=ti.WARN, offline_cache=False, fast_math=False)
    _initialised_arch = arch
    return ti


def compile_kernel(kernel, arg_types: Sequence[tuple[np.dtype, int]],
                   template_values: Mapping[str, Any], arch: str) -> AotKernel:
    """Compile ``kernel`` for concrete argument types, or reuse the disk cache.

    Args:
        kernel: a ``@ti.kernel`` accepted by :func:`inspect_kernel`.
        arg_types: ``(element dtype, ndim)`` for each ndarray parameter, in
            declaration order; dtypes must be in :data:`SUPPORTED_DTYPES`.
        template_values: value of each ``ti.template()`` parameter
            (bool/int/float).
        arch: ``"x64"``, ``"arm64"`` or ``"cuda"``.

    Returns:
        The saved module's location.
    """
    global _compile_count
    signature = inspect_kernel(kernel)
    kernel_name = kernel.__name__
    hasher = hashlib.sha256()
    _fingerprint(kernel, hasher, set())
    hasher.update(f"|taichi={importlib.metadata.version('taichi')}|arch={arch}|".encode())
    hasher.update(f"fast_math={_fast_math(arch)}|".encode())
    hasher.update(repr([(np.dtype(d).str, int(n)) for d, n in arg_types]).encode())
    hasher.update(repr(sorted(template_values.items())).encode())
    module_dir = cache_dir() / "kernels" / f"{kernel_name}-{hasher.hexdigest()[:24]}"
    result = AotKernel(str(module_dir), kernel_name, arch, _TI_ARCH_IDS[arch])
    if module_dir.exists():
        return result

    with _lock:
        if module_dir.exists():
            return result
        ti = _ensure_taichi(arch)
        from taichi.aot.utils import produce_injected_args_from_template
        from taichi.lang import impl

        template_args: dict[str, Any] = dict(template_values)
        for param, (dtype, ndim) in zip(signature.ndarrays, arg_types):
            template_args[param.name] = ti.ndarray(
                ti.lang.util.to_taichi_type(np.dtype(dtype).type), shape=(1,) * int(ndim))
        # Like ti.aot.Module.add_kernel/save, without finalising taichi's root
        # FieldsBuilder (which ti.aot.Module allows once per ti.init) and
        # taking the compiled instance for exactly this signature.
        primal = _primal(kernel)
        instance = primal.ensure_compiled(
            *produce_injected_args_from_template(primal, template_args))
        builder = impl.get_runtime().prog.make_aot_module_builder(getattr(ti, arch), [])
        builder.add(kernel_name, primal.compiled_kernels[instance])
        module_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=module_dir.parent))
        try:
            builder.dump(str(tmp), "")
            os.replace(tmp, module_dir)  # atomic publish
        except OSError:
            if not module_dir.exists():  # lost a race: another process published it
                raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        _compile_count += 1
    return result
