"""Schmidt et al. (2018): the multi-area model of macaque visual cortex (MAM), imported from the authors' code.

INM-6/multi-area-model is licensed CC BY-NC-SA 4.0: none of its code or
data is part of multiarea.  The user imports the model from a checkout of
theirs, on their machine, and multiarea runs what that writes:

* :mod:`.import_mam`: :func:`import_mam` (``multiarea import-mam REPO_DIR
  --out DIR [--scale F] [--regime ground-state|metastable]``) runs the
  authors' pipeline without NEST (a subprocess with a stub ``nest``) and
  writes the numbers their ``simulation.py`` hands to NEST into ``DIR``;
* :mod:`.network`: :func:`load_mam` builds the
  :class:`~multiarea.spiking.populations.PopulationNetwork` of such a folder;
* :mod:`.published`: the published statistics of the full-scale ground state
  (NEST and GeNN) read from a checkout of BrainsOnBoard/procedural_paper, and
  a run set beside them;
* :mod:`.figures`: the paper's raster, area x population rate matrix and
  area rate traces of a run (``multiarea figure mam``).
"""
from . import figures, network, published
from . import import_mam as importer
from .import_mam import REGIMES, import_mam
from .network import is_mam_folder, load_mam, mam_components, read_mam

__all__ = ["importer", "network", "published", "figures", "REGIMES", "import_mam", "load_mam", "mam_components",
           "read_mam", "is_mam_folder"]
