"""Population networks as TOML: :func:`load_population_network` / :func:`dump_population_network`.

The Python objects (``spiking.populations``) are the API; this is their
serialisation.  A file (every key checked: an unknown one is an error naming
its table)::

    [network]
    dt = 0.1          # ms
    seed = 1

    [neurons.pyramidal]            # named iaf_psc_exp parameter sets
    model = "iaf_psc_exp"
    C_m = 250.0                    # any IafPscExp parameter; the rest default
    tau_m = 10.0

    [[population]]
    area = "A"                     # optional
    name = "E"
    size = 800
    neuron = "pyramidal"
    I_e = 300.0                    # optional: overrides the neuron set's I_e
    V_init = { mean = -58.0, sd = 10.0 }   # or a float (mV)

    [[connection]]
    pre = "A/E"
    post = "A/E"
    rule = { fixed_total_number = 8000 }   # or fixed_probability = p, fixed_indegree = k
    weight = { mean = 87.8, sd = 8.8, sign_kept = true }  # or a float (pA); or low/high bounds
    delay = { mean = 1.5, sd = 0.75 }      # or a float (ms); optional low (ms)

    [[drive]]
    target = "A/E"
    rate_hz = 16000.0
    weight = 87.8
    delay = 1.5

    [[noise]]                      # a white-noise current (NoiseDrive)
    target = "A/E"
    mean = 0.0                     # pA
    std = 50.0                     # pA
"""
from __future__ import annotations

import math
from pathlib import Path

from ..data.io import read_toml
from ..projections.rules import FixedIndegree, FixedProbability, FixedTotalNumber, TruncatedNormal
from .iaf_psc_exp import IafPscExp
from .populations import Connection, NoiseDrive, PoissonDrive, Population, PopulationNetwork

__all__ = ["load_population_network", "dump_population_network", "is_population_file"]

_RULES = {"fixed_probability": FixedProbability, "fixed_total_number": FixedTotalNumber,
          "fixed_indegree": FixedIndegree}


def is_population_file(spec: dict) -> bool:
    """Whether a parsed TOML describes a population network."""
    return "population" in spec


def _check_keys(table: dict, allowed, where: str, required=()) -> None:
    if not isinstance(table, dict):
        raise ValueError(f"{where} must be a table, got {table!r}")
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; valid keys: {list(allowed)}")
    missing = [k for k in required if k not in table]
    if missing:
        raise ValueError(f"{where}: missing key(s) {missing}")


def _normal(value, where: str):
    if not isinstance(value, dict):
        return value
    _check_keys(value, ("mean", "sd", "low", "high", "sign_kept"), where, required=("mean", "sd"))
    if value.get("sign_kept"):
        if "low" in value or "high" in value:
            raise ValueError(f"{where}: give either sign_kept or low/high, not both")
        return TruncatedNormal.sign_kept(value["mean"], value["sd"])
    return TruncatedNormal(value["mean"], value["sd"], value.get("low", -math.inf), value.get("high", math.inf))


