"""DataFrame helpers on a 5-neuron connectome worked out by hand."""
import numpy as np
import pandas as pd
import pytest

from multiarea.fitting.activation_frames import (activations_to_df, activations_to_df_batched, get_neuron_activation,
                                         input_from_df)

# W[pre, post]; groups S = {0, 1} (sensory), A = {2, 3}, B = {4}
W = np.zeros((5, 5))
W[0, 2], W[1, 2], W[1, 3], W[2, 4], W[3, 4], W[4, 2] = 0.5, 0.3, 0.4, 0.6, -0.2, 0.1
GROUP = {0: "S", 1: "S", 2: "A", 3: "A", 4: "B"}
SENSORY = [0, 1]
INPUTS = np.array([[0.2, 0.0], [0.6, 0.0]])
ACTS = np.array([[0.0, 0.0], [0.0, 0.0], [0.5, 0.1], [0.3, 0.0], [0.0, 0.7]])
COLUMNS = ["pre", "post", "weight", "layer", "pre_activation", "post_activation"]


def rows(df):
    return [tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in df[COLUMNS].itertuples(index=False)]


def test_paths_all_active():
    df = activations_to_df(W, INPUTS, ACTS, SENSORY, pre_in="rows", inidx_mapping=GROUP)
    # grouped weight = summed input from the pre group onto an average post neuron
    assert rows(df) == [("S", "A", 0.6, 1, 0.4, 0.4),
                        ("A", "B", 0.4, 2, 0.4, 0.7), ("B", "A", 0.05, 2, 0.0, 0.05), ("S", "A", 0.6, 2, 0.0, 0.05)]


def test_paths_thresholds_and_pre_in_columns():
    df = activations_to_df(W.T, INPUTS, ACTS, SENSORY, pre_in="columns", inidx_mapping=GROUP,
                           activation_threshold=0.2, connectivity_threshold=0.3)
    assert rows(df) == [("S", "A", 0.6, 1, 0.4, 0.4), ("A", "B", 0.4, 2, 0.4, 0.7)]
    # inhibitory grouped connections are kept when |weight| passes the threshold
    w = W.copy()
    w[2, 4] = -0.6
    df = activations_to_df(w, INPUTS, ACTS, SENSORY, pre_in="rows", inidx_mapping=GROUP, connectivity_threshold=0.3)
    assert ("A", "B", -0.8, 2, 0.4, 0.7) in rows(df)


def test_paths_per_neuron_without_mapping():
    df = activations_to_df(W, INPUTS, ACTS, SENSORY, pre_in="rows", activation_threshold=0.05)
    assert rows(df) == [(0, 2, 0.5, 1, 0.2, 0.5), (1, 2, 0.3, 1, 0.6, 0.5), (1, 3, 0.4, 1, 0.6, 0.3),
                        (2, 4, 0.6, 2, 0.5, 0.7), (3, 4, -0.2, 2, 0.3, 0.7)]


def test_batched_equals_per_sample():
    inputs = np.stack([INPUTS, INPUTS[::-1]])
    acts = np.stack([ACTS, ACTS * 0.5])
    df = activations_to_df_batched(W, inputs, acts, SENSORY, pre_in="rows", inidx_mapping=GROUP)
    for b in range(2):
        one = activations_to_df(W, inputs[b], acts[b], SENSORY, pre_in="rows", inidx_mapping=GROUP)
        part = df[df.batch == b].drop(columns="batch").reset_index(drop=True)
        pd.testing.assert_frame_equal(part, one)


@pytest.mark.parametrize("kwargs, match", [
    (dict(inputs=np.zeros((3, 2))), r"inputs must have shape \(2, 2\)"),
    (dict(activations=np.zeros(5)), r"activations must be \(n, num_layers\)"),
    (dict(sensory_indices=[0, 7]), r"sensory_indices must lie in \[0, 5\)"),
    (dict(inidx_mapping={0: "S"}), "inidx_mapping must map every neuron"),
    (dict(connectome=np.ones((4, 4))), "connectome must be square"),
    (dict(activation_threshold=-1), "activation_threshold must be >= 0"),
])
def test_paths_errors(kwargs, match):
    args = dict(connectome=W, inputs=INPUTS, activations=ACTS, sensory_indices=SENSORY, pre_in="rows")
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        activations_to_df(**args)
    with pytest.raises(ValueError, match=r"activations must be \(batch, n, num_layers\)"):
        activations_to_df_batched(W, INPUTS, ACTS, SENSORY, pre_in="rows")


def test_input_from_df():
    groups = {0: "S", 1: "X", 2: "S", 3: "Y"}
    df = pd.DataFrame({"odour1": [0.5, 0.2], "odour2": [0.0, 0.9]}, index=["S", "X"])
    x = input_from_df(df, [0, 1, 2, 3], groups, num_layers=3, timepoints=[0, 2])
    assert x.shape == (2, 4, 3) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, :, 0], [[0.5, 0.2, 0.5, 0.0], [0.0, 0.9, 0.0, 0.0]])
    np.testing.assert_array_equal(x[:, :, 2], x[:, :, 0])
    np.testing.assert_array_equal(x[:, :, 1], 0)
    with pytest.raises(ValueError, match=r"df rows \['Z'\] are not the group"):
        input_from_df(df.rename(index={"X": "Z"}), [0, 1, 2, 3], groups, num_layers=3)
    with pytest.raises(ValueError, match=r"no group for sensory neurons \[7\]"):
        input_from_df(df, [0, 7], groups, num_layers=3)
    with pytest.raises(ValueError, match=r"timepoints must be integers in \[0, 3\)"):
        input_from_df(df, [0, 1], groups, num_layers=3, timepoints=3)
    with pytest.raises(TypeError, match="df must be a DataFrame"):
        input_from_df(np.zeros((2, 2)), [0, 1], groups, num_layers=3)


def test_get_neuron_activation():
    flat = get_neuron_activation(ACTS, [2, 3, 4], idx_to_group=GROUP)
    assert list(flat.columns) == ["group", "time_0", "time_1"]
    np.testing.assert_allclose(flat.set_index("group").loc[["A", "B"]].to_numpy(), [[0.4, 0.05], [0.0, 0.7]])
    acts = np.stack([ACTS, 2 * ACTS])
    batched = get_neuron_activation(acts, [2, 3], batch_names=["odour1", "odour2"], idx_to_group=GROUP)
    assert list(batched.columns) == ["batch_name", "group", "time_0", "time_1"]
    np.testing.assert_allclose(batched[["time_0", "time_1"]].to_numpy(), [[0.4, 0.05], [0.8, 0.1]])
    per_neuron = get_neuron_activation(acts, [4, 2])
    assert per_neuron.batch_name.tolist() == ["batch_0", "batch_0", "batch_1", "batch_1"]
    assert per_neuron.group.tolist() == [2, 4, 2, 4]
    with pytest.raises(ValueError, match="batch_names must have 2 entries"):
        get_neuron_activation(acts, [2], batch_names=["a"])
    with pytest.raises(ValueError, match="batch_names is only used with 3-D"):
        get_neuron_activation(ACTS, [2], batch_names=["a"])
    with pytest.raises(ValueError, match=r"neuron_indices must lie in \[0, 5\)"):
        get_neuron_activation(ACTS, [5])
    with pytest.raises(ValueError, match="activations must be"):
        get_neuron_activation(np.zeros(3), [0])
