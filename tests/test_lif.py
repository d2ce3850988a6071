"""LIF population against theory."""
import brainpy as bp
import numpy as np
import pytest

from multiarea import LIF


def _run(pop, duration, monitors, dt):
    runner = bp.DSRunner(pop, monitors=monitors, dt=dt, progress_bar=False)
    runner.run(duration)
    return runner.mon


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


def test_refractory_period_and_synapse_option():
    dt = 0.1
    for applies in (True, False):
        pop = LIF(1, V_ext=0.0, dt=dt, V_init=(-49.0, -49.0), tau_ref=2.0,
                  synapses_during_refractory=applies)
        pop.V.value = pop.V.value + 0.5   # above threshold: spikes at step 0
        assert bool(pop.update(0.0)[0])
        v_reset = float(pop.V.value[0])
        assert v_reset == -60.0
        for _ in range(19):               # refractory for round(2 / 0.1) = 20 steps incl. the spike step
            pop.update(0.5)
        expected = -60.0 + 19 * 0.5 if applies else -60.0
        assert float(pop.V.value[0]) == pytest.approx(expected)
        v = float(pop.V.value[0])
        pop.update(0.0)                   # integration resumes 2 ms after the spike
        assert float(pop.V.value[0]) == pytest.approx(v + (-(v + 70)) * dt / 20.0)


@pytest.mark.parametrize("kwargs,match", [
    (dict(size=0), "size"), (dict(size=4, tau=-1.0), "tau"), (dict(size=4, sigma=float("nan")), "sigma"),
    (dict(size=4, V_reset=-40.0), "V_reset"), (dict(size=4, V_ext=np.ones(3)), "V_ext"),
    (dict(size=4, tau_ref=-2.0), "tau_ref"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        LIF(**kwargs)
