"""The reader of the published full-scale statistics of the multi-area model
(multiarea.schmidt2018.published), on a synthetic checkout of
BrainsOnBoard/procedural_paper of the same shape (its data are not ours to
ship); on a real checkout when ``MULTIAREA_PROCEDURAL_PAPER`` names one.
"""
import os

import numpy as np
import pandas as pd
import pytest

from multiarea.schmidt2018.published import (AREAS, POPULATIONS, compare_with_published, read_published,
                                             read_published_histograms)

STEMS = {"rate_hz": "rates", "lvr": "irregularity", "corr": "corr_coeff"}


def _value(simulator, metric, area, population):
    """A value that names its area, population, statistic and simulator."""
    return (AREAS.index(area) + 1) * 100 + POPULATIONS.index(population) * 10 + list(STEMS).index(metric) \
        + (0.5 if simulator == "genn" else 0.0)


@pytest.fixture
def checkout(tmp_path):
    folder = tmp_path / "scripts" / "chi_1_0"
    folder.mkdir(parents=True)
    for population in POPULATIONS:
        areas = [a for a in AREAS if not (a == "TH" and population in ("4E", "4I"))]
        # the orders of the authors' script: h5py's name order (NEST), file names <area>_<POP>.npy (GeNN)
        orders = {"nest": sorted(areas), "genn": sorted(areas, key=lambda a: f"{a}_{population}.npy")}
        for simulator, order in orders.items():
            for metric, stem in STEMS.items():
                np.save(folder / f"{simulator}_{stem}_{population}.npy",
                        np.array([_value(simulator, metric, a, population) for a in order]))
        with open(folder / f"nest_seed_1_rates_{population}.npy", "wb") as f:
            np.save(f, np.linspace(0, 50, 101))
            np.save(f, np.arange(100.0))
            np.save(f, np.arange(100.0)[::-1].copy())
    return tmp_path


def test_areas_are_named_in_each_simulators_order(checkout):
    table = read_published(checkout)
    assert len(table) == 2 * (32 * 8 - 2)
    assert not ((table.area == "TH") & table.population.isin(["4E", "4I"])).any()
    for row in table.itertuples():
        for metric in STEMS:
            assert getattr(row, metric) == _value(row.simulator, metric, row.area, row.population), row
    # the V3 / V3A orders differ between the simulators; both are read right
    v3a = table[(table.area == "V3A") & (table.population == "5E")].set_index("simulator").rate_hz
    assert v3a["nest"] == _value("nest", "rate_hz", "V3A", "5E") and v3a["genn"] == v3a["nest"] + 0.5


def test_histograms(checkout):
    hist = read_published_histograms(checkout, "rate_hz")
    assert sorted(hist) == sorted(POPULATIONS)
    edges, nest, genn = hist["5E"]
    assert edges.shape == (101,) and nest.shape == genn.shape == (100,) and nest[3] == 3 and genn[3] == 96
    with pytest.raises(FileNotFoundError, match="no published lvr histograms"):
        read_published_histograms(checkout, "lvr")
    with pytest.raises(ValueError, match="metric must be one of"):
        read_published_histograms(checkout, "rates")
    with pytest.raises(ValueError, match="seed must be 1, 2 or 3, got 4"):
        read_published_histograms(checkout, seed=4)


def test_comparison_with_a_run(checkout):
    published = read_published(checkout)
    ours = published[published.simulator == "nest"].drop(columns="simulator").copy()
    ours["rate_hz"] *= 2.0
    ours = pd.concat([ours, pd.DataFrame([dict(area="X", population="5E", rate_hz=1.0, lvr=1.0, corr=0.0)])])
    table = compare_with_published(ours, published)
    assert len(table) == 254  # area X is not in the published data
    np.testing.assert_allclose(table.rate_hz_ratio, 2.0)
    np.testing.assert_allclose(table.lvr_ratio, 1.0)
    genn = compare_with_published(ours[["area", "population", "rate_hz"]], published, simulator="genn")
    assert list(genn.columns) == ["area", "population", "rate_hz", "rate_hz_genn", "rate_hz_ratio"]
    with pytest.raises(ValueError, match="simulator must be one of"):
        compare_with_published(ours, published, simulator="brian2")
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['area'\]"):
        compare_with_published(ours.drop(columns="area"), published)
    with pytest.raises(ValueError, match="has none of the statistics"):
        compare_with_published(ours[["area", "population"]], published)


def test_missing_checkout_and_files_are_named(checkout, tmp_path):
    with pytest.raises(FileNotFoundError, match="procedural_paper"):
        read_published(tmp_path / "nowhere")
    (checkout / "scripts" / "chi_1_0" / "nest_rates_6I.npy").unlink()
    with pytest.raises(FileNotFoundError, match="nest_rates_6I.npy"):
        read_published(checkout)
    np.save(checkout / "scripts" / "chi_1_0" / "nest_rates_6I.npy", np.zeros(5))
    with pytest.raises(ValueError, match=r"one value per area, shape \(32,\), got \(5,\)"):
        read_published(checkout)


REAL = os.environ.get("MULTIAREA_PROCEDURAL_PAPER")


@pytest.mark.skipif(not REAL, reason="set MULTIAREA_PROCEDURAL_PAPER to a checkout of BrainsOnBoard/procedural_paper")
def test_real_checkout_nest_and_genn_agree_area_by_area():
    table = read_published(REAL)
    wide = table.pivot_table(index=["area", "population"], columns="simulator", values="rate_hz")
    for population, rows in wide.groupby(level="population"):
        assert np.corrcoef(np.log(rows.nest + 1e-3), np.log(rows.genn + 1e-3))[0, 1] > 0.9, population
    v1 = wide.xs("V1", level="area").nest
    assert v1["5E"] == pytest.approx(8.06, abs=0.01) and v1["23E"] == pytest.approx(0.29, abs=0.01)
