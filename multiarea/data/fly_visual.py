"""The fly visual system connectome, expanded exactly as flyvis does.

``data/flyvis/fib25-fib19_v2.2.json`` is the typed connectome of the
Drosophila optic lobe used by flyvis (Lappalainen et al. 2024, Nature
634:1132-1140): 65 cell types, each tiling a hexagonal lattice of columns,
and 605 edge types, each a list of column offsets with a mean synapse count.
:func:`fly_visual` expands it on a lattice of radius ``extent`` into neurons
and synapses, reproducing ``flyvis.connectome.ConnectomeFromAvgFilters(file,
extent, n_syn_fill=1)`` (flyvis 1.2.0, ``flyvis/connectome/connectome.py``)
neuron for neuron and synapse for synapse, in the same order, so that a
neuron index here is the same neuron as in flyvis's ``Network``.

Lattice
    Columns are hexagonal (axial) coordinates ``(u, v)`` with ``|u|, |v|,
    |u + v| <= extent`` (``3 * extent * (extent + 1) + 1`` columns), ordered
    by ``u`` ascending, then ``v`` ascending (flyvis ``add_strided_nodes``,
    ``hex_utils.get_hex_coords``).

Neurons
    For each cell type in JSON order, one neuron per lattice column (in
    lattice order) that its pattern selects: ``["stride", [su, sv]]`` keeps
    the columns with ``u % su == 0 and v % sv == 0`` (all types are [1, 1]
    except Lawf1/Lawf2 with [3, 2]); ``["tile", n]`` is stride ``[n, n]``;
    ``["single", null]`` is the one column ``(0, 0)``.  The neurons of a type
    are therefore contiguous, and every type has a neuron at ``u = v = 0``
    (flyvis's "central cell").

Synapses
    For each edge type in JSON order, for each offset ``(du, dv)`` in order,
    for each neuron of the source type in neuron order: a synapse onto the
    neuron of the target type at column ``(u + du, v + dv)`` -- i.e. target
    column = source column + offset -- if that neuron exists; otherwise
    (column off the lattice, or not occupied by the target type) none.  The
    synapse count of every synapse is its offset's ``n_syn`` from the JSON,
    unaveraged and unrounded (float32).  Before expansion, an edge type with
    at least 3 offsets gets extra offsets with ``n_syn = 1`` at every lattice
    offset inside the convex hull of its listed offsets that is not listed
    (flyvis ``fill_hull`` with ``n_syn_fill = 1``, the default of its Network;
    hull from Qhull with joggle, inclusion by matplotlib's crossing-number
    test, both reproduced here), appended in ``(du, dv)`` row-major order.
    Within an edge type all (pre, post) pairs differ and every edge type has a
    distinct (source type, target type) pair, so the bundled file gives no
    duplicate (pre, post) pairs.

All 605 edge types are labelled "chem" and flyvis treats them alike; the
JSON's ``bias``, ``time_constant`` and ``lambda_mult`` are not used by
flyvis's default Network, which initialises biases and time constants from
its own config (see :class:`FlyVisualConnectome`).
"""
from __future__ import annotations

import json
import numbers
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import scipy.spatial

from ._paths import data_dir

__all__ = ["FlyVisualConnectome", "fly_visual"]

_N_SYN_FILL = 1.0  # flyvis Network default ``n_syn_fill``: count assumed at hull gaps


