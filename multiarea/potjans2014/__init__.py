"""Potjans & Diesmann (2014), Cerebral Cortex 24(3):785-806: the cortical microcircuit (PD14).

* :mod:`.parameters`: the model's parameters (``models/potjans2014.toml``,
  cited to INM-6/microcircuit-PD14-model v1.0) and the quantities derived from
  them as the reference implementation derives them; numpy and the standard
  library only, loadable by file path from NEST's Python.
* :mod:`.network`: :func:`build_network`, the model as a
  :class:`~multiarea.spiking.populations.PopulationNetwork` (any scale,
  Poisson or DC background);
* :mod:`.experiments`: :func:`run_microcircuit` (what ``multiarea run
  potjans2014`` does) and the published NEST rates.
"""
from . import experiments, network, parameters
from .experiments import reference_rates, run_microcircuit
from .network import build_network

__all__ = ["parameters", "network", "experiments", "build_network", "run_microcircuit", "reference_rates"]
