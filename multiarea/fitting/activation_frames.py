"""Tidy DataFrames from layered-model activity, and model input from DataFrames.

* :func:`activations_to_df` / :func:`activations_to_df_batched`: the paths the
  activity took, one row per (pre group, post group, layer) connection whose
  groups were active, with the grouped weight and both activations;
* :func:`input_from_df`: ``(batch, n_sensory, num_layers)`` model input from a
  table of group activations (groups x conditions);
* :func:`get_neuron_activation`: per-group activation tables over layers.

Arrays use the layout of :class:`multiarea.rate.layered.LayeredConnectomeNet`:
inputs ``(batch, n_sensory, num_layers)``, activations
``(batch, n_neurons, num_layers)`` (one sample: drop the batch axis).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import _checks
from ..projections.connectome import to_csr
from ..rate.layered import _group_labels

__all__ = ["activations_to_df", "activations_to_df_batched", "input_from_df", "get_neuron_activation"]


def _labels(mapping, n: int, name: str) -> np.ndarray:
    """``(n,)`` group label per neuron; ``None`` maps each index to itself."""
    return np.arange(n) if mapping is None else np.asarray(_group_labels(mapping, n, name), dtype=object)


def _group_means(values: np.ndarray, labels: np.ndarray, threshold: float) -> pd.DataFrame:
    """Long table (layer, group, activation): per layer, the mean over the neurons of each
    group whose activation is >= ``threshold`` (groups with none are left out)."""
    layers = np.broadcast_to(np.arange(values.shape[1]), values.shape)
    frame = pd.DataFrame({"layer": layers.ravel(), "group": np.repeat(labels, values.shape[1]),
                          "activation": values.ravel()})
    if threshold > 0:
        frame = frame[frame.activation >= threshold]
    return frame.groupby(["layer", "group"], sort=False).activation.mean().reset_index()


def _grouped_edges(connectome, pre_in: str, in_labels, out_labels, threshold: float) -> pd.DataFrame:
    """Grouped connectivity as an edge list (pre, post, weight): the summed input from all
    neurons of a pre group to an average neuron of a post group, kept if ``|weight| >= threshold``."""
    w = to_csr(connectome, pre_in=pre_in, name="connectome")
    n = w.shape[0]
    if w.shape != (n, n) or len(in_labels) != n:
        raise ValueError(f"connectome must be square (n, n) with n = {len(in_labels)} neurons, got {w.shape}")
    in_groups, in_code = np.unique(in_labels.astype(str), return_inverse=True)
    out_groups, out_code = np.unique(out_labels.astype(str), return_inverse=True)
    in_first = pd.Series(in_labels).groupby(in_code).first().to_numpy()
    out_first = pd.Series(out_labels).groupby(out_code).first().to_numpy()
    onehot_in = sp.csr_array((np.ones(n), (np.arange(n), in_code)), shape=(n, in_groups.size))
    size_out = np.bincount(out_code)
    mean_out = sp.csr_array((1.0 / size_out[out_code], (np.arange(n), out_code)), shape=(n, out_groups.size))
    grouped = (onehot_in.T @ w @ mean_out).tocoo()
    keep = (grouped.data != 0) & (np.abs(grouped.data) >= threshold)
    return pd.DataFrame({"pre": in_first[grouped.row[keep]], "post": out_first[grouped.col[keep]],
                         "weight": grouped.data[keep]})


def _paths(edges, sensory, inputs, activations, in_labels, out_labels, threshold) -> pd.DataFrame:
    """Rows of ``edges`` per layer whose pre and post groups were active."""
    n_layers = activations.shape[1]
    pre_first = _group_means(inputs[:, :1], in_labels[sensory], threshold)
    pre_rest = _group_means(activations[:, :-1], in_labels, threshold)
    pre_rest["layer"] += 1
    pre = pd.concat([pre_first, pre_rest]).rename(columns={"group": "pre", "activation": "pre_activation"})
    post = _group_means(activations, out_labels, threshold).rename(
        columns={"group": "post", "activation": "post_activation"})
    layers = pd.DataFrame({"layer": np.arange(n_layers)})
    rows = edges.merge(layers, how="cross").merge(pre, on=["layer", "pre"]).merge(post, on=["layer", "post"])
    rows["layer"] += 1  # layer 1 = the first hop (sensory input -> first activations)
    return rows.sort_values(["layer", "pre", "post"], key=lambda c: c.astype(str)).reset_index(drop=True)


def _check_pair(inputs, activations, n_sensory: int):
    """``inputs`` as float arrays, checked against ``activations`` (whose ndim the caller checked)."""
    inputs, activations = np.asarray(inputs, np.float64), np.asarray(activations, np.float64)
    want = activations.shape[:-2] + (n_sensory, activations.shape[-1])
    if inputs.shape != want:
        raise ValueError(f"inputs must have shape {want} (…, n_sensory, num_layers), got {inputs.shape}")
    return inputs, activations


def activations_to_df(connectome, inputs, activations, sensory_indices, *, pre_in: str,
                      inidx_mapping=None, outidx_mapping=None, activation_threshold: float = 0.0,
                      connectivity_threshold: float = 0.0) -> pd.DataFrame:
    """The paths activity took through the layers, as a tidy DataFrame (one sample).

    Layer ``k`` (1-based) connects the activity before hop ``k`` (the external
    input ``inputs[:, 0]`` for ``k = 1``, else ``activations[:, k - 2]``) to
    ``activations[:, k - 1]``.  Neurons are grouped: pre activities by
    ``inidx_mapping``, post activities by ``outidx_mapping``, each the mean over
    the group's neurons with activation >= ``activation_threshold`` (groups
    with none are inactive and left out).  The weight of (pre group, post group)
    is the summed weight from all neurons of the pre group onto an average
    neuron of the post group; connections with ``|weight| <
    connectivity_threshold`` are left out.  (connectome_interpreter drops every
    negative grouped weight; here inhibitory connections are kept.)

    Args:
        connectome: ``(n, n)`` weights, any form ``to_csr`` accepts.
        inputs: ``(n_sensory, num_layers)`` the model's external input.
        activations: ``(n, num_layers)`` the model's activations.
        sensory_indices: ``(n_sensory,)`` indices of the sensory neurons.
        pre_in: ``"rows"`` or ``"columns"``: where the presynaptic neurons of
            ``connectome`` are.
        inidx_mapping, outidx_mapping: ``{index: group}`` or a length-``n``
            sequence; default each neuron is its own group; ``outidx_mapping``
            defaults to ``inidx_mapping``.
        activation_threshold, connectivity_threshold: >= 0.

    Returns:
        DataFrame with columns ``pre``, ``post``, ``weight``, ``layer``,
        ``pre_activation``, ``post_activation``.
    """
    return _to_df(connectome, inputs, activations, sensory_indices, pre_in, inidx_mapping, outidx_mapping,
                  activation_threshold, connectivity_threshold, batched=False)


def activations_to_df_batched(connectome, inputs, activations, sensory_indices, *, pre_in: str,
                              inidx_mapping=None, outidx_mapping=None, activation_threshold: float = 0.0,
                              connectivity_threshold: float = 0.0) -> pd.DataFrame:
    """:func:`activations_to_df` for every sample of a batch.

    Args:
        inputs: ``(batch, n_sensory, num_layers)``.
        activations: ``(batch, n, num_layers)``.
        Others: as :func:`activations_to_df`.

    Returns:
        The per-sample DataFrames concatenated, with a ``batch`` column.
    """
    return _to_df(connectome, inputs, activations, sensory_indices, pre_in, inidx_mapping, outidx_mapping,
                  activation_threshold, connectivity_threshold, batched=True)


def _to_df(connectome, inputs, activations, sensory_indices, pre_in, inidx_mapping, outidx_mapping,
           activation_threshold, connectivity_threshold, batched: bool) -> pd.DataFrame:
    activation_threshold = _checks.nonnegative_float("activation_threshold", activation_threshold)
    connectivity_threshold = _checks.nonnegative_float("connectivity_threshold", connectivity_threshold)
    if np.ndim(activations) != (3 if batched else 2):
        raise ValueError(f"activations must be {'(batch, n, num_layers)' if batched else '(n, num_layers)'}, "
                         f"got shape {np.shape(activations)}")
    n = np.shape(activations)[-2]
    sensory = _checks.index_array("sensory_indices", np.atleast_1d(sensory_indices), n)
    inputs, activations = _check_pair(inputs, activations, sensory.size)
    in_labels = _labels(inidx_mapping, n, "inidx_mapping")
    out_labels = in_labels if outidx_mapping is None else _labels(outidx_mapping, n, "outidx_mapping")
    edges = _grouped_edges(connectome, pre_in, in_labels, out_labels, connectivity_threshold)
    if not batched:
        return _paths(edges, sensory, inputs, activations, in_labels, out_labels, activation_threshold)
    frames = [_paths(edges, sensory, i, a, in_labels, out_labels, activation_threshold).assign(batch=b)
              for b, (i, a) in enumerate(zip(inputs, activations))]
    return pd.concat(frames, ignore_index=True)


def input_from_df(df: pd.DataFrame, sensory_indices, idx_to_group, num_layers: int, timepoints=0) -> np.ndarray:
    """Model input from a table of group activations.

    Args:
        df: rows = groups (the values of ``idx_to_group``, e.g. glomeruli),
            columns = conditions (e.g. odours), values = activation.
        sensory_indices: ``(n_sensory,)`` the model's sensory neuron indices.
        idx_to_group: ``{index: group}`` for (at least) the sensory neurons.
        num_layers: the model's number of layers.
        timepoints: layer(s) at which the input is given (int or sequence).

    Returns:
        ``(n_conditions, n_sensory, num_layers)`` float32: each sensory neuron
        gets its group's activation at ``timepoints`` and 0 elsewhere; sensory
        neurons whose group is not a row of ``df`` get 0.

    Raises:
        ValueError: if a row of ``df`` is not the group of any sensory neuron,
            a sensory neuron has no group, or a timepoint is out of range.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a DataFrame (groups x conditions), got {type(df).__name__}")
    num_layers = _checks.positive_int("num_layers", num_layers)
    if not isinstance(idx_to_group, Mapping):
        raise TypeError(f"idx_to_group must be a dict {{index: group}}, got {type(idx_to_group).__name__}")
    sensory = np.atleast_1d(np.asarray(sensory_indices))
    if sensory.ndim != 1 or sensory.dtype.kind not in "iu":
        raise ValueError(f"sensory_indices must be a 1-D integer array, got {sensory.dtype} {sensory.shape}")
    missing = [int(i) for i in sensory if i not in idx_to_group]
    if missing:
        raise ValueError(f"idx_to_group has no group for sensory neurons {missing[:5]} (first 5 shown)")
    groups = pd.Index([idx_to_group[int(i)] for i in sensory])
    unused = [g for g in df.index if g not in set(groups)]
    if unused:
        raise ValueError(f"df rows {unused[:5]} are not the group of any sensory neuron (first 5 shown)")
    times = np.atleast_1d(np.asarray(sorted(timepoints) if isinstance(timepoints, (set, frozenset)) else timepoints))
    if times.dtype.kind not in "iu" or times.ndim != 1 or times.min() < 0 or times.max() >= num_layers:
        raise ValueError(f"timepoints must be integers in [0, {num_layers}), got {timepoints!r}")
    values = _checks.finite_array("df", df.to_numpy(dtype=float))
    row = df.index.get_indexer(groups)
    per_neuron = np.where(row[:, None] >= 0, values[np.maximum(row, 0)], 0.0)  # (n_sensory, n_conditions)
    out = np.zeros((values.shape[1], sensory.size, num_layers), np.float32)
    out[:, :, times] = per_neuron.T[:, :, None]
    return out


