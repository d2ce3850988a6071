"""The runner interface: make_runner's choice, and the three runners driven
through run(n_steps) / store() directly give the same words and state."""
import numpy as np
import pytest

import multiarea as ma
from multiarea.spiking.runners import (DSRunnerRunner, KernelRunner, Runner, ShardedRunner, make_runner,
                                       STEPS_PER_CALL)

from _netstate import state


def _model():
    return ma.load_model("joglekar2018", regime="asynchronous-strong", n_areas=3, neurons_per_area=300,
                         stimulus_mV=15.0, stimulus_start_ms=5.0, stimulus_duration_ms=30.0)


def test_make_runner_chooses_by_network_inputs_and_devices():
    model = _model()
    net = model.build()
    pulse = [model.stimulus(net)]
    assert type(make_runner(net, pulse)) is KernelRunner
    assert type(make_runner(net, pulse, method="dsrunner")) is DSRunnerRunner
    assert type(make_runner(net, pulse, devices=2)) is ShardedRunner
    custom = [(net.E.input, 1.0, "fix", "+")]          # not a step_input: only DSRunner takes it
    assert type(make_runner(net, custom)) is DSRunnerRunner
    assert type(make_runner(model.build(backend="jax"), pulse)) is DSRunnerRunner
    with pytest.raises(ValueError, match="method must be one of"):
        make_runner(net, pulse, method="fast")
    with pytest.raises(ValueError, match="method='kernel' cannot run this"):
        make_runner(net, custom, method="kernel")
    with pytest.raises(ValueError, match="method must be 'auto'"):
        make_runner(net, pulse, method="dsrunner", devices=2)


def test_the_three_runners_give_the_same_words_and_state_call_by_call():
    model = _model()
    made = {"kernel": lambda net, inputs: KernelRunner(net, inputs),
            "dsrunner": lambda net, inputs: DSRunnerRunner(net, inputs),
            "sharded": lambda net, inputs: ShardedRunner(net, 2, inputs)}
    words, states = {}, {}
    for name, make in made.items():
        net = model.build(backend="taichi" if name == "kernel" else "jax")
        runner = make(net, [model.stimulus(net)])
        assert isinstance(runner, Runner)
        assert runner.steps_per_call in (None, STEPS_PER_CALL)
        # 400 steps in two calls of different length: the second goes on where the first stopped
        words[name] = np.concatenate([runner.run(130), runner.run(270)])
        runner.store()
        states[name] = state(net)
        assert words[name].shape == (400, runner.word_neurons.shape[0]) and words[name].dtype == np.uint32
    assert np.unpackbits(words["dsrunner"].view(np.uint8)).sum() > 200   # the pulse made spikes
    for name in ("kernel", "sharded"):
        np.testing.assert_array_equal(words[name], words["dsrunner"], err_msg=name)
        for var in states["dsrunner"]:
            np.testing.assert_array_equal(states[name][var], states["dsrunner"][var], err_msg=f"{name}: {var}")


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_run_refuses_a_step_count_that_is_not_a_positive_int(bad):
    net = _model().build(backend="jax")
    with pytest.raises(ValueError, match=f"n_steps must be an int >= 1, got {bad!r}"):
        DSRunnerRunner(net).run(bad)
