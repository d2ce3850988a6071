"""Population networks: iaf_psc_exp against its exact solution, Poisson drive
against Campbell's theorem, the whole-step kernel against the pure-JAX
reference (bit for bit), and the errors of bad networks."""
import math

import brainpy as bp
import numpy as np
import pytest

from multiarea.projections.rules import FixedIndegree, FixedProbability, FixedTotalNumber, TruncatedNormal
from multiarea.spiking import populations
from multiarea.spiking.iaf_psc_exp import IafPscExp
from multiarea.spiking.populations import Connection, PoissonDrive, Population, PopulationNetwork
from multiarea.spiking.runners.population_kernel import PopulationKernelRunner

DT = 0.1
NEURON = IafPscExp()  # PD14's: C_m 250 pF, tau_m 10 ms, tau_syn 0.5 ms, t_ref 2 ms, E_L -65, V_th -50


def _reference(net, n_steps):
    """Spikes ``(n_steps, num)`` and the V trace of neuron 0.. of the reference."""
    runner = bp.DSRunner(net, monitors={"spike": net.spike, "y": net.y}, progress_bar=False, dt=DT)
    runner.run(n_steps * DT)
    return np.asarray(runner.mon["spike"]), np.asarray(runner.mon["y"])


def _words_to_spikes(words, word_neurons, num):
    bits = ((words[:, :, None] >> np.arange(32, dtype=np.uint32)) & 1).astype(bool)
    out = np.zeros((words.shape[0], num), bool)
    valid = word_neurons >= 0
    out[:, word_neurons[valid]] = bits[:, valid]
    return out


def test_constant_current_firing_matches_the_exact_solution():
    I_e = 500.0  # pA: V_inf = I_e tau_m / C_m = 20 mV above E_L, threshold 15 mV above
    net = PopulationNetwork([Population("A", 1, NEURON.replace(I_e=I_e))], dt=DT)
    spikes, y = _reference(net, 1000)
    P22 = math.exp(-DT / NEURON.tau_m)
    v_inf = I_e * NEURON.tau_m / NEURON.C_m
    first = math.ceil(math.log(1 - 15.0 / v_inf) / math.log(P22))  # y_s = v_inf (1 - P22**s), s = 1, 2, ..
    steps = np.flatnonzero(spikes[:, 0]) + 1
    assert steps[0] == first
    assert np.all(np.diff(steps) == first + NEURON.refractory_steps(DT))
    s = np.arange(1, first)
    np.testing.assert_allclose(y[:first - 1, 0], v_inf * (1 - P22 ** s), rtol=2e-5)


def test_psp_matches_the_exact_solution():
    """A spike of weight w (pA) arriving at step a moves V from step a + 1 on as
    w tau_s tau_m / (C (tau_m - tau_s)) (exp(-m h / tau_m) - exp(-m h / tau_s))."""
    w, delay_steps = 100.0, 10
    pops = [Population("driver", 1, NEURON.replace(I_e=500.0)), Population("target", 1, NEURON)]
    net = PopulationNetwork(pops, [Connection("driver", "target", FixedTotalNumber(1), w, delay_steps * DT)], dt=DT)
    spikes, y = _reference(net, 300)
    arrive = np.flatnonzero(spikes[:, 0])[0] + delay_steps  # index of the step that reads the slot
    m = np.arange(1, 60)
    tau_m, tau_s, C = NEURON.tau_m, NEURON.tau_syn_ex, NEURON.C_m
    psp = w * tau_s * tau_m / (C * (tau_m - tau_s)) * (np.exp(-m * DT / tau_m) - np.exp(-m * DT / tau_s))
    assert np.all(y[:arrive + 1, 1] == 0)
    np.testing.assert_allclose(y[arrive + m, 1], psp, rtol=1e-4)


def test_poisson_drive_mean_matches_campbell():
    rate_hz, w = 8.0 * 2000, 20.0
    quiet = NEURON.replace(V_th=1000.0)  # subthreshold: the free membrane
    net = PopulationNetwork([Population("A", 500, quiet)], drives=[PoissonDrive("A", rate_hz, w, 1.5)], dt=DT, seed=3)
    _, y = _reference(net, 1500)
    mean_current = rate_hz * 1e-3 * w * NEURON.tau_syn_ex  # pA
    expected = mean_current * NEURON.tau_m / NEURON.C_m  # mV above E_L
    assert y[500:].mean() == pytest.approx(expected, rel=0.01)
    assert np.all(y[:15] == 0)  # nothing before the drive's delay (+ one step to reach V)


