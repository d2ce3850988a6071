"""``LayeredConnectomeNet``: a connectome unrolled for a few synaptic hops.

The model users of connectome_interpreter know as ``MultilayeredNetwork``:
external input drives the sensory neurons, and activity then travels one
synaptic hop per layer,

    x_0 = f(W u_0),    x_l = f(W x_{l-1})   (l = 1 .. L-1),
    x_l[sensory] += u_{l+1}  (l < L-1), then x_l = min(x_l, 1),

with ``f(y) = tanh(threshold_relu(slope * y + bias))`` per neuron, where
``threshold_relu(z) = z if z >= threshold else 0`` and ``u_0`` is the external
input of layer 0 scattered onto the sensory neurons.  Slopes and biases are
shared within groups of neurons (``idx_to_group``); they and the divisive
strengths are the model's trainable parameters (:attr:`params`).

Divisive normalisation: the synapses from a chosen presynaptic group to chosen
postsynaptic groups leave ``W`` and instead scale the slope of their post
neuron.  With ``x`` the previous layer's activity (the scattered input for
layer 0)::

    slope_eff[post] = slope[post] * prod_s max(0, 1 + w_s * x[pre_s] * strength[group(pre_s)])

over the divisive synapses ``s`` onto ``post`` (``w_s < 0``).  This is what
connectome_interpreter computes one synapse at a time; here it is vectorised
over synapses and batch.

Implements :class:`multiarea.fitting.ActivationModel`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

from .. import _checks
from ..projections.connectivity import CSR
from ..projections.connectome import to_csr
from ..projections.projection import Projection

__all__ = ["LayeredConnectomeNet"]


def _group_labels(idx_to_group, n: int, name: str = "idx_to_group") -> list:
    """``idx_to_group`` (mapping index -> group, or a length-``n`` sequence) as a list of ``n`` labels;
    ``None``: one group ``"all"``."""
    if idx_to_group is None:
        return ["all"] * n
    if isinstance(idx_to_group, Mapping):
        keys = set(idx_to_group)
        if not keys >= set(range(n)):
            missing = sorted(set(range(n)) - keys)[:5]
            raise ValueError(f"{name} must map every neuron index 0..{n - 1} to a group; "
                             f"missing {missing} (first 5 shown)")
        return [idx_to_group[i] for i in range(n)]
    labels = list(idx_to_group)
    if len(labels) != n:
        raise ValueError(f"{name} must have one group per neuron ({n}), got {len(labels)}")
    return labels


def _sorted_groups(labels) -> tuple:
    unique = set(labels)
    try:
        return tuple(sorted(unique))
    except TypeError:  # mixed label types: order by their text
        return tuple(sorted(unique, key=str))


def _group_values(name: str, values, default: float, groups: tuple, minimum: float | None,
                  where: str = "idx_to_group") -> np.ndarray:
    """Per-group initial values from an optional ``{group: value}`` dict."""
    out = np.full(len(groups), default, np.float32)
    if values is None:
        return out
    if not isinstance(values, Mapping):
        raise TypeError(f"{name} must be a dict {{group: value}}, got {type(values).__name__}")
    position = {g: i for i, g in enumerate(groups)}
    for group, value in values.items():
        if group not in position:
            raise ValueError(f"{name} names group {group!r}, which is not in {where}")
        value = _checks.finite_float(f"{name}[{group!r}]", value)
        if minimum is not None and value < minimum:
            raise ValueError(f"{name}[{group!r}] must be >= {minimum}, got {value!r}")
        out[position[group]] = value
    return out


class LayeredConnectomeNet:
    """A connectome unrolled for ``num_layers`` synaptic hops (see the module docstring).

    Args:
        connectome: ``(n, n)`` weights in any form :func:`multiarea.connectome.to_csr`
            accepts (scipy sparse, dense, ``(indices, values)`` COO pair).
        sensory_indices: ``(n_sensory,)`` distinct indices of the neurons that
            receive external input.
        pre_in: REQUIRED: ``"rows"`` if presynaptic neurons index the rows of
            ``connectome`` (``W[pre, post]``), ``"columns"`` if they index the
            columns (``W[post, pre]``, connectome_interpreter's convention).
        num_layers: number of hops ``L`` (>= 1).
        threshold: activation threshold of the thresholded relu, and the
            threshold below which external input is set to 0 (dimensionless).
        default_slope: initial slope of every group not in ``slope_dict``
            (connectome_interpreter's ``tanh_steepness``); >= 0.
        default_bias: initial bias of every group not in ``bias_dict``.
        idx_to_group: ``{neuron index: group}`` covering all neurons, or a
            length-``n`` sequence of groups; neurons of a group share slope and
            bias.  ``None``: one group ``"all"``.
        slope_dict, bias_dict: ``{group: initial value}``.
        divisive_normalization: ``{pre group: [post groups]}``: those synapses
            (all must be negative) act divisively (needs ``idx_to_group``).
        divisive_strength: initial strength, a float for all pre groups or a
            ``{pre group: value}`` dict covering the keys of
            ``divisive_normalization``; >= 0.
        activation_function: replaces ``f`` entirely: a JAX function of the
            summed synaptic input ``(n, batch)`` -> ``(n, batch)``; slopes,
            biases and the threshold are then unused (as in
            connectome_interpreter).  Cannot be combined with divisive
            normalisation.
        backend: op backend of the sparse mat-vec (``"taichi"``/``"jax"``;
            default ``multiarea.ops.get_backend()``).

    Attributes:
        groups: the group labels, sorted; ``params["slope"][i]`` belongs to ``groups[i]``.
        divisive_groups: the divisive pre groups, ordered as ``params["divisive_strength"]``.
        input_shape: ``(n_sensory, num_layers)``; ``inputs[:, :, l]`` is added
            to the sensory neurons before hop ``l`` (``l = 0``: it is the only
            presynaptic activity).
    """

    def __init__(self, connectome, sensory_indices, *, pre_in: str, num_layers: int = 2,
                 threshold: float = 0.01, default_slope: float = 5.0, default_bias: float = 0.0,
                 idx_to_group=None, slope_dict=None, bias_dict=None,
                 divisive_normalization: Mapping | None = None, divisive_strength=1.0,
                 activation_function: Callable | None = None, backend: str | None = None):
        m = to_csr(connectome, pre_in=pre_in, name="connectome")
        n = m.shape[0]
        if m.shape != (n, n):
            raise ValueError(f"connectome must be square (n, n), got {m.shape}")
        self.n_neurons = n
        self.n_layers = _checks.positive_int("num_layers", num_layers)
        self.threshold = _checks.nonnegative_float("threshold", threshold)
        sensory = _checks.index_array("sensory_indices", sensory_indices, n)
        if sensory.size == 0:
            raise ValueError("sensory_indices must not be empty")
        if np.unique(sensory).size != sensory.size:
            raise ValueError("sensory_indices must be distinct")
        self.sensory_indices = sensory.astype(np.int32)
        self.input_shape = (sensory.size, self.n_layers)
        if activation_function is not None and not callable(activation_function):
            raise TypeError(f"activation_function must be callable, got {type(activation_function).__name__}")
        if activation_function is not None and divisive_normalization:
            raise ValueError("activation_function replaces the slope-based f, so it cannot be combined "
                             "with divisive_normalization")
        self.activation_function = activation_function

        labels = _group_labels(idx_to_group, n)
        self.groups = _sorted_groups(labels)
        position = {g: i for i, g in enumerate(self.groups)}
        self.group_index = np.array([position[g] for g in labels], np.int32)
        slope0 = _group_values("slope_dict", slope_dict,
                               _checks.nonnegative_float("default_slope", default_slope), self.groups, 0.0)
        bias0 = _group_values("bias_dict", bias_dict, _checks.finite_float("default_bias", default_bias),
                              self.groups, None)
        self._params = {"slope": jnp.asarray(slope0), "bias": jnp.asarray(bias0)}

        m = m.tocoo()
        pre, post, w = m.row, m.col, m.data
        divisive = self._divisive_mask(divisive_normalization, idx_to_group, pre, post, position)
        if divisive_normalization:
            if np.any(w[divisive] >= 0):
                bad = np.flatnonzero(divisive)[w[divisive] >= 0][:5]
                raise ValueError("divisive_normalization synapses must be negative (inhibitory); "
                                 f"(pre, post) = {list(zip(pre[bad].tolist(), post[bad].tolist()))} "
                                 "are not (first 5 shown)")
            self.divisive_groups = tuple(divisive_normalization)
            if isinstance(divisive_strength, Mapping):
                strength0 = _group_values("divisive_strength", divisive_strength, 0.0, self.divisive_groups,
                                          0.0, where="divisive_normalization")
                missing = [g for g in self.divisive_groups if g not in divisive_strength]
                if missing:
                    raise ValueError(f"divisive_strength has no value for pre groups {missing}")
            else:
                strength0 = np.full(len(self.divisive_groups), np.float32(
                    _checks.nonnegative_float("divisive_strength", divisive_strength)))
            self._params["divisive_strength"] = jnp.asarray(strength0)
            slot = {position[g]: i for i, g in enumerate(self.divisive_groups)}
            d_pre = pre[divisive]
            self._div = (jnp.asarray(d_pre, jnp.int32), jnp.asarray(post[divisive], jnp.int32),
                         jnp.asarray(w[divisive], jnp.float32),
                         jnp.asarray([slot[g] for g in self.group_index[d_pre]], jnp.int32))
        else:
            self.divisive_groups = ()
            self._div = None
        keep = ~divisive
        w_sub = sp.csr_array(sp.coo_array((w[keep], (pre[keep], post[keep])), shape=(n, n)))
        w_sub.sort_indices()
        self._projection = Projection(n, n, CSR.from_scipy(w_sub), weight=w_sub.data, backend=backend)
        self._matvec = self._projection.linear_map()
        self._group_index = jnp.asarray(self.group_index)
        self._sensory = jnp.asarray(self.sensory_indices)
        #: jit-compiled :meth:`forward`: ``apply(params, inputs)`` -> ``(batch, n, num_layers)``
        self.apply = jax.jit(self.forward)

    def _divisive_mask(self, divisive_normalization, idx_to_group, pre, post, position) -> np.ndarray:
        """``(nnz,)`` bool: which synapses act divisively."""
        if not divisive_normalization:
            return np.zeros(pre.shape, bool)
        if idx_to_group is None:
            raise ValueError("divisive_normalization needs idx_to_group (it names groups)")
        if not isinstance(divisive_normalization, Mapping):
            raise TypeError(f"divisive_normalization must be a dict {{pre group: [post groups]}}, "
                            f"got {type(divisive_normalization).__name__}")
        pair = np.zeros((len(position), len(position)), bool)
        for pre_group, post_groups in divisive_normalization.items():
            if isinstance(post_groups, (str, bytes)) or not isinstance(post_groups, Sequence):
                raise TypeError(f"divisive_normalization[{pre_group!r}] must be a list of post groups, "
                                f"got {post_groups!r}")
            for g in (pre_group, *post_groups):
                if g not in position:
                    raise ValueError(f"divisive_normalization names group {g!r}, which is not in idx_to_group")
            for post_group in post_groups:
                pair[position[pre_group], position[post_group]] = True
        return pair[self.group_index[pre], self.group_index[post]]

    @property
    def params(self) -> dict[str, jax.Array]:
        """Initial parameters: ``slope`` ``(n_groups,)``, ``bias`` ``(n_groups,)`` and, with
        divisive normalisation, ``divisive_strength`` ``(len(divisive_groups),)``."""
        return dict(self._params)

    def clamp(self, params: dict) -> dict:
        """Keep slopes and divisive strengths >= 0 (biases are free)."""
        out = dict(params)
        out["slope"] = jnp.maximum(params["slope"], 0.0)
        if "divisive_strength" in params:
            out["divisive_strength"] = jnp.maximum(params["divisive_strength"], 0.0)
        return out

    def _slopes(self, params, x_prev):
        """``(n, 1)`` or, with divisive normalisation, ``(n, batch)`` effective slopes."""
        slope = params["slope"][self._group_index][:, None]
        if self._div is None:
            return slope
        d_pre, d_post, d_w, d_slot = self._div
        factor = 1.0 + (d_w * params["divisive_strength"][d_slot])[:, None] * x_prev[d_pre]
        positive = factor > 0
        n_blocked = jax.ops.segment_sum((~positive).astype(jnp.int32), d_post, num_segments=self.n_neurons)
        log_prod = jax.ops.segment_sum(jnp.log(jnp.where(positive, factor, 1.0)), d_post,
                                       num_segments=self.n_neurons)
        return slope * jnp.where(n_blocked > 0, 0.0, jnp.exp(log_prod))

    def _activate(self, params, y, x_prev):
        if self.activation_function is not None:
            return self.activation_function(y)
        z = self._slopes(params, x_prev) * y + params["bias"][self._group_index][:, None]
        return jnp.tanh(jnp.where(z >= self.threshold, z, 0.0))

    def forward(self, params: dict, inputs) -> jax.Array:
        """Activations of every neuron after every hop.

        Args:
            params: as :attr:`params`.
            inputs: ``(batch, n_sensory, num_layers)`` external input
                (dimensionless).  As in connectome_interpreter, values below
                ``threshold`` are set to 0 and values above 1 to 1.

        Returns:
            ``(batch, n_neurons, num_layers)`` float32 activations.
        """
        inputs = jnp.asarray(inputs, jnp.float32)
        if inputs.ndim != 3 or inputs.shape[1:] != self.input_shape:
            raise ValueError(f"inputs must have shape (batch, {self.input_shape[0]}, {self.input_shape[1]}) "
                             f"= (batch, n_sensory, num_layers), got {inputs.shape}")
        u = jnp.where(inputs >= self.threshold, jnp.minimum(inputs, 1.0), 0.0)
        u = jnp.transpose(u, (2, 1, 0))  # (layers, n_sensory, batch): neuron axis first in the hot loop
        x = jnp.zeros((self.n_neurons, inputs.shape[0]), jnp.float32).at[self._sensory].set(u[0])
        # the input added after each hop: that of the next layer (none after the last)
        later = jnp.concatenate([u[1:], jnp.zeros_like(u[:1])])

        def hop(x_prev, u_next):  # one compiled body for all layers (faster compilation)
            x = self._activate(params, self._matvec(x_prev), x_prev)
            x = jnp.minimum(x.at[self._sensory].add(u_next), 1.0)
            return x, x

        _, acts = jax.lax.scan(hop, x, later)
        return jnp.transpose(acts, (2, 1, 0))
