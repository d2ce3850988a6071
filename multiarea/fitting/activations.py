"""Fitting models to activity: activation maximisation, saliency, parameter training.

Everything here works on any :class:`ActivationModel` — a function of
``(params, inputs) -> activations (batch, n_neurons, n_layers)`` plus a little
metadata — e.g. :class:`multiarea.rate.layered.LayeredConnectomeNet` or a connectome
RNN sampled at chosen times.  Targets are :class:`TargetActivation` objects,
turned once into index arrays so the losses are single gathers inside one
jit-compiled optimisation step (Adam, via optax).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd
from tqdm.auto import tqdm

from .. import _checks

__all__ = ["ActivationModel", "TargetActivation", "MaximisationResult", "activation_maximisation",
           "saliency", "TrainResult", "train_model"]


@runtime_checkable
class ActivationModel(Protocol):
    """What the fitting utilities need from a model, and nothing more.

    Attributes:
        params: initial values of the trainable parameters, ``{name: array}``.
        input_shape: shape of one input sample, without the batch axis.
        n_neurons: number of neurons in the activations.
        n_layers: number of layers (hops, or sample times for an RNN).

    An optional method ``clamp(params) -> params`` is applied after every
    optimiser step when the model has it (e.g. to keep slopes >= 0).
    """

    params: dict
    input_shape: tuple
    n_neurons: int
    n_layers: int

    def apply(self, params: dict, inputs: jax.Array) -> jax.Array:
        """``inputs`` ``(batch, *input_shape)`` -> activations ``(batch, n_neurons, n_layers)``."""


def _integer_column(name: str, values) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"targets column {name!r} must hold integers, got dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"targets column {name!r} must be >= 0, got {arr.min()}")
    return arr.astype(np.int64)


class TargetActivation:
    """Target activations ``(batch, layer, neuron) -> value``.

    Args:
        targets: ``{layer: {neuron: value}}`` (the same for every batch), or a
            DataFrame with columns ``layer``, ``neuron`` (``neuron_idx`` is
            accepted as its alias) and ``value``, and optionally ``batch``
            (without it every row applies to every batch).
        batch_size: number of batches; default 1 for the dict form and for a
            DataFrame without ``batch``, else ``max(batch) + 1``.

    Attributes:
        batch, layer, neuron: ``(n_targets,)`` int64 index arrays.
        value: ``(n_targets,)`` float32 target activations.
        batch_size: int.
    """

    def __init__(self, targets, batch_size: int | None = None):
        if batch_size is not None:
            batch_size = _checks.positive_int("batch_size", batch_size)
        if isinstance(targets, Mapping):
            layer, neuron, value = [], [], []
            for lay, neurons in targets.items():
                if not isinstance(neurons, Mapping):
                    raise TypeError(f"targets[{lay!r}] must be a dict {{neuron: value}}, got {type(neurons).__name__}")
                for nrn, val in neurons.items():
                    layer.append(lay)
                    neuron.append(nrn)
                    value.append(val)
            frame = pd.DataFrame({"layer": layer, "neuron": neuron, "value": value})
        elif isinstance(targets, pd.DataFrame):
            frame = targets.rename(columns={"neuron_idx": "neuron"}) if "neuron" not in targets else targets
            missing = [c for c in ("layer", "neuron", "value") if c not in frame.columns]
            if missing:
                raise ValueError(f"targets DataFrame must have columns 'layer', 'neuron' and 'value' "
                                 f"(and optionally 'batch'); missing {missing}, got {list(targets.columns)}")
        else:
            raise TypeError(f"targets must be a dict {{layer: {{neuron: value}}}} or a DataFrame, "
                            f"got {type(targets).__name__}")
        if len(frame) == 0:
            raise ValueError("targets is empty")
        layer = _integer_column("layer", frame["layer"])
        neuron = _integer_column("neuron", frame["neuron"])
        value = _checks.finite_array("targets value", frame["value"].to_numpy(dtype=float)).astype(np.float32)
        if "batch" in frame.columns:
            batch = _integer_column("batch", frame["batch"])
            needed = int(batch.max()) + 1
            if batch_size is not None and batch_size < needed:
                raise ValueError(f"batch_size={batch_size} is smaller than max(targets batch) + 1 = {needed}")
            batch_size = batch_size or needed
        else:
            batch_size = batch_size or 1
            k = layer.size
            batch = np.repeat(np.arange(batch_size), k)
            layer, neuron, value = np.tile(layer, batch_size), np.tile(neuron, batch_size), np.tile(value, batch_size)
        keys = np.stack([batch, layer, neuron], axis=1)
        unique, counts = np.unique(keys, axis=0, return_counts=True)
        if np.any(counts > 1):
            raise ValueError(f"targets has repeated (batch, layer, neuron) entries, e.g. {unique[counts > 1][0].tolist()}")
        self.batch, self.layer, self.neuron, self.value = batch, layer, neuron, value
        self.batch_size = batch_size

    def __len__(self) -> int:
        return self.value.size

    def to_frame(self) -> pd.DataFrame:
        """The targets as a DataFrame with columns ``batch``, ``layer``, ``neuron``, ``value``."""
        return pd.DataFrame({"batch": self.batch, "layer": self.layer, "neuron": self.neuron, "value": self.value})

    def check(self, model: ActivationModel, batch_size: int | None = None) -> None:
        """Raise ``ValueError`` if a target names a layer/neuron outside ``model`` or a
        batch outside ``batch_size``."""
        for name, idx, n in (("layer", self.layer, model.n_layers), ("neuron", self.neuron, model.n_neurons)):
            if idx.max() >= n:
                raise ValueError(f"targets name {name} {int(idx.max())}, but the model has {n} {name}s "
                                 f"(indices 0..{n - 1})")
        if batch_size is not None and self.batch_size != batch_size:
            raise ValueError(f"targets have batch_size {self.batch_size}, but the inputs have batch {batch_size}")

    def select_batches(self, batches) -> "TargetActivation | None":
        """The targets of ``batches`` (global indices), renumbered ``0..len(batches)-1``;
        ``None`` if none of them has a target."""
        batches = np.asarray(batches, np.int64)
        local = np.full(self.batch_size, -1)
        local[batches] = np.arange(batches.size)
        keep = local[self.batch] >= 0
        if not keep.any():
            return None
        return TargetActivation(pd.DataFrame({"batch": local[self.batch[keep]], "layer": self.layer[keep],
                                              "neuron": self.neuron[keep], "value": self.value[keep]}),
                                batch_size=batches.size)

    def _gather(self):
        """``(batch, neuron, layer, value, weight)`` device arrays; ``weight`` makes the
        weighted sum a mean over each batch's targets, then over batches with targets."""
        present, per_batch = np.unique(self.batch, return_counts=True)
        count = np.zeros(self.batch_size)
        count[present] = per_batch
        weight = 1.0 / (count[self.batch] * present.size)
        return (jnp.asarray(self.batch), jnp.asarray(self.neuron), jnp.asarray(self.layer),
                jnp.asarray(self.value), jnp.asarray(weight, jnp.float32))


