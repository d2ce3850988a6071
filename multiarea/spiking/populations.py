"""Networks of any named populations with exponential current synapses.

The user's vocabulary, one class each (NEST's, one to one):

* :class:`Population` — ``size`` neurons of one model (:class:`IafPscExp`)
  in an area, with its initial membrane potentials;
* :class:`Connection` — a projection from one population to another (within
  or between areas): a rule (``FixedProbability``, ``FixedTotalNumber``,
  ``FixedIndegree``), a weight (pA, constant or ``TruncatedNormal``) and a delay (ms,
  constant or ``TruncatedNormal``);
* :class:`PoissonDrive` — independent Poisson spike trains into every neuron
  of a population (NEST's ``poisson_generator``: a fresh count per target per
  step), generated from a counter-based RNG, so runs are reproducible and do
  not depend on how they are chunked or threaded;
* :class:`NoiseDrive` — a white-noise current into every neuron of a
  population (NEST's ``noise_generator`` with ``dt_noise = dt``: a fresh
  normal value per neuron and step), from the same kind of RNG;
* DC drive is the neuron's ``I_e``; step currents go through the kernel
  runner's ``stim``;
* :class:`PopulationNetwork` — all of them, a brainpy DynamicalSystem.

Populations are addressed as ``"area/name"`` (or ``"name"`` when they have no
area); a name has no ``/``, an area may (macaque area ``9/46v``: key ``"9/46v/E"``).  Neurons are numbered population after population in the order given;
each population's spike words start on a fresh word
(:meth:`PopulationNetwork.word_neurons`).

:meth:`PopulationNetwork.update` is the pure-JAX reference of one step
(``multiarea.spiking.iaf_psc_exp`` gives the order of operations): it
materialises every synapse on the host (from the same stream as the kernel,
``ops._synapse_stream``) and is meant for small networks and tests; the
whole-step kernel (``runners.population_kernel``) runs the same step bit for
bit without storing synapses.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import brainpy as bp
import brainpy.math as bm
import jax
import jax.numpy as jnp
import numpy as np
from scipy.stats import poisson

from .. import _checks
from ..ops import _rng, _tables
from ..ops import _synapse_stream as stream
from ..projections.rules import TruncatedNormal, row_spec
from .iaf_psc_exp import IafPscExp
from .lif_delta import LifDelta
from .spike_words import pack_words

__all__ = ["Population", "Connection", "PoissonDrive", "NoiseDrive", "PopulationNetwork", "REFERENCE_MAX_SYNAPSES"]

#: the pure-JAX reference stores every synapse: it refuses networks larger than this
REFERENCE_MAX_SYNAPSES = 20_000_000
#: cells of one ring block (the kernel indexes a block with int32)
RING_BLOCK_CELLS = 2**31 - 1
_POISSON_SALT = 0x706F6973  # "pois"
_NOISE_SALT = 0x6E6F6973  # "nois"
_MEMBRANE_SALT = 0x6D656D62  # "memb": LifDelta membrane noise
MODEL_IAF_PSC_EXP, MODEL_LIF_DELTA = 0, 1  #: neuron model codes of the kernel
_POISSON_TAIL = 2.0 ** -34  # mass of the Poisson tail left out of a count table


def _fma(a, b, c):
    """``a * b + c`` as one float32 FMA: XLA on CPU contracts a multiply-add
    whose addend is not itself a product (the barrier keeps the result from
    being re-associated with its consumers); the kernel computes the same
    correctly rounded FMA."""
    return jax.lax.optimization_barrier(a * b + c)


def _flush(x):
    """Subnormal float32 to 0: a current decaying without input reaches them
    after ~450 steps; XLA's CPU code flushes them anyway, the kernel does the same."""
    return jnp.where(jnp.abs(x) < np.finfo(np.float32).tiny, 0.0, x)


