"""Parameters of the Potjans & Diesmann (2014) cortical microcircuit (PD14).

The raw numbers live in ``models/potjans2014.toml``; every one is cited there
to the reference implementation INM-6/microcircuit-PD14-model at tag ``v1.0``
(commit 76e2699a68f96228a3250d4391d464cc2e076e2d).  This module derives what a
simulator needs from them (neuron and synapse numbers, weights, delays,
external drive) exactly as v1.0 computes them.  The code is ours; only the
facts (formulas, rounding rules, numbers) come from the reference.

Citations below are ``path:Lline`` in that repository at v1.0:

* ``NP`` = ``PyNEST/src/microcircuit/network_params.py``
* ``NW`` = ``PyNEST/src/microcircuit/network.py``
* ``HP`` = ``PyNEST/src/microcircuit/helpers.py``
* ``MD`` = ``docs/model_description/ModelDescription_microcircuit-PD14-model.tex``

Conventions: populations in the order L23E, L23I, L4E, L4I, L5E, L5I, L6E,
L6I; matrices are indexed ``[target, source]``; units mV, ms, pF, pA, Hz.

This module imports only the standard library and numpy, so that it can be
loaded by file path from another interpreter (e.g. the Python that runs
NEST)::

    spec = importlib.util.spec_from_file_location("pd14", ".../parameters.py")
    pd14 = importlib.util.module_from_spec(spec); spec.loader.exec_module(pd14)
    p = pd14.load()
"""
from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np

__all__ = [
    "DEFAULT_PATH", "load", "psc_over_psp", "neuron_numbers", "full_synapse_numbers",
    "synapse_numbers", "indegrees", "psp_matrix", "weight_matrix", "weight_sd",
    "external_weight", "external_indegrees", "poisson_rates", "local_input_current",
    "dc_amplitudes", "delay_means", "delay_sds", "delay_lower_bound", "initial_potentials",
    "rheobase_current", "source_is_excitatory",
]

#: the bundled description: ``<checkout>/models/potjans2014.toml``
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "models" / "potjans2014.toml"

N_POPS = 8
_VECTORS = ("full_num_neurons", "full_mean_rates", "K_ext", "V0_mean", "V0_std")
_INTEGER_VECTORS = ("full_num_neurons", "K_ext")
_SCALARS = ("PSP_exc_mean", "g", "PSP_L4E_to_L23E_factor", "weight_rel_std", "delay_exc_mean",
            "delay_inh_mean", "delay_rel_std", "delay_min_fraction", "bg_rate", "delay_poisson",
            "C_m", "tau_m", "tau_syn", "E_L", "V_th", "V_reset", "t_ref", "V0_mean_original",
            "V0_std_original", "resolution", "t_presim", "t_sim", "N_scaling", "K_scaling")
_BACKGROUNDS = ("dc", "poisson")


# --------------------------------------------------------------------------- loading