def load_population_network(path) -> PopulationNetwork:
    """Build the :class:`PopulationNetwork` a TOML file describes (module docstring).

    Raises:
        FileNotFoundError: no file at ``path`` (the message names it).
        ValueError: invalid TOML, an unknown or missing key (named with its
            table), or any invalid value (named by the object's own checks).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no population model file at {path}")
    spec = read_toml(path)
    _check_keys(spec, ("network", "neurons", "population", "connection", "drive", "noise"), str(path),
                required=("population",))
    network = spec.get("network", {})
    _check_keys(network, ("dt", "seed", "description"), "[network]")
    neurons = {}
    for name, table in spec.get("neurons", {}).items():
        _check_keys(table, ("model",) + IafPscExp.PARAMETERS, f"[neurons.{name}]")
        if table.get("model", "iaf_psc_exp") != "iaf_psc_exp":
            raise ValueError(f"[neurons.{name}]: model must be 'iaf_psc_exp', got {table['model']!r}")
        neurons[name] = IafPscExp(**{k: v for k, v in table.items() if k != "model"})
    pops = []
    for i, table in enumerate(spec["population"]):
        where = f"[[population]] {i}"
        _check_keys(table, ("area", "name", "size", "neuron", "I_e", "V_init"), where, required=("name", "size"))
        neuron_name = table.get("neuron")
        if neuron_name is not None and neuron_name not in neurons:
            raise ValueError(f"{where}: unknown neuron {neuron_name!r}; [neurons] defines {sorted(neurons)}")
        neuron = neurons[neuron_name] if neuron_name is not None else IafPscExp()
        if "I_e" in table:
            neuron = neuron.replace(I_e=table["I_e"])
        pops.append(Population(table["name"], table["size"], neuron, area=table.get("area"),
                               V_init=_normal(table.get("V_init"), f"{where} V_init")))
    conns = []
    for i, table in enumerate(spec.get("connection", [])):
        where = f"[[connection]] {i}"
        _check_keys(table, ("pre", "post", "rule", "weight", "delay"), where, required=("pre", "post", "rule", "weight"))
        rule = table["rule"]
        _check_keys(rule, tuple(_RULES), f"{where} rule")
        if len(rule) != 1:
            raise ValueError(f"{where} rule: give exactly one of {list(_RULES)}, got {rule!r}")
        (kind, value), = rule.items()
        conns.append(Connection(table["pre"], table["post"], _RULES[kind](value),
                                _normal(table["weight"], f"{where} weight"),
                                _normal(table.get("delay", 1.5), f"{where} delay")))
    drives = []
    for i, table in enumerate(spec.get("drive", [])):
        _check_keys(table, ("target", "rate_hz", "weight", "delay"), f"[[drive]] {i}",
                    required=("target", "rate_hz", "weight"))
        drives.append(PoissonDrive(table["target"], table["rate_hz"], table["weight"], table.get("delay", 1.0)))
    for i, table in enumerate(spec.get("noise", [])):
        _check_keys(table, ("target", "mean", "std"), f"[[noise]] {i}", required=("target", "std"))
        drives.append(NoiseDrive(table["target"], table.get("mean", 0.0), table["std"]))
    return PopulationNetwork(pops, conns, drives, dt=network.get("dt", 0.1), seed=network.get("seed", 0))


def _value(v) -> str:
    if isinstance(v, TruncatedNormal):
        parts = [f"mean = {_value(v.mean)}", f"sd = {_value(v.sd)}"]
        parts += [f"low = {_value(v.low)}"] if v.low != -math.inf else []
        parts += [f"high = {_value(v.high)}"] if v.high != math.inf else []
        return "{ " + ", ".join(parts) + " }"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, float):
        return "inf" if v == math.inf else "-inf" if v == -math.inf else repr(v)
    return str(v)


def dump_population_network(net: PopulationNetwork, path) -> Path:
    """Write ``net`` as a TOML file that :func:`load_population_network` reads
    back into the same network (same spikes for the same seed)."""
    lines = ["[network]", f"dt = {_value(net.dt)}", f"seed = {net.seed}", ""]
    # one [neurons.*] set per distinct parameter set but I_e (I_e stays per population)
    shared = [tuple((k, getattr(p.neuron, k)) for k in IafPscExp.PARAMETERS if k != "I_e") for p in net.populations]
    neuron_names = {}
    for params in shared:
        if params not in neuron_names:
            neuron_names[params] = f"n{len(neuron_names)}"
            lines += [f"[neurons.{neuron_names[params]}]", 'model = "iaf_psc_exp"']
            lines += [f"{k} = {_value(float(v))}" for k, v in params] + [""]
    for p, params in zip(net.populations, shared):
        lines += ["[[population]]"] + ([f"area = {_value(p.area)}"] if p.area is not None else [])
        lines += [f"name = {_value(p.name)}", f"size = {int(p.size)}", f'neuron = "{neuron_names[params]}"',
                  f"I_e = {_value(float(p.neuron.I_e))}"]
        lines += [f"V_init = {_value(p.V_init if isinstance(p.V_init, TruncatedNormal) else float(p.V_init))}"] \
            if p.V_init is not None else []
        lines.append("")
    for c in net.connections:
        rule = {FixedProbability: ("fixed_probability", "p"), FixedTotalNumber: ("fixed_total_number", "n"),
                FixedIndegree: ("fixed_indegree", "k")}[type(c.rule)]
        lines += ["[[connection]]", f"pre = {_value(c.pre)}", f"post = {_value(c.post)}",
                  f"rule = {{ {rule[0]} = {_value(getattr(c.rule, rule[1]))} }}",
                  f"weight = {_value(c.weight if isinstance(c.weight, TruncatedNormal) else float(c.weight))}",
                  f"delay = {_value(c.delay if isinstance(c.delay, TruncatedNormal) else float(c.delay))}", ""]
    for d in net.drives:
        if isinstance(d, NoiseDrive):
            lines += ["[[noise]]", f"target = {_value(d.target)}", f"mean = {_value(float(d.mean))}",
                      f"std = {_value(float(d.std))}", ""]
            continue
        lines += ["[[drive]]", f"target = {_value(d.target)}", f"rate_hz = {_value(float(d.rate_hz))}",
                  f"weight = {_value(float(d.weight))}", f"delay = {_value(float(d.delay))}", ""]
    path = Path(path)
    path.write_text("\n".join(lines))
    return path
