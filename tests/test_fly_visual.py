import json

import numpy as np
import pytest
import scipy.sparse as sp

from multiarea.projections.connectome import FlyVisualConnectome, fly_visual


@pytest.fixture(scope="module")
def c1():
    return fly_visual(1)


@pytest.fixture(scope="module")
def c2():
    return fly_visual(2)


def _synapses(c, src, tar):
    """{(pre (u, v), post (u, v)): (n_syn, sign)} of one edge type."""
    k = [j for j in range(len(c.edge_kind))
         if (c.type_names[c.edge_src_type[j]], c.type_names[c.edge_tar_type[j]]) == (src, tar)]
    assert len(k) == 1
    m = c.edge_type == k[0]
    assert np.all(c.neuron_type[c.pre[m]] == c.type_names.index(src))
    assert np.all(c.neuron_type[c.post[m]] == c.type_names.index(tar))
    return {((int(c.u[i]), int(c.v[i])), (int(c.u[j]), int(c.v[j]))): (float(n), float(s))
            for i, j, n, s in zip(c.pre[m], c.post[m], c.n_syn[m], c.sign[m])}


def test_lattice_columns():
    # hexagon of radius e: 1 + 6 + 12 + ... = 3e(e+1) + 1 columns
    for extent, n_columns in [(0, 1), (1, 7), (2, 19)]:
        u, v = fly_visual(extent).lattice()
        assert u.size == v.size == n_columns
        assert np.all(np.maximum.reduce([abs(u), abs(v), abs(u + v)]) <= extent)
    u, v = fly_visual(1).lattice()  # u ascending, then v ascending (flyvis get_hex_coords)
    assert list(zip(u.tolist(), v.tolist())) == [(-1, 0), (-1, 1), (0, -1), (0, 0), (0, 1),
                                                 (1, -1), (1, 0)]


def test_neurons_per_type(c1, c2):
    # Lawf1/Lawf2 have stride [3, 2]: columns with u % 3 == 0 and v % 2 == 0.
    # extent 0: only (0, 0) -> 1.  extent 1: u in {-1, 0, 1} -> u = 0; v in {-1, 0, 1}
    # -> v = 0 -> 1.  extent 2: u in [-2, 2] -> u = 0 (3 is off); then v in [-2, 2]
    # (|u + v| = |v| <= 2), v even -> v = -2, 0, 2 -> 3 neurons.
    # The other 63 types have stride [1, 1]: one neuron per column.
    for extent, c, n_columns, n_lawf in [(0, fly_visual(0), 1, 1), (1, c1, 7, 1), (2, c2, 19, 3)]:
        counts = np.bincount(c.neuron_type, minlength=65)
        lawf = [c.type_names.index("Lawf1"), c.type_names.index("Lawf2")]
        assert counts[lawf].tolist() == [n_lawf, n_lawf], extent
        assert np.all(np.delete(counts, lawf) == n_columns), extent
        assert c.n_neurons == 63 * n_columns + 2 * n_lawf
        assert np.all(np.diff(c.neuron_type) >= 0)  # types contiguous, in JSON order
    idx = c2.indices("Lawf1")
    assert list(zip(c2.u[idx].tolist(), c2.v[idx].tolist())) == [(0, -2), (0, 0), (0, 2)]
    idx = c2.indices("T4a")
    assert np.array_equal(c2.u[idx], c2.lattice()[0]) and np.array_equal(c2.v[idx], c2.lattice()[1])
    assert c2.type_names[:2] == ("R1", "R2") and len(c2.type_names) == 65


