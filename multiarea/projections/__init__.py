"""Projections and what they are made of: the layer above ``ops``, below the
spiking and rate networks.

* :mod:`.connectivity`: which (pre, post) pairs exist (:class:`FixedProb`,
  :class:`CSR`);
* :mod:`.initializers`: per-type parameter values (:class:`Value`,
  :class:`Normal`, :class:`Lognormal`);
* :mod:`.projection`: :class:`Projection`, applied as ``events(spikes)`` or
  ``matvec(rates)``;
* :mod:`.connectome`: connectomes in any common form, typed random
  connectomes, projections into / out of neuron subsets;
* :mod:`.rules`: the connection rules of population networks
  (:class:`FixedProbability`, :class:`FixedTotalNumber`,
  :class:`FixedIndegree`) and :class:`TruncatedNormal` weights and delays.
"""
from . import connectome, initializers, rules
from .connectivity import CSR, FixedProb
from .initializers import Lognormal, Normal, Value
from .projection import Projection
from .rules import FixedIndegree, FixedProbability, FixedProbabilityV0, FixedTotalNumber, TruncatedNormal

__all__ = ["connectome", "initializers", "rules", "FixedIndegree", "FixedProbability", "FixedProbabilityV0", "FixedTotalNumber",
           "TruncatedNormal", "CSR", "FixedProb", "Lognormal", "Normal", "Value", "Projection"]
