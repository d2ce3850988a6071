"""Bundled datasets and reading data files: the base every other layer may import.

* :func:`joglekar2018`: the 29-area macaque anatomy of Joglekar et al. (2018)
  (FLN, SLN, hierarchy, wiring distances);
* :func:`fly_visual`: the fly visual system connectome, expanded as flyvis does;
* :func:`load_array` / :func:`load_tensor`: connectome files of any common format;
* :func:`data_dir` / :func:`models_dir`: where the bundled ``data/`` and
  ``models/`` folders are (checkout or installed wheel).
"""
from . import io
from ._paths import data_dir, models_dir
from .fly_visual import FlyVisualConnectome, fly_visual
from .io import load_array, load_tensor
from .joglekar2018_anatomy import Joglekar2018Data, joglekar2018

__all__ = ["Joglekar2018Data", "joglekar2018", "FlyVisualConnectome", "fly_visual", "io", "load_array",
           "load_tensor", "data_dir", "models_dir"]
