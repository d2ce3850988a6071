"""``import-mam``: the multi-area model computed by the authors' code, run without NEST.

A synthetic checkout of INM-6/multi-area-model (two areas; B lacks L4 as TH
does) holds a fake ``multiarea_model`` package with what the importer uses
of the real one: ``MultiAreaModel(network_params)`` and its ``area_list``,
``structure``, ``structure_vec``, ``N``, ``synapses``, ``W``, ``W_sd``, ``K``,
``distances``, ``add_DC_drive``, ``params``, ``label``, and
``default_params.sim_params``.  It imports ``nest`` and ``config`` and calls
``numpy.in1d`` as the real package does, so the importer's stubs are tested
too.  The expected numbers below are computed by hand from its constants.

With ``MULTIAREA_MAM_REPO`` pointing at a real checkout, the last tests
import the real model (v1.2.0: 4,129,924 neurons, 24,126,516,728 synapses).
"""
import json
import math
import os
import re
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from multiarea.cli import main
from multiarea.projections.rules import FixedTotalNumber, TruncatedNormal
from multiarea.schmidt2018 import importer, load_mam, read_mam
from multiarea.schmidt2018.import_mam import import_mam, model_arrays

# -- the synthetic checkout -----------------------------------------------------------------
KEYS = ["A/23E", "A/23I", "A/4E", "B/23E", "B/23I"]
N_FULL = np.array([1000.7, 250.2, 800.9, 600.5, 150.5])
#: K_stable[target, source]: in-degrees (inter-area from I sources 0, as in the real model;
#: B/23I <- A/4E 0.0004: 0.06 synapses, truncated to none)
K_STABLE = np.array([[100.0, 50.0, 80.0, 20.0, 0.0],
                     [90.0, 40.0, 70.0, 10.5, 0.0],
                     [60.0, 30.0, 20.0, 0.0, 0.0],
                     [30.0, 0.0, 5.0, 120.0, 60.0],
                     [12.0, 0.0, 0.0004, 110.0, 50.0]])
K_EXT = 2000.0
DISTANCE = 7.0  # mm between A and B
W_E, W_EXT = 100.0, 90.0  # pA; W_I = 10 g

FAKE_DEFAULT_PARAMS = '''
import nest
from config import base_path

sim_params = {"dt": 0.1, "rng_seed": 1, "t_sim": 10.0}
network_params = {"USING_NEST_3": "PrintNetwork" not in dir(nest)}
'''