@dataclass(frozen=True, eq=False)
class FlyVisualConnectome:
    """The fly visual system expanded on a hexagonal lattice (see module docstring).

    ``n`` neurons, ``nnz`` synapses, ``T`` = 65 cell types, ``E`` = 605 edge
    types.  Arrays are read-only.

    Attributes:
        extent: lattice radius in columns.
        type_names: ``(T,)`` cell-type names, in JSON order.
        type_bias: ``(T,)`` float64, the JSON ``bias`` (3.5 for every type;
            flyvis's default Network ignores it).
        type_time_constant: ``(T,)`` float64, the JSON ``time_constant``, NaN
            where null (every type; flyvis's default Network uses 0.05 s).
        input_types: names of the 8 photoreceptor types R1-R8 that receive
            the stimulus.
        output_types: names of the 34 cell types flyvis decodes.
        neuron_type: ``(n,)`` int32 index into ``type_names``, non-decreasing.
        u, v: ``(n,)`` int32 lattice column of each neuron.
        pre, post: ``(nnz,)`` int32 pre- and postsynaptic neuron indices
            (flyvis ``edges.source_index`` / ``target_index``).
        edge_type: ``(nnz,)`` int32 index into the edge-type arrays below.
        n_syn: ``(nnz,)`` float32 synapse count of the synapse's offset.
        sign: ``(nnz,)`` float32 +1 (excitatory) or -1 (inhibitory).
        edge_src_type, edge_tar_type: ``(E,)`` int32 source/target type
            indices of each edge type.
        edge_sign: ``(E,)`` float32 sign (JSON ``alpha``).
        edge_kind: ``(E,)`` tuple of "chem"/"elec" (JSON ``edge_type``).
        edge_mean_n_syn: ``(E,)`` float64 mean of ``n_syn`` over this
            lattice's synapses of each edge type (NaN for an edge type with
            no synapse at this extent).  flyvis's default synapse strength
            is ``0.01 / edge_mean_n_syn``, so it depends on ``extent``.
    """

    extent: int
    type_names: tuple[str, ...]
    type_bias: np.ndarray
    type_time_constant: np.ndarray
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]
    neuron_type: np.ndarray
    u: np.ndarray
    v: np.ndarray
    pre: np.ndarray
    post: np.ndarray
    edge_type: np.ndarray
    n_syn: np.ndarray
    sign: np.ndarray
    edge_src_type: np.ndarray
    edge_tar_type: np.ndarray
    edge_sign: np.ndarray
    edge_kind: tuple[str, ...]
    edge_mean_n_syn: np.ndarray

    @property
    def n_neurons(self) -> int:
        return int(self.neuron_type.size)

    @property
    def n_synapses(self) -> int:
        return int(self.pre.size)

    def indices(self, type_name: str) -> np.ndarray:
        """``(k,)`` int32 indices of the neurons of ``type_name``, in lattice order."""
        if type_name not in self.type_names:
            raise ValueError(f"type_name {type_name!r} is not a cell type of this connectome "
                             "(see .type_names)")
        k = self.type_names.index(type_name)
        lo, hi = np.searchsorted(self.neuron_type, [k, k + 1])
        return np.arange(lo, hi, dtype=np.int32)

    def central_index(self, type_name: str) -> int:
        """Index of the neuron of ``type_name`` at column ``u = v = 0``.

        This is flyvis's ``central_cells_index`` entry for the type.
        """
        idx = self.indices(type_name)
        return int(idx[(self.u[idx] == 0) & (self.v[idx] == 0)][0])

    def to_csr(self, signed: bool = True) -> sp.csr_array:
        """The synapse-count matrix ``(n, n)``: rows PRE, columns POST.

        Values are ``sign * n_syn`` (``n_syn`` if ``signed`` is false), as
        float64; duplicate (pre, post) pairs would be summed, but the bundled
        connectome has none.
        """
        if not isinstance(signed, (bool, np.bool_)):
            raise TypeError(f"signed must be a bool, got {signed!r}")
        values = self.n_syn * self.sign if signed else self.n_syn
        n = self.n_neurons
        return sp.csr_array((values.astype(np.float64), (self.pre, self.post)), shape=(n, n))

    def lattice(self) -> tuple[np.ndarray, np.ndarray]:
        """``(u, v)``: ``(n_columns,)`` int32 lattice columns, in lattice order."""
        return _lattice(self.extent)

    def input_indices(self) -> np.ndarray:
        """``(n_columns, 8)`` int32: the neurons of R1..R8 in each lattice column.

        Row ``c`` is column ``c`` of :meth:`lattice`; column ``j`` is
        ``input_types[j]``.  flyvis's ``Stimulus.input_index`` is its
        transpose: a movie frame of ``n_columns`` hexals is added to all 8
        photoreceptors of each column.
        """
        n_columns = self.lattice()[0].size
        columns = []
        for name in self.input_types:
            idx = self.indices(name)
            if idx.size != n_columns:
                raise ValueError(f"input type {name!r} does not occupy every lattice column "
                                 f"({idx.size} of {n_columns} neurons)")
            columns.append(idx)
        return np.stack(columns, axis=1)


