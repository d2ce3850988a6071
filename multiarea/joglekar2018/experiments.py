"""Joglekar et al. (2018) experiments: weak vs strong GBA, rasters, peak rates.

``run_condition`` simulates one regime of ``models/joglekar2018.toml`` and
measures the propagation of the V1 input; ``make_figure`` writes one of the
paper's spiking-model panels (5B, 5C, 5E, 6A, 6B, 6D) with the CSV table behind
it (and, for 5E/6D, latency against hierarchy in the strong condition).
Responses are measured from the stimulus onset to 50 ms after its end, against
the baseline of the 200 ms before the onset.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..spiking import analysis
from ..data import models_dir
from ..spiking.model_file import Model, load_model
from ..spiking.recording import SpikeRecord
from ..spiking.simulation import simulate

__all__ = ["Condition", "ConditionSeeds", "run_condition", "response_table", "outcome_of",
           "make_figure", "FIGURES", "seed_outcomes", "seed_outcomes_path"]

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
FINAL_MS = 50.0  #: the end of the run over which "returned to baseline" is judged
#: a baseline rate above this (Hz) means the network was already active before the stimulus
ACTIVE_BASELINE_HZ = 50.0


@dataclass(frozen=True)
class Condition:
    """One simulated regime: the model, its spikes and the propagation table
    (see :func:`multiarea.analysis.propagation`).  If the run goes on for at
    least ``FINAL_MS`` after the response window, the table has two more
    columns: ``final_hz``, the mean rate over the last ``FINAL_MS`` of the
    run, and ``returned``, whether that is back under the response threshold."""

    model: Model
    record: SpikeRecord
    table: dict

    @property
    def response_window_ms(self) -> tuple[float, float]:
        return _response_window(self.model)

    @property
    def outcome(self) -> str:
        """``"active before stimulus"`` if some area's baseline exceeds
        ``ACTIVE_BASELINE_HZ`` (the network ignited spontaneously), else
        ``"returned"`` if every area is back under its response threshold at
        the end of the run, else ``"stayed active"``."""
        if "returned" not in self.table:
            raise ValueError(f"the run ({self.model.duration_ms} ms) ends less than {FINAL_MS} ms after "
                             f"the response window {self.response_window_ms}: the return to baseline "
                             f"is not measured")
        return outcome_of(self.table["baseline_hz"], self.table["returned"])

    @property
    def returned_to_baseline(self) -> bool:
        """Whether the outcome is ``"returned"`` (see :attr:`outcome`)."""
        return self.outcome == "returned"


def outcome_of(baseline_hz, returned) -> str:
    """The outcome of one run from its per-area baselines (Hz) and ``returned``
    flags (see :attr:`Condition.outcome`)."""
    if np.max(baseline_hz) > ACTIVE_BASELINE_HZ:
        return "active before stimulus"
    return "returned" if np.all(returned) else "stayed active"


def _response_window(model: Model) -> tuple[float, float]:
    """``(onset, stop)`` ms: stimulus onset to ``RESPONSE_TAIL_MS`` after its end."""
    p = model.params
    onset = p["stimulus_start_ms"]
    return onset, min(onset + p["stimulus_duration_ms"] + RESPONSE_TAIL_MS, model.duration_ms)


def run_condition(regime: str, progress_bar: bool = True, seeds=None, **overrides):
    """Simulate one regime of the Joglekar model and measure propagation.

    Args:
        regime: a regime of ``joglekar2018`` (e.g. ``"asynchronous-strong"``).
        progress_bar: show the simulation's progress bar.
        seeds: ``None`` for one run (seed from ``overrides`` or the model
            file), or a sequence of seeds: one run per seed, returned as a
            :class:`ConditionSeeds`.
        **overrides: model parameters (``n_areas``, ``duration_ms``, ``seed``, ...).

    Returns:
        A :class:`Condition`, or a :class:`ConditionSeeds` if ``seeds`` is given.
    """
    if seeds is not None:
        seeds = _seed_list(seeds)
        if "seed" in overrides:
            raise ValueError("give either seeds or seed, not both")
        return ConditionSeeds(regime, tuple(run_condition(regime, progress_bar, seed=s, **overrides)
                                            for s in seeds))
    model = load_model("joglekar2018", regime=regime, **overrides)
    _check_measurable(model)
    net = model.build()
    record = simulate(net, model.duration_ms, inputs=[model.stimulus(net)],
                      progress_bar=progress_bar, chunk_ms=100.0)
    return Condition(model, record, response_table(model, record))


def _check_measurable(model: Model) -> None:
    onset = model.params["stimulus_start_ms"]
    if onset - BASELINE_MS < 0:
        raise ValueError(f"the stimulus must start at least {BASELINE_MS} ms into the run, got {onset}")
    if model.duration_ms <= onset:
        raise ValueError(f"duration_ms = {model.duration_ms} ends before the stimulus onset ({onset} ms)")


def response_table(model: Model, record: SpikeRecord) -> dict:
    """The propagation table of a run of ``model`` (see :class:`Condition`).

    Raises:
        ValueError: the stimulus starts less than ``BASELINE_MS`` into the run
            or the run ends before it.
    """
    _check_measurable(model)
    onset, stop = _response_window(model)
    table = analysis.propagation(record, onset, baseline_ms=(onset - BASELINE_MS, onset),
                                 stop_ms=stop)
    if model.duration_ms - FINAL_MS >= stop:
        final = analysis.mean_rate(record, model.duration_ms - FINAL_MS, model.duration_ms)
        table["final_hz"] = final
        table["returned"] = final <= table["threshold_hz"]
    return table


def _seed_list(seeds) -> list[int]:
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a sequence of ints, got {seeds!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must not be empty")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must not repeat, got {seeds}")
    return seeds


@dataclass(frozen=True)
class ConditionSeeds:
    """One regime simulated with several seeds (one :class:`Condition` each)."""

    regime: str
    runs: tuple

    @property
    def model(self) -> Model:
        """The first run's model (all runs share it but for the seed)."""
        return self.runs[0].model

    @property
    def seeds(self) -> list[int]:
        return [int(run.model.params["seed"]) for run in self.runs]

    @property
    def response_window_ms(self) -> tuple[float, float]:
        return _response_window(self.model)

    def stack(self, column: str) -> np.ndarray:
        """``(n_seeds, n_areas)`` values of one propagation-table column."""
        return np.array([run.table[column] for run in self.runs])

    @property
    def table(self) -> dict:
        """Per area over seeds: :func:`multiarea.analysis.seed_summary`."""
        return analysis.seed_summary([run.table for run in self.runs])

    @property
    def returned_count(self) -> int:
        """In how many seeds the run returned to baseline (:attr:`Condition.outcome`)."""
        return sum(run.returned_to_baseline for run in self.runs)

    @property
    def outcomes(self) -> list[str]:
        """:attr:`Condition.outcome` per seed."""
        return [run.outcome for run in self.runs]

    def seed_table(self) -> dict:
        """One row per (seed, area): the propagation columns with a ``seed`` column first."""
        first = self.runs[0].table
        table = {"seed": np.repeat(self.seeds, len(first["area"]))}
        for column in first:
            table[column] = [v for run in self.runs for v in run.table[column]]
        return table