def _test_network(seed=2):
    exc, inh = NEURON, NEURON.replace(tau_syn_in=1.0, t_ref=1.0)
    pops = [Population("E", 300, exc, area="A1", V_init=TruncatedNormal(-58, 8)),
            Population("I", 90, inh, area="A1", V_init=TruncatedNormal(-58, 8)),
            Population("E", 200, exc.replace(I_e=420.0), area="A2", V_init=-60.0)]
    w_e, w_i = TruncatedNormal.sign_kept(90.0, 9.0), TruncatedNormal.sign_kept(-360.0, 36.0)
    conns = [Connection("A1/E", "A1/E", FixedTotalNumber(4000), w_e, TruncatedNormal(1.5, 0.75)),
             Connection("A1/E", "A1/I", FixedIndegree(15), w_e, TruncatedNormal(1.5, 0.75)),
             Connection("A1/I", "A1/E", FixedProbability(0.1), w_i, TruncatedNormal(0.75, 0.375)),
             Connection("A1/I", "A1/I", FixedTotalNumber(900), w_i, 0.8),
             Connection("A1/E", "A2/E", FixedProbability(0.05), TruncatedNormal(60.0, 30.0), TruncatedNormal(3.0, 1.0, low=1.0)),
             Connection("A2/E", "A1/E", FixedIndegree(5), 70.0, 2.5)]
    drives = [PoissonDrive("A1/E", 16000.0, 87.8, 1.5), PoissonDrive("A1/I", 15000.0, 87.8, 1.0),
              PoissonDrive("A2/E", 4000.0, -40.0, 0.7)]
    return PopulationNetwork(pops, conns, drives, dt=DT, seed=seed)


def test_kernel_is_bit_identical_to_the_reference():
    n_steps = 400
    ref_net = _test_network()
    ref_spikes, _ = _reference(ref_net, n_steps)
    net = _test_network()
    runner = PopulationKernelRunner(net)
    words = np.concatenate([runner.run(150), runner.run(n_steps - 150)])  # chunking does not matter
    spikes = _words_to_spikes(words, runner.word_neurons, net.num)
    assert ref_spikes.sum() > 500, "the test network must be active"
    assert ref_spikes[:, 300:390].sum() > 50 and ref_spikes[:, 390:].sum() > 20
    assert np.array_equal(spikes, ref_spikes)
    for name in ("y", "i_syn", "refractory_left", "ring", "t"):
        assert np.array_equal(np.asarray(getattr(net, name).value), np.asarray(getattr(ref_net, name).value)), name


def test_step_current_reaches_the_kernel_like_the_reference():
    def stim(first, n):
        out = np.zeros((n, 3), np.float32)
        out[:, 2] = 300.0 * ((np.arange(first, first + n) >= 100) & (np.arange(first, first + n) < 200))
        return out

    net = _test_network()
    runner = PopulationKernelRunner(net, stim=stim)
    base = _words_to_spikes(PopulationKernelRunner(_test_network()).run(300), runner.word_neurons, net.num)
    driven = _words_to_spikes(runner.run(300), runner.word_neurons, net.num)
    assert np.array_equal(driven[:100], base[:100])
    assert driven[100:200, 390:].sum() > 3 * base[100:200, 390:].sum()


def test_population_keys_and_layout():
    net = _test_network()
    assert list(net.index) == ["A1/E", "A1/I", "A2/E"]
    assert net.num == 590 and list(net.first) == [0, 300, 390]
    wn = net.word_neurons()
    assert wn.shape == (10 + 3 + 7, 32)
    assert wn[10, 0] == 300 and wn[9, 11] == 299 and wn[9, 12] == -1
    V = np.asarray(net.V)
    assert np.all(V[390:] == np.float32(-60.0))
    assert abs(V[:300].mean() + 58) < 1.5