def _as_targets(targets, batch_size: int | None) -> TargetActivation:
    if isinstance(targets, TargetActivation):
        return targets
    return TargetActivation(targets, batch_size=batch_size)


def _check_inputs(model: ActivationModel, inputs, name: str = "inputs") -> jax.Array:
    arr = jnp.asarray(inputs, jnp.float32)
    shape = tuple(model.input_shape)
    if arr.ndim != len(shape) + 1 or arr.shape[1:] != shape:
        raise ValueError(f"{name} must have shape (batch, {', '.join(map(str, shape))}), got {arr.shape}")
    return arr


def _l1_plus_l2(x):
    """``sum|x| + ||x||_2``, with a finite gradient at ``x = 0``."""
    sq = jnp.sum(x * x)
    safe = jnp.where(sq > 0, sq, 1.0)
    return jnp.sum(jnp.abs(x)) + jnp.where(sq > 0, jnp.sqrt(safe), 0.0)


def _clamp(model):
    return getattr(model, "clamp", None) or (lambda params: params)


_STEPS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _cached_step(model, key: tuple, build: Callable) -> Callable:
    """A jit-compiled optimisation step, built once per (model, settings):
    repeated calls with the same settings do not compile again.  Everything
    that varies between calls (inputs, targets, parameters) is an argument."""
    try:
        steps = _STEPS.setdefault(model, {})
    except TypeError:  # not weak-referenceable: compile per call
        return jax.jit(build())
    if key not in steps:
        steps[key] = jax.jit(build())
    return steps[key]


