"""LIF population against theory."""
import brainpy as bp
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from multiarea import LIF
from multiarea.spiking.neurons import legacy_refractory_table


def _run(pop, duration, monitors, dt):
    runner = bp.DSRunner(pop, monitors=monitors, dt=dt, progress_bar=False)
    runner.run(duration)
    return runner.mon


def test_noise_is_a_function_of_seed_step_and_neuron():
    from multiarea.ops import _rng

    pop = LIF((3, 1000), sigma=3.0, seed=11, dt=0.1)
    z = np.asarray(pop.noise(jnp.int32(7)))
    index = _rng.noise_index(_rng.noise_key(11), np.uint32(7), np.arange(3000, dtype=np.uint32))
    np.testing.assert_array_equal(z.ravel(), _rng.normal_table()[index])   # host == traced
    assert not np.array_equal(z, np.asarray(pop.noise(jnp.int32(8))))     # steps differ
    assert not np.array_equal(z, np.asarray(LIF((3, 1000), sigma=3.0, seed=12).noise(jnp.int32(7))))
    draws = np.concatenate([np.asarray(pop.noise(jnp.int32(s))).ravel() for s in range(300)])
    assert abs(draws.mean()) < 4 / np.sqrt(draws.size)                    # 900,000 draws
    assert draws.var() == pytest.approx(1.0, abs=0.01)
    from scipy import stats
    assert stats.kstest(draws[:200_000], "norm").pvalue > 1e-3
    table = _rng.normal_table()
    assert table.size == 2 ** 16 and np.all(np.diff(table) > 0)
    assert table.astype(np.float64).mean() == 0.0 and table.astype(np.float64).var() == pytest.approx(1, abs=1e-7)


def test_noiseless_rate_matches_closed_form():
    dt = 0.01
    drive = np.array([22.0, 25.0, 30.0, 40.0, 19.0])  # last is sub-threshold
    pop = LIF(drive.size, V_ext=drive, dt=dt, V_init=(-60.0, -60.0))
    mon = _run(pop, 2000.0, {"spike": pop.spike}, dt)
    spikes = mon["spike"]
    isi = [np.diff(np.flatnonzero(spikes[:, k])).mean() * dt for k in range(drive.size - 1)]
    tau, tau_ref = 20.0, 2.0
    period = tau_ref + tau * np.log((-60 + 70 - drive[:-1]) / (-50 + 70 - drive[:-1]))
    np.testing.assert_allclose(isi, period, rtol=0.005)
    assert spikes[:, -1].sum() == 0


def test_free_membrane_matches_ou_statistics():
    dt, tau, sigma, drive = 0.1, 20.0, 3.0, 5.0
    pop = LIF(20_000, V_ext=drive, sigma=sigma, tau=tau, dt=dt, V_th=1e6, V_init=(-70.0, -70.0), seed=3)
    mon = _run(pop, 300.0, {"V": pop.V}, dt)
    V = mon["V"][1500:]  # after 7.5 tau
    assert V.mean() == pytest.approx(-70 + drive, abs=0.05)
    # Euler-Maruyama stationary variance of the OU process
    assert V.var() == pytest.approx(sigma**2 / (2 - dt / tau), rel=0.03)


def _brian2_legacy_length(spike_step: int, dt_ms: float = 0.1, tau_ref_ms: float = 2.0) -> int:
    """Steps from a spike at ``spike_step`` to the first non-refractory step, computed the way
    Brian2 < 2.1.3 does it: ``(t - lastspike) > tau_ref`` in float64 seconds, ``t = step * dt``."""
    dt = dt_ms * 1e-3                                           # Brian2: 0.1 * ms
    tau_ref = float("%f" % (tau_ref_ms * 1e-3))                 # Brian2: '... > %f' % tau_ref
    k = 1
    while not ((spike_step + k) * dt - spike_step * dt) > tau_ref:
        k += 1
    return k


def _spike_at(pop, step):
    """Advance a 1-neuron ``pop`` (at rest, no drive) to ``step`` and make it spike there."""
    for _ in range(step):
        pop.update(0.0)
    pop.V.value = pop.V.value * 0 - 49.0       # above threshold after one Euler step
    assert bool(pop.update(0.0)[0])


def _refractory_trace(pop, n_steps, jump):
    """V after each of ``n_steps`` updates, each with a synaptic jump ``jump``."""
    trace = []
    for _ in range(n_steps):
        pop.update(jump)
        trace.append(float(pop.V.value[0]))
    return np.array(trace)


