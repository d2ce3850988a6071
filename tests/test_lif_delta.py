"""LifDelta populations (delta synapses, Brian2's order) on the population layer:
the kernel against the pure-JAX reference, the neuron against the E/I
network's LIF, FixedProbabilityV0 against the E/I network's plans, the
Joglekar twin against MultiAreaNetwork, and the errors."""
import numpy as np
import pytest

import multiarea as ma
from multiarea.projections.rules import (FixedIndegree, FixedProbability, FixedProbabilityV0, FixedTotalNumber,
                                         TruncatedNormal, row_spec)
from multiarea.spiking.ei_populations import area_connections, ei_multiarea_network
from multiarea.spiking.inputs import step_drive
from multiarea.spiking.lif_delta import LifDelta
from multiarea.spiking.populations import Connection, NoiseDrive, PoissonDrive, Population, PopulationNetwork
from multiarea.ops import _synapse_stream as stream

DT = 0.1


def _mixed_network(seed=3):
    """LifDelta populations of both timings and both refractory rules, a
    shared noise stream, Poisson and white-noise drive, beside an iaf_psc_exp
    population, with every rule (the first stream included)."""
    e = LifDelta(sigma=3.0, V_ext=14.2, tau_m=20.0)
    i = LifDelta(sigma=3.0, V_ext=14.7, tau_m=10.0, refractory_timing="timestep", synapses_during_refractory=True)
    pops = [Population("E", 200, e, area="A", V_init=TruncatedNormal(-60.0, 5.0)),
            Population("I", 50, i, area="A", V_init=np.linspace(-70.0, -51.0, 50)),
            Population("X", 100, ma.IafPscExp(I_e=300.0), area="B", V_init=-60.0),
            Population("E", 150, e, area="B", noise_stream=(7, 200))]
    conns = [Connection("A/E", "A/E", FixedProbabilityV0(0.1, seed=5, proj_id=0), 0.3, 2.0),
             Connection("A/I", "A/E", FixedProbabilityV0(0.1, seed=5, proj_id=3), -0.6, 2.0),
             Connection("A/E", "A/I", FixedProbability(0.2), 0.5, TruncatedNormal(1.5, 0.3)),
             Connection("A/E", "B/E", FixedProbabilityV0(0.1, seed=5, proj_id=9), 0.4, TruncatedNormal(5.0, 0.5)),
             Connection("B/X", "A/E", FixedIndegree(5), 0.8, 1.0),
             Connection("A/E", "B/X", FixedTotalNumber(3000), TruncatedNormal(60.0, 10.0), 1.2),
             Connection("A/I", "B/X", FixedTotalNumber(1000), -200.0, 1.0)]
    drives = [PoissonDrive("B/E", 1000.0, 0.2, 1.0), NoiseDrive("A/I", 0.5, 2.0), PoissonDrive("B/X", 8000.0, 87.8)]
    return PopulationNetwork(pops, conns, drives, dt=DT, seed=seed)


def test_kernel_is_bit_identical_to_the_reference_with_delta_neurons():
    kernel_net, ref_net = _mixed_network(), _mixed_network()
    assert kernel_net.n_receptors == 2  # delta populations keep their E and I input apart (their sum order)
    fast = ma.simulate_populations(kernel_net, 60.0, progress_bar=False)
    ref = ma.simulate_populations(ref_net, 60.0, progress_bar=False, method="dsrunner")
    per_population = np.bincount(kernel_net.population_of_neuron[fast.neurons], minlength=4)
    assert np.all(per_population > 50), per_population  # every population fires
    np.testing.assert_array_equal(fast.steps, ref.steps)
    np.testing.assert_array_equal(fast.neurons, ref.neurons)
    for name in ("y", "i_syn", "refractory_left", "ring", "t"):
        np.testing.assert_array_equal(np.asarray(getattr(kernel_net, name).value),
                                      np.asarray(getattr(ref_net, name).value), err_msg=name)


def test_free_membrane_is_the_euler_ou_process():
    """No spikes (threshold far away): V is Euler-Maruyama OU with mean
    V_rest + V_ext and variance sigma**2 / (2 - dt / tau_m)."""
    neuron = LifDelta(V_rest=-70.0, V_th=1e6, V_reset=-80.0, tau_m=10.0, sigma=2.0, V_ext=5.0)
    net = PopulationNetwork([Population("A", 4000, neuron, V_init=-65.0)], dt=DT, seed=1)
    ma.simulate_populations(net, 100.0, progress_bar=False)  # 10 time constants: stationary
    V = np.asarray(net.V, np.float64)
    assert abs(V.mean() - (-65.0)) < 4 * np.sqrt(2.0**2 / 2 / 4000)
    assert V.var() == pytest.approx(2.0**2 / (2 - DT / 10.0), rel=0.08)


