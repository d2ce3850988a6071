"""Spiking networks: neurons, areas and networks, how they are run, what they record.

* :mod:`.neurons` (:class:`LIF`) and :mod:`.network` (:class:`Area`,
  :class:`MultiAreaNetwork`): brainpy DynamicalSystems;
* :mod:`.model_file`: model descriptions (TOML) -> networks (:func:`load_model`);
* :mod:`.inputs`: run lengths and external drive, shared by all runners;
* :mod:`.runners`: the whole-step kernel, the sharded run and ``bp.DSRunner``
  behind one interface;
* :mod:`.simulation` (:func:`simulate`) and :mod:`.recording` (:class:`SpikeRecord`);
* :mod:`.analysis`: rates, propagation, plots.

Networks of any named populations with exponential current synapses (NEST's
``iaf_psc_exp``), run on their own whole-step kernel:

* :mod:`.iaf_psc_exp` (:class:`IafPscExp`) and :mod:`.populations`
  (:class:`Population`, :class:`Connection`, :class:`PoissonDrive`,
  :class:`PopulationNetwork`);
* :mod:`.population_file`: TOML <-> network;
* :mod:`.population_run` (:func:`simulate_populations`,
  :func:`run_population_network`).
"""
from . import analysis, runners
from .inputs import StepInput
from .model_file import Model, available_models, load_model
from .network import Area, MultiAreaNetwork
from .neurons import LIF
from .recording import SpikeRecord
from .simulation import simulate
from .iaf_psc_exp import IafPscExp
from .lif_delta import LifDelta
from .ei_populations import area_connections, ei_multiarea_network
from .population_file import dump_population_network, load_population_network
from .population_run import run_population_network, simulate_populations
from .populations import Connection, NoiseDrive, PoissonDrive, Population, PopulationNetwork

__all__ = ["analysis", "runners", "StepInput", "Model", "available_models", "load_model", "Area",
           "MultiAreaNetwork", "LIF", "SpikeRecord", "simulate", "IafPscExp", "LifDelta", "Population", "Connection",
           "PoissonDrive", "NoiseDrive", "PopulationNetwork", "simulate_populations", "run_population_network",
           "load_population_network", "dump_population_network", "area_connections", "ei_multiarea_network"]
