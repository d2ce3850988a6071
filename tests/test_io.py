"""multiarea.io: load_array / load_tensor by file extension."""
import sys

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
import scipy.io
import scipy.sparse as sp
from jax.experimental.sparse import BCOO

from multiarea.data.io import load_array, load_tensor


def _sparse():
    return sp.csr_array(np.array([[0.0, 1.5, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, -3.0], [0.0, 0.0, 0.0]]))


def test_npy_int_and_str(tmp_path):
    np.save(tmp_path / "types_int.npy", np.array([[0], [1], [1]]))
    np.save(tmp_path / "types_str.npy", np.array(["E", "I", "I"]))
    ints = load_array(str(tmp_path / "types_int.npy")).squeeze()
    np.testing.assert_array_equal(ints, [0, 1, 1])
    assert ints.dtype.kind == "i"
    strs = load_array(tmp_path / "types_str.npy")
    assert strs.dtype.kind == "U" and strs.tolist() == ["E", "I", "I"]


def test_extension_is_case_insensitive(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(3))
    (tmp_path / "x.npy").rename(tmp_path / "X.NPY")
    np.testing.assert_array_equal(load_array(tmp_path / "X.NPY"), np.arange(3))


def test_npz_single_named_and_ambiguous(tmp_path):
    np.savez(tmp_path / "one.npz", w=np.eye(2))
    np.savez(tmp_path / "two.npz", w=np.eye(2), d=np.arange(4, dtype=np.int16))
    np.testing.assert_array_equal(load_array(tmp_path / "one.npz"), np.eye(2))
    d = load_array(tmp_path / "two.npz", key="d")
    assert d.dtype == np.int16 and d.shape == (4,)
    with pytest.raises(ValueError, match=r"key=None.*\['w', 'd'\]"):
        load_array(tmp_path / "two.npz")
    with pytest.raises(ValueError, match=r"key='x'.*\['w', 'd'\]"):
        load_array(tmp_path / "two.npz", key="x")


def test_npz_scipy_sparse_round_trip(tmp_path):
    sp.save_npz(tmp_path / "w.npz", _sparse())
    sp.save_npz(tmp_path / "w_coo.npz", sp.coo_matrix(_sparse()))
    for name in ("w.npz", "w_coo.npz"):
        loaded = load_array(tmp_path / name)
        assert isinstance(loaded, sp.csr_array) and loaded.shape == (4, 3)
        np.testing.assert_array_equal(loaded.toarray(), _sparse().toarray())


def test_csv_numeric(tmp_path):
    pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]}).to_csv(tmp_path / "x.csv", index=False)
    values = load_array(tmp_path / "x.csv")
    assert values.dtype == np.float64 and values.shape == (2, 2)
    np.testing.assert_array_equal(values, [[1, 0.5], [2, 1.5]])


def test_csv_strings_written_with_index(tmp_path):
    types = np.array(["E", "I", "E", "I"])
    pd.DataFrame({"type": types}).to_csv(tmp_path / "neuron_types_str.csv")
    values = load_array(tmp_path / "neuron_types_str.csv", index_col=0).squeeze()
    assert values.dtype.kind == "U" and values.shape == (4,)
    np.testing.assert_array_equal(values, types)
    with pytest.warns(UserWarning, match="index_col=0"):
        kept = load_array(tmp_path / "neuron_types_str.csv")
    assert kept.shape == (4, 2) and kept.dtype.kind == "U"


def test_csv_numbers_mixed_with_bools_are_numeric(tmp_path):
    pd.DataFrame({"a": [True, False], "b": [2.5, 3.0]}).to_csv(tmp_path / "x.csv", index=False)
    values = load_array(tmp_path / "x.csv")
    assert values.dtype == np.float64
    np.testing.assert_array_equal(values, [[1, 2.5], [0, 3.0]])


