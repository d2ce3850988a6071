"""The fly visual system connectome as a rate RNN: moving bars, then training.

The flyvis typed connectome (fib25-fib19 v2.2) is expanded on a hexagonal
lattice (extent 15: 45,669 neurons, 1,513,231 synapses) and run with flyvis's
default parametrisation (``fly_visual_rnn``; time in ms, tau = 50 ms, Euler
steps of 10 ms).  From the steady state under grey light, ON and OFF bars move
across the photoreceptors R1-R8 in two opposite directions, and the responses
of the central T4a/T4b (ON motion) and T5a/T5b (OFF motion) cells are plotted.
Then the per-type time constants and per-edge-type strengths are trained with
optax (Adam) on a small synthetic task with a known answer: reproduce the
readout time courses of a teacher network whose per-type time constants were
drawn around the model's (lognormal, sigma 0.3).  The relative loss per
iteration is written next to the figures.

(Why not decode bar direction?  In the untrained network the time-averaged
readout ``(T4a + T5a) - (T4b + T5b)`` differs between opposite directions by
~1e-6 at extent 4 and ~7e-6 at extent 15 (readout ~0.17), and a logistic
direction loss stayed at log 2 over 40 Adam iterations at extent 4; flyvis
gets direction selectivity from long task training.)

    python examples/fly_visual_rnn.py --out examples-out
"""
import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import multiarea as ma  # noqa: E402

READOUT_TYPES = ["T4a", "T4b", "T5a", "T5b"]
DT_MS = 10.0


def moving_bar(u, v, direction_deg, n_frames, contrast, speed=25.0, width=2.0, background=0.5):
    """Luminance ``(n_frames, n_columns)`` of a bar moving across the lattice.

    Args:
        u, v: ``(n_columns,)`` axial hexagonal coordinates of the columns.
        direction_deg: direction of motion (0 = +u axis).
        n_frames: frames of ``DT_MS`` ms.
        contrast: +0.5 (ON bar, luminance 1) or -0.5 (OFF bar, luminance 0).
        speed: columns per second; width: bar width in columns.
    """
    x, y = u + v / 2.0, v * np.sqrt(3) / 2.0               # column centres, unit spacing
    theta = np.deg2rad(direction_deg)
    position = x * np.cos(theta) + y * np.sin(theta)      # coordinate along the motion
    start = position.min() - width
    centre = start + speed * DT_MS * 1e-3 * np.arange(n_frames)[:, None]
    on_bar = np.abs(position[None, :] - centre) < width / 2
    return (background + contrast * on_bar).astype(np.float32)


def build(extent, n_frames):
    """The network, its bar movies ``(4, n_frames, n_columns)`` (ON 0°, ON 180°,
    OFF 0°, OFF 180°) and the grey steady state ``(4, n_neurons)``."""
    conn = ma.connectome.fly_visual(extent)
    readout = ma.connectome.create_sparse_projection(
        len(READOUT_TYPES), conn.n_neurons, [conn.central_index(t) for t in READOUT_TYPES], mode="ho")
    rnn = ma.fly_visual_rnn(conn, tau=50.0, trainable=("tau", "edge_strength"), output_projection=readout,
                            clamp={"tau": (DT_MS, None)})  # Euler needs tau >= dt
    u, v = conn.lattice()
    movies = np.stack([moving_bar(u, v, d, n_frames, c) for c in (0.5, -0.5) for d in (0.0, 180.0)])
    grey = np.full((1, rnn.n_inputs), 0.5, np.float32)
    steady = rnn.steady_state(grey, dt=DT_MS, t_max=20000.0, tol=1e-7)
    initial = np.repeat(np.asarray(steady.state), len(movies), axis=0)
    return rnn, movies, initial


def teacher_taus(rnn, seed=1, sigma=0.3):
    """Per-type time constants of the teacher network: the model's, each scaled
    by ``exp(sigma * N(0, 1))`` and kept >= one Euler step."""
    scale = np.exp(sigma * np.random.default_rng(seed).standard_normal(len(rnn.type_names)))
    return jnp.maximum(rnn.params["tau"] * scale, DT_MS)


