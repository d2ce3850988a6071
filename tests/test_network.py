"""Areas and multi-area networks under bp.DSRunner."""
import brainpy as bp
import numpy as np
import pytest

import multiarea as ma


def _small(n_areas=2, seed=0, **kw):
    d = ma.data.joglekar2018().subset(n_areas)
    params = dict(n_E=160, n_I=40, p=0.2, wEI=0.5, wIE=0.5, wII=0.5, wEE=0.1, muEE=0.2, muIE=0.2,
                  VextE=14.2, VextI=14.7, lif=dict(sigma=3.0), seed=seed, dt=0.1)
    params.update(kw)
    return ma.MultiAreaNetwork(d.area_names, d.hierarchy, d.fln, d.distance_mm, **params)


def test_two_area_network_runs_and_v1_rate_rises_during_input():
    net = _small()
    runner = bp.DSRunner(net, monitors={"E": lambda: net.E.spike.sum(axis=1)},
                         inputs=[net.step_input("V1", 6.0, 200.0, 100.0)], dt=0.1, progress_bar=False)
    runner.run(400.0)
    counts = runner.mon["E"]                              # (steps, areas)
    assert counts.shape == (4000, 2)
    rate = lambda a, b: counts[a:b].sum(0) / 160 / ((b - a) * 1e-4)
    before, during = rate(1000, 2000), rate(2000, 3000)
    assert before[0] > 0.5                                # spontaneous activity
    assert during[0] > 3 * before[0] + 5                  # V1 responds to its input
    assert np.asarray(net.t.value) == 4000


def test_same_seed_same_spikes_and_other_seed_differs():
    def spikes(seed):
        net = _small(seed=seed)
        return ma.simulate(net, 100.0, progress_bar=False)
    a, b, c = spikes(1), spikes(1), spikes(2)
    assert a.steps.size > 30
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.neurons, b.neurons)
    assert not (a.steps.size == c.steps.size and np.array_equal(a.neurons, c.neurons))


def test_weights_follow_the_joglekar_formula():
    d = ma.data.joglekar2018().subset(3)
    net = ma.MultiAreaNetwork(d.area_names, d.hierarchy, d.fln, d.distance_mm, n_E=20, n_I=5,
                              wEE=0.01, wIE=0.075, wEI=0.05, wII=0.075, muEE=0.05, muIE=0.0475,
                              alpha=4.0, dt=0.1)
    g = 1 + 4.0 * d.hierarchy
    i, j = 2, 0
    assert net.EE.weights[i, j] == pytest.approx(g[i] * 0.05 * d.fln[i, j], rel=1e-6)
    assert net.EI.weights[i, j] == pytest.approx(g[i] * 0.0475 * d.fln[i, j], rel=1e-6)
    assert net.EE.weights[i, i] == pytest.approx(g[i] * 0.01, rel=1e-6)
    assert net.EI.weights[i, i] == pytest.approx(g[i] * 0.075, rel=1e-6)
    np.testing.assert_allclose(net.IE.weights, -0.05 * np.eye(3), rtol=1e-6)
    np.testing.assert_allclose(net.II.weights, -0.075 * np.eye(3), rtol=1e-6)
    # zero-FLN pairs are skipped by the fused op
    np.testing.assert_array_equal(net.EE.plan.pair_mask, (d.fln > 0) | np.eye(3, dtype=bool))
    # delays: distance / speed between areas, local 2 ms
    assert net.delay_ms[i, j] == pytest.approx(d.distance_mm[i, j] / 3.5)
    assert net.delay_ms[i, i] == 2.0


def test_single_area_runs_standalone():
    area = ma.Area("A", n_E=200, n_I=50, p=0.2, lif=dict(sigma=3.0), dt=0.1, seed=4)
    runner = bp.DSRunner(area, monitors={"E": area.E.spike}, dt=0.1, progress_bar=False)
    runner.run(200.0)
    rate = runner.mon["E"][500:].mean() * 1e4
    assert 0.1 < rate < 100


def test_csr_projection_delivers_to_its_targets():
    import scipy.sparse as sp

    pre, post = ma.LIF(3, dt=0.1), ma.LIF(4, dt=0.1)
    m = sp.csr_matrix(np.array([[0, 1.0, 0, 1.0], [0, 0, 0, 0], [1.0, 0, 0, 0]]))
    proj = ma.Projection(pre, post, ma.CSR.from_scipy(m), np.array([0.5, 1.5, 2.0]), delay_ms=0.3, dt=0.1)
    proj.deliver(np.array([True, False, True]), 0)     # spikes at step 0, delay 3 steps
    arriving = []
    for t in range(1, 6):
        arriving.append(np.asarray(proj.arriving.value))  # what arrives at step t
        proj.deliver(np.zeros(3, bool), t)
    np.testing.assert_allclose(arriving[2], [2.0, 0.5, 0, 1.5])
    for k in (0, 1, 3, 4):
        np.testing.assert_allclose(arriving[k], 0)     # nothing early, consumed once


@pytest.mark.parametrize("kw,match", [
    (dict(n_E=0), "n_E"), (dict(p=0.0), "p must"), (dict(p=1.2), "p must"),
    (dict(muEE=float("nan")), "muEE"), (dict(speed=0.0), "speed"),
])
def test_bad_network_parameters(kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        _small(**kw)


def test_shape_mismatches_are_named():
    d = ma.data.joglekar2018().subset(3)
    with pytest.raises(ValueError, match="fln must have shape"):
        ma.MultiAreaNetwork(d.area_names, d.hierarchy, d.fln[:2, :2], d.distance_mm)
    with pytest.raises(ValueError, match="hierarchy must have shape"):
        ma.MultiAreaNetwork(d.area_names, d.hierarchy[:2], d.fln, d.distance_mm)
    with pytest.raises(ValueError, match="unknown area 'X'"):
        _small().step_input("X", 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="unknown LIF parameter"):
        _small(lif=dict(tau_m=3.0))


def test_reset_state_replays_the_same_run():
    net = _small(seed=3)
    first = ma.simulate(net, 50.0, progress_bar=False)
    net.reset_state()
    assert int(net.t.value) == 0 and float(np.abs(np.asarray(net.EE.ring.value)).sum()) == 0
    again = ma.simulate(net, 50.0, progress_bar=False)
    assert first.steps.size > 10
    np.testing.assert_array_equal(first.steps, again.steps)
    np.testing.assert_array_equal(first.neurons, again.neurons)


def test_step_input_covers_the_same_steps_as_brian2s_timed_array():
    """The original feeds the V1 pulse through a TimedArray indexed by step:
    steps round(start / dt) .. round((start + duration) / dt) - 1 get it."""
    dt, start, duration = 0.1, 300.0, 150.0
    pop = ma.LIF(1, V_rest=0.0, V_reset=-10.0, V_th=1e6, tau=1e4, V_init=(0.0, 0.0), dt=dt)
    pulse = ma.StepInput(np.ones(1, np.float32), 6.3, start, duration)
    runner = bp.DSRunner(pop, monitors={"V": pop.V}, inputs=[(pop.input, pulse, "func", "+")], dt=dt,
                         progress_bar=False)
    runner.run(500.0)
    V = runner.mon["V"][:, 0]
    rising = np.flatnonzero(np.diff(np.concatenate([[0.0], V])) > 0)
    assert rising[0] == 3000 and rising[-1] == 4499
    assert rising.size == 1500