def fly_visual(extent: int = 15, path=None) -> FlyVisualConnectome:
    """Expand the flyvis typed connectome on a hexagonal lattice of radius ``extent``.

    Reproduces ``flyvis.connectome.ConnectomeFromAvgFilters(file, extent,
    n_syn_fill=1)`` including neuron and synapse order; the published network
    (extent 15) has 45,669 neurons and 1,513,231 synapses.

    Args:
        extent: lattice radius in columns, an int >= 0 (0 is the single
            central column; flyvis uses 15, i.e. 721 columns).
        path: the JSON file; default ``data/flyvis/fib25-fib19_v2.2.json``.

    Returns:
        :class:`FlyVisualConnectome`.
    """
    if isinstance(extent, bool) or not isinstance(extent, numbers.Integral):
        raise TypeError(f"extent must be an integer, got {extent!r} ({type(extent).__name__})")
    if extent < 0:
        raise ValueError(f"extent must be >= 0, got {extent!r}")
    extent = int(extent)
    path = Path(data_dir() / "flyvis" / "fib25-fib19_v2.2.json" if path is None else path)
    if not path.is_file():
        raise FileNotFoundError(f"fly visual connectome file not found: {path}")
    spec = json.loads(path.read_text())

    type_names = tuple(node["name"] for node in spec["nodes"])
    type_id = {name: k for k, name in enumerate(type_names)}
    lat_u, lat_v = _lattice(extent)
    width = 2 * extent + 1
    # where[t, u + extent, v + extent]: neuron of type t at column (u, v), or -1
    where = np.full((len(type_names), width, width), -1, dtype=np.int32)
    neuron_type, neuron_u, neuron_v = [], [], []
    n = 0
    for k, node in enumerate(spec["nodes"]):
        keep = _pattern_mask(node, lat_u, lat_v, path)
        u, v = lat_u[keep], lat_v[keep]
        where[k, u + extent, v + extent] = np.arange(n, n + u.size, dtype=np.int32)
        neuron_type.append(np.full(u.size, k, dtype=np.int32))
        neuron_u.append(u)
        neuron_v.append(v)
        n += u.size
    neuron_type = np.concatenate(neuron_type)
    neuron_u, neuron_v = np.concatenate(neuron_u), np.concatenate(neuron_v)

    edges = spec["edges"]
    for e in edges:
        for end in ("src", "tar"):
            if e[end] not in type_id:
                raise ValueError(f"{path}: edge {e['src']!r} -> {e['tar']!r} names unknown "
                                 f"cell type {e[end]!r}")
    edge_src = np.array([type_id[e["src"]] for e in edges], dtype=np.int32)
    edge_tar = np.array([type_id[e["tar"]] for e in edges], dtype=np.int32)
    edge_sign = np.array([e["alpha"] for e in edges], dtype=np.float32)
    pre, post, n_syn, etype = [], [], [], []
    for j, e in enumerate(edges):
        offsets = np.array([o[0] for o in e["offsets"]], dtype=np.int64).reshape(-1, 2)
        counts = np.array([o[1] for o in e["offsets"]], dtype=np.float32)
        if len(offsets) >= 3:
            extra = _hull_fill(offsets)
            offsets = np.concatenate([offsets, extra])
            counts = np.concatenate([counts, np.full(len(extra), _N_SYN_FILL, np.float32)])
        src = np.flatnonzero(neuron_type == edge_src[j])
        tu = neuron_u[src][None, :] + offsets[:, :1]      # (n_offsets, n_src), offset-major
        tv = neuron_v[src][None, :] + offsets[:, 1:]
        on = (np.abs(tu) <= extent) & (np.abs(tv) <= extent)
        tgt = np.full(tu.shape, -1, dtype=np.int32)
        tgt[on] = where[edge_tar[j], tu[on] + extent, tv[on] + extent]
        ok = tgt >= 0
        pre.append(np.broadcast_to(src, tu.shape)[ok])
        post.append(tgt[ok])
        n_syn.append(np.broadcast_to(counts[:, None], tu.shape)[ok])
        etype.append(np.full(int(ok.sum()), j, dtype=np.int32))
    pre = np.concatenate(pre).astype(np.int32)
    post = np.concatenate(post)
    n_syn = np.concatenate(n_syn)
    etype = np.concatenate(etype)
    n_per_type = np.bincount(etype, minlength=len(edges))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_n_syn = np.bincount(etype, weights=n_syn, minlength=len(edges)) / n_per_type

    def frozen(a):
        a = np.ascontiguousarray(a)
        a.flags.writeable = False
        return a

    return FlyVisualConnectome(
        extent=extent,
        type_names=type_names,
        type_bias=frozen(np.array([node["bias"] for node in spec["nodes"]], dtype=np.float64)),
        type_time_constant=frozen(np.array(
            [np.nan if node["time_constant"] is None else node["time_constant"]
             for node in spec["nodes"]], dtype=np.float64)),
        input_types=tuple(spec["input_units"]),
        output_types=tuple(spec["output_units"]),
        neuron_type=frozen(neuron_type), u=frozen(neuron_u), v=frozen(neuron_v),
        pre=frozen(pre), post=frozen(post), edge_type=frozen(etype),
        n_syn=frozen(n_syn), sign=frozen(edge_sign[etype]),
        edge_src_type=frozen(edge_src), edge_tar_type=frozen(edge_tar),
        edge_sign=frozen(edge_sign),
        edge_kind=tuple(e["edge_type"] for e in edges),
        edge_mean_n_syn=frozen(mean_n_syn),
    )


