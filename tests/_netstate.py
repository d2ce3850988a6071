"""Comparing the state of two runs of a MultiAreaNetwork (shared by the runner tests)."""
import numpy as np


def state(net) -> dict:
    """Every state Variable of a MultiAreaNetwork, as numpy arrays."""
    return {name: np.asarray(var.value) for name, var in (
        ("V_E", net.E.V), ("V_I", net.I.V), ("left_E", net.E.refractory_left),
        ("left_I", net.I.refractory_left), ("ring_EE", net.EE.ring), ("ring_EI", net.EI.ring),
        ("ring_IE", net.IE.ring), ("ring_II", net.II.ring), ("arriving_EE", net.EE.arriving),
        ("spike_E", net.E.spike), ("spike_I", net.I.spike), ("t", net.t), ("step_E", net.E.step))}


def assert_same_run(a, b, state_a, state_b) -> None:
    """Two runs gave the same spikes and, bit for bit, the same state."""
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.neurons, b.neurons)
    for name in state_a:  # bit for bit, floats included
        np.testing.assert_array_equal(state_a[name], state_b[name], err_msg=name)
