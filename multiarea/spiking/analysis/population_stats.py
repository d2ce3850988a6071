"""Per-population statistics and rasters of a :class:`~multiarea.spiking.recording.SpikeRecord`.

The statistics are those of the published simulator comparisons on the
cortical microcircuit (the reference implementation's analysis,
INM-6/microcircuit-PD14-model ``helpers.py``; see ``data/potjans2014/README.md``):

* ``rate_hz``: spikes per neuron in ``[start_ms, stop_ms)`` / duration, silent
  neurons included;
* ``cv_isi``: per neuron with at least 3 spikes, ``std(ISI) / mean(ISI)``
  (ddof 0), averaged over those neurons;
* ``lvr``: the revised local variation of Shinomoto et al. (2009, PLoS
  Comput Biol 5:e1000433, eq. 3) per neuron with at least 3 spikes,
  ``3 / (n - 1) sum_i (1 - 4 I_i I_{i+1} / (I_i + I_{i+1})^2)
  (1 + 4 R / (I_i + I_{i+1}))`` over its ``n`` ISIs, with refractoriness
  ``R = lvr_ref_ms`` (2 ms, the value of the multi-area model's analysis,
  INM-6/multi-area-model ``analysis_helpers.pop_LvR``); 1 for a Poisson
  train when ``R = 0``, below 1 for regular firing;
* ``corr``: Pearson correlation of spike counts in ``bin_ms`` (2 ms) bins,
  averaged over all pairs of a random subsample of ``sample`` neurons (250
  in the published ensemble data), pairs with a silent neuron left out. The
  bins are the whole bins ``[start_ms + k bin_ms, start_ms + (k + 1) bin_ms)``
  inside the interval; when its length is not a multiple of ``bin_ms`` the
  spikes after the last whole bin do not enter the correlations (as in
  Elephant's ``BinnedSpikeTrain``), only the rates and CVs.
"""
from __future__ import annotations

import numpy as np

from ... import _checks
from ..recording import SpikeRecord

__all__ = ["population_distributions", "population_statistics", "CORR_BIN_MS",
           "CORR_SAMPLE", "LVR_REF_MS", "lvr"]

CORR_BIN_MS = 2.0  #: bin width of the spike-count correlations (ms)
CORR_SAMPLE = 250  #: neurons per population whose pairs are correlated
LVR_REF_MS = 2.0  #: refractoriness R of the LvR (ms), as the multi-area model's analysis


def lvr(isi_ms: np.ndarray, ref_ms: float = LVR_REF_MS) -> float:
    """Revised local variation (Shinomoto et al. 2009, eq. 3) of one spike
    train's inter-spike intervals ``isi_ms`` (ms, at least 2), with
    refractoriness ``ref_ms`` (ms)."""
    isi = np.asarray(isi_ms, dtype=np.float64)
    if isi.ndim != 1 or isi.size < 2:
        raise ValueError(f"isi_ms must be a 1-D array of at least 2 intervals, got shape {isi.shape}")
    total = isi[:-1] + isi[1:]
    terms = (1.0 - 4.0 * isi[:-1] * isi[1:] / total ** 2) * (1.0 + 4.0 * ref_ms / total)
    return float(3.0 * terms.mean())


def _interval(record: SpikeRecord, start_ms, stop_ms) -> tuple[float, float]:
    stop_ms = record.duration_ms if stop_ms is None else _checks.finite_float("stop_ms", stop_ms)
    start_ms = _checks.nonnegative_float("start_ms", start_ms)
    if not start_ms < stop_ms <= record.duration_ms + 1e-9:
        raise ValueError(f"need 0 <= start_ms < stop_ms <= {record.duration_ms} ms (the record), "
                         f"got start_ms={start_ms}, stop_ms={stop_ms}")
    return start_ms, stop_ms