def test_refractory_length_follows_the_timing():
    """A neuron driven far above threshold fires as soon as it integrates
    again: every 20 or 21 steps (legacy: by the spike step, Brian2 < 2.1.3's
    float64 comparison) or exactly tau_ref / dt = 20 steps (timestep)."""
    for timing, gaps in (("legacy", {20, 21}), ("timestep", {20})):
        neuron = LifDelta(V_ext=1e4, refractory_timing=timing)  # jumps over threshold in one step
        net = PopulationNetwork([Population("A", 1, neuron)], dt=DT)
        record = ma.simulate_populations(net, 500.0, progress_bar=False)
        assert set(np.diff(record.steps)) == gaps, timing


def test_first_stream_equals_the_e_i_network_plans():
    model = ma.load_model("joglekar2018", n_areas=4, neurons_per_area=200)
    net = model.build()
    plan = net.EE.plan
    for tgt, src in ((0, 0), (1, 0), (2, 3)):
        if not plan.pair_mask[tgt, src]:
            continue
        mean = net.delay_ms[tgt, src]
        sd = 0.0 if tgt == src else mean * model.params["delay_sd_fraction"]
        spec = row_spec(FixedProbabilityV0(plan.p, seed=plan.seed, proj_id=int(plan.proj_ids[tgt, src])),
                        plan.n_pre, plan.n_post, seed=0, proj_id=0, dt=DT, weight=0.1,
                        delay=TruncatedNormal(mean, sd) if sd else mean)
        for pre, (post, delay) in zip(range(0, 160, 17), plan.rows(src, tgt, range(0, 160, 17))):
            got_post, got_delay, _ = stream.row_synapses(spec, pre)
            np.testing.assert_array_equal(got_post, post)
            np.testing.assert_array_equal(got_delay, delay)


def test_joglekar_twin_gives_the_e_i_network_spikes():
    model = ma.load_model("joglekar2018", n_areas=4, neurons_per_area=300, duration_ms=80.0,
                          stimulus_start_ms=10.0, stimulus_duration_ms=50.0)
    net = model.build()
    inputs = [model.stimulus(net)]
    ref = ma.simulate(net, 80.0, inputs=inputs, progress_bar=False, method="dsrunner")
    twin = ei_multiarea_network(**net.arguments)
    assert list(twin.index)[:2] == ["V1/E", "V2/E"] and list(twin.index)[4] == "V1/I"
    n = net.n_areas
    fast = ma.simulate_populations(twin, 80.0, progress_bar=False,
                                   stim=lambda first, k: step_drive(net, inputs, k, first).reshape(k, 2 * n))
    assert ref.steps.size > 300
    np.testing.assert_array_equal(fast.steps, ref.steps)
    np.testing.assert_array_equal(fast.neurons, ref.neurons)


def test_area_connections_from_matrices():
    w = np.array([[0.5, 0.0, 0.2], [0.1, 0.5, 0.0], [0.0, 0.3, 0.5]])
    conns = area_connections("E", "I", ["V1", "V2", "9/46v"], w, np.full((3, 3), 4.0), rule=FixedProbability(0.1),
                             delay_sd_ms=np.where(np.eye(3) > 0, 0.0, 0.4))
    assert [(c.pre, c.post) for c in conns] == [("V1/E", "V1/I"), ("9/46v/E", "V1/I"), ("V1/E", "V2/I"),
                                               ("V2/E", "V2/I"), ("V2/E", "9/46v/I"), ("9/46v/E", "9/46v/I")]
    assert [c.weight for c in conns] == [0.5, 0.2, 0.1, 0.5, 0.3, 0.5]
    assert conns[0].delay == 4.0 and conns[1].delay.sd == pytest.approx(0.4)
    with pytest.raises(ValueError, match=r"weight must have shape \(3, 3\)"):
        area_connections("E", "I", ["a", "b", "c"], np.ones((2, 2)), 1.0, rule=FixedProbability(0.1))
    with pytest.raises(ValueError, match="delay_sd_ms must be >= 0"):
        area_connections("E", "I", ["a"], np.ones((1, 1)), 1.0, rule=FixedProbability(0.1), delay_sd_ms=-1.0)


