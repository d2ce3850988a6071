"""The cortical microcircuit (Potjans & Diesmann 2014) as a :class:`PopulationNetwork`.

Built as its reference implementation builds it in NEST (INM-6/microcircuit-PD14-model
v1.0; ``docs/nest_semantics.md``), from the parameters of
``models/potjans2014.toml`` (:mod:`multiarea.potjans2014.parameters`):
8 ``iaf_psc_exp`` populations (L23E ... L6I) in one area, every (target,
source) pair connected by ``FixedTotalNumber`` with multapses and autapses,
weights ``TruncatedNormal(w, 0.1 |w|)`` redrawn to keep their sign, delays ``TruncatedNormal(d,
0.5 d)`` redrawn below ``0.5 dt`` (1.5 ms from E, 0.75 ms from I), and the
background either Poisson (``bg_rate x K_ext`` per neuron, 1.5 ms delay; the
published model's) or DC (``I_e``; v1.0's default).  ``scale < 1`` scales
neurons and in-degrees together with v1.0's compensation (weights / sqrt(k),
DC for the lost mean input).
"""
from __future__ import annotations

import numpy as np

from ..data._paths import models_dir
from ..projections.rules import FixedTotalNumber, TruncatedNormal
from ..spiking.iaf_psc_exp import IafPscExp
from ..spiking.populations import Connection, PoissonDrive, Population, PopulationNetwork
from . import parameters

__all__ = ["BACKGROUNDS", "AREA", "build_network"]

BACKGROUNDS = ("poisson", "dc")
AREA = "microcircuit"  #: the one area's name: populations are "microcircuit/L23E", ...


def build_network(scale: float = 1.0, background: str = "poisson", seed: int = 55,
                  params_path=None) -> PopulationNetwork:
    """The microcircuit at ``scale`` (neurons and in-degrees both scaled).

    Args:
        scale: in (0, 1]; 1 is the full model (77,169 neurons, 298,880,968 synapses).
        background: ``"poisson"`` (default, as published) or ``"dc"``.
        seed: seed of connectivity, Poisson input and initial potentials
            (55: the reference implementation's ``rng_seed``).
        params_path: the parameter TOML (default: the bundled one).

    Raises:
        ValueError: ``scale`` outside (0, 1] or an unknown ``background``.
    """
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {BACKGROUNDS}, got {background!r}")
    path = models_dir() / "potjans2014.toml" if params_path is None else params_path
    params = parameters.load(path, regime=background)
    poisson = background == "poisson"
    names = params["populations"]
    n = parameters.neuron_numbers(params, scale)
    syn = parameters.synapse_numbers(params, scale, scale)
    w, w_sd = parameters.weight_matrix(params, scale), parameters.weight_sd(params, scale)
    d, d_sd = parameters.delay_means(params), parameters.delay_sds(params)
    low = params["delay_min_fraction"] * params["resolution"]
    I_e = parameters.dc_amplitudes(params, scale, poisson=poisson)
    neuron = IafPscExp(C_m=params["C_m"], tau_m=params["tau_m"], tau_syn_ex=params["tau_syn"],
                       tau_syn_in=params["tau_syn"], t_ref=params["t_ref"], E_L=params["E_L"],
                       V_th=params["V_th"], V_reset=params["V_reset"])
    V0_mean, V0_sd = parameters.initial_potentials(params)
    pops = [Population(name, int(n[i]), neuron.replace(I_e=float(I_e[i])), area=AREA,
                       V_init=TruncatedNormal(float(V0_mean[i]), float(V0_sd[i])))
            for i, name in enumerate(names)]
    key = [p.key for p in pops]
    conns = [Connection(key[s], key[t], FixedTotalNumber(int(syn[t, s])),
                        TruncatedNormal.sign_kept(float(w[t, s]), float(w_sd[t, s])),
                        TruncatedNormal(float(d[t, s]), float(d_sd[t, s]), low=low))
             for t in range(len(names)) for s in range(len(names)) if syn[t, s] > 0]
    drives = []
    if poisson:
        rates = parameters.poisson_rates(params, scale)
        w_ext = parameters.external_weight(params, scale)
        drives = [PoissonDrive(key[i], float(rates[i]), float(w_ext), params["delay_poisson"])
                  for i in range(len(names)) if rates[i] > 0]
    return PopulationNetwork(pops, conns, drives, dt=params["resolution"], seed=seed)