def _hierarchy_order(condition) -> np.ndarray:
    return np.argsort(condition.model.anatomy.hierarchy, kind="stable")


def make_figure(panel: str, out_dir, conditions: dict | None = None, progress_bar: bool = True,
                seeds=None, **overrides) -> list[Path]:
    """Write panel ``panel`` (``FIGURES`` keys) as PNG plus its CSV table(s) to ``out_dir``.

    ``conditions`` (regime -> :class:`Condition` or :class:`ConditionSeeds`)
    reuses runs already done; missing regimes are simulated with ``seeds`` and
    ``overrides`` (see :func:`run_condition`).  With several seeds the CSVs
    hold the per-area summary over seeds (median and IQR of the peak, fraction
    responded, latency quartiles, fraction returned) and one row per (seed,
    area); rasters are drawn per seed; peak and latency plots show the spread.
    Peak panels (5E, 6D) measure nothing after the response window, so unless
    ``duration_ms`` is given their runs stop at its end (the simulation is
    causal: the peaks and latencies are those of the full-length run), which
    spares the costly persistent activity that strong GBA may enter later.
    Their tables then have no ``returned`` column.

    Returns the written paths.
    """
    if panel not in FIGURES:
        raise ValueError(f"unknown panel {panel!r}; valid: {sorted(FIGURES)}")
    regimes, kind = FIGURES[panel]
    conditions = dict(conditions or {})
    missing = [r for r in regimes if r not in conditions]
    if kind == "peaks" and "duration_ms" not in overrides:
        windows = {_response_window(load_model("joglekar2018", regime=r, **overrides))[1] for r in missing}
        if len(windows) == 1:
            overrides["duration_ms"] = windows.pop()
    if seeds is not None:
        seeds = _seed_list(seeds)
    for regime in missing:        # refuse what cannot work before simulating anything
        _check_measurable(load_model("joglekar2018", regime=regime, **overrides))
    for regime in regimes:
        if regime not in conditions:
            conditions[regime] = run_condition(regime, progress_bar=progress_bar, seeds=seeds,
                                               **overrides)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for regime in regimes:
        cond = conditions[regime]
        written.append(analysis.write_rate_table(cond.table, out / f"fig{panel}_{regime}_propagation.csv"))
        if isinstance(cond, ConditionSeeds):
            written.append(analysis.write_rate_table(cond.seed_table(),
                                                     out / f"fig{panel}_{regime}_seeds.csv"))
    first = conditions[regimes[0]]
    names = first.model.anatomy.area_names
    if kind == "raster":
        start, stop = first.response_window_ms
        runs = first.runs if isinstance(first, ConditionSeeds) else (first,)
        for run in runs:
            suffix = f"_seed{run.model.params['seed']}" if isinstance(first, ConditionSeeds) else ""
            path = out / f"fig{panel}_{regimes[0]}_raster{suffix}.png"
            analysis.raster_plot(run.record, populations=("E",), neurons=400, order=_hierarchy_order(first),
                                 start_ms=max(0.0, start - 100.0), stop_ms=min(run.model.duration_ms, stop + 50.0),
                                 path=path)
            written.append(path)
        return written

    def peaks(cond):
        return cond.stack("peak_hz") if isinstance(cond, ConditionSeeds) else cond.table["peak_hz"]

    path = out / f"fig{panel}_peak_rates.png"
    analysis.peak_rate_plot({r.split("-")[1] + " GBA": peaks(conditions[r]) for r in regimes},
                            names, order=_hierarchy_order(first), path=path)
    strong = conditions[regimes[-1]]
    latencies = strong.stack("latency_ms") if isinstance(strong, ConditionSeeds) else strong.table
    written.append(out / f"fig{panel}_{regimes[-1]}_latency.png")
    analysis.latency_plot(latencies, strong.model.anatomy.hierarchy, names, path=written[-1])
    written.append(path)
    return written


