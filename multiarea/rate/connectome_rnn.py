"""Rate-based RNNs constrained by a typed connectome.

Every neuron ``i`` has a voltage-like state ``v_i`` obeying

    tau_i dv_i/dt = -v_i + bias_i + sum_j W_ji phi_j(v_j) + (P_in x(t))_i

or, with ``state="rate"``, a rate ``r_i`` obeying (Wilson-Cowan form, e.g.
the threshold-linear rate models of Chaudhuri et al. 2015 and Joglekar et al.
2018, see :mod:`multiarea.joglekar2018.rate_model`)

    tau_i dr_i/dt = -r_i + phi_i(bias_i + sum_j W_ji r_j + (P_in x(t))_i)

with ``tau``, ``bias`` and the nonlinearity ``phi`` shared by cell type, and
``W_ji = sign_j(i) * count_ji * strength[type_j, type_i]``: the synapse sign
(from the presynaptic type's class, or from the sign of the given connectome
values), the synapse count (the connectome's magnitude) and a strength shared
by edge type (pre type, post type).  The recurrent term, the input ``P_in``
and the readout ``P_out`` are :class:`multiarea.Projection` mat-vecs (the
``csr_matvec`` custom op).

Parameters are a dict of per-group arrays (``"tau"``, ``"bias"`` per type,
``"edge_strength"`` per edge type); ``model.params`` holds the trainable ones,
so ``jax.grad`` of any loss of :meth:`ConnectomeRNN.forward` with respect to
them (and to the input) works, and optax updates them.  Time is in the units
of ``tau`` (ms by the package's convention).

Helpers: the argument checks are in :mod:`._rnn_arguments`, the ODE solvers
in :mod:`._solvers` and the adapter of :meth:`ConnectomeRNN.activation_model`
in :mod:`._activation_model`.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks
from ..projections.connectivity import CSR
from ..projections.connectome import to_csr
from ..projections.initializers import Normal, Value, group_values
from ..projections.projection import Projection
from . import _solvers
from ._activation_model import _RNNActivationModel
from ._rnn_arguments import (NONLINEARITIES, _check_clamp, _check_x64, _dtype, _neuron_class, _nonlinearity,
                             _per_type, _type_table)
from ._solvers import SOLVERS, SteadyState

__all__ = ["ConnectomeRNN", "SteadyState", "NONLINEARITIES", "fly_visual_rnn"]

_PARAMS = ("tau", "bias", "edge_strength")
_DEFAULT_CLAMP = {"tau": (1e-3, None), "bias": None, "edge_strength": "non_negative"}
_STATES = ("voltage", "rate")


class ConnectomeRNN:
    """A continuous-time rate RNN on a typed connectome.

    Args:
        connectome: ``(n, n)`` pre x post synapse counts (unsigned, with
            ``neuron_type_class``) or signed weights; any form accepted by
            :func:`multiarea.connectome.to_csr`.
        neuron_types: ``(n,)`` type of every neuron, ints or strings.
        type_names: names of the int types (default ``"0", "1", ...``).
        neuron_type_class: per type ``"excitatory"``/``"inhibitory"`` (one
            value, a list, or a dict by type name): the sign of the type's
            outgoing synapses; connectome values must then be >= 0.  ``None``:
            signs are the signs of the connectome values.
        tau: time constant per type (> 0; units of time): initial
            distribution, scalar, per-type array or dict.
        bias: resting potential per type, same forms.
        edge_strength: strength per edge type (pre type, post type) present
            in the connectome, same forms (dict keys are (pre, post) name
            pairs, or the ``edge_groups`` labels); see ``edge_types``.
        edge_groups: ``None``: one edge type per (pre type, post type) pair;
            or a function ``(pre, post) -> labels`` of the synapses'
            ``(nnz,)`` pre and post neuron indices returning ``(nnz,)`` int or
            str labels, one edge type per distinct label (e.g. to give local
            and long-range synapses of the same cell types their own
            strengths).
        nonlinearity: ``phi``: a name in ``NONLINEARITIES`` or a callable, for
            all types, or a list / dict per type.
        trainable: names of the parameters in ``model.params`` (the rest are
            fixed).
        clamp: per parameter ``None``, ``"non_negative"`` or ``(min, max)``,
            applied by :meth:`clamp` (e.g. after an optimiser step); defaults
            keep ``tau >= 1e-3`` and ``edge_strength >= 0``.
        input_projection: a :class:`Projection` from the inputs to the
            neurons (e.g. :func:`multiarea.connectome.create_sparse_projection`);
            ``None``: each neuron gets its own input (``n`` inputs).
        output_projection: a :class:`Projection` from the neurons to the
            readouts; ``None``: every neuron is read out.
        batch_first: arrays are ``(batch, time, ...)`` if True, else
            ``(time, batch, ...)``.
        seed: seed of the random initial distributions.
        backend: mat-vec op backend (default ``multiarea.ops.get_backend()``).
        state: ``"voltage"`` (default: the state is ``v``, the rate
            ``phi(v)``) or ``"rate"`` (the state is the rate ``r`` and
            ``phi`` acts on the summed input; see the module docstring).
        dtype: ``"float32"`` (default) or ``"float64"`` for parameters,
            state and inputs.  float64 needs 64-bit JAX (``jax.enable_x64``)
            when the model is built and run; its mat-vecs run the pure-JAX
            op (the Taichi kernels are float32).
    """

    def __init__(self, connectome, neuron_types, *, type_names=None, neuron_type_class=None,
                 tau=Value(1.0), bias=Value(0.0), edge_strength=Value(1.0), nonlinearity="relu",
                 trainable=_PARAMS, clamp=None, input_projection=None, output_projection=None,
                 batch_first: bool = True, seed: int = 0, backend: str | None = None,
                 state: str = "voltage", dtype="float32", edge_groups=None):
        if state not in _STATES:
            raise ValueError(f"state must be one of {_STATES}, got {state!r}")
        self.state = state
        self.dtype = _dtype(dtype)
        self.type_names, self.neuron_type = _type_table(neuron_types, type_names)
        n = self.n_neurons = self.neuron_type.size
        m = to_csr(connectome, (n, n))
        conn = CSR.from_scipy(m)
        counts, pre, post = m.data, conn.pre_of_synapse(), conn.indices
        if neuron_type_class is None:
            sign = np.sign(counts)
        else:
            classes = np.array(_per_type("neuron_type_class", neuron_type_class, self.type_names, _neuron_class))
            if np.any(counts < 0):
                raise ValueError("with neuron_type_class the connectome holds synapse counts and must be "
                                 f">= 0, got min {counts.min()}")
            sign = classes[self.neuron_type[pre]]
        self.recurrent = Projection(n, n, conn, 1.0, backend=backend)
        # edge types: the (pre type, post type) pairs present
        self.edge_types, self._edge_group = self._edge_table(edge_groups, pre, post)
        self._sign_count = np.abs(counts) * sign
        phis = _per_type("nonlinearity", nonlinearity, self.type_names, _nonlinearity)
        self._phis = list(dict.fromkeys(phis))  # the distinct functions, and which one each neuron uses
        self._phi_of_neuron = np.array([self._phis.index(f) for f in phis])[self.neuron_type]

        rng = np.random.default_rng(_checks.seed_int("seed", seed))
        values = {"tau": group_values("tau", tau, self.type_names, rng),
                  "bias": group_values("bias", bias, self.type_names, rng),
                  "edge_strength": group_values("edge_strength", edge_strength, self.edge_types, rng)}
        if np.any(values["tau"] <= 0):
            raise ValueError(f"tau must be > 0 for every type, got min {values['tau'].min()}")
        trainable = (trainable,) if isinstance(trainable, str) else tuple(trainable)
        unknown = [p for p in trainable if p not in _PARAMS]
        if unknown:
            raise ValueError(f"trainable names unknown parameters {unknown}; choose from {_PARAMS}")
        self._clamp = {**_DEFAULT_CLAMP, **(clamp or {})}
        for name in self._clamp:
            if name not in _PARAMS:
                raise ValueError(f"clamp names unknown parameter {name!r}; choose from {_PARAMS}")
            _check_clamp(name, self._clamp[name])
        as_dtype = {k: jnp.asarray(v, self.dtype) for k, v in values.items()}
        #: trainable parameters: ``{name: (n_groups,) dtype}``
        self.params = {k: as_dtype[k] for k in trainable}
        self.fixed_params = {k: v for k, v in as_dtype.items() if k not in trainable}

        self.input_projection = input_projection
        self.output_projection = output_projection
        self.n_inputs = n if input_projection is None else self._check_projection("input", input_projection)
        self.n_outputs = n if output_projection is None else self._check_projection("output", output_projection)
        self.batch_first = bool(batch_first)
        self._hooks: list = []
        self._compiled: dict = {}

    def _edge_table(self, edge_groups, pre, post):
        """``(edge type names, (nnz,) edge type of every synapse)``."""
        if edge_groups is None:  # the (pre type, post type) pairs present
            n_types = len(self.type_names)
            pair = self.neuron_type[pre].astype(np.int64) * n_types + self.neuron_type[post]
            pairs, group = np.unique(pair, return_inverse=True)
            return [(self.type_names[p // n_types], self.type_names[p % n_types]) for p in pairs], group
        if not callable(edge_groups):
            raise TypeError(f"edge_groups must be None or a function (pre, post) -> labels, "
                            f"got {type(edge_groups).__name__}")
        labels = np.asarray(edge_groups(pre.copy(), post.copy()))
        if labels.shape != pre.shape or labels.dtype.kind not in "iuU":
            raise ValueError(f"edge_groups must return ({pre.size},) int or str labels (one per synapse), "
                             f"got {labels.dtype} {labels.shape}")
        names, group = np.unique(labels, return_inverse=True)
        return [name.item() for name in names], group

    def _check_projection(self, which, proj) -> int:
        if not isinstance(proj, Projection):
            raise TypeError(f"{which}_projection must be a multiarea.Projection, got {type(proj).__name__}")
        side, other = (proj.n_post, proj.n_pre) if which == "input" else (proj.n_pre, proj.n_post)
        if side != self.n_neurons:
            raise ValueError(f"{which}_projection connects {side} neurons, the network has {self.n_neurons}")
        return other

    # ----------------------------------------------------------------- params
    def all_params(self, params=None) -> dict:
        """Trainable ``params`` (default ``self.params``) merged with the fixed ones."""
        params = self.params if params is None else params
        unknown = [k for k in params if k not in self.params]
        if unknown:
            raise ValueError(f"params names {unknown}, which are not trainable here; "
                             f"trainable: {sorted(self.params)}")
        return {**self.fixed_params, **params}

    def clamp(self, params: dict) -> dict:
        """``params`` with each entry clamped to its range (see ``clamp`` in the constructor)."""
        out = {}
        for name, value in params.items():
            spec = self._clamp.get(name)
            if spec == "non_negative":
                value = jnp.maximum(value, 0.0)
            elif spec is not None:
                value = jnp.clip(value, spec[0], spec[1])
            out[name] = value
        return out

    def weights(self, params=None) -> jax.Array:
        """``(nnz,)`` synaptic weights ``sign * count * edge_strength`` in CSR (pre-major) order."""
        p = self.all_params(params)
        return jnp.asarray(self._sign_count, self.dtype) * p["edge_strength"][self._edge_group]

    def indices(self, types) -> np.ndarray:
        """Neuron indices of a type name (or a list of names)."""
        names = [types] if isinstance(types, str) else list(types)
        codes = []
        for name in names:
            if name not in self.type_names:
                raise ValueError(f"unknown neuron type {name!r}")
            codes.append(self.type_names.index(name))
        return np.flatnonzero(np.isin(self.neuron_type, codes))

    # ------------------------------------------------------------------ hooks
    def register_state_hook(self, hook: Callable, **kwargs) -> None:
        """Call ``hook(state, t, **kwargs) -> state`` on the state ``(batch, n)``
        after every fixed step (and on the initial state), e.g. to clamp or
        perturb chosen cell types.  Hooks run in the order registered;
        :meth:`clear_state_hooks` removes them."""
        if not callable(hook):
            raise TypeError(f"state_hook must be callable, got {type(hook).__name__}")
        self._hooks.append((hook, kwargs))
        self._compiled.clear()

    def clear_state_hooks(self) -> None:
        """Remove every state hook."""
        self._hooks.clear()
        self._compiled.clear()

    def clamp_types(self, types, value: float) -> None:
        """Hold the state of every neuron of ``types`` at ``value``."""
        idx = jnp.asarray(self.indices(types))
        value = _checks.finite_float("value", value)
        self.register_state_hook(lambda v, t: v.at[:, idx].set(value))

    def perturb_types(self, types, delta: float, t_start: float = -np.inf, t_stop: float = np.inf) -> None:
        """Add ``delta`` to the state of ``types`` after every step with ``t_start <= t < t_stop``."""
        idx = jnp.asarray(self.indices(types))
        delta = _checks.finite_float("delta", delta)

        def hook(v, t):
            return v.at[:, idx].add(jnp.where((t >= t_start) & (t < t_stop), delta, 0.0))

        self.register_state_hook(hook)

    def _apply_hooks(self, v, t):
        for hook, kwargs in self._hooks:
            v = hook(v.T, t, **kwargs).T
        return v

    # --------------------------------------------------------------- dynamics
    def _vector_field(self, params):
        """``f(v, drive) -> dv/dt`` for ``v`` ``(n, batch)``; weights bound once."""
        p = self.all_params(params)
        recurrent = self.recurrent.linear_map(self.weights(params))
        tau = p["tau"][self.neuron_type][:, None]
        bias = p["bias"][self.neuron_type][:, None]
        phi = self._phi
        if self.state == "rate":
            def f(r, drive):
                return (-r + phi(bias + recurrent(r) + drive)) / tau
        else:
            def f(v, drive):
                return (-v + bias + recurrent(phi(v)) + drive) / tau

        return f

    def _phi(self, v):
        """Per-type nonlinearity of ``v`` with neurons on axis 0."""
        if len(self._phis) == 1:
            return self._phis[0](v)
        mask_shape = (-1,) + (1,) * (v.ndim - 1)
        return jnp.select([jnp.asarray(self._phi_of_neuron == k).reshape(mask_shape)
                           for k in range(len(self._phis))], [f(v) for f in self._phis])

    def rates(self, activity):
        """``phi(v)``: the rates of states ``activity`` ``(..., n_neurons)``
        (e.g. the activity returned by :meth:`forward`); with
        ``state="rate"`` the state is the rate and is returned as is."""
        activity = jnp.asarray(activity)
        if activity.shape[-1] != self.n_neurons:
            raise ValueError(f"activity must have n_neurons={self.n_neurons} on its last axis, got {activity.shape}")
        if self.state == "rate":
            return activity
        return jnp.moveaxis(self._phi(jnp.moveaxis(activity, -1, 0)), 0, -1)

    def _drive_fn(self, x):
        """Input ``x`` ``(T, n_in, batch)`` or ``(n_in, batch)`` -> ``drive(k)``,
        the input current ``(n, batch)`` of frame ``k``."""
        project = (lambda u: u) if self.input_projection is None else self.input_projection.linear_map(dtype=self.dtype)
        if x.ndim == 2:
            drive = project(x)
            return lambda k: drive
        return lambda k: project(x[k])

    def _initial(self, params, batch, initial_state):
        if initial_state is None:  # at rest without recurrent input: v = bias, or r = phi(bias)
            bias = self.all_params(params)["bias"][self.neuron_type]
            rest = self._phi(bias) if self.state == "rate" else bias
            return jnp.broadcast_to(rest[:, None], (self.n_neurons, batch))
        v0 = jnp.asarray(initial_state, self.dtype)
        if v0.shape != (batch, self.n_neurons):
            raise ValueError(f"initial_state must have shape (batch, n_neurons) = {(batch, self.n_neurons)}, "
                             f"got {v0.shape}")
        return v0.T

    def _prepare_input(self, x):
        """User input -> neuron-major ``(T, n_in, batch)`` or ``(n_in, batch)``."""
        _check_x64(np.dtype(self.dtype).name)
        x = jnp.asarray(x, self.dtype)
        if x.ndim == 2:
            if x.shape[1] != self.n_inputs:
                raise ValueError(f"x must have shape (batch, n_inputs={self.n_inputs}) or a time axis, "
                                 f"got {x.shape}")
            return x.T
        if x.ndim != 3 or x.shape[2] != self.n_inputs:
            raise ValueError(f"x must have shape (batch, time, n_inputs={self.n_inputs}) "
                             f"({'batch' if self.batch_first else 'time'} first), or (batch, n_inputs); "
                             f"got {x.shape}")
        return jnp.transpose(x, (1, 2, 0) if self.batch_first else (0, 2, 1))

    def _integrate(self, params, x, v0, t0, t1, *, num_steps, solver, rtol, atol, max_steps):
        """States and readouts, ``(num_steps, n, batch)`` and ``(num_steps,
        n_outputs, batch)``, at ``linspace(t0, t1, num_steps)``."""
        f = self._vector_field(params)
        drive = self._drive_fn(x)
        readout = (lambda v: v) if self.output_projection is None else self.output_projection.linear_map(dtype=self.dtype)
        return _solvers.integrate(f, drive, readout, self._apply_hooks, v0, t0, t1, num_steps=num_steps,
                                  solver=solver, rtol=rtol, atol=atol, max_steps=max_steps)

    def forward(self, x, t0: float = 0.0, t1: float = 1.0, num_steps: int = 2, *, params=None,
                initial_state=None, solver: str = "euler", rtol: float = 1e-5, atol: float = 1e-6,
                max_steps: int = 100_000):
        """Simulate the network.

        Args:
            x: input ``(batch, num_steps, n_inputs)`` (``(num_steps, batch,
                n_inputs)`` if not ``batch_first``), frame ``k`` held on
                ``[t_k, t_k+1)``; or ``(batch, n_inputs)``, constant.
            t0, t1: start and end time (units of tau).
            num_steps: number of time points ``t_k = linspace(t0, t1,
                num_steps)`` (>= 2); fixed-step solvers step between them.
            params: trainable parameters (default ``self.params``).
            initial_state: ``(batch, n_neurons)``; default the biases.
            solver: ``"euler"`` or ``"rk4"`` (fixed step, ``lax.scan``), or
                ``"dopri5"`` (adaptive, diffrax; no state hooks).
            rtol, atol, max_steps: Dopri5 step-size control.

        Returns:
            ``(outputs, activity, times)``: outputs ``(batch, num_steps,
            n_outputs)`` (readout of the state), activity ``(batch,
            num_steps, n_neurons)`` (the state ``v``; time first if not
            ``batch_first``), times ``(num_steps,)``.
        """
        if solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
        if solver == "dopri5" and self._hooks:
            raise ValueError("state hooks act after fixed steps; use solver='euler' or 'rk4' with hooks")
        num_steps = _checks.positive_int("num_steps", num_steps)
        if num_steps < 2:
            raise ValueError(f"num_steps must be >= 2 (the start and end points), got {num_steps}")
        t0, t1 = _checks.finite_float("t0", t0), _checks.finite_float("t1", t1)
        if t1 <= t0:
            raise ValueError(f"t1 must be > t0, got t0={t0}, t1={t1}")
        xs = self._prepare_input(x)
        if xs.ndim == 3 and xs.shape[0] != num_steps:
            raise ValueError(f"x has {xs.shape[0]} frames, expected num_steps={num_steps}")
        params = self.params if params is None else params
        v0 = self._initial(params, xs.shape[-1], initial_state)
        run = self._jitted("forward", self._run, num_steps=num_steps, solver=solver, rtol=rtol,
                           atol=atol, max_steps=max_steps)
        return run(params, xs, v0, t0, t1)

    def _jitted(self, name, fn, **static):
        """``fn`` with ``static`` bound, jit-compiled once per (name, static, hooks)."""
        key = (name, *sorted(static.items()))
        if key not in self._compiled:
            self._compiled[key] = jax.jit(partial(fn, **static))
        return self._compiled[key]

    def _run(self, params, xs, v0, t0, t1, **options):
        vs, outs = self._integrate(params, xs, v0, t0, t1, **options)  # (T, n, batch)
        times = jnp.linspace(t0, t1, options["num_steps"])
        order = (2, 0, 1) if self.batch_first else (0, 2, 1)
        return jnp.transpose(outs, order), jnp.transpose(vs, order), times

    __call__ = forward

    # ---------------------------------------------------------- initial states
    def steady_state(self, x, *, dt: float, t_max: float, tol: float = 1e-5, params=None,
                     initial_state=None) -> SteadyState:
        """Run under constant input ``x`` ``(batch, n_inputs)`` with Euler steps
        of ``dt`` until ``max |dv/dt| <= tol`` or ``t_max``.

        Not reverse-differentiable (a ``while_loop``); use :meth:`forward`
        over a fixed time to differentiate through the approach.
        """
        dt, t_max = _checks.positive_float("dt", dt), _checks.positive_float("t_max", t_max)
        tol = _checks.positive_float("tol", tol)
        xs = self._prepare_input(x)
        if xs.ndim != 2:
            raise ValueError(f"steady_state takes a constant input (batch, n_inputs), got {jnp.shape(x)}")
        params = self.params if params is None else params
        v0 = self._initial(params, xs.shape[-1], initial_state)
        return self._jitted("steady_state", self._steady)(params, xs, v0, dt, t_max, tol)

    def _steady(self, params, xs, v0, dt, t_max, tol):
        return _solvers.euler_to_steady_state(self._vector_field(params), self._drive_fn(xs)(0), v0,
                                              self._apply_hooks, dt=dt, t_max=t_max, tol=tol, dtype=self.dtype)

    def fade_in_state(self, x, *, t_fade_in: float, dt: float, baseline: float = 0.0, params=None,
                      initial_state=None):
        """The state after ramping constant input linearly from ``baseline``
        to ``x`` ``(batch, n_inputs)`` over ``t_fade_in`` (Euler steps of
        ``dt``), starting from ``initial_state`` (default the biases).  flyvis
        fades in from grey: ``baseline=0.5``.

        Returns ``(batch, n_neurons)``; differentiable.
        """
        t_fade_in = _checks.positive_float("t_fade_in", t_fade_in)
        dt = _checks.positive_float("dt", dt)
        x = jnp.asarray(x, self.dtype)
        if x.ndim != 2:
            raise ValueError(f"fade_in_state takes one frame (batch, n_inputs), got {x.shape}")
        n_steps = max(1, int(round(t_fade_in / dt)))
        baseline = _checks.finite_float("baseline", baseline)
        ramp = baseline + jnp.linspace(0.0, 1.0, n_steps + 1)[:, None, None] * (x[None] - baseline)  # (T, batch, in)
        if self.batch_first:
            ramp = jnp.swapaxes(ramp, 0, 1)
        _, activity, _ = self.forward(ramp, 0.0, n_steps * dt, n_steps + 1, params=params,
                                      initial_state=initial_state)
        return activity[:, -1] if self.batch_first else activity[-1]

    # ------------------------------------------------ fitting (ActivationModel)
    def activation_model(self, t1: float, num_steps: int, sample_steps=None, solver: str = "euler"):
        """This network as a :class:`multiarea.fitting.ActivationModel`:
        constant input ``(batch, n_inputs)`` -> activity at ``sample_steps``
        (indices into ``linspace(0, t1, num_steps)``; default all) as
        ``(batch, n_neurons, n_samples)``."""
        return _RNNActivationModel(self, t1, num_steps, sample_steps, solver)


def fly_visual_rnn(connectome=None, *, extent: int = 15, tau=50.0, bias=Normal(0.5, 0.05),
                   strength_scale: float = 0.01, trainable=_PARAMS, clamp=None, output_projection=None,
                   batch_first: bool = True, seed: int = 0, backend: str | None = None) -> ConnectomeRNN:
    """The fly visual system network with flyvis's default parametrisation.

    Signs and synapse counts come from the connectome, the strength of each
    edge type (pre type, post type) starts at ``strength_scale / <n_syn>``
    (its mean synapse count on the lattice) and is clamped non-negative, the
    nonlinearity is ReLU, and the time constant and bias are shared per cell
    type.  The inputs are the lattice columns: column ``k`` drives R1-R8 of
    that column (flyvis's stimulus layout).

    Args:
        connectome: a :class:`~multiarea.connectome.FlyVisualConnectome`
            (default ``fly_visual(extent)``).
        extent: lattice radius when ``connectome`` is None.
        tau: time constant per type (ms; flyvis: 0.05 s), any form
            :class:`ConnectomeRNN` takes.
        bias: resting potential per type (flyvis: Normal(0.5, 0.05)).
        strength_scale: the ``0.01`` of flyvis's strength initialisation.
        trainable, clamp, output_projection, batch_first, seed, backend: as
            in :class:`ConnectomeRNN` (flyvis keeps tau >= dt: pass
            ``clamp={"tau": (dt, None)}`` when training with Euler steps).

    Returns:
        A :class:`ConnectomeRNN` with ``n_inputs`` = number of lattice columns.
    """
    from ..data.fly_visual import fly_visual

    c = fly_visual(extent) if connectome is None else connectome
    scale = _checks.positive_float("strength_scale", strength_scale)
    inputs = c.input_indices()                                     # (n_columns, 8)
    n_columns = inputs.shape[0]
    feed = CSR(np.arange(0, inputs.size + 1, inputs.shape[1]), inputs.reshape(-1), c.n_neurons)
    edge_types = [(c.type_names[a], c.type_names[b]) for a, b in zip(c.edge_src_type, c.edge_tar_type)]
    strength = {pair: scale / mean for pair, mean in zip(edge_types, c.edge_mean_n_syn) if np.isfinite(mean)}
    return ConnectomeRNN(
        c.to_csr(signed=True), c.neuron_type, type_names=list(c.type_names), tau=tau, bias=bias,
        edge_strength=strength, nonlinearity="relu", trainable=trainable, clamp=clamp,
        input_projection=Projection(n_columns, c.n_neurons, feed, 1.0, backend=backend),
        output_projection=output_projection, batch_first=batch_first, seed=seed, backend=backend)