@pytest.mark.parametrize("build, error, match", [
    (lambda: LifDelta(V_reset=-40.0), ValueError, r"V_reset \(-40.0\) must be below V_th"),
    (lambda: LifDelta(tau_m=-1.0), ValueError, "tau_m must be > 0"),
    (lambda: LifDelta(refractory_timing="brian"), ValueError, "refractory_timing must be one of"),
    (lambda: LifDelta(synapses_during_refractory=1), TypeError, "synapses_during_refractory must be True or False"),
    (lambda: LifDelta().replace(tau=3.0), ValueError, r"unknown LifDelta parameter\(s\) \['tau'\]"),
    (lambda: Population("E", 3, LifDelta(), V_init=[1.0, 2.0]), ValueError, r"V_init must have shape \(3,\)"),
    (lambda: Population("E", 3, ma.IafPscExp(), noise_stream=(1, 0)), ValueError,
     "noise_stream is for LifDelta populations"),
    (lambda: Population("E", 3, LifDelta(), noise_stream=(1,)), ValueError, r"noise_stream must be \(seed, first\)"),
    (lambda: Population("E", 3, LifDelta(), noise_stream=(1, -2)), ValueError, "noise_stream first must be >= 0"),
    (lambda: FixedProbabilityV0(0.1, seed=-1, proj_id=0), ValueError, r"seed must be in \[0, 2\*\*32\)"),
    (lambda: FixedProbabilityV0(0.1, seed=1, proj_id=2**32), ValueError, r"proj_id must be an int in \[0, 2\*\*32\)"),
    (lambda: PopulationNetwork([Population("E", 3, LifDelta())],
                               [Connection("E", "E", FixedProbabilityV0(0.5, seed=1, proj_id=0),
                                           TruncatedNormal(1.0, 0.1), 1.0)]),
     ValueError, r"connection 0 \(E -> E\): FixedProbabilityV0\(.*\) takes a constant weight"),
    (lambda: PopulationNetwork([Population("E", 3, LifDelta())],
                               [Connection("E", "E", FixedProbabilityV0(0.5, seed=1, proj_id=0), 1.0,
                                           TruncatedNormal(1.0, 0.1, low=0.5))]),
     ValueError, "a delay TruncatedNormal must have no bounds"),
    (lambda: PopulationNetwork([Population("E", 3, LifDelta())], merge_receptors=True), ValueError,
     r"merge_receptors=True needs IafPscExp populations .* not \['E'\]"),
])
def test_bad_delta_networks_raise(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_toml_round_trip_keeps_delta_networks_spike_for_spike(tmp_path):
    model = ma.load_model("joglekar2018", n_areas=3, neurons_per_area=100)
    twin = ei_multiarea_network(**model.build().arguments)
    for net in (twin, _mixed_network()):
        path = ma.dump_population_network(net, tmp_path / "net.toml")
        again = ma.load_population_network(path)
        assert [p.neuron.__dict__ for p in again.populations] == [p.neuron.__dict__ for p in net.populations]
        a = ma.simulate_populations(net, 60.0, progress_bar=False)
        b = ma.simulate_populations(again, 60.0, progress_bar=False)
        assert a.steps.size > 20
        np.testing.assert_array_equal(a.steps, b.steps)
        np.testing.assert_array_equal(a.neurons, b.neurons)
    text = path.read_text()
    assert 'model = "lif_delta"' in text and "noise_stream = [7, 200]" in text and "fixed_probability_v0" in text
    bad = text.replace('model = "lif_delta"', 'model = "lif"', 1)
    (tmp_path / "bad.toml").write_text(bad)
    with pytest.raises(ValueError, match=r"\[neurons.n\d\]: model must be one of \['iaf_psc_exp', 'lif_delta'\]"):
        ma.load_population_network(tmp_path / "bad.toml")
    (tmp_path / "bad.toml").write_text(text.replace("proj_id = 0 }", "id = 0 }", 1))
    with pytest.raises(ValueError, match=r"rule fixed_probability_v0: unknown key\(s\) \['id'\]"):
        ma.load_population_network(tmp_path / "bad.toml")


def test_delivery_window_does_not_change_the_spikes():
    """The team delivers W steps at once (W <= the shortest delay); every
    ring cell still gets its additions in the same order."""
    from multiarea.spiking.runners.population_kernel import PopulationKernelRunner

    model = ma.load_model("joglekar2018", n_areas=4, neurons_per_area=300)
    args = model.build().arguments
    runs = []
    for window in (1, 3, None):
        twin = ei_multiarea_network(**args)
        runner = PopulationKernelRunner(twin, window=window)
        runs.append((ma.simulate_populations(twin, 70.0, progress_bar=False, runner=runner), np.asarray(twin.ring.value)))
    assert twin.min_delay == runner.window == 10 and runs[0][0].steps.size > 100  # 4 areas: 1 ms at the least
    for record, ring in runs[1:]:
        np.testing.assert_array_equal(record.steps, runs[0][0].steps)
        np.testing.assert_array_equal(record.neurons, runs[0][0].neurons)
        np.testing.assert_array_equal(ring, runs[0][1])
    with pytest.raises(ValueError, match=r"window must be an int in \[1, 10\]"):
        PopulationKernelRunner(twin, window=11)
