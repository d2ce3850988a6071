"""SpikeRecord in other formats (multiarea/spiking/export.py): Neo blocks, NWB
and SONATA files, written and read back exactly; NWB files pass pynwb's
validator."""
import json
import subprocess
import sys

import numpy as np
import pytest

from multiarea.spiking.recording import SpikeRecord

#: E of every area, then I (as MultiAreaNetwork numbers them); an area name with "/"
KEYS = ("V1/E", "9/46v/E", "V1/I", "9/46v/I")
FIRST, SIZES = np.array([0, 50, 90, 110]), np.array([50, 40, 20, 10])
SILENT = "9/46v/I"  #: the population without spikes


def make_record(dt=0.1, n_steps=2000, n_spikes=3000, seed=0, max_step=None) -> SpikeRecord:
    """Random spikes of every population but :data:`SILENT`, sorted by step then neuron."""
    rng = np.random.default_rng(seed)
    steps = rng.integers(0, n_steps if max_step is None else max_step, n_spikes)
    neurons = rng.integers(0, FIRST[KEYS.index(SILENT)], n_spikes)
    pairs = np.unique(np.stack([steps, neurons], axis=1), axis=0)   # by step, then neuron
    return SpikeRecord(pairs[:, 0].astype(np.int32), pairs[:, 1].astype(np.int32), n_steps, dt, KEYS,
                       FIRST, SIZES)


def assert_same(a: SpikeRecord, b: SpikeRecord):
    assert a.steps.dtype == b.steps.dtype == np.int32 and a.neurons.dtype == b.neurons.dtype == np.int32
    np.testing.assert_array_equal(a.steps, b.steps)
    np.testing.assert_array_equal(a.neurons, b.neurons)
    assert (a.keys, a.n_steps, a.dt) == (b.keys, b.n_steps, b.dt)
    np.testing.assert_array_equal(a.first, b.first)
    np.testing.assert_array_equal(a.sizes, b.sizes)


# --- Neo ---------------------------------------------------------------------------------------

def test_neo_block_holds_one_train_per_neuron_that_fired_grouped_by_population():
    pytest.importorskip("neo")
    from neo.test.tools import assert_neo_object_is_compliant
    record = make_record()
    block = record.to_neo()
    assert_neo_object_is_compliant(block)
    block.check_relationships()   # each train's segment is the block's one segment
    assert block.annotations == {"dt_ms": 0.1, "n_steps": 2000}
    (segment,) = block.segments
    fired = np.unique(record.neurons)
    assert len(segment.spiketrains) == fired.size
    assert [t.annotations["global_neuron"] for t in segment.spiketrains] == fired.tolist()
    assert [g.name for g in block.groups] == list(KEYS)
    for group, key in zip(block.groups, KEYS):
        area, population = key.rsplit("/", 1)
        assert group.annotations["area"] == area and group.annotations["population"] == population
        times, local = record.spikes(key)
        assert [t.annotations["neuron"] for t in group.spiketrains] == np.unique(local).tolist()
        for train in group.spiketrains:
            assert train.annotations["key"] == key
            assert (train.annotations["area"], train.annotations["population"]) == (area, population)
            assert train.annotations["global_neuron"] == train.annotations["neuron"] + FIRST[KEYS.index(key)]
            assert str(train.units.dimensionality) == "ms"
            assert float(train.t_start) == 0.0 and float(train.t_stop) == 200.0
            np.testing.assert_array_equal(train.magnitude, times[local == train.annotations["neuron"]])
    assert len(block.groups[KEYS.index(SILENT)].spiketrains) == 0
    assert sum(len(t) for t in segment.spiketrains) == record.steps.size


# --- NWB ---------------------------------------------------------------------------------------

