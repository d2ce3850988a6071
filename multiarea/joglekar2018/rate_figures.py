"""The rate model's figures (Joglekar et al. 2018, Figs. 2-4): a CSV beside every PNG.

Panels (``multiarea figure joglekar2018-rate PANEL --out DIR``):

* ``propagation``: peak response per area (Hz above baseline) vs hierarchy,
  weak vs strong GBA, log axis; ``propagation.csv`` has the columns ``area,
  hierarchy, weak_peak_hz, strong_peak_hz`` (29 rows, the data's area order).
* ``timecourses``: ``r_E(t) - r_E(1.75 s)`` of the areas the paper shows
  (``AREAS_SHOWN``), weak and strong, 1.75-5 s, every 1 ms.
* ``variants``: the peaks of the original code's variants (feedback removed,
  no hierarchy gradient, FLN symmetrised) next to the published network.
* ``eigen``: the linear-systems view: eigenvalues of the linearisation of weak
  and strong GBA (stability margin), and the largest real part and the
  propagation ratio 24c/V1 as functions of muEE (``omegaEI`` of each regime).
* ``fit``: the rate model fitted to the spiking model's responses
  (:mod:`multiarea.joglekar2018.rate_fit`, bundled spiking measurements).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import rate_model as jr

__all__ = ["RATE_PANELS", "make_rate_figure", "propagation_table", "mu_sweep", "MU_EE_SWEEP"]

RATE_PANELS = ("propagation", "timecourses", "variants", "eigen", "fit")
#: muEE values (pA/Hz) of the ``eigen`` sweep
MU_EE_SWEEP = tuple(np.round(np.arange(26.0, 56.01, 0.5), 6))
_LABEL = {"weak-gba": "weak GBA", "strong-gba": "strong GBA"}
_COLOR = {"weak-gba": (0.466, 0.674, 0.188), "strong-gba": (0.494, 0.184, 0.556)}  # the original's cv


def _runs(variant=None) -> dict:
    """regime -> (model, its run of the protocol)."""
    out = {}
    for regime in jr.REGIMES:
        model = jr.load_rate_model(regime, variant)
        out[regime] = (model, model.simulate())
    return out


def propagation_table(runs: dict) -> dict:
    """``area, hierarchy, weak_peak_hz, strong_peak_hz`` columns from :func:`_runs`."""
    model = runs["weak-gba"][0]
    table = {"area": list(model.area_names), "hierarchy": model.hierarchy}
    for regime, (_, run) in runs.items():
        table[f"{regime.split('-')[0]}_peak_hz"] = run.peaks()[0]
    return table


def _write_csv(table: dict, path: Path, digits: int = 9) -> Path:
    """Like :func:`multiarea.analysis.write_rate_table`, with more digits
    (the weak-GBA peaks go down to ~1e-5 Hz)."""
    import pandas as pd

    pd.DataFrame(table).to_csv(path, index=False, float_format=f"%.{digits}g")
    return path


def _peak_axes(ax, table, regimes_columns, title):
    h = np.asarray(table["hierarchy"])
    for regime, column in regimes_columns:
        ax.semilogy(h, np.asarray(table[column]), "o", color=_COLOR[regime], markersize=4,
                    label=_LABEL[regime])
    for name, x, y in zip(table["area"], h, np.asarray(table[regimes_columns[-1][1]])):
        if name in jr.AREAS_SHOWN:
            ax.annotate(name, (x, y), fontsize=6, xytext=(2, 2), textcoords="offset points")
    ax.set_xlabel("hierarchy")
    ax.set_ylabel("peak response (Hz above baseline)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, frameon=False)


def _propagation(out: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    runs = _runs()
    table = propagation_table(runs)
    csv = _write_csv(table, out / "propagation.csv")
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ratio = {r: run.propagation_ratio()[0] for r, (_, run) in runs.items()}
    _peak_axes(ax, table, [("weak-gba", "weak_peak_hz"), ("strong-gba", "strong_peak_hz")],
               f"rate model: propagation ratio 24c/V1 {ratio['weak-gba']:.2e} (weak), "
               f"{ratio['strong-gba']:.2e} (strong)")
    png = out / "propagation.png"
    fig.tight_layout()
    fig.savefig(png, dpi=130)
    plt.close(fig)
    return [csv, png]


def _timecourses(out: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    runs = _runs()
    model, first_run = runs["weak-gba"]
    first, last = first_run.peak_window
    every = max(1, int(round(1.0 / model.params["dt"])))             # 1 ms
    rows = slice(first, last + 1, every)
    table = {"time_ms": first_run.times_ms[rows]}
    for regime, (_, run) in runs.items():
        for area in jr.AREAS_SHOWN:
            a = model.area_names.index(area)
            trace = run.rates_E[0, :, a]
            table[f"{regime.split('-')[0]}_{area}_hz"] = trace[rows] - trace[first]
    csv = _write_csv(table, out / "timecourses.csv")
    fig, axes = plt.subplots(len(jr.AREAS_SHOWN), 2, figsize=(6.5, 9), sharex=True)
    t = (table["time_ms"] - model.params["stimulus_start"]) / 1000.0
    for col, regime in enumerate(jr.REGIMES):
        for row, area in enumerate(jr.AREAS_SHOWN):
            ax = axes[row, col]
            y = table[f"{regime.split('-')[0]}_{area}_hz"]
            ax.plot(t, y, color=_COLOR[regime], lw=1)
            ax.set_ylim(0, max(1.2 * y.max(), 1e-12))
            ax.text(0.98, 0.8, f"{area}: {y.max():.3g} Hz", transform=ax.transAxes, ha="right", fontsize=7)
            ax.tick_params(labelsize=6)
            ax.spines[["top", "right"]].set_visible(False)
        axes[0, col].set_title(_LABEL[regime], fontsize=9)
        axes[-1, col].set_xlabel("time from pulse onset (s)")
    fig.supylabel("r_E - r_E(1.75 s) (Hz)", fontsize=8)
    fig.tight_layout()
    png = out / "timecourses.png"
    fig.savefig(png, dpi=130)
    plt.close(fig)
    return [csv, png]


def _variants(out: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    variants = (None,) + jr.VARIANTS
    tables = {v: propagation_table(_runs(v)) for v in variants}
    table = {"area": tables[None]["area"], "hierarchy": tables[None]["hierarchy"]}
    for v, t in tables.items():
        for column in ("weak_peak_hz", "strong_peak_hz"):
            table[f"{v or 'published'}_{column}"] = t[column]
    csv = _write_csv(table, out / "variants.csv")
    fig, axes = plt.subplots(2, 2, figsize=(9, 7), sharey=True)
    for ax, v in zip(axes.ravel(), variants):
        t = tables[v]
        ratio = [t[column][-1] / t[column][0] for column in ("weak_peak_hz", "strong_peak_hz")]
        _peak_axes(ax, t, [("weak-gba", "weak_peak_hz"), ("strong-gba", "strong_peak_hz")],
                   f"{v or 'published'}: 24c/V1 {ratio[0]:.1e} weak, {ratio[1]:.1e} strong")
    fig.tight_layout()
    png = out / "variants.png"
    fig.savefig(png, dpi=130)
    plt.close(fig)
    return [csv, png]


def mu_sweep(mu_values=MU_EE_SWEEP) -> dict:
    """Per regime (its ``omegaEI``) and ``muEE``: the largest real part of the
    linearisation's eigenvalues (1/s), whether the steady state is stable,
    and the propagation ratio 24c/V1 of the protocol (the regime's amplitude;
    NaN where unstable).  Columns ``regime, muEE, max_real_eig_per_s,
    stable, propagation_ratio, v1_peak_hz, peak_24c_hz``."""
    table = {k: [] for k in ("regime", "muEE", "max_real_eig_per_s", "stable", "propagation_ratio",
                             "v1_peak_hz", "peak_24c_hz")}
    for regime in jr.REGIMES:
        for mu in mu_values:
            model = jr.load_rate_model(regime, muEE=float(mu))
            lam = float(model.eigenvalues()[0].real) * 1000.0
            stable = lam < 0
            peaks = np.full(model.n_areas, np.nan)
            if stable:
                dt = model.params["dt"]
                peaks = model.simulate(n_steps=int(round(model.params["peak_stop"] / dt)) + 1).peaks()[0]
            for key, value in (("regime", regime), ("muEE", float(mu)), ("max_real_eig_per_s", lam),
                               ("stable", stable), ("propagation_ratio", peaks[-1] / peaks[0]),
                               ("v1_peak_hz", peaks[0]), ("peak_24c_hz", peaks[-1])):
                table[key].append(value)
    return table


def _eigen(out: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    models = {r: jr.load_rate_model(r) for r in jr.REGIMES}
    spectra = {"regime": [], "real_per_s": [], "imag_per_s": []}
    for regime, model in models.items():
        ev = model.eigenvalues() * 1000.0
        spectra["regime"] += [regime] * ev.size
        spectra["real_per_s"] += list(ev.real)
        spectra["imag_per_s"] += list(ev.imag)
    written = [_write_csv(spectra, out / "eigenvalues.csv")]
    sweep = mu_sweep()
    written.append(_write_csv(sweep, out / "mu_sweep.csv"))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    regimes = np.asarray(sweep["regime"])
    for regime, model in models.items():
        pick = np.asarray(spectra["regime"]) == regime
        margin = model.stability_margin() * 1000.0
        axes[0].plot(np.asarray(spectra["real_per_s"])[pick], np.asarray(spectra["imag_per_s"])[pick], "o",
                     color=_COLOR[regime], ms=3, label=f"{_LABEL[regime]}: margin {margin:.3g}/s, "
                                                       f"cond(1-W) {model.condition_number:.0f}")
        rows = regimes == regime
        mu = np.asarray(sweep["muEE"])[rows]
        axes[1].plot(mu, np.asarray(sweep["max_real_eig_per_s"])[rows], "-", color=_COLOR[regime],
                     label=f"{_LABEL[regime]} (omegaEI {model.params['omegaEI']})")
        axes[1].axvline(model.params["muEE"], color=_COLOR[regime], ls=":", lw=0.8)
        axes[2].semilogy(mu, np.asarray(sweep["propagation_ratio"])[rows], "o-", color=_COLOR[regime], ms=3,
                         label=_LABEL[regime])
        axes[2].axvline(model.params["muEE"], color=_COLOR[regime], ls=":", lw=0.8)
    axes[0].set_xscale("symlog", linthresh=1.0)
    axes[0].set_xlabel("Re eigenvalue (1/s)")
    axes[0].set_ylabel("Im eigenvalue (1/s)")
    axes[0].set_title("linearisation around 10/35 Hz", fontsize=9)
    axes[1].axhline(0.0, color="k", lw=0.5)
    axes[1].set_xlabel("muEE (pA/Hz)")
    axes[1].set_ylabel("max Re eigenvalue (1/s)")
    axes[1].set_ylim(-5, 5)
    axes[1].set_title("stability vs long-range E->E coupling (dotted: the regime's)", fontsize=9)
    axes[2].set_xlabel("muEE (pA/Hz)")
    axes[2].set_ylabel("propagation ratio 24c / V1")
    axes[2].set_title("propagation ratio (unstable values omitted)", fontsize=9)
    for ax in axes:
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    png = out / "eigen.png"
    fig.savefig(png, dpi=130)
    plt.close(fig)
    return written + [png]


def _fit(out: Path) -> list[Path]:
    from . import rate_fit

    return rate_fit.write_fit_report(out)


_PANELS = {"propagation": _propagation, "timecourses": _timecourses, "variants": _variants,
           "eigen": _eigen, "fit": _fit}


def make_rate_figure(panel: str, out_dir) -> list[Path]:
    """Write one rate-model panel (``RATE_PANELS``, or ``"all"``) as PNG +
    CSV to ``out_dir``; returns the written paths."""
    if panel != "all" and panel not in _PANELS:
        raise ValueError(f"unknown panel {panel!r} for joglekar2018-rate; valid: {list(RATE_PANELS) + ['all']}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in (RATE_PANELS if panel == "all" else (panel,)):
        written += _PANELS[name](out)
    return written