def test_hand_picked_synapses_extent_2(c2):
    # JSON edge Lawf1 -> Tm3: alpha +1, offsets [[1, 0], 1.1], [[0, 2], 1.3333...]
    # (2 offsets: no hull fill).  target column = source column + offset.  Lawf1 sits at
    # (0, -2), (0, 0), (0, 2); from (0, 2) both targets (1, 2) and (0, 4) are off the lattice.
    assert _synapses(c2, "Lawf1", "Tm3") == {
        ((0, -2), (1, -2)): (np.float32(1.1), 1.0),
        ((0, 0), (1, 0)): (np.float32(1.1), 1.0),
        ((0, -2), (0, 0)): (np.float32(4 / 3), 1.0),
        ((0, 0), (0, 2)): (np.float32(4 / 3), 1.0),
    }
    # Lawf1 -> Lawf1, offset (1, 0): u + 1 is never a multiple of 3 -> no synapse
    assert _synapses(c2, "Lawf1", "Lawf1") == {}
    # R1 -> L1: alpha -1, [[0, 0], 40] -> one synapse per column
    assert _synapses(c2, "R1", "L1") == {((u, v), (u, v)): (40.0, -1.0)
                                        for u, v in zip(*map(np.ndarray.tolist, c2.lattice()))}


def test_hull_fill_and_off_lattice_sources(c1):
    # JSON edge C3 -> T4d: alpha -1, offsets (-1, 0): 4.5, (1, 1): 1, (-1, 1): 1.  With >= 3
    # offsets flyvis fills the convex hull: (0, 1) lies on the hull edge (-1, 1)-(1, 1) and is
    # added with n_syn 1.  On the 7-column lattice a distance-1 offset keeps 4 (source,
    # target) pairs and the distance-2 offset (1, 1) keeps 2: 4 + 2 + 4 + 4 = 14 synapses.
    syn = _synapses(c1, "C3", "T4d")
    assert len(syn) == 14
    assert all(s == -1.0 for _, s in syn.values())
    assert syn[((1, 0), (0, 0))] == (4.5, -1.0)     # offset (-1, 0)
    assert syn[((-1, 0), (0, 1))] == (1.0, -1.0)    # offset (1, 1)
    assert syn[((0, 0), (0, 1))] == (1.0, -1.0)     # filled offset (0, 1)
    assert syn[((0, -1), (-1, 0))] == (1.0, -1.0)   # offset (-1, 1)
    # T4d at (0, 0) through (1, 1) would need C3 at (-1, -1): off the lattice
    assert ((-1, -1), (0, 0)) not in syn
    assert sorted(pre for (pre, post) in syn if post == (0, 0)) == [(0, -1), (1, -1), (1, 0)]


def test_fields_shapes_dtypes(c2):
    n, nnz, T, E = c2.n_neurons, c2.n_synapses, 65, 605
    assert isinstance(c2, FlyVisualConnectome) and c2.extent == 2
    for name, shape, dtype in [("type_bias", (T,), np.float64),
                               ("type_time_constant", (T,), np.float64),
                               ("neuron_type", (n,), np.int32), ("u", (n,), np.int32),
                               ("v", (n,), np.int32), ("pre", (nnz,), np.int32),
                               ("post", (nnz,), np.int32), ("edge_type", (nnz,), np.int32),
                               ("n_syn", (nnz,), np.float32), ("sign", (nnz,), np.float32),
                               ("edge_src_type", (E,), np.int32), ("edge_tar_type", (E,), np.int32),
                               ("edge_sign", (E,), np.float32),
                               ("edge_mean_n_syn", (E,), np.float64)]:
        a = getattr(c2, name)
        assert a.shape == shape and a.dtype == dtype, name
        assert not a.flags.writeable, name
    assert len(c2.type_names) == T and len(c2.edge_kind) == E and set(c2.edge_kind) == {"chem"}
    assert c2.input_types == tuple(f"R{i}" for i in range(1, 9)) and len(c2.output_types) == 34
    assert np.all(c2.type_bias == 3.5) and np.all(np.isnan(c2.type_time_constant))
    assert set(np.unique(c2.sign).tolist()) == {-1.0, 1.0}
    np.testing.assert_array_equal(c2.sign, c2.edge_sign[c2.edge_type])
    assert np.all(c2.n_syn > 0) and c2.pre.max() < n and c2.post.max() < n
    assert np.all(np.diff(c2.edge_type) >= 0)
    k = c2.edge_type[0]
    np.testing.assert_allclose(c2.edge_mean_n_syn[k], c2.n_syn[c2.edge_type == k].mean(), rtol=1e-6)