@dataclass(frozen=True, eq=False)
class Population:
    """``size`` neurons of model ``neuron``.

    Args:
        name: population name (unique within its area; no ``/``).
        size: number of neurons (>= 1).
        neuron: an :class:`IafPscExp` (current synapses, NEST) or a
            :class:`LifDelta` (delta synapses, Brian2).
        area: area name, or None.
        V_init: initial membrane potential (mV): a float, a :class:`TruncatedNormal`
            (drawn per neuron, not redrawn unless it has bounds) or a ``(size,)``
            array of values.
        noise_stream: ``(seed, first)``: a :class:`LifDelta` population's
            membrane noise is that of indices ``first, first + 1, ...`` of the
            stream of ``seed`` (``ops._rng.noise_key``), so that populations
            can share one stream; default None: a stream of its own, keyed by
            the network's seed and the population's index.
    """
    name: str
    size: int
    neuron: IafPscExp | LifDelta
    area: str | None = None
    V_init: object = None
    noise_stream: tuple | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name or "/" in self.name:
            raise ValueError(f"population name must be a non-empty string without '/', got {self.name!r}")
        if self.area is not None and (not isinstance(self.area, str) or not self.area):
            raise ValueError(f"population area must be a non-empty string, got {self.area!r}")
        if isinstance(self.size, bool) or not isinstance(self.size, (int, np.integer)) or self.size < 1:
            raise ValueError(f"population {self.key!r}: size must be an int >= 1, got {self.size!r}")
        if not isinstance(self.neuron, (IafPscExp, LifDelta)):
            raise TypeError(f"population {self.key!r}: neuron must be an IafPscExp or a LifDelta, got {self.neuron!r}")
        if isinstance(self.V_init, (np.ndarray, list, tuple)):
            _checks.finite_array(f"population {self.key!r}: V_init", self.V_init, shape=(self.size,))
        elif self.V_init is not None and not isinstance(self.V_init, TruncatedNormal):
            _checks.finite_float(f"population {self.key!r}: V_init", self.V_init)
        if self.noise_stream is not None:
            if not isinstance(self.neuron, LifDelta):
                raise ValueError(f"population {self.key!r}: noise_stream is for LifDelta populations")
            if not (isinstance(self.noise_stream, tuple) and len(self.noise_stream) == 2):
                raise ValueError(f"population {self.key!r}: noise_stream must be (seed, first), "
                                 f"got {self.noise_stream!r}")
            _checks.seed_int(f"population {self.key!r}: noise_stream seed", self.noise_stream[0])
            first = _checks.nonnegative_int(f"population {self.key!r}: noise_stream first", self.noise_stream[1])
            if first + self.size > 2**32:
                raise ValueError(f"population {self.key!r}: noise_stream indices exceed 2**32")

    @property
    def key(self) -> str:
        """``"area/name"``, or ``"name"`` without an area."""
        return self.name if self.area is None else f"{self.area}/{self.name}"


@dataclass(frozen=True)
class Connection:
    """A projection from population ``pre`` to population ``post`` (keys).

    Args:
        pre, post: population keys (``"area/name"`` or ``"name"``).
        rule: a connection rule (``multiarea.projections.rules``).
        weight: pA per spike, a float or ``TruncatedNormal`` (positive: excitatory
            receptor, else inhibitory, per synapse as NEST 3 routes it).
        delay: ms, a float or ``TruncatedNormal`` (redrawn below ``dt / 2`` unless it
            sets ``low``).
    """
    pre: str
    post: str
    rule: object
    weight: object
    delay: object = 1.5


@dataclass(frozen=True)
class PoissonDrive:
    """Independent Poisson trains of total rate ``rate_hz`` into every neuron
    of population ``target`` (one generator of rate ``rate_hz`` per neuron;
    e.g. background rate x external in-degree).

    Args:
        target: population key.
        rate_hz: rate per neuron (Hz, >= 0).
        weight: pA per spike (sign picks the receptor).
        delay: ms (>= dt / 2): the first input arrives this long after the start.
    """
    target: str
    rate_hz: float
    weight: float
    delay: float = 1.0


@dataclass(frozen=True)
class NoiseDrive:
    """A white-noise current into every neuron of population ``target``:
    ``mean + std * z`` pA with ``z`` a fresh standard normal per neuron and
    step (the 65,536-level normal of ``ops._rng``), added to ``I_e``.

    NEST's ``noise_generator`` with ``dt_noise = dt`` draws the same kind of
    current; NEST applies a current generator's value one step after it is
    drawn, which only shifts this stationary sequence by a step.

    Args:
        target: population key.
        mean: mean current (pA).
        std: standard deviation (pA, >= 0).
    """
    target: str
    mean: float
    std: float