FAKE_MODEL = '''
import json
import os
from collections import OrderedDict

import numpy as np
from config import base_path

from .default_params import network_params as defaults

KEYS = {keys!r}
N_FULL = np.array({n_full!r})


class MultiAreaModel:
    def __init__(self, network_spec):
        assert defaults["USING_NEST_3"], "the nest stub must read as NEST 3"
        assert np.in1d(np.array(["23E", "5E"]), ["23E"]).tolist() == [True, False]
        p = {{"N_scaling": 1.0, "K_scaling": 1.0, "fullscale_rates": None,
             "neuron_params": {{"neuron_model": "iaf_psc_exp", "V0_mean": -58.0, "V0_sd": 10.0,
                               "single_neuron_dict": {{"E_L": -65.0, "V_th": -50.0, "V_reset": -65.0, "C_m": 250.0,
                                                      "tau_m": 10.0, "tau_syn_ex": 0.5, "tau_syn_in": 0.5,
                                                      "t_ref": 2.0}}}},
             "delay_params": {{"delay_e": 1.5, "delay_i": 0.75, "delay_rel": 0.5, "interarea_speed": 3.5}},
             "input_params": {{"poisson_input": True, "rate_ext": 10.0}},
             "connection_params": {{"g": -16.0, "cc_weights_factor": 1.9, "cc_weights_I_factor": 2.0,
                                   "K_stable": None}}}}
        for k, v in network_spec.items():
            if isinstance(v, dict):
                p[k].update(v)
            else:
                p[k] = v
        self.params = p
        if p["connection_params"].get("raise"):
            raise KeyError("Unused key in custom parameter dictionary: raise")
        self.area_list = ["A", "B"]
        self.structure = OrderedDict([("A", ["23E", "23I", "4E"]), ("B", ["23E", "23I"])])
        self.structure_vec = [k.replace("/", "-") for k in KEYS]
        self.label = "fake" + str(len(json.dumps(p)))
        with open(os.path.join(base_path, "config_files", self.label + "_config"), "w") as f:
            json.dump(p, f)  # the real code writes its files into the checkout: here, into the copy
        K = np.load(p["connection_params"]["K_stable"])
        ns, ks = p["N_scaling"], p["K_scaling"]
        c = p["connection_params"]
        self.add_DC_drive = np.zeros(len(KEYS))
        if ks != 1.0:
            with open(p["fullscale_rates"]) as f:
                rates = json.load(f)
            self.add_DC_drive = (1.0 - np.sqrt(ks)) * np.array(
                [rates[k.split("/")[0]][k.split("/")[1]] for k in KEYS])
        self.N, self.K, self.synapses, self.W, self.W_sd = {{}}, {{}}, {{}}, {{}}, {{}}
        for i, ti in enumerate(KEYS):
            ta, tp = ti.split("/")
            self.N.setdefault(ta, {{}})[tp] = N_FULL[i] * ns
            k_ext = {k_ext!r} * ks
            self.K.setdefault(ta, {{}})[tp] = {{"external": {{"external": k_ext}}}}
            syn = self.synapses.setdefault(ta, {{}}).setdefault(tp, {{}})
            w = self.W.setdefault(ta, {{}}).setdefault(tp, {{"external": {{"external": {w_ext!r} / np.sqrt(ks)}}}})
            w_sd = self.W_sd.setdefault(ta, {{}}).setdefault(tp, {{}})
            for j, sj in enumerate(KEYS):
                sa, sp = sj.split("/")
                syn.setdefault(sa, {{}})[sp] = K[i, j] * N_FULL[i] * ns * ks
                mean = {w_e!r} if "E" in sp else 10.0 * c["g"]
                if sa != ta:
                    mean *= c["cc_weights_factor"] * (c["cc_weights_I_factor"] if "I" in tp else 1.0)
                w.setdefault(sa, {{}})[sp] = mean / np.sqrt(ks)
                w_sd.setdefault(sa, {{}})[sp] = 0.1 * abs(mean)
        self.distances = {{"A": {{"A": 0.0, "B": {distance!r}}}, "B": {{"A": {distance!r}, "B": 0.0}}}}
'''


def _write_checkout(root: Path) -> Path:
    pkg = root / "multiarea_model"
    (pkg / "data_multiarea").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import default_params\nfrom .multiarea_model import MultiAreaModel\n")
    (pkg / "default_params.py").write_text(FAKE_DEFAULT_PARAMS)
    (pkg / "multiarea_model.py").write_text(FAKE_MODEL.format(keys=KEYS, n_full=N_FULL.tolist(), k_ext=K_EXT,
                                                              w_ext=W_EXT, w_e=W_E, distance=DISTANCE))
    (pkg / "data_multiarea" / "Model.py").write_text("# the data pipeline (not needed by the fake)\n")
    (root / "figures" / "SchueckerSchmidt2017").mkdir(parents=True)
    np.save(root / "figures" / "SchueckerSchmidt2017" / "K_prime_original.npy", K_STABLE)
    (root / "tests").mkdir()
    rates = {"A": {"23E": 1.0, "23I": 5.0, "4E": 3.0}, "B": {"23E": 2.0, "23I": 6.0}}
    (root / "tests" / "fullscale_rates.json").write_text(json.dumps(rates))
    return root


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    return _write_checkout(tmp_path_factory.mktemp("multi-area-model"))


def _files(root: Path) -> dict:
    return {p: p.stat().st_mtime_ns for p in root.rglob("*")}