def get_neuron_activation(activations, neuron_indices, *, batch_names: Sequence | None = None,
                          idx_to_group=None) -> pd.DataFrame:
    """Mean activation per group of chosen neurons, per layer.

    Args:
        activations: ``(n, num_layers)`` or ``(batch, n, num_layers)``.
        neuron_indices: the neurons to include.
        batch_names: ``(batch,)`` names for a 3-D ``activations``; default
            ``batch_0``, ``batch_1``, ...
        idx_to_group: ``{index: group}`` or a length-``n`` sequence; default
            each neuron its own group.

    Returns:
        DataFrame with columns ``group`` (preceded by ``batch_name`` for 3-D
        input) and ``time_0`` .. ``time_{num_layers-1}``.
    """
    acts = np.asarray(activations, np.float64)
    if acts.ndim not in (2, 3):
        raise ValueError(f"activations must be (n, num_layers) or (batch, n, num_layers), got shape {acts.shape}")
    if acts.ndim == 2 and batch_names is not None:
        raise ValueError("batch_names is only used with 3-D (batch, n, num_layers) activations")
    if acts.ndim == 2:
        acts = acts[None]
    n_batch, n, n_layers = acts.shape
    idx = _checks.index_array("neuron_indices", np.atleast_1d(neuron_indices), n)
    labels = _labels(idx_to_group, n, "idx_to_group")[idx]
    names = [f"batch_{b}" for b in range(n_batch)] if batch_names is None else list(batch_names)
    if len(names) != n_batch:
        raise ValueError(f"batch_names must have {n_batch} entries (one per batch), got {len(names)}")
    columns = [f"time_{t}" for t in range(n_layers)]
    frame = pd.DataFrame(acts[:, idx].reshape(-1, n_layers), columns=columns)
    frame.insert(0, "group", np.tile(labels, n_batch))
    frame.insert(0, "batch_name", np.repeat(np.asarray(names, dtype=object), idx.size))
    keys = ["batch_name", "group"] if np.ndim(activations) == 3 else ["group"]
    return frame.groupby(keys, sort=True)[columns].mean().reset_index()
