"""Our spike statistics against Elephant's on the same spikes (SpikeRecord.to_neo).

``population_distributions`` (per-neuron rates, ISI CVs, spike-count
correlations) and ``mean_rate`` must equal Elephant's ``mean_firing_rate``,
``cv(isi(...))`` and ``correlation_coefficient(BinnedSpikeTrain(...))``.
Where the two define things differently the test picks inputs on which the
definitions agree; each case says which convention each side uses.
"""
import numpy as np
import pytest

from multiarea.spiking.analysis import mean_rate
from multiarea.spiking.analysis.population_stats import population_distributions
from multiarea.spiking.recording import SpikeRecord

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")
pytest.importorskip("elephant")
from elephant.conversion import BinnedSpikeTrain                      # noqa: E402
from elephant.spike_train_correlation import correlation_coefficient  # noqa: E402
from elephant.statistics import cv, isi, lvr, mean_firing_rate             # noqa: E402

# warnings from inside Elephant 1.2 (quantities 0.16, numpy 2), not from what is compared
pytestmark = [pytest.mark.filterwarnings("ignore:The 'copy' argument in Quantity is deprecated"),
              pytest.mark.filterwarnings("ignore:the matrix subclass is not the recommended way")]

KEYS = ("V1/E", "V4/E", "V1/I", "V4/I")
SIZES = np.array([60, 40, 30, 8])
DT, N_STEPS = 0.1, 10_000   # 1000 ms
BIN_MS, SAMPLE, SEED = 2.0, 25, 7


@pytest.fixture(scope="module")
def record() -> SpikeRecord:
    """Each population: a shared Poisson event train that each neuron joins
    with its own probability (so counts correlate), plus independent spikes;
    rates from silent to ~40 Hz, so some neurons have 0, 1-2 and >= 3 spikes."""
    rng = np.random.default_rng(3)
    first = np.concatenate([[0], np.cumsum(SIZES)[:-1]])
    steps, neurons = [], []
    for f, size, rate_hz in zip(first, SIZES, (8.0, 20.0, 30.0, 0.5)):
        shared = np.flatnonzero(rng.random(N_STEPS) < rate_hz * DT * 1e-3)
        for i in range(size):
            own = np.flatnonzero(rng.random(N_STEPS) < rng.uniform(0, 2) * rate_hz * DT * 1e-3)
            mine = np.union1d(own, shared[rng.random(shared.size) < rng.uniform(0, 0.8)])
            steps.append(mine)
            neurons.append(np.full(mine.size, f + i))
    pairs = np.unique(np.stack([np.concatenate(steps), np.concatenate(neurons)], axis=1), axis=0)
    return SpikeRecord(pairs[:, 0].astype(np.int32), pairs[:, 1].astype(np.int32), N_STEPS, DT, KEYS, first, SIZES)


def trains(record: SpikeRecord, key: str) -> list:
    """``(size,)`` Neo spike trains of population ``key``, by index within it:
    those of ``to_neo`` and, for a neuron that never fired, an empty one."""
    block = record.to_neo()
    fired = {t.annotations["neuron"]: t for t in block.groups[record.index(key)].spiketrains}
    empty = dict(units="ms", t_start=0.0, t_stop=record.duration_ms)
    return [fired.get(n, neo.SpikeTrain([], **empty)) for n in range(record.sizes[record.index(key)])]


def rate_hz(train, t_start, t_stop) -> float:
    """Elephant's mean_firing_rate over [t_start, t_stop] (Hz); 0 for a train
    without spikes (ours counts silent neurons as 0 Hz; Elephant raises
    "Empty input spiketrain" when given t_start and t_stop)."""
    if len(train) == 0:
        return 0.0
    return float(mean_firing_rate(train, t_start=t_start, t_stop=t_stop).rescale("Hz"))


