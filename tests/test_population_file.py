"""Population networks as TOML: the bundled example runs, a dump reads back
into the same network, and every bad key or value is named."""
from pathlib import Path

import numpy as np
import pytest

from multiarea.potjans2014.network import build_network
from multiarea.spiking.population_file import dump_population_network, load_population_network
from multiarea.spiking.runners.population_kernel import PopulationKernelRunner

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "three_populations.toml"


def test_example_file_builds_the_three_population_area():
    net = load_population_network(EXAMPLE)
    assert list(net.index) == ["V1/Pyr", "V1/PV", "V1/SOM"]
    assert [p.size for p in net.populations] == [4000, 600, 400]
    assert net.populations[1].neuron.tau_m == 10.0 and net.populations[0].neuron.tau_syn_in == 2.0
    assert net.excitatory_populations() == ("V1/Pyr",)
    assert [type(c.rule).__name__ for c in net.connections][:3] == ["FixedIndegree", "FixedProbability",
                                                                    "FixedTotalNumber"]


def test_dump_reads_back_into_the_same_network(tmp_path):
    net = build_network(0.02, seed=3)
    again = load_population_network(dump_population_network(net, tmp_path / "pd.toml"))
    assert np.array_equal(PopulationKernelRunner(net).run(200), PopulationKernelRunner(again).run(200))


@pytest.mark.parametrize("text, match", [
    ("[network]\ndt = 0.1\n", r"missing key\(s\) \['population'\]"),
    ('[[population]]\nname = "E"\nsize = 10\ncolour = "red"\n', r"\[\[population\]\] 0: unknown key\(s\) \['colour'\]"),
    ('[netwrk]\n[[population]]\nname = "E"\nsize = 10\n', r"unknown key\(s\) \['netwrk'\]"),
    ('[[population]]\nname = "E"\nsize = -4\n', r"size must be an int >= 1, got -4"),
    ('[[population]]\nname = "E"\nsize = 10\nneuron = "pyr"\n', r"unknown neuron 'pyr'"),
    ('[neurons.a]\ntau = 3.0\n[[population]]\nname = "E"\nsize = 10\n', r"\[neurons.a\]: unknown key\(s\) \['tau'\]"),
    ('[[population]]\nname = "E"\nsize = 10\n[[connection]]\npre = "E"\npost = "F"\nrule = { fixed_indegree = 2 }\n'
     'weight = 1.0\n', r"unknown post population of connection 0 'F'"),
    ('[[population]]\nname = "E"\nsize = 10\n[[connection]]\npre = "E"\npost = "E"\nrule = { fixed_prob = 0.1 }\n'
     'weight = 1.0\n', r"\[\[connection\]\] 0 rule: unknown key\(s\) \['fixed_prob'\]"),
    ('[[population]]\nname = "E"\nsize = 10\n[[connection]]\npre = "E"\npost = "E"\n'
     'rule = { fixed_probability = 1.2 }\nweight = 1.0\n', r"p must be in \[0, 1\], got 1.2"),
    ('[[population]]\nname = "E"\nsize = 10\n[[connection]]\npre = "E"\npost = "E"\n'
     'rule = { fixed_indegree = 2 }\nweight = { mean = 1.0 }\n', r"weight: missing key\(s\) \['sd'\]"),
    ('[[population]]\nname = "E"\nsize = 10\n[[connection]]\npre = "E"\npost = "E"\n'
     'rule = { fixed_indegree = 2 }\nweight = 1.0\ndelay = -1.0\n', r"delay must be >= dt / 2"),
    ("population = [", "is not valid TOML"),
])
def test_bad_files_name_the_problem(tmp_path, text, match):
    path = tmp_path / "net.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_population_network(path)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no population model file at .*nowhere.toml"):
        load_population_network(tmp_path / "nowhere.toml")


def test_noise_drive_round_trip(tmp_path):
    import multiarea as ma

    net = ma.PopulationNetwork([ma.Population("E", 50, ma.IafPscExp(I_e=300.0))],
                               drives=[ma.NoiseDrive("E", 10.0, 2000.0)], dt=0.1, seed=5)
    path = dump_population_network(net, tmp_path / "noise.toml")
    assert "[[noise]]" in path.read_text()
    again = load_population_network(path)
    words = PopulationKernelRunner(net).run(300)
    assert words.any() and np.array_equal(words, PopulationKernelRunner(again).run(300))
