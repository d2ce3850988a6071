"""multiarea: multi-area brain models in JAX, BrainPy-style.

The public API::

    import multiarea as ma
    model = ma.load_model("joglekar2018", regime="asynchronous-strong", n_areas=29)
    net = model.build()                       # a brainpy DynamicalSystem
    record = ma.simulate(net, model.duration_ms, inputs=[model.stimulus(net)])
    ma.analysis.rate_table(record)

Rate networks on typed connectomes::

    conn, types = ma.connectome.create_neuron_typed_connectome(1000, probs, block)
    rnn = ma.ConnectomeRNN(conn, types, neuron_type_class=["excitatory", "inhibitory"])
    outputs, activity, times = rnn.forward(x, 0.0, 100.0, num_steps=101)

The Joglekar et al. (2018) rate model, a ConnectomeRNN on the same anatomy::

    rate = ma.joglekar2018.rate_model.load_rate_model("strong-gba")
    run = rate.simulate()                     # V1 pulse; run.peaks(): (1, 29) Hz

Networks of any named populations (NEST's iaf_psc_exp, connection rules,
Poisson drive) on their own whole-step kernel; the cortical microcircuit::

    net = ma.PopulationNetwork([ma.Population("E", 800, ma.IafPscExp())],
                               [ma.Connection("E", "E", ma.FixedTotalNumber(8000), 87.8, 1.5)],
                               [ma.PoissonDrive("E", 16000.0, 87.8)])
    record = ma.simulate_populations(net, 1000.0)
    ma.analysis.population_statistics(record)
    net = ma.potjans2014.build_network(scale=1.0)   # 77,169 neurons, ~3e8 synapses

The multi-area model of Schmidt et al. (2018), imported from the user's
checkout of INM-6/multi-area-model (``multiarea import-mam REPO --out DIR``)::

    net = ma.schmidt2018.load_mam(DIR)

Activation fitting (``ma.fitting``) on a ``LayeredConnectomeNet`` or a
``ConnectomeRNN.activation_model(...)``::

    net = ma.LayeredConnectomeNet(weights, sensory_indices, pre_in="rows", num_layers=5)
    found = ma.fitting.activation_maximisation(net, {4: {neuron: 1.0}})
"""
# Taichi before jax and brainpy: each of its built-in kernels calls
# inspect.getmodule when taichi is imported, which walks sys.modules (importing
# multiarea.cli with its kernels: 3.4 s -> 2.95 s on the development VM).
import taichi  # noqa: F401  isort: skip

# The layers, lowest first (imports only run downwards): data, ops -> projections
# -> spiking, rate -> fitting -> model packages (joglekar2018, potjans2014, schmidt2018) -> cli.
from . import data, ops, projections, spiking, rate, fitting, joglekar2018, potjans2014, schmidt2018
from .data import io
from .fitting import activation_frames
from .joglekar2018 import rate_fit, rate_model as joglekar_rate
from .projections import (CSR, FixedIndegree, FixedProb, FixedProbability, FixedProbabilityV0, FixedTotalNumber,
                          Lognormal, Normal, Projection, TruncatedNormal, Value, connectome, initializers, rules)
from .rate import ConnectomeRNN, LayeredConnectomeNet, fly_visual_rnn
from .spiking import (LIF, Area, Connection, IafPscExp, LifDelta, Model, MultiAreaNetwork, NoiseDrive, PoissonDrive,
                      Population, PopulationNetwork, SpikeRecord, StepInput, analysis,
                      area_connections, available_models, dump_population_network, ei_multiarea_network, load_model,
                      load_population_network, simulate, simulate_populations)
from .spiking.runners import sharded as sharding

__version__ = "0.1.0"

__all__ = ["data", "ops", "projections", "spiking", "rate", "fitting", "joglekar2018", "potjans2014", "schmidt2018",
           "rules",
           "IafPscExp", "LifDelta", "area_connections", "ei_multiarea_network", "FixedProbabilityV0", "Population", "Connection", "PoissonDrive", "NoiseDrive", "PopulationNetwork", 
           "simulate_populations", "load_population_network", "dump_population_network", "FixedProbability",
           "FixedTotalNumber", "FixedIndegree", "TruncatedNormal",
           "activation_frames", "analysis", "connectome", "initializers", "io", "sharding",
           "joglekar_rate", "rate_fit",
           "ConnectomeRNN", "fly_visual_rnn", "LayeredConnectomeNet",
           "Lognormal", "Normal", "Value", "CSR", "FixedProb", "Model", "available_models",
           "load_model", "Area", "MultiAreaNetwork", "StepInput", "LIF", "Projection",
           "SpikeRecord", "simulate", "__version__"]