def test_tsv_and_txt(tmp_path):
    (tmp_path / "x.tsv").write_text("pre\tpost\tw\n0\t1\t0.5\n1\t2\t0.25\n")
    (tmp_path / "x.txt").write_text("1  2.5 3\n4 5   6\n")
    tsv = load_array(tmp_path / "x.tsv")
    np.testing.assert_array_equal(tsv, [[0, 1, 0.5], [1, 2, 0.25]])
    txt = load_array(tmp_path / "x.txt")
    assert txt.shape == (2, 3) and txt.dtype == np.float64
    np.testing.assert_array_equal(txt, [[1, 2.5, 3], [4, 5, 6]])


def test_mat_named_single_ambiguous_and_sparse(tmp_path):
    scipy.io.savemat(tmp_path / "one.mat", {"fln": np.eye(3)})
    scipy.io.savemat(tmp_path / "two.mat", {"fln": np.eye(3), "w": _sparse()})
    np.testing.assert_array_equal(load_array(tmp_path / "one.mat"), np.eye(3))
    np.testing.assert_array_equal(load_array(tmp_path / "two.mat", key="fln"), np.eye(3))
    with pytest.raises(ValueError, match=r"key=None.*\['fln', 'w'\]"):
        load_array(tmp_path / "two.mat")
    w = load_array(tmp_path / "two.mat", key="w")
    assert isinstance(w, sp.csr_array)
    np.testing.assert_array_equal(w.toarray(), _sparse().toarray())


def test_pt_dense_dict_and_sparse(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.arange(6, dtype=torch.int32).reshape(2, 3), tmp_path / "x.pt")
    torch.save({"w": torch.ones(2, requires_grad=True), "d": torch.zeros(3)}, tmp_path / "d.pth")
    dense_w = torch.tensor(_sparse().toarray())
    torch.save(dense_w.to_sparse(), tmp_path / "coo.pt")
    torch.save(dense_w.to_sparse_csr(), tmp_path / "csr.pt")
    x = load_array(tmp_path / "x.pt")
    assert x.dtype == np.int32 and x.shape == (2, 3)
    np.testing.assert_array_equal(load_array(tmp_path / "d.pth", key="w"), [1.0, 1.0])
    with pytest.raises(ValueError, match=r"key=None.*\['w', 'd'\]"):
        load_array(tmp_path / "d.pth")
    with pytest.raises(ValueError, match="key='w'"):
        load_array(tmp_path / "x.pt", key="w")
    for name in ("coo.pt", "csr.pt"):
        w = load_array(tmp_path / name)
        assert isinstance(w, sp.csr_array) and w.shape == (4, 3)
        np.testing.assert_array_equal(w.toarray(), _sparse().toarray())


def test_pt_without_torch(tmp_path, monkeypatch):
    (tmp_path / "x.pt").write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"needs PyTorch \(pip install torch\).*x\.pt"):
        load_array(tmp_path / "x.pt")


def test_path_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.npy"):
        load_array(tmp_path / "missing.npy")
    (tmp_path / "x.h5").write_bytes(b"")
    with pytest.raises(ValueError, match=r"'\.h5'.*\.npy.*\.pt"):
        load_array(tmp_path / "x.h5")
    with pytest.raises(TypeError, match="path must be"):
        load_array(3)
    np.save(tmp_path / "x.npy", np.arange(2))
    with pytest.raises(ValueError, match="key='a'"):
        load_array(tmp_path / "x.npy", key="a")
    with pytest.raises(TypeError, match="mmap_mode"):
        load_array(tmp_path / "x.npy", mmap_mode="r")


def test_load_tensor(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(4, dtype=np.int64))
    x = load_tensor(tmp_path / "x.npy", dtype=jnp.float32)
    assert x.dtype == jnp.float32 and x.shape == (4,)
    np.testing.assert_array_equal(np.asarray(x), [0, 1, 2, 3])
    np.save(tmp_path / "s.npy", np.array(["E", "I"]))
    with pytest.raises(TypeError, match="cannot hold strings.*load_array"):
        load_tensor(tmp_path / "s.npy")
    sp.save_npz(tmp_path / "w.npz", _sparse())
    w = load_tensor(tmp_path / "w.npz", dtype=jnp.float16)
    assert isinstance(w, BCOO) and w.shape == (4, 3) and w.dtype == jnp.float16
    np.testing.assert_array_equal(np.asarray(w.todense()), _sparse().toarray())