def test_to_csr(c2):
    m = c2.to_csr()
    assert isinstance(m, sp.csr_array) and m.shape == (c2.n_neurons, c2.n_neurons)
    assert m.nnz == c2.n_synapses  # no duplicate (pre, post) pairs
    np.testing.assert_array_equal(m[c2.pre, c2.post], c2.sign * c2.n_syn)
    np.testing.assert_array_equal(c2.to_csr(signed=False)[c2.pre, c2.post], c2.n_syn)
    with pytest.raises(TypeError, match="signed"):
        c2.to_csr(signed="yes")


def test_indices_central_and_inputs(c1):
    k = c1.type_names.index("L1")
    assert np.array_equal(c1.indices("L1"), np.arange(7 * k, 7 * k + 7))
    assert c1.central_index("L1") == 7 * k + 3  # (0, 0) is the 4th column at extent 1
    lawf = c1.central_index("Lawf2")
    assert c1.type_names[c1.neuron_type[lawf]] == "Lawf2" and c1.u[lawf] == c1.v[lawf] == 0
    with pytest.raises(ValueError, match="'XYZ'"):
        c1.indices("XYZ")
    with pytest.raises(ValueError, match="'XYZ'"):
        c1.central_index("XYZ")
    inp = c1.input_indices()
    assert inp.shape == (7, 8)
    u, v = c1.lattice()
    for j, name in enumerate(c1.input_types):
        assert np.all(c1.neuron_type[inp[:, j]] == c1.type_names.index(name))
        assert np.array_equal(c1.u[inp[:, j]], u) and np.array_equal(c1.v[inp[:, j]], v)


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.json"):
        fly_visual(1, tmp_path / "nope.json")
    with pytest.raises(ValueError, match="extent"):
        fly_visual(-1)
    for bad in (1.5, True, "3"):
        with pytest.raises(TypeError, match="extent"):
            fly_visual(bad)


def test_tile_and_single_patterns(tmp_path):
    spec = {"nodes": [{"name": "A", "pattern": ["single", None], "bias": 0.0, "time_constant": 0.1},
                      {"name": "B", "pattern": ["tile", 2], "bias": 1.0, "time_constant": None}],
            "edges": [{"src": "A", "tar": "B", "offsets": [[[0, 2], 3.0], [[2, 0], 5.0]],
                       "alpha": 1, "edge_type": "elec"}],
            "input_units": ["A"], "output_units": ["B"]}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(spec))
    c = fly_visual(2, path)
    # B at (u, v) with u, v even inside the radius-2 hexagon: (-2, 0), (-2, 2), (0, -2),
    # (0, 0), (0, 2), (2, -2), (2, 0)
    assert c.indices("A").tolist() == [0] and c.indices("B").size == 7
    assert _synapses(c, "A", "B") == {((0, 0), (0, 2)): (3.0, 1.0), ((0, 0), (2, 0)): (5.0, 1.0)}
    assert c.edge_kind == ("elec",) and c.type_time_constant[0] == 0.1
    spec["nodes"][0]["pattern"] = ["ring", 3]
    path.write_text(json.dumps(spec))
    with pytest.raises(ValueError, match="ring"):
        fly_visual(2, path)


def test_published_network_extent_15():
    # Lappalainen et al. 2024 and flyvis 1.2.0 ConnectomeFromAvgFilters(extent=15,
    # n_syn_fill=1), built and compared neuron-by-neuron and synapse-by-synapse:
    # 45,669 neurons, 1,513,231 synapses.  Builds in ~0.2 s.
    c = fly_visual()
    assert c.lattice()[0].size == 721
    assert c.n_neurons == 45_669 and c.n_synapses == 1_513_231
    # the only edge type without a synapse: Lawf1 -> Lawf1 (offset (1, 0), see above)
    empty = np.flatnonzero(np.isnan(c.edge_mean_n_syn))
    assert [(c.type_names[c.edge_src_type[j]], c.type_names[c.edge_tar_type[j]])
            for j in empty] == [("Lawf1", "Lawf1")]
