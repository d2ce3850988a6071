"""Fitting the Joglekar rate model to the spiking model's per-area responses.

The spiking model (:mod:`multiarea.joglekar2018.experiments`, asynchronous regimes, weak
and strong GBA) is driven with V1 pulses of several amplitudes (mV, 150 ms);
its per-area peak E response above baseline is the target.  The rate model
(:mod:`multiarea.joglekar2018.rate_model`, the same regime's GBA) becomes an
:class:`multiarea.fitting.ActivationModel` (:class:`PeakResponseModel`):
input amplitude (mV) -> per-area peak rise (Hz) for the same pulse, with
trainable gains of the long-range projections (``long_range_gain``: one per
type, E->E and E->I, or one per type and target area; they are edge types of
the ConnectomeRNN, see ``JoglekarRate.build_rnn``) and an ``input_gain`` (Hz
of rate-model input per mV of spiking input).  The local E/I gains stay as
published: the model sits in a narrow stability window (e.g. weak GBA is
stable for muEE ~30-34 pA/Hz only, ``multiarea figure joglekar2018-rate
eigen``), and a 1 % change of all E->E strengths (local included) already
destabilises it.
:func:`fit_to_spiking` fits them with :func:`multiarea.fitting.train_model`
on all amplitudes but one and reports how well the fitted model predicts the
held-out one.  One projection abstraction carries the spiking model's
synapses, the rate model's couplings and the gradients of the fit.

The spiking measurements are bundled in
``models/joglekar2018_rate_targets.csv`` (written by
``examples/joglekar_spiking_targets.py``, command in its docstring).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pandas as pd

from .. import _checks, fitting
from . import rate_model as jr
from ..data import models_dir

__all__ = ["PeakResponseModel", "FitResult", "fit_to_spiking", "spiking_targets", "fit_metrics",
           "write_fit_report", "SPIKING_REGIME"]

#: rate-model regime -> the spiking regime it is fitted to
SPIKING_REGIME = {"weak-gba": "asynchronous-weak", "strong-gba": "asynchronous-strong"}
GAINS = ("long-range", "per-area")
TARGETS_FILE = "joglekar2018_rate_targets.csv"


def spiking_targets(path=None) -> pd.DataFrame:
    """The bundled spiking measurements averaged over seeds: one row per
    (regime, stimulus_mV, area) with ``peak_rise_hz`` (mean over seeds),
    ``peak_rise_sd_hz`` and ``n_seeds``, areas in the data's order."""
    frame = pd.read_csv(models_dir() / TARGETS_FILE if path is None else path)
    missing = {"regime", "stimulus_mV", "seed", "area", "peak_rise_hz"} - set(frame.columns)
    if missing:
        raise ValueError(f"spiking targets need columns {sorted(missing)}")
    grouped = frame.groupby(["regime", "stimulus_mV", "area"], sort=False)["peak_rise_hz"]
    return grouped.agg(peak_rise_hz="mean", peak_rise_sd_hz="std", n_seeds="count").reset_index()


