"""Declarative model descriptions (``models/*.toml``) and ``load_model``.

A model file has a ``[model]`` table (name, dataset, default regime), a
``[parameters]`` table shared by all regimes and ``[regimes.<name>]`` tables
that add or override parameters.  Users can write their own file and pass its
path to :func:`load_model`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import data as _data
from ..data import models_dir
from ..data.io import read_toml
from .network import MultiAreaNetwork

__all__ = ["Model", "load_model", "available_models"]

_LIF_PARAMS = ("V_rest", "V_reset", "V_th", "tau_ref", "sigma", "synapses_during_refractory",
               "refractory_timing")
_NETWORK_PARAMS = ("wEE", "wIE", "wEI", "wII", "muEE", "muIE", "alpha", "p", "speed",
                   "local_delay_ms", "delay_sd_fraction", "tau_E", "tau_I", "VextE", "VextI",
                   "seed", "dt")
_RUN_PARAMS = ("neurons_per_area", "excitatory_fraction", "n_areas", "duration_ms",
               "stimulus_area", "stimulus_population", "stimulus_mV", "stimulus_start_ms",
               "stimulus_duration_ms")
PARAMETERS = _LIF_PARAMS + _NETWORK_PARAMS + _RUN_PARAMS


def available_models() -> list[str]:
    """Names of the bundled (spiking) models :func:`load_model` loads."""
    return sorted(p.stem for p in models_dir().glob("*.toml") if _read(p)["model"].get("kind", "spiking") == "spiking")


@dataclass(frozen=True)
class Model:
    """A model with one regime and its parameters resolved.

    Attributes:
        name, regime: what was loaded.
        params: every parameter (name -> value), overrides applied.
        anatomy: the dataset, cut to ``params['n_areas']`` areas.
    """

    name: str
    regime: str
    params: dict = field(repr=False)
    anatomy: _data.Joglekar2018Data = field(repr=False)

    @property
    def dt(self) -> float:
        return float(self.params["dt"])

    @property
    def duration_ms(self) -> float:
        return float(self.params["duration_ms"])

    def build(self, backend=None) -> MultiAreaNetwork:
        """The network (a brainpy DynamicalSystem) for these parameters."""
        p = self.params
        n_E = int(round(p["neurons_per_area"] * p["excitatory_fraction"]))
        n_I = int(p["neurons_per_area"]) - n_E
        a = self.anatomy
        return MultiAreaNetwork(
            a.area_names, a.hierarchy, a.fln, a.distance_mm, n_E=n_E, n_I=n_I,
            lif={k: p[k] for k in _LIF_PARAMS}, backend=backend,
            **{k: p[k] for k in _NETWORK_PARAMS})

    def stimulus(self, net: MultiAreaNetwork):
        """The regime's stimulus as a ``bp.DSRunner`` input for ``net``."""
        p = self.params
        return net.step_input(p["stimulus_area"], p["stimulus_mV"], p["stimulus_start_ms"],
                              p["stimulus_duration_ms"], population=p["stimulus_population"])


def _read(path: Path) -> dict:
    spec = read_toml(path)
    for key in ("model", "parameters", "regimes"):
        if key not in spec:
            raise ValueError(f"{path} has no [{key}] table")
    return spec


def load_model(name: str = "joglekar2018", regime: str | None = None, **overrides) -> Model:
    """Load a model description and resolve one regime.

    Args:
        name: a bundled model (see :func:`available_models`) or a path to a
            TOML file.
        regime: a regime of the model (default: the file's ``default_regime``).
        **overrides: parameter values replacing the file's, e.g. ``n_areas=8``,
            ``duration_ms=500``, ``seed=3``, ``muEE=0.04``.

    Raises:
        ValueError: unknown model, regime or parameter (the message lists the
            valid names).
    """
    path = Path(name)
    if path.suffix != ".toml":
        path = models_dir() / f"{name}.toml"
        if not path.is_file():
            raise ValueError(f"unknown model {name!r}; available: {available_models()}")
    elif not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    spec = _read(path)
    if spec["model"].get("kind", "spiking") != "spiking":
        raise ValueError(f"{spec['model'].get('name', name)!r} is a {spec['model']['kind']} model: load it with "
                         f"multiarea.joglekar2018.rate_model.load_rate_model, or draw it with "
                         f"'multiarea figure joglekar2018-rate PANEL'")
    regimes = spec["regimes"]
    regime = regime or spec["model"].get("default_regime")
    if regime not in regimes:
        raise ValueError(f"unknown regime {regime!r} for model {spec['model'].get('name', name)!r}; "
                         f"valid regimes: {sorted(regimes)}")
    params = {**spec["parameters"], **regimes[regime]}
    dataset = spec["model"].get("data")
    if dataset != "joglekar2018":
        raise ValueError(f"{path}: unsupported dataset {dataset!r} (supported: 'joglekar2018')")
    anatomy = _data.joglekar2018()
    params.setdefault("n_areas", anatomy.n_areas)
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"{path}: unknown parameter(s) {unknown}; valid: {sorted(PARAMETERS)}")
    unknown = sorted(set(overrides) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; valid: {sorted(PARAMETERS)}")
    params.update(overrides)
    missing = sorted(set(PARAMETERS) - set(params))
    if missing:
        raise ValueError(f"model {name!r} regime {regime!r} lacks parameter(s) {missing}")
    return Model(name=spec["model"].get("name", path.stem), regime=regime, params=params,
                 anatomy=anatomy.subset(params["n_areas"]))