@pytest.fixture(scope="module")
def ground_state(checkout, tmp_path_factory):
    before = _files(checkout)
    out = tmp_path_factory.mktemp("gs")
    result = import_mam(checkout, out)
    assert _files(checkout) == before, "the import must leave the checkout untouched"
    return out, result


# -- what the importer computes ---------------------------------------------------------------
def _expected_pairs(scale):
    """(pre, post, n) in NEST's connect order: each area's own pairs, then A <- B, B <- A."""
    area = [k.split("/")[0] for k in KEYS]
    order = [("A", "A"), ("B", "B"), ("A", "B"), ("B", "A")]
    out = []
    for ta, sa in order:
        for t in range(5):
            for s in range(5):
                n = int(K_STABLE[t, s] * N_FULL[t] * scale * scale)
                if area[t] == ta and area[s] == sa and n > 0:
                    out.append((s, t, n))
    return out


def test_populations_synapse_numbers_weights_and_delays_by_hand(ground_state):
    out, result = ground_state
    header, a = read_mam(out)
    assert list(a["area"]) == ["A", "A", "A", "B", "B"] and list(a["population"]) == ["23E", "23I", "4E", "23E", "23I"]
    assert a["size"].tolist() == [1000, 250, 800, 600, 150]          # int(N): truncated
    pairs = _expected_pairs(1.0)
    assert list(zip(a["pre"].tolist(), a["post"].tolist(), a["synapses"].tolist())) == pairs
    assert pairs[0] == (0, 0, 100070) and pairs[-1] == (0, 4, 1806)  # int(100 x 1000.7), int(12 x 150.5)
    assert (2, 4) not in [(s, t) for s, t, _ in pairs]                 # 0.06 synapses: none
    assert result["n_synapses"] == sum(n for *_, n in pairs) and result["n_neurons"] == 2800
    assert result["n_connections"] == len(pairs) == 18
    intra = a["area"][a["pre"]] == a["area"][a["post"]]
    from_e = np.char.find(a["population"][a["pre"]], "E") >= 0
    # weights: ground state chi = chi_I = 1 (the fake's own defaults are 1.9 / 2: the regime sets them)
    np.testing.assert_allclose(a["weight_mean"], np.where(from_e, W_E, 10.0 * -11.0))
    np.testing.assert_allclose(a["weight_sd"], 0.1 * np.abs(a["weight_mean"]))
    assert np.all(a["weight_low"][from_e | ~intra] == 0.0) and np.all(a["weight_high"][from_e | ~intra] == math.inf)
    assert np.all(a["weight_low"][~from_e & intra] == -math.inf) and np.all(a["weight_high"][~from_e & intra] == 0.0)
    # delays: 1.5 ms from E, 0.75 ms from I within an area; 7 mm / 3.5 mm/ms = 2 ms between; sd 0.5 x; low dt
    np.testing.assert_allclose(a["delay_mean"], np.where(intra, np.where(from_e, 1.5, 0.75), DISTANCE / 3.5))
    np.testing.assert_allclose(a["delay_sd"], 0.5 * a["delay_mean"])
    assert np.all(a["delay_low"] == 0.1)
    # Poisson drive: 10 Hz x K_ext, W_ext; no DC at full scale
    np.testing.assert_allclose(a["drive_rate_hz"], 10.0 * K_EXT)
    np.testing.assert_allclose(a["drive_weight"], W_EXT)
    assert np.all(a["I_e"] == 0.0)
    assert header["network"] == {"dt": 0.1, "seed": 1}
    assert header["initial_potential"] == {"mean": -150.0, "sd": 50.0}
    assert header["neuron"]["tau_syn_ex"] == 0.5 and header["neuron"]["C_m"] == 250.0
    assert header["model"]["regime"] == "ground-state" and header["model"]["scale"] == 1.0
    assert header["drive"]["delay"] == 1.0