class PeakResponseModel:
    """The rate model as an :class:`~multiarea.fitting.ActivationModel`:
    ``inputs`` ``(batch, 1)`` V1 pulse amplitudes (mV) -> ``(batch, 29, 1)``
    peak E rise (Hz) of every area over ``window_ms`` from the pulse onset.

    The network is the plain threshold-linear one (no floor, no hold) started
    at its own fixed point for the current gains (a linear solve with the
    model's background currents, differentiable), with a pulse of
    ``input_gain x amplitude`` Hz on the stimulus area's E for ``pulse_ms``.

    Args:
        rate: the rate model (its regime's couplings).
        gains: ``"long-range"`` (2 gains: E->E and E->I long-range) or
            ``"per-area"`` (58: those onto each area).
        pulse_ms: pulse duration (the spiking protocol's 150 ms).
        window_ms: response window from the onset (spiking: to 50 ms after
            the pulse, 200 ms).
        input_gain: initial Hz per mV.
    """

    def __init__(self, rate: jr.JoglekarRate, *, gains: str = "long-range", pulse_ms: float = 150.0,
                 window_ms: float = 200.0, input_gain: float = 1.0):
        if gains not in GAINS:
            raise ValueError(f"gains must be one of {GAINS}, got {gains!r}")
        self.rate = rate
        dt = rate.params["dt"]
        pulse_ms = _checks.positive_float("pulse_ms", pulse_ms)
        window_ms = _checks.positive_float("window_ms", window_ms)
        if window_ms < pulse_ms:
            raise ValueError(f"window_ms = {window_ms} is shorter than pulse_ms = {pulse_ms}")
        self.dt, self.n_steps = dt, int(round(window_ms / dt)) + 1
        self.rnn = rate.build_rnn(floor=False, hold=False, edge_groups=gains)
        #: the edge types (``rnn.edge_types`` indices) the gains act on
        self.gain_names = [name for name in self.rnn.edge_types if "long-range" in name]
        self._gain_index = np.array([self.rnn.edge_types.index(name) for name in self.gain_names])
        n = rate.n_areas
        pulse = np.zeros((self.n_steps, n + 1))
        pulse[:int(round(pulse_ms / dt)), 1 + rate.area_names.index(rate.params["stimulus_area"])] = 1.0
        self._pulse = pulse
        self._post = self.rnn.recurrent.conn.indices
        self._pre = self.rnn.recurrent.conn.pre_of_synapse()
        with jr.x64(rate.dtype):
            self._strength = self.rnn.params["edge_strength"]                    # all 1
            self.params = {"long_range_gain": self._strength[self._gain_index],
                           "input_gain": jnp.asarray([_checks.nonnegative_float("input_gain", input_gain)],
                                                     self.rnn.dtype)}
        self.input_shape, self.n_neurons, self.n_layers = (1,), n, 1

    def edge_strength(self, params) -> jnp.ndarray:
        """The ConnectomeRNN's ``edge_strength`` for ``params``' gains."""
        return self._strength.astype(params["long_range_gain"].dtype).at[self._gain_index].set(
            params["long_range_gain"])

    def fixed_point(self, params) -> jnp.ndarray:
        """``(58,)`` the steady state for ``params``' gains (above threshold)."""
        w = self.rnn.weights({"edge_strength": self.edge_strength(params)})
        m = 2 * self.rate.n_areas
        coupling = jnp.zeros((m, m), w.dtype).at[self._post, self._pre].add(w)
        return jnp.linalg.solve(jnp.eye(m, dtype=w.dtype) - coupling, jnp.asarray(self.rate.background, w.dtype))

    def apply(self, params, inputs):
        r0 = self.fixed_point(params)
        amplitude = jnp.asarray(inputs, r0.dtype)[:, 0] * params["input_gain"][0]     # (batch,) Hz
        pulse = jnp.asarray(self._pulse, r0.dtype)
        x = pulse[None] * amplitude[:, None, None]
        x = x.at[:, :, 0].set(1.0)                                                     # background channel
        start = jnp.broadcast_to(r0, (amplitude.shape[0], r0.shape[0]))
        _, act, _ = self.rnn.forward(x, 0.0, (self.n_steps - 1) * self.dt, self.n_steps,
                                     params={"edge_strength": self.edge_strength(params)}, initial_state=start)
        n = self.rate.n_areas
        return (act[:, :, :n].max(axis=1) - r0[:n])[:, :, None]

    def clamp(self, params):
        return {name: jnp.maximum(value, 0.0) for name, value in params.items()}


def fit_metrics(target, predicted) -> dict:
    """``r2`` (1 - SS_res / SS_tot), ``pearson_r``, ``rmse_hz`` and
    ``log_pearson_r`` (of log10 of values floored at 0.01 Hz) of per-area peaks."""
    t, p = np.asarray(target, float), np.asarray(predicted, float)
    logs = np.log10(np.maximum(t, 0.01)), np.log10(np.maximum(p, 0.01))
    return {"r2": float(1 - np.sum((t - p) ** 2) / np.sum((t - t.mean()) ** 2)),
            "pearson_r": float(np.corrcoef(t, p)[0, 1]), "rmse_hz": float(np.sqrt(np.mean((t - p) ** 2))),
            "log_pearson_r": float(np.corrcoef(*logs)[0, 1])}


