"""Population networks as TOML: :func:`load_population_network` / :func:`dump_population_network`.

The Python objects (``spiking.populations``) are the API; this is their
serialisation.  A file (every key checked: an unknown one is an error naming
its table)::

    [network]
    dt = 0.1          # ms
    seed = 1

    [neurons.pyramidal]            # named parameter sets
    model = "iaf_psc_exp"
    C_m = 250.0                    # any IafPscExp parameter; the rest default
    tau_m = 10.0

    [neurons.brian]
    model = "lif_delta"            # any LifDelta parameter
    sigma = 3.0
    refractory_timing = "legacy"

    [[population]]
    area = "A"                     # optional
    name = "E"
    size = 800
    neuron = "pyramidal"
    I_e = 300.0                    # optional: overrides the neuron set's I_e (V_ext for lif_delta)
    V_init = { mean = -58.0, sd = 10.0 }   # or a float (mV), or one per neuron: [-58.0, -61.2, ...]
    noise_stream = [7, 0]          # optional, lif_delta: (seed, first index) of its membrane noise

    [[connection]]
    pre = "A/E"
    post = "A/E"
    rule = { fixed_total_number = 8000 }   # or fixed_probability = p, fixed_indegree = k,
                                           # fixed_probability_v0 = { p = 0.1, seed = 1, proj_id = 0 }
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

import numpy as np

from ..data.io import read_toml
from ..projections.rules import FixedIndegree, FixedProbability, FixedProbabilityV0, FixedTotalNumber, TruncatedNormal
from .iaf_psc_exp import IafPscExp
from .lif_delta import LifDelta
from .populations import Connection, NoiseDrive, PoissonDrive, Population, PopulationNetwork

__all__ = ["load_population_network", "dump_population_network", "is_population_file"]

_RULES = {"fixed_probability": FixedProbability, "fixed_total_number": FixedTotalNumber,
          "fixed_indegree": FixedIndegree, "fixed_probability_v0": FixedProbabilityV0}
_MODELS = {"iaf_psc_exp": IafPscExp, "lif_delta": LifDelta}
#: the drive parameter a population may override, per model
_DRIVE = {IafPscExp: "I_e", LifDelta: "V_ext"}


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
        model = table.get("model", "iaf_psc_exp")
        if model not in _MODELS:
            raise ValueError(f"[neurons.{name}]: model must be one of {list(_MODELS)}, got {model!r}")
        _check_keys(table, ("model",) + _MODELS[model].PARAMETERS, f"[neurons.{name}]")
        neurons[name] = _MODELS[model](**{k: v for k, v in table.items() if k != "model"})
    pops = []
    for i, table in enumerate(spec["population"]):
        where = f"[[population]] {i}"
        _check_keys(table, ("area", "name", "size", "neuron", "I_e", "V_init", "noise_stream"), where,
                    required=("name", "size"))
        neuron_name = table.get("neuron")
        if neuron_name is not None and neuron_name not in neurons:
            raise ValueError(f"{where}: unknown neuron {neuron_name!r}; [neurons] defines {sorted(neurons)}")
        neuron = neurons[neuron_name] if neuron_name is not None else IafPscExp()
        if "I_e" in table:
            neuron = neuron.replace(**{_DRIVE[type(neuron)]: table["I_e"]})
        V_init = table.get("V_init")
        stream = table.get("noise_stream")
        pops.append(Population(table["name"], table["size"], neuron, area=table.get("area"),
                               V_init=V_init if isinstance(V_init, list) else _normal(V_init, f"{where} V_init"),
                               noise_stream=tuple(stream) if isinstance(stream, list) else stream))
    conns = []
    for i, table in enumerate(spec.get("connection", [])):
        where = f"[[connection]] {i}"
        _check_keys(table, ("pre", "post", "rule", "weight", "delay"), where, required=("pre", "post", "rule", "weight"))
        rule = table["rule"]
        _check_keys(rule, tuple(_RULES), f"{where} rule")
        if len(rule) != 1:
            raise ValueError(f"{where} rule: give exactly one of {list(_RULES)}, got {rule!r}")
        (kind, value), = rule.items()
        if kind == "fixed_probability_v0":
            _check_keys(value, ("p", "seed", "proj_id"), f"{where} rule fixed_probability_v0",
                        required=("p", "seed", "proj_id"))
            made = FixedProbabilityV0(value["p"], seed=value["seed"], proj_id=value["proj_id"])
        else:
            made = _RULES[kind](value)
        conns.append(Connection(table["pre"], table["post"], made,
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
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_value(x.item() if isinstance(x, np.generic) else x) for x in v) + "]"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, float):
        return "inf" if v == math.inf else "-inf" if v == -math.inf else repr(v)
    return str(v)


def dump_population_network(net: PopulationNetwork, path) -> Path:
    """Write ``net`` as a TOML file that :func:`load_population_network` reads
    back into the same network (same spikes for the same seed)."""
    lines = ["[network]", f"dt = {_value(net.dt)}", f"seed = {net.seed}", ""]
    # one [neurons.*] set per distinct parameter set but the drive (I_e / V_ext stays per population)
    shared = [(type(p.neuron),) + tuple((k, getattr(p.neuron, k)) for k in p.neuron.PARAMETERS
                                        if k != _DRIVE[type(p.neuron)]) for p in net.populations]
    neuron_names = {}
    for params in shared:
        if params not in neuron_names:
            neuron_names[params] = f"n{len(neuron_names)}"
            model = {m: name for name, m in _MODELS.items()}[params[0]]
            lines += [f"[neurons.{neuron_names[params]}]", f'model = "{model}"']
            lines += [f"{k} = {_value(float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)}"
                      for k, v in params[1:]] + [""]
    for p, params in zip(net.populations, shared):
        lines += ["[[population]]"] + ([f"area = {_value(p.area)}"] if p.area is not None else [])
        lines += [f"name = {_value(p.name)}", f"size = {int(p.size)}", f'neuron = "{neuron_names[params]}"',
                  f"I_e = {_value(float(getattr(p.neuron, _DRIVE[type(p.neuron)])))}"]
        if p.V_init is not None:
            v = p.V_init if isinstance(p.V_init, TruncatedNormal) else \
                [float(x) for x in np.asarray(p.V_init, np.float64)] if np.ndim(p.V_init) else float(p.V_init)
            lines.append(f"V_init = {_value(v)}")
        lines += [f"noise_stream = {_value(list(p.noise_stream))}"] if p.noise_stream is not None else []
        lines.append("")
    for c in net.connections:
        if isinstance(c.rule, FixedProbabilityV0):
            rule = (f"fixed_probability_v0 = {{ p = {_value(c.rule.p)}, seed = {c.rule.seed}, "
                    f"proj_id = {c.rule.proj_id} }}")
        else:
            kind, field = {FixedProbability: ("fixed_probability", "p"), FixedTotalNumber: ("fixed_total_number", "n"),
                           FixedIndegree: ("fixed_indegree", "k")}[type(c.rule)]
            rule = f"{kind} = {_value(getattr(c.rule, field))}"
        lines += ["[[connection]]", f"pre = {_value(c.pre)}", f"post = {_value(c.post)}", f"rule = {{ {rule} }}",
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
