"""``multiarea import-mam``: the multi-area model of Schmidt et al. (2018) from the authors' code.

The model's parameters are not part of multiarea: INM-6/multi-area-model is
licensed CC BY-NC-SA 4.0, so its code and data stay in the user's checkout.
:func:`import_mam` runs the authors' own pipeline there, on the user's
machine, and writes the numbers their ``simulation.py`` would hand to NEST
into a folder that :func:`multiarea.schmidt2018.load_mam` turns into a
:class:`~multiarea.spiking.populations.PopulationNetwork`.

How (``docs/nest_semantics.md`` §4-7 cite the lines, v1.2.0 = d6d95ad):

1. The checkout's ``multiarea_model/`` is copied to a temporary folder (their
   pipeline writes JSON files into its package and ``config_files/``; the
   checkout is left untouched).
2. ``_mam_driver.py`` runs there **in a subprocess** (``python``, default this
   interpreter) with a stub ``nest`` module and a stub ``config``: it builds
   ``MultiAreaModel(network_params)`` (their data pipeline ``Model.py``, the
   stabilised in-degrees ``K_stable``, ``scale_network`` with its DC
   compensation) and dumps per population ``N``, ``add_DC_drive``,
   ``K_ext``, ``W_ext`` and per (target, source) population pair the synapse
   number, ``W`` and ``W_sd``, plus the distances and parameters.  A
   subprocess because the authors' package needs module-level ``nest`` and
   ``config`` (a stub ``nest`` must not shadow a real NEST in the user's
   process), changes ``dicthash`` globals, prints a lot, and may need an
   interpreter with other package versions (``python=``).
3. :func:`model_arrays` applies what their ``simulation.py`` (NEST 3 branch)
   does with those numbers: ``int()`` of population sizes and synapse
   numbers (truncation), weights redrawn on ``[0, inf)`` for excitatory
   sources within an area and for every inter-area pair, ``(-inf, 0]`` for
   inhibitory sources within an area; delays normal (1.5 ms from E, 0.75 ms
   from I within an area; distance / 3.5 mm/ms between areas), sd 0.5 x mean,
   redrawn below ``dt``; a Poisson generator of ``rate_ext x K_ext`` per
   population with weight ``W_ext`` and NEST's default delay 1 ms; ``I_e =
   add_DC_drive``; V_m drawn from N(V0_mean, V0_sd) without bounds.

Their code needs, besides numpy, scipy, pandas and matplotlib, the small
packages ``dicthash`` and ``nested_dict`` (``pip install "multiarea[mam]"``);
not NEST, and not R (without ``Rscript`` their ``VisualCortex_Data.py`` takes
its hard-coded SLN fit, as it says in ``mam_import.log``).

The regimes are the paper's simulations (``figures/Schmidt2018_dyn/
network_simulations.py``, v1.2.0 L63-79 and L104-117): both use the
stabilised in-degrees ``K_prime_original.npy``, g = -11, kappa = 1.125
(``fac_nu_ext_5E`` 1.125, ``fac_nu_ext_6E`` 1.41666667, ``fac_nu_ext_TH``
1.2), ``av_indegree_V1`` 3950, V0 = N(-150, 50) mV, rate_ext 10 Hz; the ground
state has chi = chi_I = 1 (the defaults when that script was written in 2018;
commit 4ba061e of 2024 made the metastable values the defaults, so both are
set explicitly here), the metastable state chi = 1.9, chi_I = 2.  The
non-stabilised in-degrees of the data pipeline (the paper's Fig. 2 runs) are
``overrides={"connection_params": {"K_stable": None, ...}}``.
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .. import _checks
from ..spiking.iaf_psc_exp import IafPscExp

__all__ = ["REGIMES", "HEADER", "ARRAYS", "FORMAT", "FORMAT_VERSION", "check_checkout", "regime_params",
           "run_authors_code", "model_arrays", "write_model", "import_mam"]

HEADER = "mam.toml"          #: the header file of an imported model folder
ARRAYS = "mam.npz"           #: its per-population and per-pair arrays
PARAMETERS = "mam_parameters.json"  #: the parameters the authors' code ran with (for the record)
LOG = "mam_import.log"       #: what the authors' code printed
FORMAT = "multiarea-mam"
FORMAT_VERSION = 1
POISSON_DELAY_MS = 1.0       #: NEST's default static_synapse delay: their poisson_generator connection sets none
STABLE_INDEGREES = "figures/SchueckerSchmidt2017/K_prime_original.npy"
FULLSCALE_RATES = "tests/fullscale_rates.json"  #: the rates their run_example_downscaled.py scales with
#: files that make a folder a checkout of INM-6/multi-area-model
CHECKOUT_FILES = ("multiarea_model/__init__.py", "multiarea_model/multiarea_model.py",
                  "multiarea_model/default_params.py", "multiarea_model/data_multiarea/Model.py")

_PAPER = {"g": -11.0, "fac_nu_ext_TH": 1.2, "fac_nu_ext_5E": 1.125, "fac_nu_ext_6E": 1.41666667,
          "av_indegree_V1": 3950.0}
#: regime -> the connection parameters of the paper's simulation (K_stable is added per checkout)
REGIMES = {"ground-state": dict(_PAPER, cc_weights_factor=1.0, cc_weights_I_factor=1.0),
           "metastable": dict(_PAPER, cc_weights_factor=1.9, cc_weights_I_factor=2.0)}
_TIMEOUT_S = 1800


def check_checkout(repo_dir) -> Path:
    """``repo_dir`` resolved, if it is a checkout of INM-6/multi-area-model.

    Raises:
        FileNotFoundError: no folder at ``repo_dir``.
        ValueError: a folder without the model's package files (named).
    """
    repo = Path(repo_dir).expanduser()
    if not repo.is_dir():
        raise FileNotFoundError(f"no folder at {repo} (expected a checkout of INM-6/multi-area-model)")
    missing = [f for f in CHECKOUT_FILES if not (repo / f).is_file()]
    if missing:
        raise ValueError(f"{repo} is not a checkout of INM-6/multi-area-model: missing {', '.join(missing)}")
    return repo.resolve()


def regime_params(regime: str, repo_dir, scale: float = 1.0, fullscale_rates=None, overrides=None) -> dict:
    """The ``network_params`` handed to ``MultiAreaModel`` for ``regime`` at ``scale``.

    Args:
        regime: ``"ground-state"`` or ``"metastable"`` (:data:`REGIMES`).
        repo_dir: the checkout (for ``K_stable`` and the default full-scale rates).
        scale: ``N_scaling = K_scaling`` in (0, 1].
        fullscale_rates: JSON of full-scale rates for the DC compensation of a
            scaled network (default: the checkout's ``tests/fullscale_rates.json``,
            what their ``run_example_downscaled.py`` uses).
        overrides: nested dict merged last (e.g. ``{"connection_params":
            {"K_stable": None}}`` for the in-degrees of the data pipeline).

    Raises:
        ValueError: unknown regime, scale outside (0, 1].
        FileNotFoundError: the stabilised in-degrees or the rates file is missing.
    """
    if regime not in REGIMES:
        raise ValueError(f"regime must be one of {list(REGIMES)}, got {regime!r}")
    scale = _checks.positive_float("scale", scale)
    if scale > 1.0:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    repo = Path(repo_dir)
    k_stable = repo / STABLE_INDEGREES
    if not k_stable.is_file():
        raise FileNotFoundError(f"{repo} has no {STABLE_INDEGREES} (the stabilised in-degrees the paper's "
                                "simulations use)")
    params = {"N_scaling": scale, "K_scaling": scale,
              "connection_params": dict(REGIMES[regime], K_stable=str(k_stable.resolve())),
              "neuron_params": {"V0_mean": -150.0, "V0_sd": 50.0},
              "input_params": {"rate_ext": 10.0}}
    if scale != 1.0:
        rates = repo / FULLSCALE_RATES if fullscale_rates is None else Path(fullscale_rates).expanduser()
        if not rates.is_file():
            raise FileNotFoundError(f"no full-scale rates file at {rates} (needed to scale the network: "
                                    "give fullscale_rates / --fullscale-rates)")
        params["fullscale_rates"] = str(rates.resolve())
    elif fullscale_rates is not None:
        raise ValueError("fullscale_rates applies to a scaled network (scale < 1) only")
    if overrides:
        _merge(params, overrides)
    return params


def _merge(d: dict, new: dict) -> None:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(d.get(k), dict):
            _merge(d[k], v)
        else:
            d[k] = copy.deepcopy(v)


def _driver() -> Path:
    return Path(__file__).with_name("_mam_driver.py")


def run_authors_code(repo_dir, network_params: dict, python=None, log_path=None) -> dict:
    """Run the checkout's ``MultiAreaModel(network_params)`` in a subprocess
    on a temporary copy of its package; return what ``_mam_driver.extract``
    dumps (per population and per pair, as their ``simulation.py`` reads them).

    Raises:
        ModuleNotFoundError: the interpreter lacks a module their code imports (named).
        RuntimeError: their code failed (the end of its error output is in the message).
    """
    repo = check_checkout(repo_dir)
    python = sys.executable if python is None else str(python)
    with tempfile.TemporaryDirectory(prefix="multiarea-mam-") as tmp:
        work = Path(tmp) / "multi-area-model"
        work.mkdir()
        shutil.copytree(repo / "multiarea_model", work / "multiarea_model",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "custom_Data_Model_*.json",
                                                      "custom_*_parameter_dict.json"))
        (work / "multiarea_model" / "data_multiarea" / "custom_data_files").mkdir(exist_ok=True)
        (work / "config_files").mkdir()
        (work / "simulations").mkdir()
        request, result = Path(tmp) / "request.json", Path(tmp) / "result.json"
        request.write_text(json.dumps({"network_params": network_params}))
        try:
            proc = subprocess.run([python, str(_driver()), str(request), str(result)], cwd=work,
                                  capture_output=True, text=True, timeout=_TIMEOUT_S,
                                  env=_environment())
        except FileNotFoundError:
            raise FileNotFoundError(f"no Python interpreter at {python}") from None
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"the multi-area model's code did not finish within {_TIMEOUT_S} s") from None
        if log_path is not None:
            Path(log_path).write_text(f"$ {python} _mam_driver.py  (in a copy of {repo})\n"
                                      f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
        if proc.returncode == 3 and "MISSING_MODULES" in proc.stderr:
            names = proc.stderr.split("MISSING_MODULES", 1)[1].split()
            raise ModuleNotFoundError(
                f"the multi-area model's code needs Python module(s) {names} in {python}: "
                f"pip install {' '.join(names)}")
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"the multi-area model's code failed in {python} (exit {proc.returncode}):\n{tail}")
        return json.loads(result.read_text())


def _environment() -> dict:
    return dict(os.environ, MPLBACKEND="Agg")  # their analysis module imports pyplot


def _source(source: str) -> str:
    """``"E"`` or ``"I"`` as their ``connect()`` classifies a source population
    (``'E' in source`` first)."""
    if "E" in source:
        return "E"
    if "I" in source:
        return "I"
    raise ValueError(f"population {source!r} is neither E nor I (its name holds neither letter)")


def model_arrays(raw: dict) -> dict:
    """The network as ``simulation.py`` (NEST 3 branch) builds it from ``raw``
    (what the driver dumps): numpy arrays per population and per connection.

    Populations in the order NEST creates them (areas, then each area's
    structure); connections in the order it connects them: every area's
    internal pairs (target, then source population), then the inter-area
    pairs (target area, source area, target, source).  Pairs whose truncated
    synapse number is 0 are left out (NEST creates no synapse for them).

    Raises:
        ValueError: a neuron model other than ``iaf_psc_exp``, DC instead of
            Poisson input, a population of 0 neurons, a negative synapse number.
    """
    neuron = raw["neuron_params"]
    if neuron.get("neuron_model", "iaf_psc_exp") != "iaf_psc_exp":
        raise ValueError(f"neuron_model must be 'iaf_psc_exp', got {neuron['neuron_model']!r}")
    unknown = sorted(set(neuron["single_neuron_dict"]) - set(IafPscExp.PARAMETERS))
    if unknown:
        raise ValueError(f"single_neuron_dict has parameters multiarea's iaf_psc_exp lacks: {unknown}")
    inputs = raw["input_params"]
    if not inputs.get("poisson_input", True):
        raise ValueError("input_params.poisson_input = False is not supported (the DC path of their "
                         "create_populations reads params['rate_ext'], which does not exist)")
    delays, dt = raw["delay_params"], float(raw["sim_params"]["dt"])
    areas, structure = raw["areas"], raw["structure"]
    keys = [f"{a}/{p}" for a in areas for p in structure[a]]
    index = {k: i for i, k in enumerate(keys)}
    pops = raw["populations"]
    size = np.array([int(pops[k]["N"]) for k in keys], np.int64)  # nest.Create(..., int(N))
    empty = [k for k, n in zip(keys, size) if n < 1]
    if empty:
        raise ValueError(f"population(s) {empty[:5]} have 0 neurons at this scale: choose a larger scale")
    out = {
        "area": np.array([k.split("/")[0] for k in keys]), "population": np.array([k.split("/")[1] for k in keys]),
        "size": size, "N_float": np.array([pops[k]["N"] for k in keys]),
        "I_e": np.array([pops[k]["I_e"] for k in keys]),
        "K_ext": np.array([pops[k]["K_ext"] for k in keys]),
        "drive_rate_hz": np.array([inputs["rate_ext"] * pops[k]["K_ext"] for k in keys]),
        "drive_weight": np.array([pops[k]["W_ext"] for k in keys]),
    }
    order = [(ta, ta) for ta in areas] + [(ta, sa) for ta in areas for sa in areas if sa != ta]
    rows = []
    for ta, sa in order:
        for tp in structure[ta]:
            pair_row = raw["pairs"][f"{ta}/{tp}"]
            for sp in structure[sa]:
                syn, w, w_sd = pair_row[f"{sa}/{sp}"]
                n = int(syn)  # conn_spec {'rule': 'fixed_total_number', 'N': int(synapses[target][source])}
                if n < 0:
                    raise ValueError(f"{sa}/{sp} -> {ta}/{tp}: negative synapse number {syn}")
                if n == 0:
                    continue
                if ta == sa:
                    kind = _source(sp)
                    low, high = (0.0, math.inf) if kind == "E" else (-math.inf, 0.0)
                    d = delays["delay_e"] if kind == "E" else delays["delay_i"]
                else:
                    low, high = 0.0, math.inf
                    d = raw["distances"][ta][sa] / delays["interarea_speed"]
                rows.append((index[f"{sa}/{sp}"], index[f"{ta}/{tp}"], n, syn, w, w_sd, low, high,
                             d, d * delays["delay_rel"], dt))
    cols = list(zip(*rows)) if rows else [()] * 11
    out.update(pre=np.array(cols[0], np.int32), post=np.array(cols[1], np.int32),
               synapses=np.array(cols[2], np.int64), synapses_float=np.array(cols[3], float),
               weight_mean=np.array(cols[4], float), weight_sd=np.array(cols[5], float),
               weight_low=np.array(cols[6], float), weight_high=np.array(cols[7], float),
               delay_mean=np.array(cols[8], float), delay_sd=np.array(cols[9], float),
               delay_low=np.array(cols[10], float))
    return out


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return json.dumps(str(v))  # a TOML basic string


def write_model(out_dir, arrays: dict, raw: dict, info: dict) -> list[Path]:
    """Write an imported model into ``out_dir``: :data:`HEADER` (TOML: the
    provenance, ``dt``, seed, the shared neuron parameters, V_m and drive
    settings), :data:`ARRAYS` (npz: the per-population and per-connection
    arrays of :func:`model_arrays`), :data:`PARAMETERS` and ``README.md``
    (where the numbers come from and their licence)."""
    out = Path(out_dir)
    np.savez(out / ARRAYS, **arrays)
    neuron = raw["neuron_params"]
    header = {
        "model": {"format": FORMAT, "format_version": FORMAT_VERSION, "name": "schmidt2018",
                  "source": "INM-6/multi-area-model", "licence": "CC BY-NC-SA 4.0",
                  "regime": info["regime"], "scale": info["scale"], "label": raw["label"],
                  "commit": info["commit"], "describe": info["describe"], "code_sha256": info["code_sha256"],
                  "imported": info["imported"], "arrays": ARRAYS},
        "network": {"dt": raw["sim_params"]["dt"], "seed": raw["sim_params"]["rng_seed"]},
        "neuron": dict({"model": "iaf_psc_exp"}, **neuron["single_neuron_dict"]),
        "initial_potential": {"mean": neuron["V0_mean"], "sd": neuron["V0_sd"]},
        "drive": {"delay": POISSON_DELAY_MS, "rate_ext": raw["input_params"]["rate_ext"]},
    }
    lines = ["# A multi-area model of Schmidt et al. (2018) imported by multiarea import-mam from a checkout",
             "# of INM-6/multi-area-model (CC BY-NC-SA 4.0): see README.md. Load with",
             "# multiarea.schmidt2018.load_mam(this folder).", ""]
    for table, values in header.items():
        lines.append(f"[{table}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
        lines.append("")
    (out / HEADER).write_text("\n".join(lines))
    params = {k: raw[k] for k in ("network_params", "connection_params", "neuron_params", "delay_params",
                                  "input_params", "sim_params")}
    (out / PARAMETERS).write_text(json.dumps(params, indent=1, sort_keys=True))
    (out / "README.md").write_text(_readme(header, arrays))
    return [out / HEADER, out / ARRAYS, out / PARAMETERS, out / "README.md"]


def _readme(header: dict, arrays: dict) -> str:
    m = header["model"]
    version = m["describe"] or m["commit"] or "unknown version"
    return f"""# Multi-area model (Schmidt et al. 2018), {m['regime']}, scale {m['scale']:g}