def test_the_regime_parameters_reach_the_authors_code(ground_state, checkout):
    out, _ = ground_state
    params = json.loads((out / importer.PARAMETERS).read_text())
    c = params["connection_params"]
    assert (c["cc_weights_factor"], c["cc_weights_I_factor"], c["g"]) == (1.0, 1.0, -11.0)
    assert (c["fac_nu_ext_5E"], c["fac_nu_ext_6E"], c["fac_nu_ext_TH"], c["av_indegree_V1"]) == \
        (1.125, 1.41666667, 1.2, 3950.0)
    assert Path(c["K_stable"]) == (checkout / importer.STABLE_INDEGREES).resolve()
    assert params["neuron_params"]["V0_mean"] == -150.0 and params["input_params"]["rate_ext"] == 10.0


def test_licence_note_and_readme(ground_state):
    out, result = ground_state
    for name in ("LICENSE.md", "README.md"):
        text = (out / name).read_text()
        assert "INM-6/multi-area-model" in text and "CC BY-NC-SA 4.0" in text
    assert "MIT" in (out / "LICENSE.md").read_text()
    assert {p.name for p in result["paths"]} == {"LICENSE.md", "README.md", "mam.toml", "mam.npz",
                                                 "mam_parameters.json", "mam_import.log"}


def test_load_mam_builds_the_population_network(ground_state):
    out, _ = ground_state
    net = load_mam(out)
    assert list(net.index) == KEYS and [p.size for p in net.populations] == [1000, 250, 800, 600, 150]
    assert net.dt == 0.1 and net.seed == 1 and load_mam(out, seed=7).seed == 7
    pop = net.populations[0]
    assert pop.neuron.V_th == -50.0 and pop.neuron.t_ref == 2.0 and pop.neuron.I_e == 0.0
    assert (pop.V_init.mean, pop.V_init.sd, pop.V_init.low, pop.V_init.high) == (-150.0, 50.0, -math.inf, math.inf)
    c = net.connections[1]  # A/23I -> A/23E
    assert (c.pre, c.post) == ("A/23I", "A/23E") and isinstance(c.rule, FixedTotalNumber)
    assert c.rule.n == int(50.0 * 1000.7)
    assert isinstance(c.weight, TruncatedNormal)
    assert (c.weight.mean, c.weight.sd, c.weight.low, c.weight.high) == (-110.0, 11.0, -math.inf, 0.0)
    assert (c.delay.mean, c.delay.sd, c.delay.low) == (0.75, 0.375, 0.1)
    inter = [c for c in net.connections if c.pre.split("/")[0] != c.post.split("/")[0]]
    assert inter[0].pre == "B/23E" and inter[0].post == "A/23E" and inter[0].delay.mean == pytest.approx(2.0)
    assert [(d.target, d.rate_hz, d.weight, d.delay) for d in net.drives] == [(k, 20000.0, 90.0, 1.0) for k in KEYS]
    assert net.excitatory_populations() == ("A/23E", "A/4E", "B/23E")


def test_scaled_metastable_state(checkout, tmp_path):
    scale = 0.1
    result = import_mam(checkout, tmp_path, scale=scale, regime="metastable")
    _, a = read_mam(tmp_path)
    assert a["size"].tolist() == [int(n * scale) for n in N_FULL] == [100, 25, 80, 60, 15]
    pairs = _expected_pairs(scale)                 # K and N both scaled: synapses x scale**2, truncated
    assert list(zip(a["pre"].tolist(), a["post"].tolist(), a["synapses"].tolist())) == pairs
    assert result["n_synapses"] == sum(n for *_, n in pairs)
    intra = a["area"][a["pre"]] == a["area"][a["post"]]
    to_i = np.char.find(a["population"][a["post"]], "I") >= 0
    from_e = np.char.find(a["population"][a["pre"]], "E") >= 0
    chi = np.where(intra, 1.0, 1.9 * np.where(to_i, 2.0, 1.0))
    mean_full = np.where(from_e, W_E, -110.0) * chi
    np.testing.assert_allclose(a["weight_mean"], mean_full / np.sqrt(scale))   # their scale_network
    np.testing.assert_allclose(a["weight_sd"], 0.1 * np.abs(mean_full))        # W_sd is not rescaled
    np.testing.assert_allclose(a["drive_rate_hz"], 10.0 * K_EXT * scale)
    np.testing.assert_allclose(a["drive_weight"], W_EXT / np.sqrt(scale))
    np.testing.assert_allclose(a["I_e"], (1 - np.sqrt(scale)) * np.array([1.0, 5.0, 3.0, 2.0, 6.0]))
    params = json.loads((tmp_path / importer.PARAMETERS).read_text())
    assert params["connection_params"]["cc_weights_factor"] == 1.9
    assert params["network_params"]["N_scaling"] == params["network_params"]["K_scaling"] == scale
    assert Path(params["network_params"]["fullscale_rates"]) == (checkout / importer.FULLSCALE_RATES).resolve()


