"""Joglekar, Mejias, Yang & Wang (2018), Neuron 98:222-234: the reproduction.

* :mod:`.experiments`: the spiking model's experiments and figures (Figs. 5
  and 6), outcomes over seeds;
* :mod:`.rate_model`: the rate model (Figs. 2-4) as a ConnectomeRNN;
* :mod:`.rate_figures`: the rate model's figures;
* :mod:`.rate_fit`: fitting the rate model to the spiking model.

The spiking network itself is the core's ``MultiAreaNetwork``, built from
``models/joglekar2018.toml`` by :func:`multiarea.load_model`.
"""
from . import experiments, rate_figures, rate_fit, rate_model

__all__ = ["experiments", "rate_model", "rate_figures", "rate_fit"]
