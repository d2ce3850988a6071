"""The ways to run a spiking network, behind one interface (:class:`Runner`).

* :class:`KernelRunner`: the whole-step Taichi kernel, many steps per XLA
  custom call (the fast path);
* :class:`ShardedRunner`: the areas split over devices and processes
  (``jax.sharding``);
* :class:`DSRunnerRunner`: ``bp.DSRunner`` over the network's ``update``
  (any DSRunner input, any backend).

All three give the same spikes for the same seed.  :func:`make_runner` picks
one for :func:`multiarea.simulate`.
"""
from __future__ import annotations

from .base import STEPS_PER_CALL, Runner
from .dsrunner import DSRunnerRunner
from .kernel import KernelRunner, unsupported_reason
from .sharded import AreaLayout, ShardedRunner, make_mesh

__all__ = ["Runner", "KernelRunner", "ShardedRunner", "DSRunnerRunner", "AreaLayout", "make_mesh",
           "make_runner", "unsupported_reason", "METHODS", "STEPS_PER_CALL"]

#: how :func:`make_runner` may run a network without ``devices``
METHODS = ("auto", "kernel", "dsrunner")


def make_runner(net, inputs=(), method: str = "auto", devices=None) -> Runner:
    """The runner for ``net`` with ``inputs``.

    Args:
        net: the network.
        inputs: ``bp.DSRunner`` inputs (the kernel and sharded runners take
            only those made by ``net.step_input``).
        method: ``"kernel"``, ``"dsrunner"``, or ``"auto"``: the kernel where
            it can run the network and inputs, else DSRunner.
        devices: None (one device), or the devices to split the areas over
            (see :func:`make_mesh`); needs ``method="auto"``.

    Raises:
        ValueError: unknown ``method``; ``method="kernel"`` for a network or
            input the kernel cannot run (the message says why); ``devices``
            with a ``method`` other than ``"auto"``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    inputs = list(inputs)
    if devices is not None:
        if method != "auto":
            raise ValueError(f"devices={devices!r} runs the sharded path; method must be 'auto', got {method!r}")
        return ShardedRunner(net, devices, inputs)
    if method == "dsrunner":
        return DSRunnerRunner(net, inputs)
    why_not = unsupported_reason(net, inputs)
    if why_not is None:
        return KernelRunner(net, inputs)
    if method == "kernel":
        raise ValueError(f"method='kernel' cannot run this: {why_not}")
    return DSRunnerRunner(net, inputs)