#: parameters that may differ from the model file in a bundled seed-statistics row
_SEMANTICS_PARAMS = ("synapses_during_refractory", "refractory_timing")
#: the membrane noise generator of this version (``LIF.noise``), as the bundled
#: seed statistics name it; rows measured with another one are other draws of
#: the same model (the same distribution, other seeds' outcomes)
NOISE_GENERATOR = "counter-table"


def seed_outcomes_path(model_name: str) -> Path:
    """``models/<model_name>_seeds.csv``: the bundled outcomes over seeds (see :func:`seed_outcomes`)."""
    return models_dir() / f"{model_name}_seeds.csv"


def seed_outcomes(model: Model) -> list[dict]:
    """The bundled measurements of how often ``model``'s regime returns to baseline.

    ``models/<name>_seeds.csv`` (written by ``benchmarks/joglekar_outcomes.py``
    from runs of ``examples/joglekar_seeds.py`` and of Brian2) holds, per
    simulator, regime and refractory semantics, in how many seeds the full
    model returned to baseline.  A row applies if ``model`` differs from its
    model file only in the seed and in the semantics the row names.

    Returns:
        One dict per applicable row, this package's first: ``{"simulator":
        "multiarea" | "brian2", "returned": int, "active_before": int,
        "runs": int, "seeds": str, "noise": str}``; ``noise`` is the random
        generator the row was measured with (``NOISE_GENERATOR`` for this
        version's).  Empty if no row applies.
    """
    path = seed_outcomes_path(model.name)
    if not path.is_file():
        return []
    defaults = load_model(model.name, regime=model.regime).params
    changed = {k for k in model.params if model.params[k] != defaults[k]} - {"seed"}
    if changed - set(_SEMANTICS_PARAMS):
        return []
    found = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["regime"] != model.regime:
                continue
            semantics = {"synapses_during_refractory": row["synapses_during_refractory"] == "True",
                         "refractory_timing": row["refractory_timing"]}
            if all(model.params[k] == v for k, v in semantics.items()):
                found.append({"simulator": row["simulator"], "returned": int(row["returned"]),
                              "active_before": int(row["active_before"]), "runs": int(row["runs"]),
                              "seeds": row["seeds"], "noise": row["noise"]})
    return sorted(found, key=lambda r: r["simulator"] != "multiarea")


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
