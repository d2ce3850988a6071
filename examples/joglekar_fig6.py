"""Joglekar et al. (2018) Fig. 6: synchronous regime, weak vs strong GBA.

Same outputs as ``joglekar_fig5.py`` for panels 6A (weak raster), 6B (strong
raster) and 6D (peak rates of both).

    python examples/joglekar_fig6.py --out figures
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from joglekar_fig5 import run_figures  # noqa: E402

if __name__ == "__main__":
    run_figures(["6A", "6B", "6D"], ["synchronous-weak", "synchronous-strong"], sys.argv[1:])
