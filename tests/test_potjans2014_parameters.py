"""The PD14 microcircuit parameters (models/potjans2014.toml, multiarea/potjans2014/parameters.py).

Numbers are checked against INM-6/microcircuit-PD14-model v1.0 (cited in the
TOML) and against independent recomputations (a numerical PSP peak, the
mean-input invariance behind the DC compensation).  numpy only: the module is
loaded by file path, as NEST's Python loads it, so these tests need no jax.
"""
import importlib.util
import math
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULE = ROOT / "multiarea" / "potjans2014" / "parameters.py"
TOML = ROOT / "models" / "potjans2014.toml"


def _load_module():
    spec = importlib.util.spec_from_file_location("pd14_parameters_under_test", MODULE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


pd = _load_module()


@pytest.fixture(scope="module")
def p():
    return pd.load()


def test_default_path_is_the_bundled_file(p):
    assert pd.DEFAULT_PATH == TOML
    assert p["regime"] == "dc" and p["bg_input_type"] == "dc"      # v1.0 default
    assert pd.load(regime="poisson")["bg_input_type"] == "poisson"
    assert p["populations"] == ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
    assert p["model"]["source_commit"] == "76e2699a68f96228a3250d4391d464cc2e076e2d"


def test_the_file_keeps_the_model_loader_contract():
    # multiarea.available_models() reads every models/*.toml: it needs these
    # tables, and a kind other than "spiking" keeps load_model away from it.
    spec = tomllib.loads(TOML.read_text())
    assert {"model", "parameters", "regimes"} <= set(spec)
    assert spec["model"]["kind"] != "spiking"


def test_raw_values(p):
    np.testing.assert_array_equal(p["full_num_neurons"], [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
    np.testing.assert_array_equal(p["K_ext"], [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
    np.testing.assert_array_equal(p["full_mean_rates"], [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])
    assert p["conn_probs"][0, 0] == 0.1009 and p["conn_probs"][4, 5] == 0.3726 and p["conn_probs"][7, 7] == 0.1443
    assert p["conn_probs"][2, 5] == 0.0003 and p["conn_probs"][:6, 7].sum() == 0.0
    assert (p["bg_rate"], p["PSP_exc_mean"], p["g"], p["PSP_L4E_to_L23E_factor"]) == (8.0, 0.15, -4.0, 2.0)
    assert (p["weight_rel_std"], p["delay_exc_mean"], p["delay_inh_mean"], p["delay_rel_std"]) == (0.1, 1.5, 0.75, 0.5)
    assert (p["delay_poisson"], p["delay_min_fraction"]) == (1.5, 0.5)
    assert (p["C_m"], p["tau_m"], p["tau_syn"], p["E_L"], p["V_th"], p["V_reset"], p["t_ref"]) == (
        250.0, 10.0, 0.5, -65.0, -50.0, -65.0, 2.0)
    assert p["neuron_model"] == "iaf_psc_exp" and p["V0_type"] == "optimized"
    assert (p["resolution"], p["t_presim"], p["t_sim"]) == (0.1, 500.0, 1000.0)
    mean, sd = pd.initial_potentials(p)
    np.testing.assert_array_equal(mean, [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43])
    np.testing.assert_array_equal(sd, [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48])
    original = dict(p, V0_type="original")
    assert [np.unique(a).tolist() for a in pd.initial_potentials(original)] == [[-58.0], [10.0]]


def test_neuron_numbers(p):
    assert pd.neuron_numbers(p).sum() == 77169
    assert pd.neuron_numbers(p, 0.1).tolist() == [2068, 583, 2192, 548, 485, 106, 1440, 295]   # 7717
    assert pd.neuron_numbers(p, 0.2).sum() == 15435


def test_synapse_numbers(p):
    k = pd.synapse_numbers(p)
    assert k.dtype == np.int64 and k.shape == (8, 8)
    # full scale: 298,880,968 synapses (~3.0e8; the paper speaks of ~0.3 billion)
    assert k.sum() == 298_880_968
    assert abs(k.sum() - 3.0e8) / 3.0e8 < 0.01
    assert k[0, 0] == 45_499_805 and k[2, 5] == 7003 and k[6, 7] == 10_827_677
    assert (k[p["conn_probs"] == 0] == 0).all()
    # v1.0's ln((P-1)/P) vs the accurate log1p(-1/P): 2 synapses apart in total
    n = p["full_num_neurons"].astype(float)
    accurate = np.log1p(-p["conn_probs"]) / np.log1p(-1.0 / np.outer(n, n))
    assert np.abs(pd.full_synapse_numbers(p) - accurate).max() < 1.0
    assert np.round(accurate).sum() == 298_880_970
    # scaled: round(K_total * N_scaling * K_scaling)
    assert pd.synapse_numbers(p, 0.1, 0.1).sum() == 2_988_807
    assert pd.synapse_numbers(p, 0.2, 0.2).sum() == 11_955_239
    np.testing.assert_array_equal(pd.synapse_numbers(p, 0.5, 1.0),
                                  np.round(pd.full_synapse_numbers(p) * 0.5).astype(int))
    np.testing.assert_allclose(pd.indegrees(p) * n[:, None], pd.full_synapse_numbers(p))


def test_psc_over_psp_is_the_peak_of_the_psp():
    f = pd.psc_over_psp(250.0, 10.0, 0.5)
    assert f == pytest.approx(585.39, abs=0.005)
    assert f == pytest.approx(585.3899568613896, rel=1e-14)       # v1.0's value
    # independent: peak of V(t) for a 1 pA exponential current, on a fine grid
    t = np.linspace(0.0, 10.0, 2_000_001)
    v = 1.0 / 250.0 * (10.0 * 0.5 / 9.5) * (np.exp(-t / 10.0) - np.exp(-t / 0.5))
    assert f == pytest.approx(1.0 / v.max(), rel=1e-9)
    # tau_m == tau_syn: the alpha-like limit, continuous
    near = pd.psc_over_psp(250.0, 10.0, 10.0 * (1 + 1e-7))
    assert pd.psc_over_psp(250.0, 10.0, 10.0) == pytest.approx(near, rel=1e-5)
    with pytest.raises(ValueError, match="tau_syn"):
        pd.psc_over_psp(250.0, 10.0, 0.0)


def test_weights(p):
    f = pd.psc_over_psp(250.0, 10.0, 0.5)
    w = pd.weight_matrix(p)
    assert w[1, 0] == pytest.approx(0.15 * f) and w[1, 0] == pytest.approx(87.81, abs=0.005)
    assert w[0, 2] == pytest.approx(2 * 0.15 * f)                   # L4E -> L23E doubled
    assert (w[:, 1::2] == pytest.approx(-4 * 0.15 * f))              # inhibitory sources negative
    assert (w[:, 0::2] > 0).all() and (np.delete(w[:, 0::2].ravel(), 1) == pytest.approx(0.15 * f))
    np.testing.assert_allclose(pd.weight_sd(p), 0.1 * np.abs(w))
    np.testing.assert_allclose(pd.weight_matrix(p, 0.25), 2 * w)
    np.testing.assert_allclose(pd.weight_sd(p, 0.25), 0.2 * np.abs(w))
    assert pd.external_weight(p) == pytest.approx(0.15 * f)
    assert pd.external_weight(p, 0.04) == pytest.approx(5 * 0.15 * f)


def test_external_drive(p):
    np.testing.assert_array_equal(pd.external_indegrees(p), p["K_ext"])
    assert pd.external_indegrees(p, 0.2).tolist() == [320, 300, 420, 380, 400, 380, 580, 420]
    np.testing.assert_array_equal(pd.poisson_rates(p), 8.0 * p["K_ext"])


def test_dc_amplitudes_at_full_scale(p):
    psc_ext = pd.external_weight(p)
    expected = p["bg_rate"] * p["K_ext"] * psc_ext * p["tau_syn"] * 1e-3
    np.testing.assert_allclose(pd.dc_amplitudes(p, 1.0, poisson=False), expected, rtol=1e-15)
    np.testing.assert_allclose(pd.dc_amplitudes(p), expected, rtol=1e-15)          # regime "dc"
    assert pd.dc_amplitudes(p)[0] == pytest.approx(561.974, abs=1e-3)
    assert (pd.dc_amplitudes(p) > pd.rheobase_current(p)).all() and pd.rheobase_current(p) == 375.0
    np.testing.assert_array_equal(pd.dc_amplitudes(p, 1.0, poisson=True), np.zeros(8))
    np.testing.assert_array_equal(pd.dc_amplitudes(pd.load(regime="poisson")), np.zeros(8))


@pytest.mark.parametrize("k", [0.5, 0.2, 0.1])
def test_dc_compensation_keeps_the_mean_input(p, k):
    """MD remark 1: sqrt(k)-scaled mean synaptic input + DC(k) = the full-scale mean input."""
    tau = p["tau_syn"] * 1e-3
    rec = pd.local_input_current(p)                       # pA/s, full scale
    ext = pd.external_weight(p) * p["K_ext"] * p["bg_rate"]
    # DC background: the external drive is the DC itself
    full = tau * rec + pd.dc_amplitudes(p, 1.0, poisson=False)
    scaled = tau * math.sqrt(k) * rec + pd.dc_amplitudes(p, k, poisson=False)
    np.testing.assert_allclose(scaled, full, rtol=1e-12)
    # Poisson background, with unrounded K_ext * k inputs of PSC_ext / sqrt(k)
    full = tau * (rec + ext)
    scaled = tau * math.sqrt(k) * (rec + ext) + pd.dc_amplitudes(p, k, poisson=True)
    np.testing.assert_allclose(scaled, full, rtol=1e-12)
    # the recurrent part is computed from the full-scale, unscaled quantities
    w, kin = pd.weight_matrix(p), pd.indegrees(p)
    np.testing.assert_allclose(rec, (w * kin * p["full_mean_rates"]).sum(axis=1))
    assert (rec < 0).all()


def test_delays(p):
    d = pd.delay_means(p)
    assert d.shape == (8, 8)
    assert (d[:, 0::2] == 1.5).all() and (d[:, 1::2] == 0.75).all()
    np.testing.assert_array_equal(pd.delay_sds(p), 0.5 * d)
    assert pd.delay_lower_bound(p) == pytest.approx(0.05)
    assert pd.delay_lower_bound(p, 0.2) == pytest.approx(0.1)


@pytest.mark.parametrize("bad", [0.0, -0.5, 1.5, float("nan"), float("inf"), "x", None])
def test_bad_scaling_is_refused(p, bad):
    with pytest.raises(ValueError, match=r"n_scaling must .*" + (repr(bad) if isinstance(bad, str) else "")):
        pd.neuron_numbers(p, bad)
    with pytest.raises(ValueError, match="n_scaling"):
        pd.synapse_numbers(p, bad, 1.0)
    for fn in (lambda: pd.synapse_numbers(p, 1.0, bad), lambda: pd.weight_matrix(p, bad),
               lambda: pd.external_indegrees(p, bad), lambda: pd.dc_amplitudes(p, bad)):
        with pytest.raises(ValueError, match="k_scaling"):
            fn()


def test_bad_scaling_message_names_the_value(p):
    with pytest.raises(ValueError, match=r"k_scaling must lie in \(0, 1\], got 2"):
        pd.weight_matrix(p, 2)
    with pytest.raises(ValueError, match="poisson must be"):
        pd.dc_amplitudes(p, 1.0, poisson="yes")


def test_missing_and_bad_files(tmp_path):
    missing = tmp_path / "nowhere" / "potjans2014.toml"
    with pytest.raises(FileNotFoundError, match=str(missing).replace("\\", "\\\\")):
        pd.load(missing)
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\nname = 'x'\n")
    with pytest.raises(ValueError, match=r"no \[parameters\] table"):
        pd.load(bad)
    with pytest.raises(ValueError, match="unknown regime 'thalamic'"):
        pd.load(regime="thalamic")
    short = tmp_path / "short.toml"
    short.write_text(TOML.read_text().replace("K_ext = [1600, 1500,", "K_ext = [1500,"))
    with pytest.raises(ValueError, match="K_ext must have 8 entries"):
        pd.load(short)


def test_loads_by_path_without_jax():
    code = ("import importlib.util, sys; "
            f"s = importlib.util.spec_from_file_location('pd14', {str(MODULE)!r}); "
            "m = importlib.util.module_from_spec(s); s.loader.exec_module(m); "
            "p = m.load(); assert m.synapse_numbers(p).sum() == 298880968; "
            "bad = [k for k in sys.modules if k.split('.')[0] in ('jax', 'brainpy', 'multiarea', 'taichi')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-I", "-c", code], check=True, cwd="/")
