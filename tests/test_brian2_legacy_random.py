"""The replay's emulation of Brian2 2.0/2.1's random connectivity (benchmarks/_brian2_legacy_random.py)
against a scalar transcription of that version's jump template (synapses_create_generator, p < 0.25)."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _brian2_legacy_random import SharedRandBuffer, sample_jump  # noqa: E402


def template(n_pre, n_post, p, draw):
    """Brian2 2.1's loop, one draw at a time."""
    scale, pairs = 1.0 / math.log(1 - p), []
    for i in range(n_pre):
        j = -1
        while j + 1 < n_post:
            j += 1 + int(math.floor(math.log(draw()) * scale))
            if j >= n_post:
                break
            pairs.append((i, j))
    return pairs


@pytest.mark.parametrize("size", [7, 50, 333, 20000])
@pytest.mark.parametrize("n_pre, n_post, p", [(5, 3, 0.1), (30, 17, 0.2), (40, 1600, 0.1), (100, 400, 0.1),
                                              (3, 1, 0.1), (20, 2, 0.24)])
def test_sample_jump_draws_as_the_template_across_buffer_refills(size, n_pre, n_post, p):
    np.random.seed(5)
    rand = SharedRandBuffer(size)
    i, j = sample_jump(n_pre, n_post, p, rand)
    after = np.random.rand(3)                        # numpy's stream is left where Brian2 left it
    np.random.seed(5)
    state = {"buffer": None, "index": 0}

    def draw():
        if state["index"] == 0:
            state["buffer"] = np.random.rand(size)
        value = state["buffer"][state["index"]]
        state["index"] = (state["index"] + 1) % size
        return value

    assert list(zip(i.tolist(), j.tolist())) == template(n_pre, n_post, p, draw)
    assert rand.index == state["index"]
    np.testing.assert_array_equal(after, np.random.rand(3))


def test_sample_jump_connects_with_probability_p_and_refuses_other_p():
    np.random.seed(0)
    i, j = sample_jump(1600, 1600, 0.1, SharedRandBuffer())
    assert abs(len(i) - 256_000) < 5 * math.sqrt(256_000 * 0.9)
    assert i.min() == 0 and i.max() == 1599 and j.min() == 0 and j.max() == 1599
    assert np.all(np.diff(i.astype(np.int64) * 1600 + j) > 0)      # row-major, no repeats
    with pytest.raises(ValueError, match="0 < p < 0.25"):
        sample_jump(10, 10, 0.3, SharedRandBuffer())
