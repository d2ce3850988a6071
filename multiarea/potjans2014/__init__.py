"""Potjans & Diesmann (2014), Cerebral Cortex 24(3):785-806: the cortical microcircuit (PD14).

* :mod:`.parameters`: the model's parameters (``models/potjans2014.toml``,
  cited to INM-6/microcircuit-PD14-model v1.0) and the quantities derived from
  them as the reference implementation derives them; numpy and the standard
  library only, loadable by file path from NEST's Python.
"""