# Rates and CVs on the whole record and on an interval.  Interval conventions:
# ours counts spikes in [start, stop), Elephant's mean_firing_rate (and Neo's
# time_slice) in [start, stop]; a stop between two steps (900.05 ms) makes them
# count the same spikes.
@pytest.mark.parametrize("start_ms, stop_ms", [(0.0, None), (100.0, 900.05)])
def test_rates_cvs_and_lvrs_equal_elephants(record, start_ms, stop_ms):
    ours = population_distributions(record, start_ms, stop_ms, bin_ms=BIN_MS, sample=SAMPLE, seed=SEED)
    t_start = start_ms * pq.ms
    t_stop = (record.duration_ms if stop_ms is None else stop_ms) * pq.ms
    n_cv = 0
    for key in record.keys:
        spikes = [t.time_slice(t_start, t_stop) for t in trains(record, key)]
        rates = [rate_hz(t, t_start, t_stop) for t in spikes]
        np.testing.assert_allclose(ours[key]["rate_hz"], rates, rtol=1e-12)
        # CV: both std/mean of the ISIs with ddof 0 (Elephant's cv is scipy.stats.variation);
        # ours only over neurons with >= 3 spikes (Elephant gives 0 for 2 spikes, NaN for fewer)
        cvs = [cv(isi(t)) for t in spikes if len(t) >= 3]
        np.testing.assert_allclose(ours[key]["cv_isi"], cvs, rtol=1e-12)
        # LvR (Shinomoto et al. 2009) with our R = 2 ms, over the same neurons
        lvrs = [lvr(isi(t), R=2.0 * pq.ms) for t in spikes if len(t) >= 3]
        np.testing.assert_allclose(ours[key]["lvr"], lvrs, rtol=1e-12)
        n_cv += len(cvs)
    assert n_cv > 50   # the comparison is not empty


def test_mean_rate_per_area_equals_the_mean_of_elephants_rates(record):
    # mean_rate takes [start, end of record); Elephant [start, end], with no spike at the end
    for start_ms in (0.0, 100.0):
        for population in ("E", "I"):
            ours = mean_rate(record, start_ms, None, population)
            theirs = [np.mean([rate_hz(t, start_ms * pq.ms, t.t_stop) for t in trains(record, f"{area}/{population}")])
                      for area in record.area_names]
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# Correlations: the same neurons, bins and pairs.
# * Neurons: ours draws `sample` neurons per population with
#   np.random.default_rng(seed).choice(size, min(sample, size), replace=False),
#   population after population from one generator; the test draws the same.
# * Bins: both [start + k bin, start + (k + 1) bin), counting a spike on an edge
#   in the bin it starts (Elephant also moves spikes within 1e-8 of the next
#   edge into it: none here, every spike is >= dt away from an edge or on it).
#   When stop - start is not a multiple of bin_ms both leave out the spikes
#   after the last whole bin (the third interval).
# * Pairs: ours leaves out neurons whose counts are constant (silent ones),
#   Elephant would give NaN for them; the test keeps the same neurons and
#   compares the upper triangle in the order of the sample.
@pytest.mark.filterwarnings("ignore:Binning discarded")   # Elephant: spikes at t_stop, outside [start, stop)
@pytest.mark.parametrize("start_ms, stop_ms", [(0.0, None), (100.0, 900.0), (100.0, 901.3)])
def test_correlations_equal_elephants(record, start_ms, stop_ms):
    ours = population_distributions(record, start_ms, stop_ms, bin_ms=BIN_MS, sample=SAMPLE, seed=SEED)
    t_start = start_ms * pq.ms
    t_stop = (record.duration_ms if stop_ms is None else stop_ms) * pq.ms
    rng = np.random.default_rng(SEED)
    n_pairs = 0
    for key, size in zip(record.keys, record.sizes):
        chosen = rng.choice(size, min(SAMPLE, size), replace=False)
        all_trains = trains(record, key)
        sample = [all_trains[n] for n in chosen]
        counts = BinnedSpikeTrain(sample, bin_size=BIN_MS * pq.ms, t_start=t_start, t_stop=t_stop).to_array()
        active = [t for t, c in zip(sample, counts) if c.std() > 0]
        if len(active) < 2:
            assert ours[key]["corr"].size == 0
            continue
        cc = correlation_coefficient(BinnedSpikeTrain(active, bin_size=BIN_MS * pq.ms, t_start=t_start,
                                                      t_stop=t_stop))
        np.testing.assert_allclose(ours[key]["corr"], cc[np.triu_indices_from(cc, k=1)], rtol=1e-10, atol=1e-12)
        n_pairs += ours[key]["corr"].size
    assert n_pairs > 500