The parameters in this folder were computed on this machine by `multiarea
import-mam`, which ran the code and data of
[INM-6/multi-area-model](https://github.com/INM-6/multi-area-model) ({version};
code digest {m['code_sha256'][:16]}) from a local checkout. multiarea itself
contains none of that code or data.

## Licence

INM-6/multi-area-model is licensed under the Creative Commons
Attribution-NonCommercial-ShareAlike 4.0 International licence
(CC BY-NC-SA 4.0, https://creativecommons.org/licenses/by-nc-sa/4.0/; see
LICENSE.md of the checkout). The numbers here are derived from it: treat them
as covered by that licence (attribution, non-commercial use, share-alike) and
do not redistribute them under another licence (e.g. in an MIT-licensed
repository). Cite the model's papers when you use them:

- Schmidt M, Bakker R, Hilgetag CC, Diesmann M, van Albada SJ (2018) Multi-scale
  account of the network structure of macaque visual cortex. Brain Struct Funct
  223:1409-1435.
- Schmidt M, Bakker R, Shen K, Bezgin G, Diesmann M, van Albada SJ (2018) A
  multi-scale layer-resolved spiking network model of resting-state dynamics in
  macaque visual cortical areas. PLoS Comput Biol 14(10):e1006359.

## Contents

- `{HEADER}`: provenance, time step, seed, the neuron parameters, V_m and drive settings;
- `{ARRAYS}`: {len(arrays['size'])} populations (`area`, `population`, `size`, `I_e`,
  `drive_rate_hz`, `drive_weight`, `K_ext`, `N_float`) and {len(arrays['pre'])} connections
  (`pre`, `post` population indices, `synapses`, `weight_mean`/`_sd`/`_low`/`_high` in pA,
  `delay_mean`/`_sd`/`_low` in ms, `synapses_float`), {int(arrays['size'].sum())} neurons and
  {int(arrays['synapses'].sum())} synapses;