def test_cli_imports_and_runs_the_model(checkout, tmp_path, capsys):
    assert main(["import-mam", str(checkout), "--out", str(tmp_path / "mam"), "--scale", "0.1",
                 "--regime", "metastable"]) == 0
    out = capsys.readouterr().out
    assert "5 populations, 280 neurons" in out and "CC BY-NC-SA 4.0" in out
    assert main(["run", str(tmp_path / "mam"), "--duration", "30", "--transient", "30", "--quiet",
                 "--out", str(tmp_path / "run")]) == 0
    import pandas as pd

    stats = pd.read_csv(tmp_path / "run" / "population_stats.csv")
    assert stats["population"].tolist() == ["23E", "23I", "4E", "23E", "23I"]
    assert (stats["rate_hz"] > 0).all()  # driven far above threshold: every population fires
    assert main(["run", str(tmp_path / "mam"), "--scale", "0.5", "--out", str(tmp_path / "run")]) == 2
    assert "--scale do not apply to an imported multi-area model" in capsys.readouterr().err
    # the figures of the run: a raster of chosen areas, the area x population rate matrix
    figs = tmp_path / "figs"
    assert main(["figure", "mam", "raster", "--run", str(tmp_path / "run"), "--show", "B,A", "--out", str(figs)]) == 0
    assert main(["figure", "mam", "rates", "--run", str(tmp_path / "run"), "--start", "10", "--out", str(figs)]) == 0
    assert main(["figure", "mam", "traces", "--run", str(tmp_path / "run"), "--show", "A", "--out", str(figs)]) == 0
    for name in ("mam_raster.png", "mam_rates.png", "mam_traces.png"):
        assert (figs / name).stat().st_size > 5000, name
    drawn = pd.read_csv(figs / "mam_rates.csv")
    assert drawn.area.tolist() == ["A", "A", "A", "B", "B"] and (drawn.rate_hz > 0).all()
    capsys.readouterr()
    for argv, match in ((["raster", "--out", str(figs)], "needs --run RUN_DIR"),
                        (["raster", "--run", str(tmp_path / "run"), "--show", "V1", "--out", str(figs)],
                         r"areas must name areas of the record \(A, B\), got \['V1'\]"),
                        (["rates", "--run", str(tmp_path / "run"), "--published", str(tmp_path / "nowhere"),
                          "--out", str(figs)], "BrainsOnBoard/procedural_paper"),
                        (["spectrum", "--run", str(tmp_path / "run"), "--out", str(figs)],
                         "panel must be one of"),
                        (["raster", "--run", str(tmp_path / "run"), "--seed", "3", "--out", str(figs)],
                         "--seed do not apply"),
                        (["raster", "--run", str(tmp_path / "nowhere"), "--out", str(figs)], "nowhere")):
        assert main(["figure", "mam", *argv]) == 2, argv
        assert re.search(match, capsys.readouterr().err), (argv, match)
    assert main(["figure", "joglekar2018", "5E", "--run", str(tmp_path / "run"), "--out", str(figs)]) == 2
    assert "--run apply to 'multiarea figure mam' only" in capsys.readouterr().err