@dataclass
class FitResult:
    """Result of :func:`fit_to_spiking`.

    Attributes:
        regime: the rate regime; spiking_regime: the spiking one.
        train_mV, held_out_mV: amplitudes fitted / predicted.
        gains: ``"long-range"`` or ``"per-area"``; gain_names: the edge
            types of ``params["long_range_gain"]``.
        params: fitted ``long_range_gain`` and ``input_gain`` ``(1,)`` (Hz/mV).
        initial_params: before the fit (input gain matched to V1).
        table: per (amplitude, area): ``spiking_rise_hz``,
            ``rate_initial_hz``, ``rate_fitted_hz``, ``held_out``.
        metrics: ``{"initial"|"fitted": {"train"|"held_out": fit_metrics}}``.
        history: ``train_model``'s loss history.
    """

    regime: str
    spiking_regime: str
    gains: str
    gain_names: list
    train_mV: list
    held_out_mV: float
    params: dict
    initial_params: dict
    table: pd.DataFrame
    metrics: dict
    history: dict


def fit_to_spiking(regime: str = "strong-gba", held_out_mV: float | None = None, *, gains: str = "long-range",
                   targets=None, num_epochs: int = 300, learning_rate: float = 0.01,
                   param_reg_lambda: float = 0.0, progress: bool = False) -> FitResult:
    """Fit ``regime``'s rate model to the spiking model's per-area peak rises.

    Args:
        regime: ``"weak-gba"`` or ``"strong-gba"`` (fitted to
            ``SPIKING_REGIME[regime]``).
        held_out_mV: the amplitude left out of the fit (default the middle one).
        gains: ``"long-range"`` or ``"per-area"`` (:class:`PeakResponseModel`).
        targets: :func:`spiking_targets` output (default the bundled one).
        num_epochs, learning_rate, param_reg_lambda: of
            :func:`multiarea.fitting.train_model` (loss: mean absolute error
            of the per-area peaks, Hz); the parameters with the lowest
            training loss are kept (``restore_best``): the model is stiff.
    """
    if regime not in SPIKING_REGIME:
        raise ValueError(f"unknown regime {regime!r}; valid: {sorted(SPIKING_REGIME)}")
    targets = spiking_targets() if targets is None else targets
    rows = targets[targets["regime"] == SPIKING_REGIME[regime]]
    amplitudes = sorted(rows["stimulus_mV"].unique())
    if len(amplitudes) < 2:
        raise ValueError(f"need at least 2 amplitudes of {SPIKING_REGIME[regime]} to hold one out, got {amplitudes}")
    held_out = amplitudes[len(amplitudes) // 2] if held_out_mV is None else float(held_out_mV)
    if held_out not in amplitudes:
        raise ValueError(f"held_out_mV = {held_out_mV} is not a measured amplitude {amplitudes}")
    train = [a for a in amplitudes if a != held_out]
    rate = jr.load_rate_model(regime)
    model = PeakResponseModel(rate, gains=gains)
    names = list(rate.area_names)
    rise = {a: rows[rows["stimulus_mV"] == a].set_index("area").loc[names, "peak_rise_hz"].to_numpy()
            for a in amplitudes}
    with jr.x64(rate.dtype):
        ones = np.asarray(model.apply(model.params, np.ones((1, 1))))[0, :, 0]       # Hz per unit gain
        gain = float(np.mean([rise[a][0] / (a * ones[0]) for a in train]))          # V1 matched: linear in gain
        initial = {**model.params, "input_gain": jnp.asarray([gain], model.rnn.dtype)}
        frame = pd.DataFrame([{"batch": b, "layer": 0, "neuron": i, "value": rise[a][i]}
                              for b, a in enumerate(train) for i in range(len(names))])
        fit = fitting.train_model(model, np.array(train)[:, None], frame, params=initial, num_epochs=num_epochs,
                                  learning_rate=learning_rate, param_reg_lambda=param_reg_lambda, train_fraction=1.0,
                                  progress=progress, restore_best=True)
        grid = np.array(amplitudes)[:, None]
        before = np.asarray(model.apply(initial, grid))[:, :, 0]
        after = np.asarray(model.apply(fit.params, grid))[:, :, 0]
    table = pd.DataFrame([{"regime": regime, "spiking_regime": SPIKING_REGIME[regime], "gains": gains,
                           "stimulus_mV": a,
                           "area": name, "hierarchy": rate.hierarchy[i], "held_out": a == held_out,
                           "spiking_rise_hz": rise[a][i], "rate_initial_hz": before[k, i],
                           "rate_fitted_hz": after[k, i]}
                          for k, a in enumerate(amplitudes) for i, name in enumerate(names)])
    metrics = {}
    for stage, column in (("initial", "rate_initial_hz"), ("fitted", "rate_fitted_hz")):
        metrics[stage] = {split: fit_metrics(part["spiking_rise_hz"], part[column])
                          for split, part in (("train", table[~table["held_out"]]),
                                              ("held_out", table[table["held_out"]]))}
    as_np = lambda p: {k: np.asarray(v, float) for k, v in p.items()}  # noqa: E731
    return FitResult(regime, SPIKING_REGIME[regime], gains, model.gain_names, train, held_out, as_np(fit.params),
                     as_np(initial), table, metrics, fit.history)


def write_fit_report(out_dir, *, num_epochs: int = 300, learning_rate: float = 0.01) -> list[Path]:
    """Fit both regimes with both gain sets (:func:`fit_to_spiking`), holding
    out the middle amplitude (interpolation) and the largest one
    (extrapolation), and write ``fit.csv`` (per fit, amplitude and area),
    ``fit_metrics.csv`` (per fit, stage and split: R2, Pearson r, RMSE, log
    r, the gains) and ``fit.png`` (the middle amplitude held out: spiking vs
    rate model before and after the fit, per area)."""
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    targets = spiking_targets()
    results = []
    for gains in GAINS:
        for regime in jr.REGIMES:
            amplitudes = sorted(targets.loc[targets["regime"] == SPIKING_REGIME[regime], "stimulus_mV"].unique())
            for held_out in (amplitudes[len(amplitudes) // 2], amplitudes[-1]):
                results.append(fit_to_spiking(regime, held_out, gains=gains, targets=targets,
                                              num_epochs=num_epochs, learning_rate=learning_rate))
    written = [out / "fit.csv", out / "fit_metrics.csv", out / "fit.png"]
    pd.concat([r.table.assign(held_out_mV=r.held_out_mV) for r in results]).to_csv(
        written[0], index=False, float_format="%.6g")
    rows = []
    for r in results:
        for stage, by_split in r.metrics.items():
            params = r.params if stage == "fitted" else r.initial_params
            gain = params["long_range_gain"]
            for split, m in by_split.items():
                rows.append({"regime": r.regime, "spiking_regime": r.spiking_regime, "gains": r.gains,
                             "stage": stage, "split": split, "train_mV": " ".join(f"{a:g}" for a in r.train_mV),
                             "held_out_mV": r.held_out_mV, **m, "input_gain_hz_per_mV": float(params["input_gain"][0]),
                             "long_range_gain_min": float(gain.min()), "long_range_gain_max": float(gain.max())})
    pd.DataFrame(rows).to_csv(written[1], index=False, float_format="%.6g")
    shown = [r for r in results if r.held_out_mV != max(r.train_mV + [r.held_out_mV])]
    fig, axes = plt.subplots(len(GAINS), len(jr.REGIMES), figsize=(12, 8), sharey=True)
    for ax, r in zip(axes.ravel(), shown):
        part = r.table[r.table["held_out"]]
        order = np.argsort(part["hierarchy"].to_numpy(), kind="stable")
        x = np.arange(len(part))
        for column, style, label in (("spiking_rise_hz", "ko-", "spiking model (mean of seeds)"),
                                     ("rate_initial_hz", "s:", "rate model, published gains"),
                                     ("rate_fitted_hz", "^-", f"rate model, fitted {r.gains} gains")):
            ax.semilogy(x, np.maximum(part[column].to_numpy()[order], 1e-3), style, ms=4, lw=1, label=label)
        m, m0 = r.metrics["fitted"]["held_out"], r.metrics["initial"]["held_out"]
        ax.set_xticks(x, part["area"].to_numpy()[order], rotation=90, fontsize=7)
        ax.set_title(f"{r.spiking_regime}, {r.gains} gains, held-out {r.held_out_mV:g} mV: R2 "
                     f"{m0['r2']:.2f} -> {m['r2']:.2f}, RMSE {m0['rmse_hz']:.1f} -> {m['rmse_hz']:.1f} Hz",
                     fontsize=8)
        ax.set_ylabel("peak rise above baseline (Hz)")
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(written[2], dpi=130)
    plt.close(fig)
    return written
