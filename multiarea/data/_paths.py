"""Locating the bundled ``data/`` and ``models/`` folders.

From a git checkout (``pip install -e .``) they sit next to the package; from
an installed wheel they are installed as data files under
``<prefix>/share/multiarea/``.  ``MULTIAREA_DATA_DIR`` / ``MULTIAREA_MODELS_DIR``
override both.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]


def _find(kind: str, env: str) -> Path:
    if env in os.environ:
        return Path(os.environ[env])
    candidates = [_CHECKOUT / kind, Path(sys.prefix) / "share" / "multiarea" / kind]
    for path in candidates:
        if path.is_dir():
            return path
    raise FileNotFoundError(
        f"cannot find the multiarea {kind!r} folder; looked in "
        + ", ".join(str(p) for p in candidates) + f" (set {env} to point at it)")


def data_dir() -> Path:
    """The folder holding the bundled datasets."""
    return _find("data", "MULTIAREA_DATA_DIR")


def models_dir() -> Path:
    """The folder holding the bundled model descriptions (TOML)."""
    return _find("models", "MULTIAREA_MODELS_DIR")