def test_two_processes_give_the_spikes_of_one(ground_state, tmp_path):
    """The imported model split over 2 processes (jax.distributed, one device
    each: its populations, their rings and the whole-step kernel on them) gives
    the one-process kernel's spikes (issue 20, item 6)."""
    import multiarea as ma
    from _processes import run_two_processes

    folder, _ = ground_state
    one = ma.simulate_populations(load_mam(folder), 40.0, progress_bar=False)
    two = run_two_processes(["--model", str(folder), "--duration", "40"], tmp_path)
    assert one.steps.size > 100
    np.testing.assert_array_equal(two.steps, one.steps)
    np.testing.assert_array_equal(two.neurons, one.neurons)


def test_rate_matrix_beside_the_published_one():
    import matplotlib.pyplot as plt
    import pandas as pd

    from multiarea.schmidt2018.figures import rate_matrix

    ours = pd.DataFrame(dict(area=["V1", "V1", "TH"], population=["4E", "5E", "5E"], rate_hz=[3.0, 8.0, 0.0]))
    published = pd.DataFrame(dict(simulator=["nest", "nest", "genn"], area=["V1", "TH", "V1"],
                                  population=["5E", "5E", "5E"], rate_hz=[8.1, 2.0, 7.9]))
    fig = rate_matrix(ours, published)
    assert [ax.get_title() for ax in fig.axes[:3]] == ["multiarea", "NEST (published)", "area x population means"]
    nest = fig.axes[1].images[0].get_array()
    assert nest.shape == (2, 2) and np.ma.is_masked(nest[0, 0]) and nest[0, 1] == pytest.approx(8.1)
    alone = rate_matrix(ours)
    assert len(alone.axes) == 2  # the run's matrix and its colour bar
    plt.close(fig)
    plt.close(alone)


def test_rate_traces_are_area_rates():
    import matplotlib.pyplot as plt

    from multiarea.schmidt2018.figures import rate_traces
    from multiarea.spiking.recording import SpikeRecord

    # area A: 2 + 2 neurons; 4 spikes in the first 10 ms, none after; area B: 1 spike per 10 ms
    steps = np.array([0, 3, 50, 99, 5, 105, 205, 305])
    neurons = np.array([0, 1, 2, 3, 4, 4, 4, 4])
    order = np.argsort(steps, kind="stable")
    record = SpikeRecord(steps[order], neurons[order], 400, 0.1, ("A/E", "A/I", "B/E"), np.array([0, 2, 4]),
                         np.array([2, 2, 1]))
    fig = rate_traces(record, ["A", "B"], bin_ms=10.0)
    a, b = (ax.lines[0].get_ydata() for ax in fig.axes)
    np.testing.assert_allclose(a, [100.0, 0, 0, 0])  # 4 spikes / 4 neurons / 10 ms
    np.testing.assert_allclose(b, [100.0, 100.0, 100.0, 100.0])
    np.testing.assert_allclose(fig.axes[0].lines[0].get_xdata(), [5, 15, 25, 35])
    plt.close(fig)
    with pytest.raises(ValueError, match="areas must name areas"):
        rate_traces(record, ["C"])
    with pytest.raises(ValueError, match="bin_ms = 50.0 is longer than the interval"):
        rate_traces(record, ["A"], bin_ms=50.0)


