"""The output folder of a long run: spike chunks, checkpoints, a manifest.

A run with an output folder writes, at every chunk boundary,

* the chunk's spikes, ``spikes_<k>.npz`` (a :class:`SpikeRecord` whose
  ``n_steps`` is the steps done so far);
* a checkpoint, ``checkpoint_<step>.npz``: every Variable of the network by
  its relative name (neuron state, ring buffers of delayed input, the step
  counter that positions the counter-based random streams), after the
  runner wrote its state back (``Runner.store``);
* ``manifest.json``: the chunks and the checkpoint, each with its size and
  SHA-256, the run's arguments (what ``multiarea run --resume`` needs).

Every file is written under a temporary name and renamed into place, the
manifest last, and a checkpoint is deleted only after the manifest that
replaces it is in place: a run killed at any instant leaves a manifest that
names complete files.  :meth:`RunFolder.open` checks them (a truncated or
altered file is named in the error) and removes what the manifest does not
name (a chunk written after the last checkpoint), so a resumed run goes on
from the checkpoint's step and gives the spikes an uninterrupted run gives.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from .._files import write_atomic
from .recording import RECORD_FILE, SpikeRecord

__all__ = ["RunFolder", "MANIFEST", "complete_run"]

MANIFEST = "manifest.json"
_VERSION = 1


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _entry(path: Path) -> dict:
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": _sha256(path)}


class RunFolder:
    """An output folder a run writes chunks and checkpoints into.

    Use :meth:`create` for a new run and :meth:`open` to resume one.

    Attributes:
        path: the folder.
        arguments: the run's arguments (JSON-able dict) stored in the manifest.
        chunks: manifest entries of the chunks so far.
        checkpoint: manifest entry of the last checkpoint (with its ``step``), or None.
        complete: the run finished (:meth:`finish`).
    """

    def __init__(self, path: Path, arguments: dict, chunks: list, checkpoint: dict | None):
        self.path, self.arguments, self.chunks, self.checkpoint = path, arguments, chunks, checkpoint
        self.complete = False

    @classmethod
    def create(cls, path, arguments: dict | None = None) -> "RunFolder":
        """A new run in folder ``path`` (made if needed; the chunks,
        checkpoints, manifest and ``spikes.npz`` of an earlier run there are
        removed).

        Raises:
            ValueError: ``path`` is a file, or the folder cannot be written
                (the error says why: permission, no space, ...), before
                anything is simulated.
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise ValueError(f"output folder {path} exists and is not a folder")
        try:
            path.mkdir(parents=True, exist_ok=True)
            for old in [*path.glob("spikes_*.npz"), *path.glob("checkpoint_*.npz"), path / MANIFEST,
                        path / RECORD_FILE]:
                old.unlink(missing_ok=True)
            folder = cls(path, dict(arguments or {}), [], None)
            folder._write_manifest()
        except OSError as err:
            raise ValueError(f"cannot write to output folder {path}: {err}") from err
        return folder

    @classmethod
    def read(cls, path) -> "RunFolder":
        """The run in folder ``path`` as its manifest describes it (nothing checked or removed).

        Raises:
            FileNotFoundError: no folder or no manifest there.
            ValueError: a manifest that cannot be read.
        """
        path = Path(path)
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise FileNotFoundError(f"no run to resume in {path}: {MANIFEST} not found")
        try:
            manifest = json.loads(manifest_path.read_text())
            folder = cls(path, dict(manifest["arguments"]), list(manifest["chunks"]), manifest["checkpoint"])
            folder.complete = bool(manifest["complete"])
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{manifest_path} is not a run manifest: {err}") from err
        return folder

    @classmethod
    def open(cls, path, clean: bool = True) -> "RunFolder":
        """The run in folder ``path``, to resume: its manifest read, every
        chunk and the checkpoint it names checked (size and SHA-256), and
        (``clean``) the files it does not name removed.

        Raises:
            FileNotFoundError: no folder or no manifest there.
            ValueError: a complete run; a missing, truncated or altered chunk
                or checkpoint (named); a manifest that cannot be read.
        """
        folder = cls.read(path)
        folder.check_resumable()
        folder.verify()
        if clean:
            named = {e["file"] for e in folder.chunks} | ({folder.checkpoint["file"]} if folder.checkpoint else set())
            for stale in [*folder.path.glob("spikes_*.npz"), *folder.path.glob("checkpoint_*.npz"),
                          *folder.path.glob(".*.tmp")]:
                if stale.name not in named:
                    stale.unlink()
        return folder

    def check_resumable(self) -> None:
        """Raise ValueError if the run is complete (nothing to resume)."""
        if self.complete:
            raise ValueError(f"the run in {self.path} is complete: nothing to resume")

    def verify(self) -> None:
        """Check the size and SHA-256 of every chunk and of the checkpoint.

        Raises:
            ValueError: the first file that is missing, truncated or altered.
        """
        for entry in self.chunks + ([self.checkpoint] if self.checkpoint else []):
            file = self.path / entry["file"]
            if not file.is_file():
                raise ValueError(f"{file} is missing (named in {self.path / MANIFEST})")
            size = file.stat().st_size
            if size != entry["bytes"]:
                raise ValueError(f"{file} is {size} bytes, the manifest says {entry['bytes']}: truncated or "
                                 f"overwritten; the chunks before it are intact")
            if _sha256(file) != entry["sha256"]:
                raise ValueError(f"{file} does not match its SHA-256 in the manifest: corrupt; the chunks before "
                                 f"it are intact")

    @property
    def step(self) -> int:
        """Steps done at the last checkpoint (0 before the first)."""
        return 0 if self.checkpoint is None else int(self.checkpoint["step"])

    def add_chunk(self, chunk: SpikeRecord, net) -> None:
        """Write the next chunk and a checkpoint of ``net`` (its Variables
        hold the state after ``chunk.n_steps`` steps), then the manifest."""
        chunk_path = self.path / f"spikes_{len(self.chunks):05d}.npz"
        chunk.save(chunk_path)
        state = {name: np.asarray(var.value) for name, var in net.vars(method="relative").unique().items()}
        checkpoint_path = self.path / f"checkpoint_{chunk.n_steps:012d}.npz"
        write_atomic(checkpoint_path, lambda f: np.savez(f, **state))
        previous = self.checkpoint
        self.chunks.append(_entry(chunk_path))
        self.checkpoint = {**_entry(checkpoint_path), "step": int(chunk.n_steps)}
        self._write_manifest()
        if previous is not None and previous["file"] != checkpoint_path.name:
            (self.path / previous["file"]).unlink(missing_ok=True)

    def restore(self, net) -> int:
        """Load the last checkpoint into ``net`` (built with the run's own
        arguments); returns the steps done (0: nothing to load).

        Raises:
            ValueError: the checkpoint does not fit ``net`` (other Variables or shapes).
        """
        if self.checkpoint is None:
            return 0
        variables = net.vars(method="relative").unique()
        with np.load(self.path / self.checkpoint["file"]) as saved:
            if set(saved.files) != set(variables):
                raise ValueError(f"checkpoint {self.checkpoint['file']} holds other Variables than this network: "
                                 f"{sorted(set(saved.files) ^ set(variables))}")
            for name, var in variables.items():
                value = saved[name]
                if value.shape != tuple(var.shape):
                    raise ValueError(f"checkpoint {self.checkpoint['file']}: {name} has shape {value.shape}, "
                                     f"the network's {tuple(var.shape)}")
                var.value = jnp.asarray(value, dtype=var.dtype)
        return self.step

    def record(self) -> SpikeRecord:
        """The spikes of the chunks so far (checked against the manifest)."""
        self.verify()
        if not self.chunks:
            raise ValueError(f"no chunks in {self.path} yet")
        return SpikeRecord.concatenate([SpikeRecord.load(self.path / e["file"]) for e in self.chunks])

    def finish(self, record_path: Path) -> SpikeRecord:
        """Mark the run complete: its chunks joined into ``record_path``, then
        the chunks and the checkpoint removed; returns the joined record."""
        record = self.record()
        record.save(record_path)
        stale = [e["file"] for e in self.chunks] + ([self.checkpoint["file"]] if self.checkpoint else [])
        self.chunks, self.checkpoint, self.complete = [], None, True
        self._write_manifest()
        for name in stale:
            (self.path / name).unlink(missing_ok=True)
        return record

    def _write_manifest(self) -> None:
        manifest = {"version": _VERSION, "complete": self.complete, "arguments": self.arguments, "chunks": self.chunks,
                    "checkpoint": self.checkpoint}
        write_atomic(self.path / MANIFEST, lambda f: f.write(json.dumps(manifest, indent=1).encode()))


def complete_run(path, record_name: str = RECORD_FILE) -> SpikeRecord:
    """Finish the run in folder ``path`` (:meth:`RunFolder.finish`: its
    chunks joined into ``path/record_name``, chunks and checkpoint removed)
    and return its record."""
    return RunFolder.read(path).finish(Path(path) / record_name)