def load(path: str | Path | None = None, regime: str | None = None) -> dict:
    """Read the microcircuit description into one flat dictionary.

    The ``[parameters]`` table and its sub-tables (``neuron``,
    ``initial_conditions``, ``simulation``) are merged into one level, then
    the regime's table (``[regimes.dc]`` or ``[regimes.poisson]``) is applied.

    Args:
        path: the TOML file; default :data:`DEFAULT_PATH`
            (``models/potjans2014.toml`` of this checkout).
        regime: ``"dc"`` or ``"poisson"`` background (the file's
            ``default_regime``, ``"dc"`` as in v1.0 NP:L105-106, if None).

    Returns:
        dict with, among others: ``populations`` (list of 8 str),
        ``full_num_neurons`` and ``K_ext`` (int arrays, shape (8,)),
        ``full_mean_rates``, ``V0_mean``, ``V0_std`` (float arrays, (8,)),
        ``conn_probs`` (float array, (8, 8), [target, source]), the scalars
        of the file as floats, ``bg_input_type`` (``"dc"``/``"poisson"``),
        ``regime`` and ``model`` (the ``[model]`` table).

    Raises:
        FileNotFoundError: ``path`` does not exist (the message names it).
        ValueError: invalid TOML, missing or duplicated keys, wrong shapes,
            unknown regime, or values out of range.
    """
    path = DEFAULT_PATH if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"microcircuit parameter file not found: {path}")
    try:
        with open(path, "rb") as f:
            spec = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path} is not valid TOML: {err}") from err
    for key in ("model", "parameters", "regimes"):
        if key not in spec:
            raise ValueError(f"{path} has no [{key}] table")

    params: dict = {}
    for key, value in spec["parameters"].items():
        items = value.items() if isinstance(value, dict) else [(key, value)]
        for name, val in items:
            if name in params:
                raise ValueError(f"{path}: parameter {name!r} is given twice")
            params[name] = val
    regime = regime or spec["model"].get("default_regime")
    if regime not in spec["regimes"]:
        raise ValueError(f"unknown regime {regime!r}; valid regimes: {sorted(spec['regimes'])}")
    params.update(spec["regimes"][regime])
    params["regime"] = regime
    params["model"] = dict(spec["model"])

    missing = [k for k in ("populations", "conn_probs", "neuron_model", "bg_input_type", "V0_type",
                           *_VECTORS, *_SCALARS) if k not in params]
    if missing:
        raise ValueError(f"{path} lacks parameter(s) {missing}")
    pops = params["populations"]
    if len(pops) != N_POPS:
        raise ValueError(f"populations must list {N_POPS} names, got {pops!r}")
    for name in _VECTORS:
        arr = np.asarray(params[name], dtype=np.int64 if name in _INTEGER_VECTORS else np.float64)
        if arr.shape != (N_POPS,):
            raise ValueError(f"{name} must have {N_POPS} entries, got shape {arr.shape}")
        params[name] = arr
    cp = np.asarray(params["conn_probs"], dtype=np.float64)
    if cp.shape != (N_POPS, N_POPS):
        raise ValueError(f"conn_probs must be {N_POPS}x{N_POPS}, got shape {cp.shape}")
    if not ((cp >= 0.0) & (cp < 1.0)).all():
        raise ValueError("conn_probs must lie in [0, 1)")
    params["conn_probs"] = cp
    for name in _SCALARS:
        params[name] = float(params[name])
        if not math.isfinite(params[name]):
            raise ValueError(f"{name} must be finite, got {params[name]}")
    if (params["full_num_neurons"] <= 0).any() or (params["K_ext"] < 0).any():
        raise ValueError("full_num_neurons must be positive and K_ext non-negative")
    if params["bg_input_type"] not in _BACKGROUNDS:
        raise ValueError(f"bg_input_type must be one of {_BACKGROUNDS}, got {params['bg_input_type']!r}")
    if params["V0_type"] not in ("optimized", "original"):
        raise ValueError(f"V0_type must be 'optimized' or 'original', got {params['V0_type']!r}")
    exc = source_is_excitatory(params)
    if not (exc[0::2].all() and not exc[1::2].any()):
        # v1.0 fills E/I values by column parity (NP:L52-54); the names must agree
        raise ValueError(f"populations must alternate E, I (names ending in E / I), got {pops!r}")
    return params


# --------------------------------------------------------------------------- checks

