import shutil

import numpy as np
import pytest
import scipy.io

import multiarea as ma


def test_joglekar2018_contents():
    d = ma.data.joglekar2018()
    assert d.n_areas == 29
    assert d.area_names[:3] == ("V1", "V2", "V4") and d.area_names[-1] == "24c"
    assert d.fln.shape == d.sln.shape == d.distance_mm.shape == (29, 29)
    assert np.all(np.diag(d.fln) == 0)
    assert 0.6 < (d.fln > 0).mean() < 0.7  # README: 64% non-zero (diagonal included)
    assert d.hierarchy[0] == 0 and d.hierarchy.max() == 1
    np.testing.assert_allclose(d.hierarchy_raw.max(), 3.116, atol=1e-3)
    off = ~np.eye(29, dtype=bool)
    assert 5.0 <= d.distance_mm[off].min() and d.distance_mm.max() == pytest.approx(58.2)


def test_subset_keeps_normalisation():
    d = ma.data.joglekar2018()
    s = d.subset(4)
    assert s.area_names == d.area_names[:4]
    np.testing.assert_array_equal(s.hierarchy, d.hierarchy[:4])
    np.testing.assert_array_equal(s.fln, d.fln[:4, :4])
    with pytest.raises(ValueError, match="n_areas"):
        d.subset(30)


def test_missing_file_names_path(tmp_path):
    src = ma.data.joglekar2018.__globals__["data_dir"]() / "joglekar2018"
    shutil.copytree(src, tmp_path / "j")
    (tmp_path / "j" / "subgraphWiring29.mat").unlink()
    with pytest.raises(FileNotFoundError, match="subgraphWiring29.mat"):
        ma.data.joglekar2018(tmp_path / "j")


def test_malformed_file_names_path_and_expectation(tmp_path):
    src = ma.data.joglekar2018.__globals__["data_dir"]() / "joglekar2018"
    shutil.copytree(src, tmp_path / "j")
    scipy.io.savemat(tmp_path / "j" / "hierValspython.mat", {"hierVals": np.ones(5)})
    with pytest.raises(ValueError, match=r"hierValspython.mat.*shape \(29,\)"):
        ma.data.joglekar2018(tmp_path / "j")
    (tmp_path / "j" / "efelenMatpython.mat").write_bytes(b"not a mat file")
    with pytest.raises(ValueError, match="efelenMatpython.mat"):
        ma.data.joglekar2018(tmp_path / "j")
