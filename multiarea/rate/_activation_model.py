"""A :class:`~multiarea.rate.connectome_rnn.ConnectomeRNN` as a :class:`multiarea.fitting.ActivationModel`
(see :meth:`ConnectomeRNN.activation_model`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp
import numpy as np

if TYPE_CHECKING:
    from .connectome_rnn import ConnectomeRNN


class _RNNActivationModel:
    """Adapter: a ConnectomeRNN seen as (params, inputs) -> activations."""

    def __init__(self, rnn: ConnectomeRNN, t1, num_steps, sample_steps, solver):
        self.rnn, self.t1, self.num_steps, self.solver = rnn, t1, num_steps, solver
        steps = np.arange(num_steps) if sample_steps is None else np.asarray(sample_steps)
        if steps.ndim != 1 or steps.size == 0 or steps.min() < 0 or steps.max() >= num_steps:
            raise ValueError(f"sample_steps must be indices in [0, {num_steps}), got {steps}")
        self.sample_steps = steps
        self.params = rnn.params
        self.input_shape = (rnn.n_inputs,)
        self.n_neurons = rnn.n_neurons
        self.n_layers = steps.size

    def apply(self, params, inputs):
        _, activity, _ = self.rnn.forward(inputs, 0.0, self.t1, self.num_steps, params=params,
                                          solver=self.solver)
        if not self.rnn.batch_first:
            activity = jnp.swapaxes(activity, 0, 1)
        return jnp.transpose(activity[:, self.sample_steps], (0, 2, 1))

    def clamp(self, params):
        return self.rnn.clamp(params)