def _scaling(name: str, value) -> float:
    """``value`` as a float in (0, 1], else ValueError naming ``name``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}") from None
    if not (0.0 < v <= 1.0):   # also rejects NaN
        raise ValueError(f"{name} must lie in (0, 1], got {value!r}")
    return v


def _positive(name: str, value) -> float:
    v = float(value)
    if not (v > 0.0 and math.isfinite(v)):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return v


def source_is_excitatory(params: dict) -> np.ndarray:
    """Whether each population is excitatory (its name ends in ``E``).

    Returns:
        bool array, shape (8,), in population order.
    """
    return np.array([str(p).endswith("E") for p in params["populations"]])


# --------------------------------------------------------------------------- neurons

def psc_over_psp(C_m: float, tau_m: float, tau_syn: float) -> float:
    r"""Peak PSC amplitude (pA) that gives a peak PSP of 1 mV.

    A current :math:`I(t) = J e^{-t/\tau_s}` (t >= 0) into a passive membrane
    (capacitance :math:`C`, time constant :math:`\tau_m`) gives

    .. math::
        V(t) = \frac{J}{C}\,\frac{\tau_m\tau_s}{\tau_m-\tau_s}
               \left(e^{-t/\tau_m} - e^{-t/\tau_s}\right),

    which peaks at :math:`t^* = \frac{\tau_m\tau_s}{\tau_m-\tau_s}\ln(\tau_m/\tau_s)`.
    The factor is :math:`J / V(t^*)`:

    .. math::
        \frac{\mathrm{PSC}}{\mathrm{PSP}} = \frac{C(\tau_m-\tau_s)}{\tau_m\tau_s}
        \Big/ \left(e^{-t^*/\tau_m} - e^{-t^*/\tau_s}\right).

    For :math:`\tau_m = \tau_s = \tau` the limit :math:`V(t) = (J/C)\,t\,e^{-t/\tau}`
    gives :math:`C e / \tau`.  This is the exact peak-PSP conversion used by
    v1.0 (HP:L71-120, applied at NW:L238-244); the expression is evaluated
    differently, so results can differ from v1.0's in the last bits.
    For (250 pF, 10 ms, 0.5 ms) it is about 585.39 pA/mV.

    Args:
        C_m: membrane capacitance, pF.
        tau_m: membrane time constant, ms.
        tau_syn: synaptic time constant, ms.

    Returns:
        pA per mV (float).
    """
    C_m, tau_m, tau_syn = (_positive(n, v) for n, v in (("C_m", C_m), ("tau_m", tau_m), ("tau_syn", tau_syn)))
    if tau_m == tau_syn:
        return C_m * math.e / tau_m
    a = tau_m * tau_syn / (tau_m - tau_syn)
    t_peak = a * math.log(tau_m / tau_syn)
    return C_m / (a * (math.exp(-t_peak / tau_m) - math.exp(-t_peak / tau_syn)))


def neuron_numbers(params: dict, n_scaling: float = 1.0) -> np.ndarray:
    """Neurons per population: ``round(full_num_neurons * n_scaling)``.

    numpy rounding (half to even), as v1.0 NW:L230.

    Returns:
        int64 array, shape (8,).  Full scale: 77169 neurons in total.
    """
    n_scaling = _scaling("n_scaling", n_scaling)
    return np.round(params["full_num_neurons"] * n_scaling).astype(np.int64)


def initial_potentials(params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd (mV) of the normal initial V_m per population.

    ``V0_type == "optimized"``: per-population values (NP:L124, L126);
    ``"original"``: Normal(-58, 10) for all (NW:L358-371).  No clipping.

    Returns:
        (mean, sd), float arrays of shape (8,).
    """
    if params["V0_type"] == "optimized":
        return params["V0_mean"].copy(), params["V0_std"].copy()
    return (np.full(N_POPS, params["V0_mean_original"]), np.full(N_POPS, params["V0_std_original"]))


def rheobase_current(params: dict) -> float:
    """Smallest constant current (pA) that makes a neuron fire: C_m (V_th - E_L) / tau_m.

    375 pA for PD14 (HP:L243; checked against the DC amplitude at NW:L273-285).
    """
    return params["C_m"] * (params["V_th"] - params["E_L"]) / params["tau_m"]


# --------------------------------------------------------------------------- synapses

def full_synapse_numbers(params: dict) -> np.ndarray:
    """Expected synapse numbers of the full-scale network (not rounded).

    ``K_total[t, s] = ln(1 - C[t, s]) / ln(1 - 1/(N_t N_s))`` with the full
    population sizes (HP:L46-68; MD:L214-223).  Evaluated as v1.0 does, with
    ``ln((P - 1) / P)`` for ``P = N_t N_s``: that is not the most accurate
    form (``log1p(-1/P)`` differs by up to 0.66 synapses per pair here), but
    it decides how v1.0's counts round (2 of the 64 pairs round differently,
    2 synapses in total).

    Returns:
        float64 array, shape (8, 8), [target, source].
    """
    n = params["full_num_neurons"].astype(np.float64)
    prod = np.outer(n, n)
    return np.log(1.0 - params["conn_probs"]) / np.log((prod - 1.0) / prod)


def synapse_numbers(params: dict, n_scaling: float = 1.0, k_scaling: float = 1.0) -> np.ndarray:
    """Synapses per (target, source) pair: ``round(K_total * n_scaling * k_scaling)``.

    As v1.0 NW:L225-233 (numpy rounding, half to even); NEST then connects
    each pair with ``fixed_total_number`` (NW:L497-519), multapses and
    autapses allowed.  Full scale: 298,880,968 synapses in total.

    Args:
        params: from :func:`load`.
        n_scaling: neuron-number scaling in (0, 1].
        k_scaling: in-degree scaling in (0, 1].

    Returns:
        int64 array, shape (8, 8), [target, source].
    """
    n_scaling = _scaling("n_scaling", n_scaling)
    k_scaling = _scaling("k_scaling", k_scaling)
    return np.round(full_synapse_numbers(params) * n_scaling * k_scaling).astype(np.int64)


