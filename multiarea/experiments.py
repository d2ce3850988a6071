"""Joglekar et al. (2018) experiments: weak vs strong GBA, rasters, peak rates.

``run_condition`` simulates one regime of ``models/joglekar2018.toml`` and
measures the propagation of the V1 input; ``make_figure`` writes one of the
paper's spiking-model panels (5B, 5C, 5E, 6A, 6B, 6D) with the CSV table behind
it (and, for 5E/6D, latency against hierarchy in the strong condition).
Responses are measured from the stimulus onset to 50 ms after its end, against
the baseline of the 200 ms before the onset.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import analysis
from .models import Model, load_model
from .recording import SpikeRecord, simulate

__all__ = ["Condition", "run_condition", "make_figure", "FIGURES"]

#: panel -> (regime(s), kind)
FIGURES = {
    "5B": (("asynchronous-weak",), "raster"),
    "5C": (("asynchronous-strong",), "raster"),
    "5E": (("asynchronous-weak", "asynchronous-strong"), "peaks"),
    "6A": (("synchronous-weak",), "raster"),
    "6B": (("synchronous-strong",), "raster"),
    "6D": (("synchronous-weak", "synchronous-strong"), "peaks"),
}
RESPONSE_TAIL_MS = 50.0
BASELINE_MS = 200.0


@dataclass(frozen=True)
class Condition:
    """One simulated regime: the model, its spikes and the propagation table
    (see :func:`multiarea.analysis.propagation`)."""

    model: Model
    record: SpikeRecord
    table: dict

    @property
    def response_window_ms(self) -> tuple[float, float]:
        return _response_window(self.model)


def _response_window(model: Model) -> tuple[float, float]:
    """``(onset, stop)`` ms: stimulus onset to ``RESPONSE_TAIL_MS`` after its end."""
    p = model.params
    onset = p["stimulus_start_ms"]
    return onset, min(onset + p["stimulus_duration_ms"] + RESPONSE_TAIL_MS, model.duration_ms)


def run_condition(regime: str, progress_bar: bool = True, **overrides) -> Condition:
    """Simulate one regime of the Joglekar model and measure propagation.

    Args:
        regime: a regime of ``joglekar2018`` (e.g. ``"asynchronous-strong"``).
        progress_bar: show the simulation's progress bar.
        **overrides: model parameters (``n_areas``, ``duration_ms``, ``seed``, ...).
    """
    model = load_model("joglekar2018", regime=regime, **overrides)
    net = model.build()
    record = simulate(net, model.duration_ms, inputs=[model.stimulus(net)],
                      progress_bar=progress_bar, chunk_ms=100.0)
    onset, stop = _response_window(model)
    if onset - BASELINE_MS < 0:
        raise ValueError(f"the stimulus must start at least {BASELINE_MS} ms into the run, got {onset}")
    table = analysis.propagation(record, onset, baseline_ms=(onset - BASELINE_MS, onset),
                                 stop_ms=stop)
    return Condition(model, record, table)


def _hierarchy_order(condition: Condition) -> np.ndarray:
    return np.argsort(condition.model.anatomy.hierarchy, kind="stable")


def make_figure(panel: str, out_dir, conditions: dict | None = None, progress_bar: bool = True,
                **overrides) -> list[Path]:
    """Write panel ``panel`` (``FIGURES`` keys) as PNG plus its CSV table(s) to ``out_dir``.

    ``conditions`` (regime -> :class:`Condition`) reuses runs already done;
    missing regimes are simulated with ``overrides``.  Returns the written paths.
    """
    if panel not in FIGURES:
        raise ValueError(f"unknown panel {panel!r}; valid: {sorted(FIGURES)}")
    regimes, kind = FIGURES[panel]
    conditions = dict(conditions or {})
    for regime in regimes:
        if regime not in conditions:
            conditions[regime] = run_condition(regime, progress_bar=progress_bar, **overrides)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for regime in regimes:
        csv = out / f"fig{panel}_{regime}_propagation.csv"
        written.append(analysis.write_rate_table(conditions[regime].table, csv))
    first = conditions[regimes[0]]
    names = first.model.anatomy.area_names
    if kind == "raster":
        start, stop = first.response_window_ms
        path = out / f"fig{panel}_{regimes[0]}_raster.png"
        analysis.raster_plot(first.record, order=_hierarchy_order(first), path=path,
                             start_ms=max(0.0, start - 100.0),
                             stop_ms=min(first.model.duration_ms, stop + 50.0),
                             max_neurons_per_area=400)
    else:
        path = out / f"fig{panel}_peak_rates.png"
        analysis.peak_rate_plot({r.split("-")[1] + " GBA": conditions[r].table["peak_hz"] for r in regimes},
                                names, order=_hierarchy_order(first), path=path)
        strong = conditions[regimes[-1]]
        written.append(out / f"fig{panel}_{regimes[-1]}_latency.png")
        analysis.latency_plot(strong.table, strong.model.anatomy.hierarchy, names, path=written[-1])
    written.append(path)
    return written


def compare_table(conditions: dict) -> str:
    """Per-area peak rate (Hz) and latency (ms) of several conditions, as text."""
    regimes = list(conditions)
    first = conditions[regimes[0]]
    order = _hierarchy_order(first)
    h = first.model.anatomy.hierarchy
    head = f"{'area':>6} {'h':>5} " + " ".join(f"{r + ' peak':>26} {'lat':>6}" for r in regimes)
    lines = [head]
    for i in order:
        cells = []
        for r in regimes:
            t = conditions[r].table
            latency = f"{t['latency_ms'][i]:6.1f}" if t["responded"][i] else f"{'-':>6}"
            cells.append(f"{t['peak_hz'][i]:26.1f} {latency}")
        lines.append(f"{t['area'][i]:>6} {h[i]:5.2f} " + " ".join(cells))
    return "\n".join(lines)