def population_distributions(record: SpikeRecord, start_ms: float = 0.0, stop_ms: float | None = None,
                             bin_ms: float = CORR_BIN_MS, sample: int = CORR_SAMPLE, seed: int = 12345,
                             lvr_ref_ms: float = LVR_REF_MS) -> dict:
    """Per-neuron rates, ISI CVs and pairwise correlations of every population
    (what simulator comparisons on the microcircuit hold side by side, e.g. by
    Kolmogorov-Smirnov distance).

    Args:
        record: the spikes.
        start_ms, stop_ms: the analysed interval (default: all of the record).
        bin_ms: correlation bin width (ms).
        sample: neurons per population in the correlation subsample (all if fewer).
        seed: seed of the subsample.
        lvr_ref_ms: refractoriness ``R`` of the LvR (ms).

    Returns:
        ``{key: {"rate_hz": (n,), "cv_isi": (neurons with >= 3 spikes,),
        "lvr": (the same neurons,), "corr": (pairs of non-silent sampled
        neurons,)}}`` float64 arrays.
    """
    start_ms, stop_ms = _interval(record, start_ms, stop_ms)
    bin_ms = _checks.positive_float("bin_ms", bin_ms)
    sample = _checks.positive_int("sample", sample)
    lvr_ref_ms = _checks.nonnegative_float("lvr_ref_ms", lvr_ref_ms)
    rng = np.random.default_rng(_checks.seed_int("seed", seed))
    n_bins = int(np.floor((stop_ms - start_ms) / bin_ms + 1e-9))
    edges = start_ms + bin_ms * np.arange(n_bins + 1)
    out = {}
    for key, size in zip(record.keys, record.sizes):
        times, local = record.spikes(key)
        keep = (times >= start_ms) & (times < stop_ms)
        times, local = times[keep], local[keep]
        counts = np.bincount(local, minlength=size)
        order = np.lexsort((times, local))
        times, local = times[order], local[order]
        bounds = np.concatenate([[0], np.cumsum(counts)])
        cvs, lvrs = [], []
        for n in np.flatnonzero(counts >= 3):
            isi = np.diff(times[bounds[n]:bounds[n + 1]])
            cvs.append(isi.std() / isi.mean())
            lvrs.append(lvr(isi, lvr_ref_ms))
        chosen = rng.choice(size, min(sample, size), replace=False)
        corr = np.zeros(0)
        if n_bins >= 2:
            where = np.full(size, -1)
            where[chosen] = np.arange(chosen.size)
            mine = (where[local] >= 0) & (times < edges[-1])
            hist = np.zeros((chosen.size, n_bins))
            bins = np.searchsorted(edges, times[mine], side="right") - 1
            np.add.at(hist, (where[local[mine]], bins), 1)
            active = hist.std(axis=1) > 0
            if active.sum() >= 2:
                cc = np.corrcoef(hist[active])
                corr = cc[np.triu_indices_from(cc, k=1)]
        out[key] = dict(rate_hz=counts / ((stop_ms - start_ms) * 1e-3), cv_isi=np.array(cvs), lvr=np.array(lvrs),
                        corr=corr)
    return out


def population_statistics(record: SpikeRecord, start_ms: float = 0.0, stop_ms: float | None = None,
                          bin_ms: float = CORR_BIN_MS, sample: int = CORR_SAMPLE, seed: int = 12345,
                          lvr_ref_ms: float = LVR_REF_MS):
    """Mean rate, ISI CV, LvR and spike-count correlation of every population
    (the means of :func:`population_distributions`, same arguments).

    Returns:
        a pandas DataFrame with columns ``area, population, n, rate_hz,
        cv_isi, lvr, corr`` (NaN where undefined), one row per population.
    """
    import pandas as pd

    dists = population_distributions(record, start_ms, stop_ms, bin_ms, sample, seed, lvr_ref_ms)
    rows = []
    for (key, d), size in zip(dists.items(), record.sizes):
        area, _, name = key.rpartition("/")
        rows.append(dict(area=area, population=name, n=int(size), rate_hz=float(d["rate_hz"].mean()),
                         cv_isi=float(d["cv_isi"].mean()) if d["cv_isi"].size else np.nan,
                         lvr=float(d["lvr"].mean()) if d["lvr"].size else np.nan,
                         corr=float(d["corr"].mean()) if d["corr"].size else np.nan))
    return pd.DataFrame(rows, columns=["area", "population", "n", "rate_hz", "cv_isi", "lvr", "corr"])