@pytest.mark.parametrize("timing", ["legacy", "timestep"])
def test_synaptic_input_during_refractoriness_is_discarded_by_default(timing):
    pop = LIF(1, dt=0.1, V_init=(-70.0, -70.0), refractory_timing=timing)
    assert pop.synapses_during_refractory is False
    _spike_at(pop, 0)
    assert float(pop.V.value[0]) == -60.0
    trace = _refractory_trace(pop, 25, 0.5)
    n_ref = _brian2_legacy_length(0) - 1 if timing == "legacy" else 19
    # refractory: V stays exactly at V_reset although 0.5 mV arrive every step
    np.testing.assert_array_equal(trace[:n_ref], -60.0)
    # first free step: one Euler step from V_reset, then the jump
    assert trace[n_ref] == pytest.approx(-60.0 + 10.0 * 0.1 / 20.0 * -1 + 0.5, abs=1e-5)


def test_synaptic_input_during_refractoriness_applied_on_request():
    pop = LIF(1, dt=0.1, V_init=(-70.0, -70.0), refractory_timing="timestep",
              synapses_during_refractory=True)
    _spike_at(pop, 0)
    trace = _refractory_trace(pop, 20, 0.5)
    # V is frozen (not integrated) but the jumps add up
    np.testing.assert_allclose(trace[:19], -60.0 + 0.5 * np.arange(1, 20), atol=1e-5)
    v = trace[18]
    assert trace[19] == pytest.approx(v - (v + 70.0) * 0.1 / 20.0 + 0.5, abs=1e-5)


def test_refractory_lengths_are_brians_float64_comparison_per_spike_step():
    lengths = {s: _brian2_legacy_length(s) for s in range(400)}
    long_steps = [s for s, k in lengths.items() if k == 21]
    short_steps = [s for s, k in lengths.items() if k == 20]
    assert long_steps and short_steps and set(lengths.values()) == {20, 21}
    for spike_step in long_steps[:3] + short_steps[:3]:
        pop = LIF(1, dt=0.1, V_init=(-70.0, -70.0), refractory_timing="legacy")
        _spike_at(pop, spike_step)
        trace = _refractory_trace(pop, 25, 0.0)
        frozen = int(np.argmax(trace != -60.0))
        assert frozen == lengths[spike_step] - 1, spike_step


def test_legacy_table_matches_float64_comparison_over_many_steps():
    pop = LIF(1, dt=0.1, refractory_timing="legacy")
    steps = np.concatenate([np.arange(20_000), np.random.default_rng(0).integers(0, 2**24, 2000)])
    got = np.asarray(jax.vmap(pop.refractory_steps_after)(jnp.asarray(steps, jnp.int32)))
    expected = np.array([_brian2_legacy_length(int(s)) - 1 for s in steps])
    np.testing.assert_array_equal(got, expected)
    # in the first 800 ms, 7.2 % of spike steps give the longer period
    assert np.mean(expected[:8000] == 20) == pytest.approx(0.0719, abs=5e-4)


def test_timestep_refractoriness_is_exact_steps():
    for tau_ref, expected in ((2.0, 19), (0.0, 0), (0.5, 4)):
        pop = LIF(1, dt=0.1, tau_ref=tau_ref, refractory_timing="timestep")
        assert int(pop.refractory_steps_after(jnp.int32(12345))) == expected


def test_legacy_table_other_dt_and_tau_ref():
    base, words = legacy_refractory_table(0.05, 1.0, n_steps=4096)
    steps = np.arange(4096)
    got = base + ((words[steps >> 5] >> (steps & 31).astype(np.uint32)) & 1)
    expected = [_brian2_legacy_length(int(s), 0.05, 1.0) - 1 for s in steps]
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("kwargs,match", [
    (dict(size=0), "size"), (dict(size=4, tau=-1.0), "tau"), (dict(size=4, sigma=float("nan")), "sigma"),
    (dict(size=4, V_reset=-40.0), "V_reset"), (dict(size=4, V_ext=np.ones(3)), "V_ext"),
    (dict(size=4, tau_ref=-2.0), "tau_ref"),
    (dict(size=4, refractory_timing="modern"), "refractory_timing"),
    (dict(size=4, synapses_during_refractory="false"), "synapses_during_refractory"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        LIF(**kwargs)