- `{PARAMETERS}`: the parameters the model's code ran with;
- `{LOG}`: what it printed.

```python
import multiarea as ma
net = ma.schmidt2018.load_mam("this folder")
record = ma.simulate_populations(net, 100.0)
```
"""


def _licence_note() -> str:
    return ("This folder holds numbers computed from INM-6/multi-area-model, which is licensed under\n"
            "CC BY-NC-SA 4.0 (https://creativecommons.org/licenses/by-nc-sa/4.0/). They are derived\n"
            "from that work: use and share them under the same licence (attribution, non-commercial,\n"
            "share-alike). They are not part of multiarea and are not covered by its MIT licence.\n")


def _git(repo: Path, *args) -> str | None:
    """Output of ``git -C repo ARGS`` if ``repo`` is the top of a git work tree, else None."""
    def run(*a):
        try:
            proc = subprocess.run(["git", "-C", str(repo), *a], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return (proc.stdout.strip() or None) if proc.returncode == 0 else None

    top = run("rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != repo.resolve():
        return None
    return run(*args)


def _code_digest(repo: Path) -> str:
    """sha256 over the checkout's model code and the stabilised in-degrees."""
    h = hashlib.sha256()
    files = sorted((repo / "multiarea_model").rglob("*.py")) + [repo / STABLE_INDEGREES]
    for path in files:
        if path.is_file() and "custom_data_files" not in path.parts:
            h.update(str(path.relative_to(repo)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def import_mam(repo_dir, out_dir, scale: float = 1.0, regime: str = "ground-state", *,
               fullscale_rates=None, overrides=None, python=None) -> dict:
    """Compute the multi-area model from a checkout of INM-6/multi-area-model
    and write it into ``out_dir`` (module docstring; load with
    :func:`multiarea.schmidt2018.load_mam`).

    Args:
        repo_dir: the user's checkout of INM-6/multi-area-model.
        out_dir: output folder (made if missing).
        scale: neurons and in-degrees scaled by this (their ``N_scaling`` =
            ``K_scaling``), in (0, 1]; below 1 their ``scale_network`` divides
            weights by sqrt(scale) and adds DC for the lost input.
        regime: ``"ground-state"`` (chi = 1) or ``"metastable"`` (chi = 1.9).
        fullscale_rates: rates file for the DC compensation (scale < 1).
        overrides: nested dict of their ``network_params`` merged last.
        python: interpreter that runs their code (default: this one).

    Returns:
        dict: ``n_populations``, ``n_neurons``, ``n_connections``,
        ``n_synapses``, ``regime``, ``scale``, ``label``, ``commit``, ``paths``.

    Raises:
        FileNotFoundError: no ``repo_dir``, or a file the import needs is missing.
        ValueError: not a checkout, a bad ``scale``/``regime``, ``out_dir`` a file,
            or a model multiarea cannot run (named).
        ModuleNotFoundError / RuntimeError: their code lacks a module / failed.
    """
    repo = check_checkout(repo_dir)
    params = regime_params(regime, repo, scale, fullscale_rates, overrides)
    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    (out / "LICENSE.md").write_text(_licence_note())
    raw = run_authors_code(repo, params, python=python, log_path=out / LOG)
    arrays = model_arrays(raw)
    info = {"regime": regime, "scale": float(scale), "commit": _git(repo, "rev-parse", "HEAD") or "",
            "describe": _git(repo, "describe", "--tags", "--always", "--dirty") or "",
            "code_sha256": _code_digest(repo),
            "imported": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    paths = write_model(out, arrays, raw, info)
    from .network import mam_components  # check that multiarea accepts every object (cheap: no tables)

    mam_components(out)
    return {"n_populations": int(arrays["size"].size), "n_neurons": int(arrays["size"].sum()),
            "n_connections": int(arrays["pre"].size), "n_synapses": int(arrays["synapses"].sum()),
            "regime": regime, "scale": float(scale), "label": raw["label"], "commit": info["commit"],
            "paths": [out / "LICENSE.md"] + paths + [out / LOG]}