# -- errors ------------------------------------------------------------------------------------
def test_a_folder_that_is_not_a_checkout(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="no folder at .*nowhere"):
        import_mam(tmp_path / "nowhere", tmp_path / "out")
    (tmp_path / "multiarea_model").mkdir()
    with pytest.raises(ValueError, match="is not a checkout of INM-6/multi-area-model: missing "
                                         "multiarea_model/__init__.py"):
        import_mam(tmp_path, tmp_path / "out")
    assert main(["import-mam", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "is not a checkout of INM-6/multi-area-model" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(regime="resting"), ValueError, r"regime must be one of \['ground-state', 'metastable'\]"),
    (dict(scale=0.0), ValueError, "scale must be > 0"),
    (dict(scale=1.5), ValueError, r"scale must be in \(0, 1\]"),
    (dict(scale=0.5, fullscale_rates="/nonexistent/rates.json"), FileNotFoundError, "no full-scale rates file"),
    (dict(fullscale_rates="rates.json"), ValueError, "applies to a scaled network"),
    (dict(scale=0.001), ValueError, r"population\(s\) \['A/23I'.* have 0 neurons"),
    (dict(overrides={"connection_params": {"raise": True}}), RuntimeError,
     "(?s)the multi-area model's code failed.*Unused key in custom parameter dictionary"),
    (dict(python="/nonexistent/python3"), FileNotFoundError, "no Python interpreter at /nonexistent/python3"),
])
def test_bad_arguments_name_the_problem(checkout, tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        import_mam(checkout, tmp_path / "out", **kwargs)


def test_missing_stabilised_indegrees_and_out_a_file(tmp_path):
    repo = _write_checkout(tmp_path / "repo")
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="exists and is not a folder"):
        import_mam(repo, tmp_path / "file")
    (repo / importer.STABLE_INDEGREES).unlink()
    with pytest.raises(FileNotFoundError, match="K_prime_original.npy"):
        import_mam(repo, tmp_path / "out")


def test_a_python_without_the_authors_dependencies(checkout, tmp_path):
    wrapper = tmp_path / "python-bare"   # no site-packages: no numpy, nested_dict, dicthash, ...
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(ModuleNotFoundError, match=r"needs Python module\(s\) \['numpy', .*'dicthash'\].*pip install"):
        import_mam(checkout, tmp_path / "out", python=wrapper)


