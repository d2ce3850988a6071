"""multiarea: multi-area brain models in JAX, BrainPy-style.

The public API::

    import multiarea as ma
    model = ma.load_model("joglekar2018", regime="asynchronous-strong", n_areas=29)
    net = model.build()                       # a brainpy DynamicalSystem
    record = ma.simulate(net, model.duration_ms, inputs=[model.stimulus(net)])
    ma.analysis.rate_table(record)
"""
from . import analysis, data, ops
from .connectivity import CSR, FixedProb
from .models import Model, available_models, load_model
from .network import Area, MultiAreaNetwork, StepInput
from .neurons import LIF
from .projection import Projection
from .recording import SpikeRecord, simulate

__version__ = "0.1.0"

__all__ = ["analysis", "data", "ops", "CSR", "FixedProb", "Model", "available_models",
           "load_model", "Area", "MultiAreaNetwork", "StepInput", "LIF", "Projection",
           "SpikeRecord", "simulate", "__version__"]
