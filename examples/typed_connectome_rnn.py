"""A rate RNN on a typed random connectome, driven through a sparse input projection.

Four cell types (two excitatory, two inhibitory) are wired by a block matrix of
connection probabilities; 100 inputs drive random neurons of the first type;
the network is integrated with RK4 while a step input is switched on half-way,
and the mean activity of every type is plotted against time, next to the
connectome sorted by type.

    python examples/typed_connectome_rnn.py --out examples-out
"""
import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import multiarea as ma  # noqa: E402

TYPE_NAMES = ["E1", "E2", "I1", "I2"]
TYPE_FRACTIONS = [0.4, 0.4, 0.1, 0.1]
BLOCK = np.array([  # connection probability, rows = pre type, columns = post type
    [0.02, 0.10, 0.10, 0.00],
    [0.00, 0.02, 0.05, 0.10],
    [0.20, 0.00, 0.00, 0.00],
    [0.00, 0.20, 0.05, 0.00],
])


def simulate(num_neurons=2000, num_inputs=100, t_end_ms=200.0, num_steps=201, seed=0):
    """Build and run the network.

    Returns:
        ``(connectome, neuron_types, times (T,), mean activity per type (T, 4), model)``.
    """
    conn, types = ma.connectome.create_neuron_typed_connectome(
        num_neurons, TYPE_FRACTIONS, BLOCK, deterministic_type_assignment=True, seed=seed)
    rng = np.random.default_rng(seed)
    targets = rng.choice(np.flatnonzero(types == 0), size=num_inputs, replace=False)
    inputs = ma.connectome.create_sparse_projection(num_inputs, num_neurons, targets, mode="ih")
    model = ma.ConnectomeRNN(
        conn, types, type_names=TYPE_NAMES,
        neuron_type_class=["excitatory", "excitatory", "inhibitory", "inhibitory"],
        tau={"E1": 20.0, "E2": 20.0, "I1": 10.0, "I2": 10.0},   # ms
        bias=ma.Normal(0.1, 0.02), edge_strength=0.05, nonlinearity="relu",
        input_projection=inputs, seed=seed)
    x = np.zeros((1, num_steps, num_inputs), np.float32)
    x[:, num_steps // 2:] = 1.0                                  # step input from t_end / 2
    _, activity, times = model.forward(x, 0.0, t_end_ms, num_steps, solver="rk4")
    rates = np.asarray(model.rates(activity))[0]      # (T, n) rates phi(v)
    per_type = np.stack([rates[:, types == k].mean(axis=1) for k in range(len(TYPE_NAMES))], axis=1)
    return conn, types, np.asarray(times), per_type, model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("examples-out"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    conn, types, times, per_type, _ = simulate(args.neurons)
    fig, (ax_c, ax_r) = plt.subplots(1, 2, figsize=(11, 4.5))
    ma.connectome.plot_typed_connectome(conn, types, type_names=TYPE_NAMES, ax=ax_c)
    ax_c.set_title(f"{conn.shape[0]} neurons, {conn.nnz} synapses")
    for k, name in enumerate(TYPE_NAMES):
        ax_r.plot(times, per_type[:, k], label=name)
    ax_r.axvline(times[len(times) // 2], color="grey", ls=":", label="input on")
    ax_r.set_xlabel("time (ms)")
    ax_r.set_ylabel("mean rate phi(v) per type")
    ax_r.legend()
    fig.tight_layout()
    fig.savefig(args.out / "typed_connectome_rnn.png", dpi=120)
    np.savetxt(args.out / "typed_connectome_rnn.csv", np.column_stack([times, per_type]), delimiter=",",
               header="time_ms," + ",".join(TYPE_NAMES), comments="")
    print(f"wrote {args.out / 'typed_connectome_rnn.png'}")
    return times, per_type


if __name__ == "__main__":
    main()