def _lattice(extent: int) -> tuple[np.ndarray, np.ndarray]:
    """Hexagonal lattice of radius ``extent``, ``u`` ascending then ``v`` ascending."""
    r = np.arange(-extent, extent + 1, dtype=np.int32)
    u, v = np.meshgrid(r, r, indexing="ij")
    keep = np.abs(u + v) <= extent
    return u[keep], v[keep]


def _pattern_mask(node: dict, u: np.ndarray, v: np.ndarray, path: Path) -> np.ndarray:
    """Which lattice columns the node type's ``pattern`` occupies."""
    kind, args = node["pattern"]
    if kind == "stride":
        su, sv = args
    elif kind == "tile":
        su = sv = args
    elif kind == "single":
        return (u == 0) & (v == 0)
    else:
        raise ValueError(f"{path}: cell type {node['name']!r} has unknown pattern {kind!r} "
                         "(expected 'stride', 'tile' or 'single')")
    return (u % su == 0) & (v % sv == 0)


def _hull_fill(offsets: np.ndarray) -> np.ndarray:
    """Unlisted integer offsets inside the convex hull of ``offsets`` (flyvis ``fill_hull``).

    The hull is Qhull's with joggle ("QJ") of the offsets scaled by 1 + 1e-6,
    as flyvis computes it; its vertices (unscaled) form the polygon, and a
    candidate is inside if matplotlib's ``Path.contains_points`` says so: the
    even-odd crossing test of a +x ray, with its tie rules for points on an
    edge (reproduced exactly, all in exact integer arithmetic).
    """
    hull = scipy.spatial.ConvexHull((1 + 1e-6) * offsets, False, "QJ")
    poly = offsets[hull.vertices]
    x0, y0 = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    gu, gv = np.mgrid[offsets[:, 0].min():offsets[:, 0].max() + 1,
                      offsets[:, 1].min():offsets[:, 1].max() + 1]
    tx, ty = gu.reshape(-1, 1), gv.reshape(-1, 1)
    above0, above1 = y0 >= ty, y1 >= ty
    cross = (above0 != above1) & (((y1 - ty) * (x0 - x1) >= (x1 - tx) * (y0 - y1)) == above1)
    inside = cross.sum(axis=1) % 2 == 1
    pts = np.stack([tx[inside, 0], ty[inside, 0]], axis=1)
    listed = (pts[:, None, :] == offsets[None, :, :]).all(axis=2).any(axis=1)
    return pts[~listed]