def test_provenance_names_the_commit_of_a_git_checkout_only(tmp_path):
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["init", "-q"], check=True)
    (repo / "f").write_text("x")
    subprocess.run(git + ["add", "f"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "c"], check=True)
    head = subprocess.run(git + ["rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    assert importer._git(repo, "rev-parse", "HEAD") == head
    (repo / "sub").mkdir()
    assert importer._git(repo / "sub", "rev-parse", "HEAD") is None   # inside another repository: not its commit
    assert importer._git(tmp_path, "rev-parse", "HEAD") is None


def _raw(**changes):
    raw = {"neuron_params": {"neuron_model": "iaf_psc_exp", "single_neuron_dict": {"C_m": 250.0},
                             "V0_mean": -150.0, "V0_sd": 50.0},
           "input_params": {"poisson_input": True, "rate_ext": 10.0},
           "delay_params": {"delay_e": 1.5, "delay_i": 0.75, "delay_rel": 0.5, "interarea_speed": 3.5},
           "sim_params": {"dt": 0.1, "rng_seed": 1}, "areas": ["A"], "structure": {"A": ["E", "I"]},
           "populations": {k: {"N": 10.0, "I_e": 0.0, "K_ext": 1.0, "W_ext": 1.0} for k in ("A/E", "A/I")},
           "pairs": {t: {s: [5.0, 1.0 if s == "A/E" else -1.0, 0.1] for s in ("A/E", "A/I")} for t in ("A/E", "A/I")},
           "distances": {"A": {}}}
    for path, value in changes.items():
        d = raw
        *head, last = path.split(".")
        for k in head:
            d = d[k]
        d[last] = value
    return raw


@pytest.mark.parametrize("changes, match", [
    ({"neuron_params.neuron_model": "aeif_cond_exp"}, "neuron_model must be 'iaf_psc_exp'"),
    ({"neuron_params.single_neuron_dict": {"g_L": 10.0}}, r"lacks: \['g_L'\]"),
    ({"input_params.poisson_input": False}, "poisson_input = False is not supported"),
    ({"structure": {"A": ["E", "X"]}, "populations": {"A/E": {"N": 10.0, "I_e": 0.0, "K_ext": 1.0, "W_ext": 1.0},
                                                      "A/X": {"N": 10.0, "I_e": 0.0, "K_ext": 1.0, "W_ext": 1.0}},
      "pairs": {t: {s: [5.0, 1.0, 0.1] for s in ("A/E", "A/X")} for t in ("A/E", "A/X")}}, "neither E nor I"),
    ({"pairs.A/E.A/I": [-3.0, -1.0, 0.1]}, "negative synapse number"),
])
def test_models_multiarea_cannot_run_are_refused(changes, match):
    with pytest.raises(ValueError, match=match):
        model_arrays(_raw(**changes))


def test_model_arrays_of_a_minimal_raw_model():
    a = model_arrays(_raw())
    assert a["synapses"].tolist() == [5, 5, 5, 5] and a["pre"].tolist() == [0, 1, 0, 1]
    assert a["weight_low"].tolist() == [0.0, -math.inf, 0.0, -math.inf]


def test_load_mam_checks_the_folder(ground_state, tmp_path):
    with pytest.raises(FileNotFoundError, match="has no mam.toml"):
        load_mam(tmp_path)
    src, _ = ground_state
    header = (src / "mam.toml").read_text()
    (tmp_path / "mam.toml").write_text(header)
    with pytest.raises(FileNotFoundError, match="the arrays file mam.npz named in mam.toml is missing"):
        load_mam(tmp_path)
    (tmp_path / "mam.toml").write_text(header.replace("format_version = 1", "format_version = 9"))
    with pytest.raises(ValueError, match="format_version 9 is not supported"):
        load_mam(tmp_path)
    arrays = dict(np.load(src / "mam.npz"))
    (tmp_path / "mam.toml").write_text(header)
    np.savez(tmp_path / "mam.npz", **{k: v for k, v in arrays.items() if k != "delay_sd"})
    with pytest.raises(ValueError, match=r"missing array\(s\) \['delay_sd'\]"):
        load_mam(tmp_path)
    np.savez(tmp_path / "mam.npz", **dict(arrays, post=arrays["post"] + 3))
    with pytest.raises(ValueError, match=r"post indices must be in \[0, 5\)"):
        load_mam(tmp_path)
    np.savez(tmp_path / "mam.npz", **dict(arrays, weight_sd=arrays["weight_sd"][:-1]))
    with pytest.raises(ValueError, match="must be 1-d of one length"):
        load_mam(tmp_path)


# -- a real checkout ---------------------------------------------------------------------------
REAL = os.environ.get("MULTIAREA_MAM_REPO")
real = pytest.mark.skipif(not REAL, reason="set MULTIAREA_MAM_REPO to a checkout of INM-6/multi-area-model")


@real
def test_real_checkout_full_scale_numbers(tmp_path):
    gs = import_mam(REAL, tmp_path / "gs")
    ms = import_mam(REAL, tmp_path / "ms", regime="metastable")
    for r in (gs, ms):
        assert (r["n_populations"], r["n_neurons"]) == (254, 4_129_924)
        assert r["n_synapses"] == 24_126_516_728 and r["n_connections"] == 8344
    _, a = read_mam(tmp_path / "gs")
    _, b = read_mam(tmp_path / "ms")
    inter = a["area"][a["pre"]] != a["area"][a["post"]]
    to_i = np.char.find(a["population"][a["post"]], "I") >= 0
    np.testing.assert_allclose(b["weight_mean"][inter], a["weight_mean"][inter] * np.where(to_i[inter], 3.8, 1.9))
    np.testing.assert_allclose(b["weight_mean"][~inter], a["weight_mean"][~inter])
    assert np.all(a["I_e"] == 0.0)
    np.testing.assert_allclose(sorted(set(np.round(a["weight_mean"][~inter], 6))), [-965.893429, 87.808494, 175.616987])


@real
def test_real_checkout_at_one_percent_runs(tmp_path):
    import multiarea as ma

    result = import_mam(REAL, tmp_path, scale=0.01)
    assert result["n_neurons"] == 41_174 and result["n_synapses"] == 2_409_156
    net = load_mam(tmp_path)
    record = ma.simulate_populations(net, 50.0, progress_bar=False)
    assert record.steps.size > 0