@dataclass
class MaximisationResult:
    """Result of :func:`activation_maximisation`.

    Attributes:
        input: ``(batch, *input_shape)`` optimised input (as optimised; the
            model may clip it, see its ``apply``).
        output: ``(batch, n_neurons, n_layers)`` model activations for ``input``.
        loss, activation_loss, in_reg_loss, out_reg_loss: ``(n_iterations,)``
            per-iteration total loss and its parts (before that iteration's step).
        snapshots: ``(n_snapshots, batch, *input_shape)`` the input every
            ``snapshot_every`` iterations (before the step).
        snapshot_iterations: ``(n_snapshots,)`` their iteration numbers.
        n_iterations: iterations run (< ``num_iterations`` if stopped early).
    """

    input: np.ndarray
    output: np.ndarray
    loss: np.ndarray
    activation_loss: np.ndarray
    in_reg_loss: np.ndarray
    out_reg_loss: np.ndarray
    snapshots: np.ndarray
    snapshot_iterations: np.ndarray
    n_iterations: int


def activation_maximisation(model: ActivationModel, targets, initial_input=None, *, params: dict | None = None,
                            num_iterations: int = 50, learning_rate: float = 0.1,
                            in_reg_lambda: float = 0.01, out_reg_lambda: float = 0.01,
                            in_regulariser: Callable | None = None, out_regulariser: Callable | None = None,
                            early_stopping: bool = True, stopping_threshold: float = 1e-5, n_runs: int = 10,
                            snapshot_every: int = 5, seed: int = 0, progress: bool = True) -> MaximisationResult:
    """Find the input that drives the model to target activations.

    Minimises ``activation_loss + in_reg_lambda * in_regulariser(input) +
    out_reg_lambda * out_regulariser(activations)`` over the input with Adam,
    where ``activation_loss`` is the squared error to the targets, averaged
    over each batch's targets and then over batches.

    Args:
        model: an :class:`ActivationModel`.
        targets: :class:`TargetActivation`, or a dict/DataFrame it accepts
            (its ``batch_size`` is then ``initial_input``'s batch, if given).
        initial_input: ``(targets.batch_size, *input_shape)``; default uniform
            on [0, 1) drawn with ``seed``.
        params: model parameters; default ``model.params``.
        num_iterations: maximum number of Adam steps.
        learning_rate: Adam learning rate.
        in_reg_lambda, out_reg_lambda: regularisation weights (>= 0).
        in_regulariser, out_regulariser: JAX functions of the whole input /
            activation array -> scalar; default ``sum|x| + ||x||_2``.
        early_stopping: stop when the last ``n_runs`` losses span less than
            ``stopping_threshold``.
        snapshot_every: keep a copy of the input every this many iterations.
        seed: seed of the random initial input.
        progress: show a tqdm progress bar.

    Returns:
        :class:`MaximisationResult`.
    """
    num_iterations = _checks.positive_int("num_iterations", num_iterations)
    learning_rate = _checks.positive_float("learning_rate", learning_rate)
    in_reg_lambda = _checks.nonnegative_float("in_reg_lambda", in_reg_lambda)
    out_reg_lambda = _checks.nonnegative_float("out_reg_lambda", out_reg_lambda)
    stopping_threshold = _checks.nonnegative_float("stopping_threshold", stopping_threshold)
    n_runs = _checks.positive_int("n_runs", n_runs)
    snapshot_every = _checks.positive_int("snapshot_every", snapshot_every)
    for name, fn in (("in_regulariser", in_regulariser), ("out_regulariser", out_regulariser)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    if initial_input is not None:
        initial_input = _check_inputs(model, initial_input, "initial_input")
    targets = _as_targets(targets, None if initial_input is None else initial_input.shape[0])
    targets.check(model, None if initial_input is None else initial_input.shape[0])
    if initial_input is None:
        key = jax.random.PRNGKey(_checks.seed_int("seed", seed))
        initial_input = jax.random.uniform(key, (targets.batch_size, *model.input_shape), jnp.float32)
    params = model.params if params is None else params
    in_reg = in_regulariser or _l1_plus_l2
    out_reg = out_regulariser or _l1_plus_l2
    optimiser = optax.adam(learning_rate)

    def build():
        def loss_fn(x, params, gathered):
            t_batch, t_neuron, t_layer, t_value, t_weight = gathered
            acts = model.apply(params, x)
            act_loss = jnp.sum(t_weight * (acts[t_batch, t_neuron, t_layer] - t_value) ** 2)
            in_loss = in_reg_lambda * in_reg(x)
            out_loss = out_reg_lambda * out_reg(acts)
            return act_loss + in_loss + out_loss, jnp.stack([act_loss, in_loss, out_loss])

        def step(x, opt_state, params, gathered):
            (loss, parts), grad = jax.value_and_grad(loss_fn, has_aux=True)(x, params, gathered)
            updates, opt_state = optimiser.update(grad, opt_state, x)
            return optax.apply_updates(x, updates), opt_state, loss, parts

        return step

    step = _cached_step(model, ("activation_maximisation", learning_rate, in_reg_lambda, out_reg_lambda,
                                in_reg, out_reg), build)
    gathered = targets._gather()
    x, opt_state = initial_input, optimiser.init(initial_input)
    losses, parts, snapshots, snap_iters = [], [], [], []
    bar = tqdm(range(num_iterations), desc="activation maximisation", disable=not progress)
    for it in bar:
        if it % snapshot_every == 0:
            snapshots.append(x)
            snap_iters.append(it)
        x, opt_state, loss, part = step(x, opt_state, params, gathered)
        losses.append(float(loss))
        parts.append(part)
        bar.set_postfix(loss=losses[-1], refresh=False)
        if early_stopping and len(losses) > n_runs and np.ptp(losses[-n_runs:]) < stopping_threshold:
            break
    bar.close()
    parts = np.asarray(jnp.stack(parts))
    return MaximisationResult(input=np.asarray(x), output=np.asarray(model.apply(params, x)),
                              loss=np.asarray(losses, np.float32), activation_loss=parts[:, 0],
                              in_reg_loss=parts[:, 1], out_reg_loss=parts[:, 2],
                              snapshots=np.asarray(jnp.stack(snapshots)), snapshot_iterations=np.asarray(snap_iters),
                              n_iterations=len(losses))


_SALIENCY_METHODS = ("vanilla", "input_x_gradient")


def saliency(model: ActivationModel, inputs, neurons_of_interest: Mapping, *, method: str = "vanilla",
             normalize: bool = False, params: dict | None = None) -> jax.Array:
    """How much each input element moves the summed activation of chosen neurons.

    Args:
        model: an :class:`ActivationModel`.
        inputs: ``(batch, *input_shape)``.
        neurons_of_interest: ``{layer: [neuron indices]}``; the signal is the
            sum of those activations (over batches too; batches are independent).
        method: ``"vanilla"`` (the gradient of the signal w.r.t. the input) or
            ``"input_x_gradient"`` (input times that gradient).
        normalize: divide each batch's map by its maximum, when that is > 0.
        params: model parameters; default ``model.params``.

    Returns:
        ``(batch, *input_shape)`` float32 saliency map.
    """
    if method not in _SALIENCY_METHODS:
        raise ValueError(f"method must be one of {_SALIENCY_METHODS}, got {method!r}")
    x = _check_inputs(model, inputs)
    if not isinstance(neurons_of_interest, Mapping) or not neurons_of_interest:
        raise TypeError(f"neurons_of_interest must be a non-empty dict {{layer: [neurons]}}, "
                        f"got {neurons_of_interest!r}")
    layers, neurons = [], []
    for layer, idx in neurons_of_interest.items():
        idx = np.atleast_1d(np.asarray(idx))
        layers.append(np.full(idx.size, layer))
        neurons.append(idx)
    try:
        picked = TargetActivation(pd.DataFrame({"layer": np.concatenate(layers), "neuron": np.concatenate(neurons),
                                                "value": 0.0}))
        picked.check(model)
    except (TypeError, ValueError) as err:
        raise type(err)(f"neurons_of_interest: {err}") from None
    neuron, layer = jnp.asarray(picked.neuron), jnp.asarray(picked.layer)
    params = model.params if params is None else params

    @jax.jit
    def compute(x):
        grad = jax.grad(lambda x: jnp.sum(model.apply(params, x)[:, neuron, layer]))(x)
        out = grad * x if method == "input_x_gradient" else grad
        if normalize:
            peak = jnp.max(out.reshape(out.shape[0], -1), axis=1).reshape((-1,) + (1,) * (out.ndim - 1))
            out = jnp.where(peak > 0, out / jnp.where(peak > 0, peak, 1.0), out)
        return out

    return compute(x)


@dataclass
class TrainResult:
    """Result of :func:`train_model`.

    Attributes:
        params: trained parameters (all of the model's, the untrained ones unchanged).
        history: ``{"loss", "activation_loss", "param_reg_loss", "val_loss"}``
            each ``(num_epochs,)``; ``val_loss`` is NaN when no validation batch
            has a target.
        train_batches, val_batches: batch indices of the split.
        best_epoch: with ``restore_best``, the epoch whose parameters (those
            the epoch started from) had the lowest training loss (None, and
            the initial parameters returned, if no loss was finite); else None.
    """

    params: dict
    history: dict
    train_batches: np.ndarray
    val_batches: np.ndarray
    best_epoch: int | None = None


def train_model(model: ActivationModel, inputs, targets, *, trainable: Sequence[str] | None = None,
                num_epochs: int = 100, learning_rate: float = 0.01, param_reg_lambda: float = 0.01,
                train_fraction: float = 0.8, seed: int = 42, params: dict | None = None,
                progress: bool = True, restore_best: bool = False) -> TrainResult:
    """Fit model parameters so its activations match targets.

    Minimises ``activation_loss + param_reg_lambda * sum|p - p0|`` with Adam
    (full batch, one step per epoch), where ``activation_loss`` is the absolute
    error to the targets, averaged over each batch's targets and then over
    batches, and ``p0`` are the initial parameters.  Batches are split at
    random (``seed``) into training and validation sets.

    Args:
        model: an :class:`ActivationModel`.
        inputs: ``(batch, *input_shape)``.
        targets: :class:`TargetActivation` or a dict/DataFrame it accepts
            (a DataFrame without ``batch`` applies to every batch).
        trainable: names of the parameters to fit; default all of them.
        num_epochs: number of Adam steps.
        learning_rate: Adam learning rate.
        param_reg_lambda: weight of the L1 penalty on the change (>= 0).
        train_fraction: fraction of batches used for training, in (0, 1];
            at least one batch must be drawn.
        seed: seed of the split.
        params: initial parameters; default ``model.params``.
        progress: show a tqdm progress bar.
        restore_best: return the parameters with the lowest training loss
            seen (each epoch's loss is that of the parameters it starts
            from) instead of the last ones: for stiff models (e.g. near an
            instability) where Adam's steps can end worse than they began.

    Returns:
        :class:`TrainResult`.
    """
    if not isinstance(restore_best, bool):
        raise TypeError(f"restore_best must be a bool, got {restore_best!r}")
    x = _check_inputs(model, inputs)
    n_batch = x.shape[0]
    targets = _as_targets(targets, n_batch)
    targets.check(model, n_batch)
    num_epochs = _checks.positive_int("num_epochs", num_epochs)
    learning_rate = _checks.positive_float("learning_rate", learning_rate)
    param_reg_lambda = _checks.nonnegative_float("param_reg_lambda", param_reg_lambda)
    train_fraction = _checks.probability("train_fraction", train_fraction)
    params = dict(model.params if params is None else params)
    names = list(params) if trainable is None else list(trainable)
    unknown = [k for k in names if k not in params]
    if not names or unknown:
        raise ValueError(f"trainable must name some of the model's parameters {list(params)}, got {trainable!r}")
    n_train = int(n_batch * train_fraction)
    if n_train == 0:
        raise ValueError(f"train_fraction={train_fraction} of {n_batch} batches leaves no training batch")
    order = np.random.default_rng(_checks.seed_int("seed", seed)).permutation(n_batch)
    train_batches, val_batches = np.sort(order[:n_train]), np.sort(order[n_train:])
    train_targets = targets.select_batches(train_batches)
    if train_targets is None:
        raise ValueError("none of the training batches has a target")
    val_targets = targets.select_batches(val_batches) if val_batches.size else None
    x_train, x_val = x[train_batches], x[val_batches]
    clamp = _clamp(model)
    fixed = {k: v for k, v in params.items() if k not in names}
    p0 = {k: jnp.asarray(params[k], jnp.float32) for k in names}

    optimiser = optax.adam(learning_rate)

    def build():
        def activation_loss(trained, fixed, x, gathered):
            b, n, l, v, w = gathered
            acts = model.apply({**fixed, **trained}, x)
            return jnp.sum(w * jnp.abs(acts[b, n, l] - v))

        def step(trained, opt_state, fixed, p0, x_train, train_gathered, x_val, val_gathered):
            def loss_fn(trained):
                act = activation_loss(trained, fixed, x_train, train_gathered)
                reg = param_reg_lambda * sum(jnp.sum(jnp.abs(trained[k] - p0[k])) for k in trained)
                return act + reg, (act, reg)

            (loss, (act, reg)), grad = jax.value_and_grad(loss_fn, has_aux=True)(trained)
            updates, opt_state = optimiser.update(grad, opt_state, trained)
            trained = optax.apply_updates(trained, updates)
            trained = {k: v for k, v in clamp({**fixed, **trained}).items() if k in trained}
            val = jnp.nan if val_gathered is None else activation_loss(trained, fixed, x_val, val_gathered)
            return trained, opt_state, jnp.stack([loss, act, reg, val])

        return step

    step = _cached_step(model, ("train_model", learning_rate, param_reg_lambda), build)
    train_gathered = train_targets._gather()
    val_gathered = None if val_targets is None else val_targets._gather()
    trained, opt_state = p0, optimiser.init(p0)
    history = []
    best_loss, best, best_epoch = np.inf, trained, None
    for _ in tqdm(range(num_epochs), desc="train_model", disable=not progress):
        before = trained
        trained, opt_state, record = step(trained, opt_state, fixed, p0, x_train, train_gathered, x_val,
                                          val_gathered)
        history.append(record)
        if restore_best and float(record[0]) < best_loss:
            best_loss, best, best_epoch = float(record[0]), before, len(history) - 1
    history = np.asarray(jnp.stack(history))
    if restore_best:
        trained = best
    return TrainResult(params={**fixed, **trained},
                       history=dict(zip(("loss", "activation_loss", "param_reg_loss", "val_loss"), history.T)),
                       train_batches=train_batches, val_batches=val_batches,
                       best_epoch=best_epoch)