def indegrees(params: dict) -> np.ndarray:
    """Mean full-scale in-degrees ``K_total[t, s] / N_full[t]`` (float, (8, 8)).

    Used for the DC compensation (HP:L207).  Unchanged by N_scaling; scaled by
    k_scaling in a scaled network.
    """
    return full_synapse_numbers(params) / params["full_num_neurons"][:, None]


def psp_matrix(params: dict) -> np.ndarray:
    """Mean PSP amplitudes (mV), shape (8, 8), [target, source].

    ``PSP_exc_mean`` from excitatory, ``g * PSP_exc_mean`` from inhibitory
    sources, L4E -> L23E times ``PSP_L4E_to_L23E_factor`` (NP:L144-149).
    """
    exc = source_is_excitatory(params)
    j = params["PSP_exc_mean"]
    m = np.where(exc[None, :], j, params["g"] * j) * np.ones((N_POPS, 1))
    pops = list(params["populations"])
    m[pops.index("L23E"), pops.index("L4E")] *= params["PSP_L4E_to_L23E_factor"]
    return m


def _psc_over_psp(params: dict) -> float:
    return psc_over_psp(params["C_m"], params["tau_m"], params["tau_syn"])


def weight_matrix(params: dict, k_scaling: float = 1.0) -> np.ndarray:
    """Mean synaptic weights (peak PSC, pA), shape (8, 8), [target, source].

    ``psp_matrix * psc_over_psp / sqrt(k_scaling)`` (NW:L243, HP:L203):
    about 87.81 pA from E sources, -351.24 pA from I sources, 175.62 pA for
    L4E -> L23E at k_scaling = 1.  Negative for inhibitory sources.
    The weight sd is :func:`weight_sd` (0.1 * |mean|).
    """
    k_scaling = _scaling("k_scaling", k_scaling)
    return psp_matrix(params) * _psc_over_psp(params) / math.sqrt(k_scaling)


def weight_sd(params: dict, k_scaling: float = 1.0) -> np.ndarray:
    """Standard deviation of the weights (pA), ``weight_rel_std * |mean|``, shape (8, 8).

    The mean is :func:`weight_matrix` at the same k_scaling (NW:L509-512).
    NEST draws Normal(mean, sd) and redraws values of the wrong sign: E
    weights in [0, inf), I weights in (-inf, 0] (NW:L500-516).
    """
    return params["weight_rel_std"] * np.abs(weight_matrix(params, k_scaling))


# --------------------------------------------------------------------------- external input

def external_weight(params: dict, k_scaling: float = 1.0) -> float:
    """Weight of the external (Poisson) input, pA: ``PSP_exc_mean * psc_over_psp / sqrt(k)``.

    About 87.81 pA at k_scaling = 1 (NW:L244, HP:L204, used at NW:L542).
    """
    k_scaling = _scaling("k_scaling", k_scaling)
    return params["PSP_exc_mean"] * _psc_over_psp(params) / math.sqrt(k_scaling)


def external_indegrees(params: dict, k_scaling: float = 1.0) -> np.ndarray:
    """External in-degrees ``round(K_ext * k_scaling)`` (int64, shape (8,)), NW:L234.

    Only the Poisson background uses them (the generator rate, NW:L422);
    the DC background uses the unscaled K_ext (NW:L253-255).
    """
    k_scaling = _scaling("k_scaling", k_scaling)
    return np.round(params["K_ext"] * k_scaling).astype(np.int64)


def poisson_rates(params: dict, k_scaling: float = 1.0) -> np.ndarray:
    """Rate (Hz) of each population's Poisson generator: ``bg_rate * external_indegrees``.

    One generator per population, connected all-to-all to it with
    :func:`external_weight` and ``delay_poisson`` (NW:L421-422, L537-546).
    Shape (8,).
    """
    return params["bg_rate"] * external_indegrees(params, k_scaling).astype(np.float64)


