"""The user-registered Taichi kernel of examples/custom_taichi_op.py."""
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import custom_taichi_op as example  # noqa: E402


def test_user_kernel_equals_numpy():
    rng = np.random.default_rng(0)
    events = rng.random((3, 200)) < 0.05
    weight = (rng.random((4, 3)) * (rng.random((4, 3)) < 0.7)).astype(np.float32)
    seeds = rng.integers(0, 2**32, (4, 3), dtype=np.uint32)
    got = example.multi_area_current_jax(jnp.asarray(events), jnp.asarray(weight), jnp.asarray(seeds), 19, 150)
    want = example.multi_area_current_numpy(events, weight, seeds, 19, 150)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)
    assert want.sum() > 0


def test_example_network_runs_under_dsrunner(tmp_path):
    rates = example.main(["--areas", "3", "--duration", "100", "--out", str(tmp_path)])
    assert rates.shape == (3,)
    assert rates[0] > rates[2] > 0          # the driven area V1 fires most
    assert (tmp_path / "custom_op_rates.csv").is_file()


def test_typed_connectome_example_responds_to_its_input(tmp_path):
    import typed_connectome_rnn

    times, per_type = typed_connectome_rnn.main(["--neurons", "400", "--out", str(tmp_path)])
    assert per_type.shape == (201, 4) and times[-1] == 200.0
    before, after = per_type[95:100].mean(axis=0), per_type[-5:].mean(axis=0)
    assert after[0] > before[0] + 0.01          # the driven type E1 rises with the step input
    assert (tmp_path / "typed_connectome_rnn.png").is_file()


def test_fly_visual_example_trains_towards_the_teacher(tmp_path):
    import fly_visual_rnn

    outputs, losses = fly_visual_rnn.main(["--extent", "3", "--frames", "40", "--iterations", "8",
                                           "--out", str(tmp_path)])
    assert outputs.shape == (4, 40, 4) and np.all(np.isfinite(outputs))
    assert losses[-1] < 0.5 * losses[0]
    assert (tmp_path / "fly_visual_bar_responses.png").is_file()
    assert (tmp_path / "fly_visual_training_loss.csv").is_file()


@pytest.mark.slow
def test_rate_fit_example_improves_the_held_out_prediction(tmp_path):
    import joglekar_rate_fit

    metrics = joglekar_rate_fit.main(["--out", str(tmp_path), "--epochs", "150"])
    held = metrics[(metrics["split"] == "held_out") & (metrics["gains"] == "per-area")]
    mid = held[held["held_out_mV"].isin([12.5, 5.65])].set_index(["regime", "stage"])["r2"]
    assert mid["weak-gba", "fitted"] > mid["weak-gba", "initial"] + 0.3
    assert (tmp_path / "fit.png").is_file()