@pytest.mark.parametrize("build, error, match", [
    (lambda p, c, d: PopulationNetwork([]), ValueError, "populations must not be empty"),
    (lambda p, c, d: PopulationNetwork(p + p[:1]), ValueError, r"duplicate population\(s\) \['A1/E'\]"),
    (lambda p, c, d: PopulationNetwork(p, [Connection("A1/E", "A3/E", FixedTotalNumber(1), 1.0)]),
     ValueError, r"unknown post population of connection 0 'A3/E'; populations are \['A1/E', 'A1/I'\]"),
    (lambda p, c, d: PopulationNetwork(p, [Connection("A1/E", "A1/I", FixedProbability(0.1), 1.0, 0.01)]),
     ValueError, r"connection 0 \(A1/E -> A1/I\): delay must be >= dt / 2"),
    (lambda p, c, d: PopulationNetwork(p, drives=[PoissonDrive("A1/E", 10.0, 1.0)] * 2), ValueError,
     "more than one PoissonDrive"),
    (lambda p, c, d: PopulationNetwork(p, drives=[populations.NoiseDrive("A1/E", 0.0, -1.0)]), ValueError,
     r"NoiseDrive 'A1/E': std must be >= 0"),
    (lambda p, c, d: PopulationNetwork(p, drives=["noise"]), TypeError, "PoissonDrive or NoiseDrive"),
    (lambda p, c, d: PopulationNetwork(p, drives=[PoissonDrive("A1/E", -1.0, 1.0)]), ValueError,
     "rate_hz must be >= 0"),
    (lambda p, c, d: PopulationNetwork(p, drives=[PoissonDrive("B", 1.0, 1.0)]), ValueError,
     "unknown drive target 'B'"),
    (lambda p, c, d: PopulationNetwork(p, ["A1/E"]), TypeError, "Connection objects"),
    (lambda p, c, d: Population("E", -5, NEURON), ValueError, r"population 'E': size must be an int >= 1, got -5"),
    (lambda p, c, d: Population("E/x", 5, NEURON), ValueError, "without '/'"),
    (lambda p, c, d: Population("E", 5, "iaf_psc_exp"), TypeError, "neuron must be an IafPscExp"),
    (lambda p, c, d: IafPscExp(V_reset=-40.0), ValueError, r"V_reset \(-40.0\) must be below V_th"),
    (lambda p, c, d: IafPscExp(tau_m=0.0), ValueError, "tau_m must be > 0"),
    (lambda p, c, d: NEURON.replace(tau=3.0), ValueError, r"unknown IafPscExp parameter\(s\) \['tau'\]"),
])
def test_bad_networks_raise(build, error, match):
    pops = [Population("E", 10, NEURON, area="A1"), Population("I", 5, NEURON, area="A1")]
    with pytest.raises(error, match=match):
        build(pops, [], [])


def test_reference_refuses_networks_too_large_to_store(monkeypatch):
    monkeypatch.setattr(populations, "REFERENCE_MAX_SYNAPSES", 1000)
    net = PopulationNetwork([Population("E", 100, NEURON)], [Connection("E", "E", FixedTotalNumber(5000), 1.0)])
    with pytest.raises(ValueError, match="run it on the kernel"):
        net.synapses


def test_white_noise_current_matches_the_discrete_ou_statistics():
    """V under a white-noise current (no threshold) is the AR(1) process
    y' = P22 y + P20 I: mean mu P20 / (1 - P22), variance sigma^2 P20^2 / (1 - P22^2)."""
    mean, std = 100.0, 400.0
    quiet = NEURON.replace(V_th=1000.0)
    net = PopulationNetwork([Population("A", 2000, quiet)], drives=[populations.NoiseDrive("A", mean, std)], dt=DT,
                            seed=4)
    _, y = _reference(net, 1500)
    P22, P20 = math.exp(-DT / NEURON.tau_m), NEURON.tau_m / NEURON.C_m * (1 - math.exp(-DT / NEURON.tau_m))
    stationary = y[700:]
    assert stationary.mean() == pytest.approx(mean * P20 / (1 - P22), rel=0.01)
    assert stationary.var() == pytest.approx(std ** 2 * P20 ** 2 / (1 - P22 ** 2), rel=0.03)