class PopulationNetwork(bp.DynamicalSystem):
    """Populations, connections and Poisson drives (see the module docstring).

    Args:
        populations: :class:`Population` list (order = neuron numbering).
        connections: :class:`Connection` list (order = projection ids and the
            order in which synapses add into a neuron's input).
        drives: :class:`PoissonDrive` and :class:`NoiseDrive` list, at most
            one of each per population.
        dt: time step (ms).
        seed: seed of connectivity, drive and initial potentials.
        merge_receptors: keep one synaptic current per neuron instead of an
            excitatory and an inhibitory one: exact when every population has
            ``tau_syn_ex == tau_syn_in`` (the two currents obey the same
            equation and enter V with the same propagator), and it halves the
            ring buffers (``n_receptors``); default: whenever that holds.
    """

    def __init__(self, populations, connections=(), drives=(), *, dt: float = 0.1, seed: int = 0,
                 merge_receptors: bool | None = None, name=None):
        super().__init__(name=name)
        self.dt = _checks.positive_float("dt", dt)
        self.seed = _checks.seed_int("seed", seed)
        self.populations = tuple(populations)
        if not self.populations:
            raise ValueError("populations must not be empty")
        for p in self.populations:
            if not isinstance(p, Population):
                raise TypeError(f"populations must be Population objects, got {p!r}")
        keys = [p.key for p in self.populations]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"duplicate population(s) {duplicates}")
        self.index = {k: i for i, k in enumerate(keys)}  #: population key -> index
        sizes = np.array([p.size for p in self.populations], np.int64)
        self.first = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)  #: first neuron
        self.num = int(sizes.sum())
        words = -(-sizes // 32)
        self.first_word = np.concatenate([[0], np.cumsum(words)[:-1]]).astype(np.int64)
        self.n_words = int(words.sum())
        self.connections = tuple(connections)
        self.specs = tuple(self._spec(i, c) for i, c in enumerate(self.connections))
        self.drives = tuple(drives)
        self._drive_of, self._noise_of = self._check_drives()
        self.n_slots = 1 + max([s.max_delay for s in self.specs] or [1])  #: ring slots
        #: shortest delay (steps) of any synapse (``n_slots`` without connections)
        self.min_delay = min([s.min_delay for s in self.specs] or [self.n_slots])
        equal = all(isinstance(p.neuron, IafPscExp) and p.neuron.tau_syn_ex == p.neuron.tau_syn_in
                    for p in self.populations)
        if merge_receptors is None:
            merge_receptors = equal
        elif not isinstance(merge_receptors, (bool, np.bool_)):
            raise TypeError(f"merge_receptors must be True, False or None, got {merge_receptors!r}")
        elif merge_receptors and not equal:
            unequal = [p.key for p in self.populations
                       if not isinstance(p.neuron, IafPscExp) or p.neuron.tau_syn_ex != p.neuron.tau_syn_in]
            raise ValueError(f"merge_receptors=True needs IafPscExp populations with tau_syn_ex == tau_syn_in; "
                             f"not {unequal}")
        self.n_receptors = 1 if merge_receptors else 2  #: synaptic currents per neuron
        self.ring_split = self._ring_split()  #: first neuron of ring block 1 (``num``: one block)
        self.reset_state()

    # -- construction -----------------------------------------------------------------------
    def _ring_split(self) -> int:
        """Where the ring buffer splits in two blocks (at a population
        boundary), so that each has at most ``RING_BLOCK_CELLS`` cells: the
        kernel indexes a block with int32.  ``num`` if one block holds it all."""
        per_neuron = self.n_receptors * self.n_slots
        if per_neuron * self.num <= RING_BLOCK_CELLS:
            return self.num
        for first in self.first[1:]:
            if per_neuron * first <= RING_BLOCK_CELLS and per_neuron * (self.num - first) <= RING_BLOCK_CELLS:
                return int(first)
        raise ValueError(f"the ring buffer ({self.n_receptors} receptor(s) x {self.n_slots} slots x {self.num:,} "
                         f"neurons = {per_neuron * self.num:,} cells) does not split at a population boundary into "
                         f"two blocks of at most {RING_BLOCK_CELLS:,} cells (the kernel's int32 indices)")

    def population_index(self, key: str, what: str = "population") -> int:
        """Index of a population given by key; ValueError naming the known ones."""
        if key not in self.index:
            raise ValueError(f"unknown {what} {key!r}; populations are {list(self.index)}")
        return self.index[key]

    def _spec(self, i: int, c) -> stream.RowSpec:
        if not isinstance(c, Connection):
            raise TypeError(f"connections must be Connection objects, got {c!r}")
        pre = self.populations[self.population_index(c.pre, f"pre population of connection {i}")]
        post = self.populations[self.population_index(c.post, f"post population of connection {i}")]
        try:
            return row_spec(c.rule, pre.size, post.size, seed=self.seed, proj_id=i, dt=self.dt,
                            weight=c.weight, delay=c.delay)
        except (ValueError, TypeError) as e:
            raise type(e)(f"connection {i} ({c.pre} -> {c.post}): {e}") from None

    def _check_drives(self) -> tuple[dict, dict]:
        drive_of, noise_of = {}, {}
        for d in self.drives:
            if not isinstance(d, (PoissonDrive, NoiseDrive)):
                raise TypeError(f"drives must be PoissonDrive or NoiseDrive objects, got {d!r}")
            kind = type(d).__name__
            p = self.population_index(d.target, "drive target")
            seen = drive_of if isinstance(d, PoissonDrive) else noise_of
            if p in seen:
                raise ValueError(f"population {d.target!r} has more than one {kind}")
            if isinstance(d, NoiseDrive):
                _checks.finite_float(f"{kind} {d.target!r}: mean", d.mean)
                _checks.nonnegative_float(f"{kind} {d.target!r}: std", d.std)
                seen[p] = d
                continue
            _checks.nonnegative_float(f"drive {d.target!r}: rate_hz", d.rate_hz)
            _checks.finite_float(f"drive {d.target!r}: weight", d.weight)
            if _checks.finite_float(f"drive {d.target!r}: delay", d.delay) < 0.5 * self.dt:
                raise ValueError(f"drive {d.target!r}: delay must be >= dt / 2 = {0.5 * self.dt} ms, "
                                 f"got {d.delay}")
            seen[p] = d
        return drive_of, noise_of

    # -- per-population constants -----------------------------------------------------------
    @functools.cached_property
    def population_of_neuron(self) -> np.ndarray:
        """``(num,)`` int32 population of each neuron."""
        return np.repeat(np.arange(len(self.populations), dtype=np.int32), [p.size for p in self.populations])

    @functools.cached_property
    def local_index(self) -> np.ndarray:
        """``(num,)`` uint32 index of each neuron within its population (what
        its Poisson and noise draws are keyed by)."""
        return (np.arange(self.num) - self.first[self.population_of_neuron]).astype(np.uint32)

    @functools.cached_property
    def constants(self) -> dict:
        """Per-population float32/int32 constants of the update (``(P,)`` each).

        ``model`` is ``MODEL_IAF_PSC_EXP`` or ``MODEL_LIF_DELTA``.  A
        :class:`LifDelta` population keeps ``V`` itself as its state ``y``
        (``E_L`` 0), ``theta`` and ``y_reset`` are its ``V_th`` and
        ``V_reset``, ``I_e`` its ``V_ext`` (mV), ``ref_steps`` the base of its
        refractory table (``refractory_words``), and its propagators are 0."""
        P = len(self.populations)
        n = [p.neuron for p in self.populations]
        exp = [isinstance(x, IafPscExp) for x in n]
        props = np.array([x.propagators(self.dt) if e else (0.0,) * 6 for x, e in zip(n, exp)], np.float32)
        f32 = lambda v: np.array(v, np.float32)  # noqa: E731
        drive_steps, drive_weight, drive_key = [], [], []
        for i in range(P):
            d = self._drive_of.get(i)
            drive_steps.append(-1 if d is None else max(1, int(math.floor(d.delay / self.dt + 0.5))))
            drive_weight.append(0.0 if d is None else d.weight)
            drive_key.append(_rng.mix32(np.uint32(self.seed) ^ np.uint32(_POISSON_SALT) ^ _rng.mix32(np.uint32(i))))
        noise = [self._noise_of.get(i) for i in range(P)]
        membrane = [p.noise_stream if p.noise_stream is not None else (None, 0) for p in self.populations]
        ref_table, _ = self.refractory_words
        return dict(
            model=np.array([MODEL_IAF_PSC_EXP if e else MODEL_LIF_DELTA for e in exp], np.int32),
            P22=props[:, 0], P21ex=props[:, 1], P21in=props[:, 2], P11ex=props[:, 3], P11in=props[:, 4],
            P20=props[:, 5], I_e=f32([x.I_e if e else x.V_ext for x, e in zip(n, exp)]),
            theta=f32([x.V_th - x.E_L if e else x.V_th for x, e in zip(n, exp)]),
            y_reset=f32([x.V_reset - x.E_L if e else x.V_reset for x, e in zip(n, exp)]),
            E_L=f32([x.E_L if e else 0.0 for x, e in zip(n, exp)]),
            V_rest=f32([0.0 if e else x.V_rest for x, e in zip(n, exp)]),
            euler=f32([0.0 if e else x.euler_factor(self.dt) for x, e in zip(n, exp)]),
            noise_scale=f32([0.0 if e else x.noise_scale(self.dt) for x, e in zip(n, exp)]),
            ref_steps=np.array([x.refractory_steps(self.dt) if e else x.refractory_table(self.dt)[0]
                                for x, e in zip(n, exp)], np.int32),
            ref_table=ref_table,
            during_ref=np.array([0 if e else int(x.synapses_during_refractory) for x, e in zip(n, exp)], np.int32),
            membrane_key=np.array([_rng.noise_key(s) if s is not None else
                                   _rng.mix32(np.uint32(self.seed) ^ np.uint32(_MEMBRANE_SALT) ^ _rng.mix32(np.uint32(i)))
                                   for i, (s, _) in enumerate(membrane)], np.uint32),
            membrane_first=np.array([first for _, first in membrane], np.uint32),
            drive_steps=np.array(drive_steps, np.int32), drive_weight=f32(drive_weight),
            drive_key=np.array(drive_key, np.uint32),
            noise_mean=f32([0.0 if d is None else d.mean for d in noise]),
            noise_std=f32([0.0 if d is None else d.std for d in noise]),
            has_noise=np.array([d is not None for d in noise], np.int32),
            noise_key=np.array([_rng.mix32(np.uint32(self.seed) ^ np.uint32(_NOISE_SALT) ^ _rng.mix32(np.uint32(i)))
                                for i in range(len(noise))], np.uint32))

    @functools.cached_property
    def refractory_words(self) -> tuple[np.ndarray, np.ndarray]:
        """``(offsets, words)``: the legacy refractory tables of the
        :class:`LifDelta` populations (``LifDelta.refractory_table``), one per
        distinct ``tau_ref``, concatenated into ``words`` (uint32; one zero word
        if there is none); ``offsets`` ``(P,)`` int32 is each population's
        first word, -1 for populations without a table."""
        tables, offsets, at = {}, [], 0
        for p in self.populations:
            words = p.neuron.refractory_table(self.dt)[1] if isinstance(p.neuron, LifDelta) else None
            if words is None:
                offsets.append(-1)
                continue
            if p.neuron.tau_ref not in tables:
                tables[p.neuron.tau_ref] = (at, words)
                at += words.size
            offsets.append(tables[p.neuron.tau_ref][0])
        flat = np.concatenate([w for _, w in tables.values()]) if tables else np.zeros(1, np.uint32)
        return np.array(offsets, np.int32), flat.astype(np.uint32)

    @property
    def max_steps(self) -> int | None:
        """Steps a run may cover (legacy refractory tables), None: unbounded."""
        limits = [p.neuron.max_steps for p in self.populations if isinstance(p.neuron, LifDelta)]
        limits = [m for m in limits if m is not None]
        return min(limits) if limits else None

    @functools.cached_property
    def poisson_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """``(tables, bits)``: ``(P, B)`` uint32 alias tables (``ops._tables``)
        of each population's Poisson count per step (the tail beyond
        probability 2**-34 left out; padded to the widest) and ``(P,)`` int32
        their bits; a population without drive has the table of count 0."""
        tables, bits = [], []
        for i in range(len(self.populations)):
            d = self._drive_of.get(i)
            lam = 0.0 if d is None else d.rate_hz * self.dt * 1e-3
            k_max = int(poisson.isf(_POISSON_TAIL, lam)) + 1 if lam > 0 else 1
            cdf = np.rint(np.ldexp(poisson.cdf(np.arange(k_max), lam), 31)).astype(np.int64)
            cdf[-1] = 2**31
            packed, b = _tables.alias_table(_tables.weights_from_cdf(cdf))
            tables.append(packed)
            bits.append(b)
        width = max(t.size for t in tables)
        out = np.zeros((len(tables), width), np.uint32)
        for i, t in enumerate(tables):
            out[i, :t.size] = t
        return out, np.array(bits, np.int32)

    def initial_potentials(self) -> np.ndarray:
        """``(num,)`` float32 initial V (mV), drawn per population from its
        ``V_init`` (default: ``E_L``, a LifDelta's ``V_rest``) with a Philox
        stream keyed by (seed, population), or given per neuron."""
        out = []
        for i, p in enumerate(self.populations):
            rest = p.neuron.E_L if isinstance(p.neuron, IafPscExp) else p.neuron.V_rest
            v = rest if p.V_init is None else p.V_init
            if isinstance(v, (np.ndarray, list, tuple)):
                out.append(np.asarray(v, np.float64))
            elif isinstance(v, TruncatedNormal):
                rng = np.random.Generator(np.random.Philox(key=[self.seed, i]))
                x = rng.normal(v.mean, v.sd, p.size)
                bad = (x < v.low) | (x > v.high)
                while bad.any():
                    x[bad] = rng.normal(v.mean, v.sd, int(bad.sum()))
                    bad = (x < v.low) | (x > v.high)
                out.append(x)
            else:
                out.append(np.full(p.size, float(v)))
        return np.concatenate(out).astype(np.float32)

    # -- state ------------------------------------------------------------------------------
    def reset_state(self, batch_size=None, **kwargs):
        E_L = self.constants["E_L"][self.population_of_neuron]
        y0 = jnp.asarray(self.initial_potentials() - E_L)
        values = dict(y=y0, i_syn=jnp.zeros((self.n_receptors, self.num), jnp.float32),
                      refractory_left=jnp.zeros(self.num, jnp.int32),
                      # input arriving per (receptor, slot, neuron), flat: receptor-major, then slot;
                      # neurons from ring_split on in a second block (1 cell when there is none)
                      ring=jnp.zeros(self.n_receptors * self.n_slots * self.ring_split, jnp.float32),
                      ring_hi=jnp.zeros(max(1, self.n_receptors * self.n_slots * (self.num - self.ring_split)),
                                        jnp.float32),
                      spike=jnp.zeros(self.num, bool), stim=jnp.zeros(len(self.populations), jnp.float32),
                      t=jnp.zeros((), jnp.int32))
        for k, v in values.items():
            if hasattr(self, k):
                getattr(self, k).value = v
            else:
                setattr(self, k, bm.Variable(v))

    @property
    def V(self) -> jax.Array:
        """``(num,)`` membrane potentials (mV)."""
        return self.y.value + jnp.asarray(self.constants["E_L"][self.population_of_neuron])

    # -- the reference step -----------------------------------------------------------------
    @functools.cached_property
    def synapses(self) -> dict:
        """Every synapse, in (connection, pre, row) order, as global arrays
        ``pre``, ``post`` (int32), ``delay`` (int32 steps), ``weight`` (float32).

        Raises:
            ValueError: more than ``REFERENCE_MAX_SYNAPSES`` synapses.
        """
        out = {k: [] for k in ("pre", "post", "delay", "weight")}
        total = 0
        for c, spec in zip(self.connections, self.specs):
            first_pre = self.first[self.index[c.pre]]
            first_post = self.first[self.index[c.post]]
            for i in range(spec.n_pre):
                post, delay, weight = stream.row_synapses(spec, i)
                total += post.size
                if total > REFERENCE_MAX_SYNAPSES:
                    raise ValueError(f"the pure-JAX reference stores every synapse and this network has more "
                                     f"than {REFERENCE_MAX_SYNAPSES}; run it on the kernel")
                out["pre"].append(np.full(post.size, first_pre + i, np.int32))
                out["post"].append((first_post + post).astype(np.int32))
                out["delay"].append(delay)
                out["weight"].append(weight)
        return {k: np.concatenate(v) if v else np.zeros(0, np.float32 if k == "weight" else np.int32)
                for k, v in out.items()}

    def poisson_counts(self, step) -> jax.Array:
        """``(num,)`` int32 Poisson input counts arriving at ``step`` (traceable)."""
        c = self.constants
        tables, bits = self.poisson_tables
        pop = jnp.asarray(self.population_of_neuron)
        local = jnp.asarray(self.local_index)
        emitted = step - jnp.asarray(c["drive_steps"])[pop]  # NEST: emitted at s >= 1
        step_key = _rng.mix32(jnp.asarray(c["drive_key"])[pop] ^ _rng.mix32(emitted.astype(jnp.uint32), jnp), jnp)
        r31 = _rng.draw(step_key, local, jnp) >> jnp.uint32(1)
        shift = (_tables.ALIAS_DRAW_BITS - jnp.asarray(bits)[pop]).astype(jnp.uint32)
        bucket = (r31 >> shift).astype(jnp.int32)
        entry = jnp.asarray(tables)[pop, bucket]
        b = jnp.asarray(bits)[pop].astype(jnp.uint32)
        low = r31 & ((jnp.uint32(1) << shift) - jnp.uint32(1))
        counts = jnp.where(low < (entry >> b), bucket, (entry & ((jnp.uint32(1) << b) - jnp.uint32(1))).astype(jnp.int32))
        active = (jnp.asarray(c["drive_steps"])[pop] >= 0) & (emitted >= 1)
        return jnp.where(active, counts, 0)

    def noise_current(self, step) -> jax.Array:
        """``(num,)`` float32 :class:`NoiseDrive` current (pA) at ``step``
        (``+0.0`` for populations without one; traceable)."""
        pop = jnp.asarray(self.population_of_neuron)
        local = jnp.asarray(self.local_index)
        index = _rng.noise_index(jnp.asarray(self.constants["noise_key"])[pop], jnp.asarray(step).astype(jnp.uint32),
                                 local, xp=jnp)
        z = jnp.asarray(_rng.normal_table())[index]
        c = self.constants
        current = _fma(z, jnp.asarray(c["noise_std"])[pop], jnp.asarray(c["noise_mean"])[pop])
        return jnp.where(jnp.asarray(c["has_noise"])[pop] > 0, current, 0.0)

    def _refractory_after(self, t, c) -> jax.Array:
        """``(num,)`` int32 refractory steps after a spike at step ``t``:
        ``ref_steps``, plus the legacy table's bit ``t`` where there is one."""
        words = jnp.asarray(self.refractory_words[1])
        has_table = c["ref_table"] >= 0
        word = words[jnp.where(has_table, c["ref_table"], 0) + (t >> 5)]
        bit = (word >> (t & 31).astype(jnp.uint32)) & jnp.uint32(1)
        return c["ref_steps"] + jnp.where(has_table, bit.astype(jnp.int32), 0)

    def update(self):
        """One step (the pure-JAX reference); returns ``(num,)`` bool spikes.

        Raises:
            ValueError: the ring is split in two blocks (a network far larger
                than the reference can store; run it on the kernel).
        """
        if self.ring_split != self.num:
            raise ValueError("the pure-JAX reference runs networks whose ring is one block; run this one on the kernel")
        pop = jnp.asarray(self.population_of_neuron)
        c = {k: jnp.asarray(v)[pop] for k, v in self.constants.items()
             if k not in ("drive_key", "noise_key", "membrane_key")}
        t = self.t.value
        slot = t % self.n_slots
        ring = self.ring.value.reshape(self.n_receptors, self.n_slots, self.num)
        arriving = ring[:, slot]  # (receptors, num)
        counts = self.poisson_counts(t).astype(jnp.float32)
        w_drive = c["drive_weight"]
        y, left = self.y.value, self.refractory_left.value
        refractory = left > 0
        drive = (c["I_e"] + self.stim.value[pop]) + self.noise_current(t)
        if self.n_receptors == 2:
            excitatory = w_drive > 0
            arriving = jnp.stack([jnp.where(excitatory, _fma(counts, w_drive, arriving[0]), arriving[0]),
                                  jnp.where(excitatory, arriving[1], _fma(counts, w_drive, arriving[1]))])
            i_ex, i_in = self.i_syn.value
            y_exp = _fma(y, c["P22"], _fma(i_ex, c["P21ex"], _fma(i_in, c["P21in"],
                                                                   jax.lax.optimization_barrier(drive * c["P20"]))))
            i_syn = _flush(jnp.stack([_fma(i_ex, c["P11ex"], arriving[0]), _fma(i_in, c["P11in"], arriving[1])]))
            jump = arriving[0] + arriving[1]
        else:
            i_all = self.i_syn.value[0]
            y_exp = _fma(y, c["P22"], _fma(i_all, c["P21ex"], jax.lax.optimization_barrier(drive * c["P20"])))
            arriving = _fma(counts, w_drive, arriving[0])
            i_syn = _flush(_fma(i_all, c["P11ex"], arriving))[None]
            jump = arriving
        # iaf_psc_exp: clamped while refractory, spikes at >= theta
        y_exp = jnp.where(refractory, y, y_exp)
        spike_exp = y_exp >= c["theta"]
        # LifDelta (Brian2): integrate unless refractory, spike at > V_th, jumps unless refractory, reset
        xi = jnp.asarray(_rng.normal_table())[_rng.noise_index(
            jnp.asarray(self.constants["membrane_key"])[pop], jnp.asarray(t).astype(jnp.uint32),
            c["membrane_first"] + jnp.asarray(self.local_index), xp=jnp)]
        v = jnp.where(refractory, y, _fma(drive - (y - c["V_rest"]), c["euler"], _fma(xi, c["noise_scale"], y)))
        spike_delta = ~refractory & (v > c["theta"])
        v = jnp.where((c["during_ref"] > 0) | ~refractory, v + jump, v)
        delta = c["model"] == MODEL_LIF_DELTA
        y = jnp.where(delta, v, y_exp)
        spike = jnp.where(delta, spike_delta, spike_exp)
        left = jnp.where(refractory, left - 1, left)
        self.y.value = jnp.where(spike, c["y_reset"], y)
        self.refractory_left.value = jnp.where(spike, self._refractory_after(t, c), left)
        self.i_syn.value = jnp.where(delta, 0.0, i_syn)
        ring = ring.at[:, slot].set(0.0)
        s = self.synapses
        if s["pre"].size:
            w = jnp.where(spike[jnp.asarray(s["pre"])], jnp.asarray(s["weight"]), 0.0)
            receptor = jnp.asarray((s["weight"] <= 0).astype(np.int32) * (self.n_receptors - 1))
            ring = ring.at[receptor, (t + jnp.asarray(s["delay"])) % self.n_slots, jnp.asarray(s["post"])].add(w)
        self.ring.value = ring.reshape(-1)
        self.spike.value = spike
        self.stim.value = jnp.zeros_like(self.stim.value)
        self.t.value = t + 1
        return spike

    def synaptic_events(self, record) -> float:
        """Synaptic events the spikes of ``record`` (a ``SpikeRecord`` of
        this network) caused: each spike times the synapses per pre neuron of
        every projection from its population (mean over pre neurons, or the
        expectation for ``FixedProbability``)."""
        spikes = np.bincount(np.searchsorted(self.first, record.neurons, side="right") - 1,
                             minlength=len(self.populations))
        return float(sum(spikes[self.index[c.pre]] * s.mean_row_length
                         for c, s in zip(self.connections, self.specs)))

    def excitatory_populations(self) -> tuple[str, ...]:
        """Keys of the populations whose outgoing connections all have
        positive mean weights (and that have some)."""
        signs = {}
        for c, s in zip(self.connections, self.specs):
            signs.setdefault(c.pre, set()).add(bool(s.weight_mean > 0))
        return tuple(k for k in self.index if signs.get(k) == {True})

    def spike_words(self) -> jax.Array:
        """``(n_words,)`` uint32 spike words of the last step (traceable; the
        layout of :meth:`word_neurons`): what ``bp.DSRunner`` monitors."""
        spike = self.spike.value
        return jnp.concatenate([pack_words(spike[int(f):int(f) + p.size])
                                for f, p in zip(self.first, self.populations)])

    def word_neurons(self) -> np.ndarray:
        """``(n_words, 32)`` int32 global neuron of each bit of a step's spike
        words (-1: padding); population ``p`` owns words ``first_word[p]`` on."""
        out = np.full((self.n_words, 32), -1, np.int32)
        for p, pop in enumerate(self.populations):
            local = np.arange(-(-pop.size // 32) * 32).reshape(-1, 32)
            out[self.first_word[p]:self.first_word[p] + local.shape[0]] = np.where(
                local < pop.size, self.first[p] + local, -1)
        return out