def train(rnn, movies, initial, target, iterations, lr_tau_ms=0.5, lr_strength=1e-8):
    """Adam on tau (steps ~``lr_tau_ms``) and edge strengths (steps ~``lr_strength``:
    Adam moves every parameter by ~lr per step, so this is kept far below
    their values, 1e-5..1e-2) to match the readout time courses ``target``
    ``(batch, frames, 4)``; returns (params, relative loss per iteration)."""
    n_frames = movies.shape[1]
    t1 = (n_frames - 1) * DT_MS
    scale = jnp.mean((target - target.mean(axis=1, keepdims=True)) ** 2)

    def loss_fn(params):
        outputs, _, _ = rnn.forward(movies, 0.0, t1, n_frames, params=params, initial_state=initial)
        return jnp.mean((outputs - target) ** 2) / scale

    step = jax.jit(jax.value_and_grad(loss_fn))
    opt = optax.multi_transform({"tau": optax.adam(lr_tau_ms), "edge_strength": optax.adam(lr_strength)},
                                {"tau": "tau", "edge_strength": "edge_strength"})
    params, state = rnn.params, opt.init(rnn.params)
    losses = []
    for _ in range(iterations):
        loss, grads = step(params)
        updates, state = opt.update(grads, state)
        params = rnn.clamp(optax.apply_updates(params, updates))  # tau >= dt, strengths >= 0
        losses.append(float(loss))
    return params, np.array(losses)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extent", type=int, default=15)
    parser.add_argument("--frames", type=int, default=100, help="movie frames of 10 ms")
    parser.add_argument("--iterations", type=int, default=20, help="training iterations")
    parser.add_argument("--out", type=Path, default=Path("examples-out"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rnn, movies, initial = build(args.extent, args.frames)
    t1 = (args.frames - 1) * DT_MS
    outputs, _, times = rnn.forward(movies, 0.0, t1, args.frames, initial_state=initial)
    outputs = np.asarray(outputs)
    print(f"{rnn.n_neurons} neurons, {rnn.recurrent.conn.nnz} synapses, {len(rnn.edge_types)} edge types")

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (name, rows) in zip(axes, (("ON bars", (0, 1)), ("OFF bars", (2, 3)))):
        for k, cell in enumerate(READOUT_TYPES):
            for row, ls in zip(rows, ("-", "--")):
                ax.plot(times, outputs[row, :, k] - outputs[row, 0, k], ls, color=f"C{k}",
                        label=f"{cell} {'0°' if ls == '-' else '180°'}")
        ax.set_title(name)
        ax.set_xlabel("time (ms)")
    axes[0].set_ylabel("central cell v - v(0)")
    axes[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(args.out / "fly_visual_bar_responses.png", dpi=120)

    tau_teacher = teacher_taus(rnn)
    target, _, _ = rnn.forward(movies, 0.0, t1, args.frames, initial_state=initial,
                               params={**rnn.params, "tau": tau_teacher})
    params, losses = train(rnn, movies, initial, target, args.iterations)
    tau_error = [float(jnp.mean(jnp.abs(p["tau"] - tau_teacher))) for p in (rnn.params, params)]
    print(f"mean |tau - tau_teacher| {tau_error[0]:.2f} ms -> {tau_error[1]:.2f} ms "
          "(only the types that shape the readout are identifiable)")
    np.savetxt(args.out / "fly_visual_training_loss.csv", losses, header="loss per iteration", comments="")
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.plot(np.arange(1, losses.size + 1), losses, "o-")
    ax.set_xlabel("Adam iteration")
    ax.set_ylabel("relative MSE to the teacher")
    ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(args.out / "fly_visual_training_loss.png", dpi=120)
    print(f"training loss {losses[0]:.4f} -> {losses[-1]:.4f} in {losses.size} iterations")
    return outputs, losses


if __name__ == "__main__":
    main()
