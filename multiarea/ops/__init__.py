"""Event-driven synaptic ops and the Taichi -> XLA custom-op mechanism.

``event_current`` (just-in-time random connectivity, fused over areas) and
``csr_event_current`` (explicit connectivity) write this step's spikes into a
post-side ring buffer; ``csr_matvec`` is the differentiable float sparse
mat-vec (and transpose) of the rate networks.  Two backends implement them:

* ``"taichi"`` (default on CPU): a Taichi kernel run as an XLA custom call
  through ``jax.ffi`` (see :class:`XLACustomOp`);
* ``"jax"``: the pure-JAX reference every other backend is tested against.

If the custom-op handler cannot be built here (no C++ compiler, unsupported
platform), a warning says why, once, and the ``"jax"`` backend is used.
"""
from __future__ import annotations

import warnings

from . import _event_jax
from ._build import CustomOpUnavailable
from ._csr import csr_matvec, csr_transpose
from ._plan import JitConnPlan, PairTables, make_plan
from ._xla_custom_op import XLACustomOp

__all__ = ["JitConnPlan", "PairTables", "make_plan", "event_current", "csr_event_current", "csr_matvec", "csr_transpose",
           "set_backend", "get_backend", "BACKENDS", "XLACustomOp", "CustomOpUnavailable"]

BACKENDS = ("taichi", "jax")
_backend = "taichi"
_unavailable: str | None = None  # why the taichi backend cannot run here, once known


def set_backend(name: str) -> None:
    """Choose the implementation of ``event_current``: one of ``BACKENDS``."""
    global _backend
    _backend = _check_backend(name)


def get_backend() -> str:
    """The backend ``event_current`` uses by default."""
    return _backend


def _check_backend(name) -> str:
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {name!r}")
    return name


def _resolve_backend(name: str | None) -> str:
    """The backend to run: ``name`` (default the global one), except that
    ``"taichi"`` becomes ``"jax"`` (after one warning) where the custom-op
    handler cannot be built."""
    global _unavailable
    name = _check_backend(_backend if name is None else name)
    if name == "taichi" and _unavailable is None:
        try:
            from . import _build
            _build.register_target("cpu")
            _unavailable = ""
        except (CustomOpUnavailable, OSError) as err:
            _unavailable = str(err) or type(err).__name__
            warnings.warn(f"multiarea: the taichi backend is unavailable ({_unavailable}); "
                          "using the pure-JAX backend", RuntimeWarning, stacklevel=3)
    return "jax" if name == "taichi" and _unavailable else name


def event_current(plan: JitConnPlan, spikes, weights, ring, t, backend: str | None = None,
                  tables: PairTables | None = None):
    """Deliver spikes through a fused JIT projection into a ring buffer.

    See ``_event_jax.event_current`` for the arguments and shapes (``tables``:
    a subset of the plan's pairs, e.g. one device's areas); ``backend``
    overrides the global choice for this call.
    """
    if _resolve_backend(backend) == "taichi":
        from . import _event_taichi
        return _event_taichi.event_current(plan, spikes, weights, ring, t, tables=tables)
    return _event_jax.event_current(plan, spikes, weights, ring, t, tables=tables)


csr_event_current = _event_jax.csr_event_current
