"""Spiking networks: neurons, areas and networks, how they are run, what they record.

* :mod:`.neurons` (:class:`LIF`) and :mod:`.network` (:class:`Area`,
  :class:`MultiAreaNetwork`): brainpy DynamicalSystems;
* :mod:`.model_file`: model descriptions (TOML) -> networks (:func:`load_model`);
* :mod:`.inputs`: run lengths and external drive, shared by all runners;
* :mod:`.runners`: the whole-step kernel, the sharded run and ``bp.DSRunner``
  behind one interface;
* :mod:`.simulation` (:func:`simulate`) and :mod:`.recording` (:class:`SpikeRecord`);
* :mod:`.analysis`: rates, propagation, plots.
"""
from . import analysis, runners
from .inputs import StepInput
from .model_file import Model, available_models, load_model
from .network import Area, MultiAreaNetwork
from .neurons import LIF
from .recording import SpikeRecord
from .simulation import simulate

__all__ = ["analysis", "runners", "StepInput", "Model", "available_models", "load_model", "Area",
           "MultiAreaNetwork", "LIF", "SpikeRecord", "simulate"]