def test_kernel_matches_the_reference_with_white_noise():
    def build():
        net = _test_network()
        return PopulationNetwork(net.populations, net.connections,
                                 net.drives + (populations.NoiseDrive("A1/I", 20.0, 150.0),), dt=DT, seed=2)

    ref_net = build()
    ref_spikes, _ = _reference(ref_net, 300)
    net = build()
    runner = PopulationKernelRunner(net)
    spikes = _words_to_spikes(runner.run(300), runner.word_neurons, net.num)
    assert np.array_equal(spikes, ref_spikes)
    assert np.array_equal(np.asarray(net.y.value), np.asarray(ref_net.y.value))


def test_kernel_spikes_do_not_depend_on_the_team(monkeypatch):
    """A member that gives up waiting at once leaves its partner the rest of the
    call: the rows then fall on threads differently, the spikes stay the same."""
    from multiarea.ops import _population_taichi

    reference = PopulationKernelRunner(_test_network()).run(200)
    monkeypatch.setattr(_population_taichi, "EXIT_POLLS", 0)
    net = _test_network()
    assert np.array_equal(PopulationKernelRunner(net).run(200), reference)


@pytest.mark.parametrize("merge", [True, False])
def test_kernel_matches_the_reference_with_merged_or_separate_receptors(merge):
    """The microcircuit has tau_syn_ex == tau_syn_in: one current per neuron
    (the default) or two; each kernel run equals its reference."""
    from multiarea.potjans2014.network import build_network

    def build():
        net = build_network(0.02, seed=7)
        return PopulationNetwork(net.populations, net.connections, net.drives, dt=DT, seed=7, merge_receptors=merge)

    ref_net = build()
    assert ref_net.n_receptors == (1 if merge else 2)
    assert np.asarray(ref_net.ring.value).size == ref_net.n_receptors * ref_net.n_slots * ref_net.num
    ref_spikes, _ = _reference(ref_net, 800)
    net = build()
    runner = PopulationKernelRunner(net)
    spikes = _words_to_spikes(runner.run(800), runner.word_neurons, net.num)
    assert ref_spikes.sum() > 30  # the scaled-down microcircuit starts slowly
    assert np.array_equal(spikes, ref_spikes)
    assert np.array_equal(np.asarray(net.i_syn.value), np.asarray(ref_net.i_syn.value))


def test_merging_receptors_needs_equal_time_constants():
    pops = [Population("E", 10, NEURON), Population("I", 10, NEURON.replace(tau_syn_in=2.0))]
    assert PopulationNetwork(pops).n_receptors == 2
    assert PopulationNetwork(pops[:1]).n_receptors == 1
    with pytest.raises(ValueError, match=r"merge_receptors=True needs IafPscExp populations with tau_syn_ex == tau_syn_in; not \[.I.\]"):
        PopulationNetwork(pops, merge_receptors=True)
    with pytest.raises(TypeError, match="merge_receptors must be True, False or None"):
        PopulationNetwork(pops, merge_receptors="yes")


def test_ring_split_in_two_blocks_gives_the_same_spikes(monkeypatch):
    """A ring of more than 2**31 - 1 cells is kept in two blocks (the kernel
    indexes each with int32); made small here, the split changes nothing."""
    whole = PopulationKernelRunner(_test_network()).run(300)
    monkeypatch.setattr(populations, "RING_BLOCK_CELLS", 60_000)  # 590 neurons x 2 x 91 slots: 107,380 cells
    net = _test_network()
    assert net.ring_split == 300  # at the A1/I population boundary
    assert np.asarray(net.ring_hi.value).size == 2 * net.n_slots * 290
    assert np.array_equal(PopulationKernelRunner(net).run(300), whole)
    with pytest.raises(ValueError, match="run this one on the kernel"):
        net.update()
    monkeypatch.setattr(populations, "RING_BLOCK_CELLS", 1000)
    with pytest.raises(ValueError, match="does not split at a population boundary into two blocks"):
        _test_network()


def test_simulate_populations_on_dsrunner_equals_the_kernel():
    import multiarea as ma

    kernel = ma.simulate_populations(_test_network(), 40.0, progress_bar=False)
    reference = ma.simulate_populations(_test_network(), 40.0, progress_bar=False, method="dsrunner")
    assert kernel.steps.size > 100
    assert np.array_equal(kernel.steps, reference.steps) and np.array_equal(kernel.neurons, reference.neurons)
    with pytest.raises(ValueError, match="method must be 'kernel', 'sharded' or 'dsrunner', got 'gpu'"):
        ma.simulate_populations(_test_network(), 1.0, method="gpu")