def local_input_current(params: dict) -> np.ndarray:
    """Full-scale recurrent input ``input_rec`` (pA/s) per target population, shape (8,).

    ``input_rec[t] = sum_s W[t, s] * K[t, s] * full_mean_rates[s]`` with the
    unscaled weights W in pA (:func:`weight_matrix` at k = 1), the full-scale
    in-degrees K (:func:`indegrees`) and the rates in Hz (HP:L206-210).
    ``0.001 * tau_syn * input_rec`` is the mean local input current in pA
    (tau_syn in ms; negative where inhibition dominates).
    """
    return (weight_matrix(params, 1.0) * indegrees(params) * params["full_mean_rates"][None, :]).sum(axis=1)


def dc_amplitudes(params: dict, k_scaling: float = 1.0, poisson: bool | None = None) -> np.ndarray:
    """Constant input current ``I_e`` (pA) per population, as v1.0 computes it.

    * DC background (``poisson=False``): ``bg_rate * K_ext * PSC_ext * tau_syn
      * 0.001`` with the unscaled K_ext and PSC_ext (HP:L123-143, NW:L250-255);
      about 562.0, 526.9, 737.6, 667.4, 702.5, 667.4, 1018.6, 737.6 pA.
    * Poisson background (``poisson=True``): 0 (NW:L247-248).
    * If ``k_scaling != 1``, both add ``0.001 * tau_syn * (1 - sqrt(k_scaling))
      * input_rec`` (:func:`local_input_current`, HP:L212); the Poisson
      background adds also ``0.001 * tau_syn * (1 - sqrt(k_scaling)) *
      PSC_ext * K_ext * bg_rate`` (HP:L214-216), which makes up for the
      weaker total Poisson drive (round(K_ext k) inputs of PSC_ext/sqrt(k)).

    N_scaling does not enter.

    Args:
        params: from :func:`load`.
        k_scaling: in-degree scaling in (0, 1].
        poisson: Poisson (True) or DC (False) background; None takes
            ``params["bg_input_type"]``.

    Returns:
        float64 array, shape (8,), pA.
    """
    k_scaling = _scaling("k_scaling", k_scaling)
    if poisson is None:
        poisson = params["bg_input_type"] == "poisson"
    elif not isinstance(poisson, (bool, np.bool_)):
        raise ValueError(f"poisson must be True, False or None, got {poisson!r}")
    tau_syn = params["tau_syn"]
    psc_ext = external_weight(params, 1.0)
    k_ext = params["K_ext"].astype(np.float64)
    if poisson:
        dc = np.zeros(N_POPS)
    else:
        dc = params["bg_rate"] * k_ext * psc_ext * tau_syn * 0.001
    if k_scaling != 1.0:
        factor = 0.001 * tau_syn * (1.0 - math.sqrt(k_scaling))
        dc = dc + factor * local_input_current(params)
        if poisson:
            dc = dc + factor * (psc_ext * k_ext * params["bg_rate"])
    return dc


# --------------------------------------------------------------------------- delays

def delay_means(params: dict) -> np.ndarray:
    """Mean delays (ms) by source type, shape (8, 8), [target, source].

    ``delay_exc_mean`` (1.5 ms) in E-source columns, ``delay_inh_mean``
    (0.75 ms) in I-source columns (NP:L155-157).
    """
    exc = source_is_excitatory(params)
    return np.where(exc[None, :], params["delay_exc_mean"], params["delay_inh_mean"]) * np.ones((N_POPS, 1))


def delay_sds(params: dict) -> np.ndarray:
    """Delay standard deviations (ms), ``delay_rel_std * delay_means`` (NW:L484-488), shape (8, 8)."""
    return params["delay_rel_std"] * delay_means(params)


def delay_lower_bound(params: dict, resolution: float | None = None) -> float:
    """Lower end (ms) of the delay redraw interval: ``delay_min_fraction * resolution``.

    0.05 ms at h = 0.1 ms (NW:L484-491: Normal(mean, sd) redrawn on
    [0.5 h, inf)); NEST rounds delays to the nearest step, so the shortest
    delay is one step.

    Args:
        params: from :func:`load`.
        resolution: time step, ms (default ``params["resolution"]``).
    """
    h = params["resolution"] if resolution is None else _positive("resolution", resolution)
    return params["delay_min_fraction"] * h
