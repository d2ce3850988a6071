"""ODE solvers of :class:`~multiarea.rate.connectome_rnn.ConnectomeRNN`'s dynamics.

Each solves ``dv/dt = f(v, u)`` for a state ``v`` ``(n, batch)`` (neurons
first) and a drive ``u`` ``(n, batch)``, calling ``apply_hooks(v, t) -> v``
on the initial state and after every fixed step.  Time is in the units of
``tau``.
"""
from __future__ import annotations

from typing import NamedTuple

import diffrax
import jax
import jax.numpy as jnp

#: solvers of :func:`integrate`
SOLVERS = ("euler", "rk4", "dopri5")


class SteadyState(NamedTuple):
    """Result of :meth:`ConnectomeRNN.steady_state`.

    Attributes:
        state: ``(batch, n_neurons)`` final state.
        time: time integrated until convergence (or ``t_max``).
        residual: ``max |dv/dt|`` at the final state; converged iff ``<= tol``.
    """
    state: jax.Array
    time: jax.Array
    residual: jax.Array


def fixed_step(solver, f):
    """``step(v, u, h) -> v``: one ``"euler"`` or ``"rk4"`` step of ``h``."""
    if solver == "euler":
        return lambda v, u, h: v + h * f(v, u)

    def rk4(v, u, h):
        k1 = f(v, u)
        k2 = f(v + 0.5 * h * k1, u)
        k3 = f(v + 0.5 * h * k2, u)
        k4 = f(v + h * k3, u)
        return v + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)

    return rk4


def integrate(f, drive, readout, apply_hooks, v0, t0, t1, *, num_steps, solver, rtol, atol, max_steps):
    """States and readouts, ``(num_steps, n, batch)`` and ``(num_steps,
    n_outputs, batch)``, at ``linspace(t0, t1, num_steps)``.

    Args:
        f: ``f(v, u) -> dv/dt``.
        drive: ``drive(k) -> u``, the drive of frame ``k``, held on ``[t_k, t_k+1)``.
        readout: ``readout(v) -> (n_outputs, batch)``.
        apply_hooks: ``apply_hooks(v, t) -> v``.
        v0: ``(n, batch)`` initial state.
        solver: one of :data:`SOLVERS`: ``"euler"``/``"rk4"`` step from each
            ``t_k`` to the next (``lax.scan``), ``"dopri5"`` adapts its steps
            (diffrax) with ``rtol``, ``atol`` and at most ``max_steps`` steps.
    """
    h = (t1 - t0) / (num_steps - 1)
    v0 = apply_hooks(v0, t0)
    if solver == "dopri5":
        times = jnp.linspace(t0, t1, num_steps)

        def field(t, v, args):
            k = jnp.clip(jnp.floor((t - t0) / h).astype(jnp.int32), 0, num_steps - 1)
            return f(v, drive(k))

        sol = diffrax.diffeqsolve(diffrax.ODETerm(field), diffrax.Dopri5(), t0, t1, h, v0,
                                  saveat=diffrax.SaveAt(ts=times), max_steps=max_steps,
                                  stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol))
        return sol.ys, jax.lax.map(readout, sol.ys)
    step = fixed_step(solver, f)

    def body(v, k):  # emits the state at t_k, then steps to t_k+1
        v_next = apply_hooks(step(v, drive(k), h), t0 + (k + 1) * h)
        return v_next, (v, readout(v))

    # num_steps iterations: the last step is not needed, but computing it
    # costs less than concatenating the initial state to all the others
    _, (vs, outs) = jax.lax.scan(body, v0, jnp.arange(num_steps))
    return vs, outs


def euler_to_steady_state(f, u, v0, apply_hooks, *, dt, t_max, tol, dtype) -> SteadyState:
    """Euler steps of ``dt`` under the constant drive ``u`` from ``v0`` ``(n, batch)``
    until ``max |dv/dt| <= tol`` or ``t_max``; the time is kept in ``dtype``."""
    def cond(carry):
        _, dv, t = carry
        return (jnp.max(jnp.abs(dv)) > tol) & (t < t_max)

    def body(carry):  # one vector-field evaluation per step: dv/dt at the new state is carried
        v, dv, t = carry
        v = apply_hooks(v + dt * dv, t + dt)
        return v, f(v, u), t + dt

    v0 = apply_hooks(v0, 0.0)
    v, dv, t = jax.lax.while_loop(cond, body, (v0, f(v0, u), jnp.asarray(0.0, dtype)))
    return SteadyState(v.T, t, jnp.max(jnp.abs(dv)))
