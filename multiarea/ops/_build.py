"""Build, cache and register the C++ XLA FFI handler in ``_ffi_handler.cc``.

The handler library is compiled once with ``g++`` and cached on disk under
``<cache dir>/ffi/<hash>/``, where the hash covers the C++ source, the jax and
taichi versions and the compiler flags.  The cache directory is
``$MULTIAREA_CACHE_DIR/taichi_aot`` if that variable is set, otherwise
``~/.cache/multiarea/taichi_aot``.

Any failure to build or load the library (no compiler, missing headers,
unsupported platform) raises :class:`CustomOpUnavailable`, so that callers can
fall back to a pure-JAX implementation.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import jax

__all__ = [
    "CustomOpUnavailable",
    "cache_dir",
    "taichi_dirs",
    "cuda_enabled",
    "load_handler_library",
    "register_target",
    "preload_kernel",
]

_SOURCE = Path(__file__).with_name("_ffi_handler.cc")
_LIBRARY_NAME = "libmultiarea_taichi_ffi.so"

#: Per JAX platform: (FFI target name, exported handler symbol, XLA platform).
_TARGETS = {
    "cpu": ("multiarea_taichi_cpu", "MultiareaTaichiCpu", "cpu"),
    "cuda": ("multiarea_taichi_cuda", "MultiareaTaichiCuda", "CUDA"),
}

_lock = threading.RLock()
_library: ctypes.CDLL | None = None
_registered: set[str] = set()


class CustomOpUnavailable(RuntimeError):
    """The Taichi/XLA custom-call machinery cannot be used on this machine.

    Attributes:
        reason: human-readable cause (for build failures, the tail of the
            compiler's stderr).
    """

    def __init__(self, reason: str):
        super().__init__(f"Taichi XLA custom op unavailable: {reason}")
        self.reason = reason


def cache_dir() -> Path:
    """Root of the on-disk cache (``$MULTIAREA_CACHE_DIR/taichi_aot`` or
    ``~/.cache/multiarea/taichi_aot``); created on demand."""
    root = os.environ.get("MULTIAREA_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "multiarea"
    path = base / "taichi_aot"
    path.mkdir(parents=True, exist_ok=True)
    return path


def taichi_dirs() -> dict[str, Path]:
    """Locations inside the installed taichi wheel, found without importing it.

    Returns:
        ``{"include": C headers, "lib": dir of libtaichi_c_api.so,
        "runtime": dir of runtime_*.bc (the value of ``TI_LIB_DIR``)}``.

    Raises:
        CustomOpUnavailable: taichi is not installed or lacks its C API.
    """
    spec = importlib.util.find_spec("taichi")
    if spec is None or not spec.submodule_search_locations:
        raise CustomOpUnavailable("the 'taichi' package is not installed")
    lib_root = Path(list(spec.submodule_search_locations)[0]) / "_lib"
    dirs = {
        "include": lib_root / "c_api" / "include",
        "lib": lib_root / "c_api" / "lib",
        "runtime": lib_root / "runtime",
    }
    if not (dirs["lib"] / "libtaichi_c_api.so").exists():
        raise CustomOpUnavailable(
            f"taichi C API library not found in {dirs['lib']} "
            f"(platform {sys.platform} may be unsupported)")
    return dirs


@functools.lru_cache(maxsize=None)
def cuda_enabled() -> bool:
    """True when jax has a CUDA backend, i.e. the CUDA handler is useful."""
    try:
        return bool(jax.devices("cuda"))
    except RuntimeError:
        return False


def _build(target: Path, dirs: dict[str, Path], defines: list[str]) -> None:
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        raise CustomOpUnavailable("no C++ compiler found (install g++ or set CXX)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        tmp_lib = Path(tmp) / _LIBRARY_NAME
        cmd = [
            compiler, "-std=c++17", "-O2", "-shared", "-fPIC",
            *[f"-D{d}" for d in defines],
            "-isystem", jax.ffi.include_dir(),
            "-isystem", str(dirs["include"]),
            str(_SOURCE),
            "-L", str(dirs["lib"]), "-ltaichi_c_api",
            f"-Wl,-rpath,{dirs['lib']}",
            "-o", str(tmp_lib),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True)
        except OSError as exc:
            raise CustomOpUnavailable(f"cannot run {compiler}: {exc}") from exc
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-20:])
            raise CustomOpUnavailable(
                f"compiling {_SOURCE.name} failed (exit {proc.returncode}):\n{tail}")
        os.replace(tmp_lib, target)  # atomic: concurrent builders are safe


def load_handler_library() -> ctypes.CDLL:
    """Build (if not cached) and load the handler library; idempotent.

    Also sets ``TI_LIB_DIR`` (needed by the Taichi runtime) if it is unset.

    Raises:
        CustomOpUnavailable: building or loading failed.
    """
    global _library
    with _lock:
        if _library is not None:
            return _library
        if not sys.platform.startswith("linux"):
            raise CustomOpUnavailable(f"unsupported platform {sys.platform!r} (Linux only)")
        dirs = taichi_dirs()
        os.environ.setdefault("TI_LIB_DIR", str(dirs["runtime"]))
        defines = ["MULTIAREA_WITH_CUDA"] if cuda_enabled() else []
        key = hashlib.sha256()
        for part in (_SOURCE.read_bytes(), jax.__version__.encode(),
                     importlib.metadata.version("taichi").encode(),
                     str(dirs["lib"]).encode(), " ".join(defines).encode()):
            key.update(part)
            key.update(b"\0")
        target = cache_dir() / "ffi" / key.hexdigest()[:24] / _LIBRARY_NAME
        if not target.exists():
            _build(target, dirs, defines)
        try:
            lib = ctypes.CDLL(str(target))
        except OSError as exc:
            raise CustomOpUnavailable(f"cannot load {target}: {exc}") from exc
        lib.MultiareaTaichiPreload.restype = ctypes.c_int
        lib.MultiareaTaichiPreload.argtypes = [
            ctypes.c_int64, ctypes.c_int32, ctypes.c_char_p, ctypes.c_char_p,
            ctypes.c_char_p, ctypes.c_size_t]
        _library = lib
        return lib


def register_target(platform: str) -> str:
    """Register the FFI handler for ``platform`` (``"cpu"`` or ``"cuda"``) with
    XLA once, and return the target name to pass to ``jax.ffi.ffi_call``.

    Raises:
        CustomOpUnavailable: the library cannot be built, or it was built
            without support for ``platform``.
    """
    if platform not in _TARGETS:
        raise CustomOpUnavailable(f"unsupported platform {platform!r}")
    name, symbol, xla_platform = _TARGETS[platform]
    with _lock:
        if name in _registered:
            return name
        lib = load_handler_library()
        if not hasattr(lib, symbol):
            raise CustomOpUnavailable(
                f"the handler library was built without {platform} support")
        jax.ffi.register_ffi_target(
            name, jax.ffi.pycapsule(getattr(lib, symbol)), platform=xla_platform)
        _registered.add(name)
        return name


def preload_kernel(arch: int, device: int, module_dir: str, kernel_name: str) -> None:
    """Load the kernel through the Taichi C API now (it stays cached for the
    XLA handler), turning a broken module into a Python error at trace time.

    Raises:
        RuntimeError: Taichi could not create the runtime or load the kernel.
    """
    lib = load_handler_library()
    error = ctypes.create_string_buffer(4096)
    status = lib.MultiareaTaichiPreload(arch, device, module_dir.encode(),
                                        kernel_name.encode(), error, len(error))
    if status != 0:
        raise RuntimeError(error.value.decode(errors="replace"))