def test_nwb_round_trip_is_exact_and_keeps_the_metadata(tmp_path):
    pynwb = pytest.importorskip("pynwb")
    record = make_record()
    path = record.to_nwb(tmp_path / "spikes.nwb", model="joglekar2018", regime="asynchronous-strong",
                         seed=np.int64(3))
    assert_same(SpikeRecord.from_nwb(path), record)
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        layout = json.loads(nwbfile.notes)
        units = nwbfile.units.to_dataframe()
    assert layout["metadata"] == {"model": "joglekar2018", "regime": "asynchronous-strong", "seed": 3}
    assert (layout["dt_ms"], layout["n_steps"], layout["keys"]) == (0.1, 2000, list(KEYS))
    assert len(units) == np.unique(record.neurons).size
    row = units.iloc[len(units) // 2]
    times, local = record.spikes(f"{row['area']}/{row['population']}")
    np.testing.assert_allclose(row["spike_times"], times[local == row["neuron"]] * 1e-3, rtol=1e-12)  # s
    assert row["global_neuron"] == row["neuron"] + FIRST[KEYS.index(f"{row['area']}/{row['population']}")]


def test_nwb_recovers_steps_exactly_after_the_ms_to_s_conversion(tmp_path):
    """dt = 0.1 ms has no exact binary value: steps come back by rounding (truncating would get
    about one in eight of these wrong), up to ~2e7 steps (33 min)."""
    pytest.importorskip("pynwb")
    record = make_record(n_steps=20_000_000, n_spikes=20000, seed=1)
    assert_same(SpikeRecord.from_nwb(record.to_nwb(tmp_path / "long.nwb")), record)


def test_nwb_file_passes_pynwbs_validator(tmp_path):
    pynwb = pytest.importorskip("pynwb")
    path = make_record().to_nwb(tmp_path / "spikes.nwb", model="joglekar2018", seed=0)
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        errors = pynwb.validate(io=io)   # a list of errors (pynwb >= 2.8: with io=, not paths=)
    assert list(errors) == []


def test_nwb_of_a_record_without_spikes(tmp_path):
    pytest.importorskip("pynwb")
    empty = SpikeRecord(np.zeros(0, np.int32), np.zeros(0, np.int32), 10, 0.1, KEYS, FIRST, SIZES)
    assert_same(SpikeRecord.from_nwb(empty.to_nwb(tmp_path / "empty.nwb")), empty)


def test_nwb_refuses_what_it_cannot_write_or_read(tmp_path):
    pynwb = pytest.importorskip("pynwb")
    with pytest.raises(TypeError, match="metadata must be JSON values"):
        make_record().to_nwb(tmp_path / "bad.nwb", model=object())
    with pytest.raises(FileNotFoundError, match="missing.nwb"):
        SpikeRecord.from_nwb(tmp_path / "missing.nwb")
    import datetime
    foreign = pynwb.NWBFile(session_description="a recording", identifier="x", notes="not ours",
                            session_start_time=datetime.datetime.now(datetime.timezone.utc))
    with pynwb.NWBHDF5IO(str(tmp_path / "foreign.nwb"), "w") as io:
        io.write(foreign)
    with pytest.raises(ValueError, match="not written by SpikeRecord.to_nwb"):
        SpikeRecord.from_nwb(tmp_path / "foreign.nwb")


def test_a_neuron_outside_every_population_is_refused(tmp_path):
    pytest.importorskip("pynwb")
    pytest.importorskip("h5py")
    stray = SpikeRecord(np.array([0], np.int32), np.array([500], np.int32), 10, 0.1, KEYS, FIRST, SIZES)
    with pytest.raises(ValueError, match=r"neurons \[500\] fired but belong to no population"):
        stray.to_nwb(tmp_path / "stray.nwb")
    with pytest.raises(ValueError, match=r"neurons \[500\] fired but belong to no population"):
        stray.to_sonata(tmp_path / "stray.h5")


# --- SONATA ------------------------------------------------------------------------------------

def test_sonata_round_trip_is_exact(tmp_path):
    pytest.importorskip("h5py")
    record = make_record()
    assert_same(SpikeRecord.from_sonata(record.to_sonata(tmp_path / "spikes.h5")), record)
    assert_same(SpikeRecord.from_sonata(tmp_path / "spikes.h5", dt=0.1), record)


def test_sonata_file_follows_the_spike_file_layout(tmp_path):
    h5py = pytest.importorskip("h5py")
    record = make_record()
    with h5py.File(record.to_sonata(tmp_path / "spikes.h5"), "r") as f:
        assert f.attrs["magic"] == 0x0A7A and f.attrs["version"].tolist() == [0, 1]
        assert list(f["spikes"]) == ["V1_E", "9_46v_E", "V1_I", "9_46v_I"]   # network order
        for name, key in zip(f["spikes"], KEYS):
            group = f["spikes"][name]
            sorting = h5py.check_enum_dtype(group.attrs.get_id("sorting").dtype)
            assert sorting["by_time"] == group.attrs["sorting"] == 2
            assert group.attrs["key"] == key
            stamps, nodes = group["timestamps"], group["node_ids"]
            assert stamps.dtype == np.float64 and nodes.dtype == np.uint64 and stamps.attrs["units"] == "ms"
            times, local = record.spikes(key)
            assert np.all(np.diff(stamps[:]) >= 0)
            np.testing.assert_array_equal(stamps[:], times)
            np.testing.assert_array_equal(nodes[:], local)
        assert f["spikes/9_46v_I/timestamps"].shape == (0,)


def test_sonata_names_stay_unique_when_slashes_collide(tmp_path):
    h5py = pytest.importorskip("h5py")
    record = SpikeRecord(np.array([0, 1, 1], np.int32), np.array([0, 2, 3], np.int32), 5, 0.5,
                         ("a_b/E", "a/b_E"), [0, 2], [2, 2])
    path = record.to_sonata(tmp_path / "collide.h5")
    with h5py.File(path, "r") as f:
        assert list(f["spikes"]) == ["a_b_E", "a_b_E_2"]
    assert_same(SpikeRecord.from_sonata(path), record)


def foreign_sonata(path):
    """A SONATA spike file as another simulator writes it (times in ms, none of our attributes)."""
    import h5py
    with h5py.File(path, "w") as f:
        for name, nodes, times in (("thalamus", [2, 0, 2], [0.3, 0.1, 1.2]), ("cortex", [4, 1], [0.5, 0.5]),
                                   ("silent", [], [])):
            group = f.create_group(f"spikes/{name}")
            group.create_dataset("node_ids", data=np.array(nodes, np.uint64))
            group.create_dataset("timestamps", data=np.array(times, np.float64)).attrs["units"] = "ms"
    return path


def test_foreign_sonata_reads_with_the_callers_dt(tmp_path):
    pytest.importorskip("h5py")
    record = SpikeRecord.from_sonata(foreign_sonata(tmp_path / "foreign.h5"), dt=0.1)
    # populations in HDF5 name order, each one area with population "all"; "silent" (no spikes) left out
    assert record.keys == ("cortex/all", "thalamus/all")
    np.testing.assert_array_equal(record.first, [0, 5])
    np.testing.assert_array_equal(record.sizes, [5, 3])     # max node id + 1
    assert (record.dt, record.n_steps) == (0.1, 13)          # the last spike's step + 1
    np.testing.assert_array_equal(record.steps, [1, 3, 5, 5, 12])
    np.testing.assert_array_equal(record.neurons, [5, 7, 1, 4, 7])


def test_sonata_bad_input_names_the_problem(tmp_path):
    pytest.importorskip("h5py")
    with pytest.raises(ValueError, match=r"pass its time step\s+dt"):
        SpikeRecord.from_sonata(foreign_sonata(tmp_path / "foreign.h5"))
    with pytest.raises(TypeError, match="dt must be a real number"):
        SpikeRecord.from_sonata(tmp_path / "foreign.h5", dt="0.1")
    with pytest.raises(FileNotFoundError, match="missing.h5"):
        SpikeRecord.from_sonata(tmp_path / "missing.h5", dt=0.1)
    ours = make_record().to_sonata(tmp_path / "ours.h5")
    with pytest.raises(ValueError, match="dt = 0.5 ms differs from the file's dt_ms = 0.1"):
        SpikeRecord.from_sonata(ours, dt=0.5)


# --- without the io extra ----------------------------------------------------------------------

@pytest.mark.parametrize("call, module", [(lambda r, p: r.to_neo(), "neo"),
                                          (lambda r, p: r.to_nwb(p / "x.nwb"), "pynwb"),
                                          (lambda r, p: SpikeRecord.from_nwb(p / "x.nwb"), "pynwb"),
                                          (lambda r, p: r.to_sonata(p / "x.h5"), "h5py"),
                                          (lambda r, p: SpikeRecord.from_sonata(p / "x.h5"), "h5py")])
def test_missing_library_says_how_to_install_it(monkeypatch, tmp_path, call, module):
    monkeypatch.setitem(sys.modules, module, None)   # import of `module` fails
    with pytest.raises(ImportError, match=rf'need {module} .*pip install "multiarea\[io\]"'):
        call(make_record(), tmp_path)


def test_import_multiarea_needs_none_of_the_io_libraries():
    code = ("import sys\n"
            "for m in ('neo', 'pynwb', 'h5py', 'elephant', 'quantities'): sys.modules[m] = None\n"
            "import multiarea\n"
            "print(multiarea.SpikeRecord.to_neo.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("to_neo")
