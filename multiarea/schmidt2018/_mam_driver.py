"""Run the authors' code of INM-6/multi-area-model without NEST and dump its numbers.

A standalone script (the standard library and numpy only; nothing of
``multiarea``): :func:`multiarea.schmidt2018.import_mam.import_mam` runs it in a
subprocess as

    python _mam_driver.py REQUEST.json RESULT.json

with the working directory set to a temporary copy of the user's checkout
(the ``base_path`` of the authors' code).  REQUEST holds ``network_params``
(the custom parameters handed to ``MultiAreaModel``).  The script

* puts a stub ``nest`` module into ``sys.modules`` (the authors' package
  imports ``nest`` at module level but only *calls* it when simulating;
  ``default_params`` reads ``'PrintNetwork' not in dir(nest)``, which the
  empty stub answers as NEST 3) and a stub ``config`` module with
  ``base_path`` / ``data_path`` (what the user's ``config.py`` holds);
* puts back ``numpy.in1d`` where numpy no longer has it (removed in numpy 2.4;
  the authors' ``create_vector_mask`` calls it on 1-d arrays, where
  ``isin`` is the same);
* builds ``MultiAreaModel(network_params)`` (no theory, simulation or
  analysis member: that runs their data pipeline ``compute_Model_params``,
  the stabilised in-degrees ``K_stable`` and ``scale_network``);
* reads the model as their ``simulation.py`` reads it when it builds the
  network in NEST (``Area.__init__``, ``create_populations``,
  ``connect_devices``, ``connect``) and writes those numbers as JSON.

Exit codes: 0 done; 3 a Python module their code needs is missing (the
message names it); anything else: their code failed (the traceback is on stderr).
"""
import json
import os
import sys
import types

#: the third-party modules the authors' code imports on the way to MultiAreaModel
NEEDED = ("numpy", "scipy", "pandas", "matplotlib", "nested_dict", "dicthash")


def _stubs(base_path: str) -> None:
    nest = types.ModuleType("nest")
    nest.__doc__ = "stub: multiarea imports the multi-area model's parameters without NEST"
    sys.modules["nest"] = nest
    config = types.ModuleType("config")
    config.base_path = base_path
    config.data_path = os.path.join(base_path, "simulations")
    sys.modules["config"] = config

    import numpy

    if not hasattr(numpy, "in1d"):
        def in1d(ar1, ar2, assume_unique=False, invert=False):
            return numpy.isin(numpy.asarray(ar1).ravel(), ar2, assume_unique=assume_unique, invert=invert)
        numpy.in1d = in1d


def _f(x) -> float:
    return float(x)


def extract(M, sim_params) -> dict:
    """The numbers ``simulation.py`` hands to NEST, per population and per pair."""
    areas = list(M.area_list)
    structure = {a: list(M.structure[a]) for a in areas}
    index = {name: i for i, name in enumerate(M.structure_vec)}
    pops = {}
    for a in areas:
        for p in structure[a]:
            pops[f"{a}/{p}"] = {
                "N": _f(M.N[a][p]),                                       # nest.Create(int(N))
                "I_e": _f(M.add_DC_drive[index[f"{a}-{p}"]]),              # create_populations
                "K_ext": _f(M.K[a][p]["external"]["external"]),            # Area.external_synapses
                "W_ext": _f(M.W[a][p]["external"]["external"]),            # connect_devices
            }
    pairs = {}
    for ta in areas:
        for tp in structure[ta]:
            row = {}
            for sa in areas:
                for sp in structure[sa]:
                    row[f"{sa}/{sp}"] = [_f(M.synapses[ta][tp][sa][sp]), _f(M.W[ta][tp][sa][sp]),
                                         _f(M.W_sd[ta][tp][sa][sp])]
            pairs[f"{ta}/{tp}"] = row
    distances = {ta: {sa: _f(M.distances[ta][sa]) for sa in areas if sa != ta} for ta in areas}
    params = M.params
    keep = ("N_scaling", "K_scaling", "fullscale_rates", "surface")
    return {
        "label": str(M.label),
        "areas": areas,
        "structure": structure,
        "populations": pops,
        "pairs": pairs,
        "distances": distances,
        "neuron_params": _plain(params["neuron_params"]),
        "delay_params": _plain(params["delay_params"]),
        "input_params": _plain(params["input_params"]),
        "connection_params": _plain(params["connection_params"]),
        "network_params": {k: _plain(params[k]) for k in keep if k in params},
        "sim_params": {"dt": _f(sim_params["dt"]), "rng_seed": int(sim_params["rng_seed"])},
    }


def _plain(value):
    """JSON-able copy (numpy scalars to Python numbers)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    return value


def main(argv) -> int:
    request_path, result_path = argv[1], argv[2]
    here = os.path.dirname(os.path.abspath(__file__))  # run as a script: its folder is on sys.path; not wanted
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    with open(request_path) as f:
        request = json.load(f)
    base_path = os.getcwd()
    missing = []
    for name in NEEDED:
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        print("MISSING_MODULES " + " ".join(missing), file=sys.stderr)
        return 3
    os.environ.setdefault("MPLBACKEND", "Agg")
    _stubs(base_path)
    sys.path.insert(0, base_path)  # the copy of their checkout, before anything else on the path
    from multiarea_model import MultiAreaModel
    from multiarea_model.default_params import sim_params

    M = MultiAreaModel(request["network_params"])
    result = extract(M, sim_params)
    with open(result_path, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
