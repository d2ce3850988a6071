"""The Joglekar et al. (2018) 29-area threshold-linear rate model as a typed connectome RNN.

Per area ``i`` (hierarchy ``h_i`` in [0, 1], ``FLN[i, j]`` onto ``i`` from
``j``) an E and an I population with rates ``r_E``, ``r_I`` (Hz) and input
currents already in rate units (Hz)::

    I_E[i] = betaE (1 + eta h_i) (muEE sum_j FLN[i,j] r_E[j] + omegaEE r_E[i]) - betaE omegaEI r_I[i] + bgE[i] + u_i(t)
    I_I[i] = betaI (1 + eta h_i) (muIE sum_j FLN[i,j] r_E[j] + omegaIE r_E[i]) - betaI omegaII r_I[i] + bgI[i]
    tauE dr_E/dt = -r_E + relu(I_E),    tauI dr_I/dt = -r_I + relu(I_I)

This is a :class:`multiarea.ConnectomeRNN` with ``state="rate"``: 58 neurons
(the 29 E populations, then the 29 I populations, in the data's area order),
types ``E`` and ``I``, the coupling magnitudes (gains included) as the
per-synapse values of the 58 x 58 CSR recurrent :class:`~multiarea.Projection`,
one ``edge_strength`` per edge type (E->E, E->I, I->E, I->I; 1 as published)
and an input :class:`~multiarea.Projection` from 30 inputs: input 0 carries
the background currents (per-synapse weights ``bg``; drive it with 1), input
``1 + a`` is the E population of area ``a``.  The background currents solve
the linear steady state ``r_E = rE_steady``, ``r_I = rI_steady`` in every
area: ``bg = (1 - W) r_ss``, and ``condition_number`` is that of ``1 - W``.

As the authors' MATLAB code (``Matlab/rishimodel_generatefigs_rate.m`` and
``runNetworkAreaInputNEW.m`` in OpenSourceBrain/JoglekarEtAl18, checked
against here line by line) runs it, by default:

* Euler steps of ``dt`` = 0.2 ms, ``r <- r + dt/tau (-r + relu(I))``;
* ``floor``: after every step ``r_E <- max(rE_steady, r_E)``, ``r_I <-
  max(rI_steady, r_I)`` (a state hook);
* ``hold``: the state is held at the steady state until the input first
  becomes non-zero (a state hook);
* float64 (MATLAB's doubles: the weak-GBA response of the prefrontal areas is
  ~1e-5 Hz on a 10 Hz baseline, below float32's resolution);
* times: MATLAB records step ``i`` (1-based) at ``t_i = i dt`` and applies the
  input ``inp(i)`` in the step that ends there.  Here the state ``k``
  (0-based) is at ``t_k = (k + 1) dt`` and input frame ``k`` is applied in the
  step from ``t_k`` to ``t_k+1``, so the pulse ``inp(i) != 0`` for ``i =
  round(start/dt) ... round(stop/dt)`` is frames ``i - 2``;
* peak response of area ``i``: ``max r_E[i](t) - r_E[i](peak_start)`` over
  ``t`` in ``[peak_start, peak_stop]`` (1.75-5 s).

``floor=False, hold=False`` is the plain threshold-linear network.
Parameters live in ``models/joglekar2018_rate.toml`` (regimes ``weak-gba`` and
``strong-gba``, and the original code's variants).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from .. import _checks
from .. import data as _data
from ..data import models_dir
from ..projections.connectivity import CSR
from ..rate.connectome_rnn import ConnectomeRNN
from ..projections.projection import Projection

__all__ = ["JoglekarRate", "RateRun", "load_rate_model", "REGIMES", "VARIANTS", "AREAS_SHOWN",
           "FLN_FORMS", "EDGE_GROUPS", "x64"]

REGIMES = ("weak-gba", "strong-gba")
VARIANTS = ("no-feedback", "no-hierarchy", "symmetric-fln")
FLN_FORMS = ("data", "lower-triangular", "arithmetic-mean")
EDGE_GROUPS = ("types", "long-range", "per-area")
#: the areas whose time courses the paper shows (Fig. 2), in the data's order
AREAS_SHOWN = ("V1", "V4", "8m", "8l", "TEO", "7A", "9/46d", "TEpd", "24c")
_POSITIVE = ("betaE", "betaI", "tauE", "tauI", "dt", "stimulus_factor")
_NONNEGATIVE = ("omegaEE", "omegaIE", "omegaEI", "omegaII", "muEE", "muIE", "stimulus_amplitude")
_FINITE = ("eta", "rE_steady", "rI_steady", "stimulus_start", "stimulus_stop", "peak_start", "peak_stop")
_FLAGS = ("floor", "hold")
PARAMETERS = _POSITIVE + _NONNEGATIVE + _FINITE + _FLAGS + ("fln", "n_steps", "stimulus_area", "dtype")


def x64(dtype: str = "float64"):
    """A context enabling 64-bit JAX for ``dtype == "float64"`` (else nothing)."""
    return jax.enable_x64(True) if dtype == "float64" else contextlib.nullcontext()


def _read_spec() -> dict:
    from ..spiking.model_file import _read

    return _read(models_dir() / "joglekar2018_rate.toml")


def load_rate_model(regime: str = "weak-gba", variant: str | None = None, **overrides) -> "JoglekarRate":
    """The rate model of ``models/joglekar2018_rate.toml`` for one regime.

    Args:
        regime: ``"weak-gba"`` or ``"strong-gba"``.
        variant: ``None`` (as published) or one of ``VARIANTS`` (the original
            code's: feedback removed, no hierarchy gradient, FLN symmetrised),
            each with its own stimulus amplitudes.
        **overrides: parameters replacing the file's (e.g. ``muEE=40.0``,
            ``floor=False``, ``dtype="float32"``).

    Raises:
        ValueError: unknown regime, variant or parameter, or a bad value
            (naming it).
    """
    spec = _read_spec()
    if regime not in spec["regimes"]:
        raise ValueError(f"unknown regime {regime!r} for joglekar2018_rate; valid regimes: {sorted(spec['regimes'])}")
    params = {**spec["parameters"], **spec["regimes"][regime]}
    variants = spec.get("variants", {})
    if variant is not None:
        if variant not in variants:
            raise ValueError(f"unknown variant {variant!r}; valid variants: {sorted(variants)}")
        for key, value in variants[variant].items():
            params[key] = value[regime] if isinstance(value, dict) else value
    params.setdefault("dtype", "float64")
    unknown = sorted(set(overrides) - set(PARAMETERS))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; valid: {sorted(PARAMETERS)}")
    params.update(overrides)
    return JoglekarRate(params, _data.joglekar2018(), regime=regime, variant=variant)


def _check_params(params: dict, area_names) -> dict:
    p = dict(params)
    missing = sorted(set(PARAMETERS) - set(p))
    if missing:
        raise ValueError(f"rate model lacks parameter(s) {missing}")
    for name in _POSITIVE:
        p[name] = _checks.positive_float(name, p[name])
    for name in _NONNEGATIVE:
        p[name] = _checks.nonnegative_float(name, p[name])
    for name in _FINITE:
        p[name] = _checks.finite_float(name, p[name])
    for name in _FLAGS:
        if not isinstance(p[name], bool):
            raise TypeError(f"{name} must be true or false, got {p[name]!r}")
    p["n_steps"] = _checks.positive_int("n_steps", p["n_steps"])
    if p["n_steps"] < 2:
        raise ValueError(f"n_steps must be >= 2, got {p['n_steps']}")
    if p["fln"] not in FLN_FORMS:
        raise ValueError(f"fln must be one of {FLN_FORMS}, got {p['fln']!r}")
    if p["dtype"] not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {p['dtype']!r}")
    if p["stimulus_area"] not in area_names:
        raise ValueError(f"unknown stimulus_area {p['stimulus_area']!r}; areas: {list(area_names)}")
    if p["stimulus_stop"] < p["stimulus_start"]:
        raise ValueError(f"stimulus_stop = {p['stimulus_stop']} is before stimulus_start = {p['stimulus_start']}")
    if not p["dt"] <= p["peak_start"] < p["peak_stop"] <= p["n_steps"] * p["dt"]:
        raise ValueError(f"the peak window [{p['peak_start']}, {p['peak_stop']}] ms must be increasing and "
                         f"inside the run [dt, n_steps * dt] = [{p['dt']}, {p['n_steps'] * p['dt']}] ms")
    return p


def _fln(fln: np.ndarray, form: str) -> np.ndarray:
    if form == "lower-triangular":     # inputs from areas lower in the hierarchy only (data order)
        return np.tril(fln)
    if form == "arithmetic-mean":
        return (fln + fln.T) / 2
    return np.array(fln)


@dataclass(frozen=True)
class RateRun:
    """A simulation of the rate model.

    Attributes:
        times_ms: ``(T,)`` times of the states, ``(k + 1) dt``.
        rates: ``(batch, T, 58)`` rates (Hz): E of every area, then I.
        amplitude_hz: ``(batch,)`` stimulus amplitudes.
        area_names: ``(29,)``.
        peak_window: ``(first, last)`` state indices of the peak window.
    """

    times_ms: np.ndarray
    rates: np.ndarray = field(repr=False)
    amplitude_hz: np.ndarray
    area_names: tuple
    peak_window: tuple

    @property
    def rates_E(self) -> np.ndarray:
        """``(batch, T, 29)`` E rates (Hz)."""
        return self.rates[..., :len(self.area_names)]

    @property
    def rates_I(self) -> np.ndarray:
        """``(batch, T, 29)`` I rates (Hz)."""
        return self.rates[..., len(self.area_names):]

    def peaks(self) -> np.ndarray:
        """``(batch, 29)`` peak E response (Hz): ``max r_E(t) - r_E(t_start)``
        over the peak window, as the original code measures it."""
        first, last = self.peak_window
        window = self.rates_E[:, first:last + 1]
        return window.max(axis=1) - window[:, 0]

    def propagation_ratio(self, area: str = "24c", reference: str = "V1") -> np.ndarray:
        """``(batch,)`` peak of ``area`` over peak of ``reference``."""
        peaks = self.peaks()
        return peaks[:, _area_index(self.area_names, area)] / peaks[:, _area_index(self.area_names, reference)]


def _area_index(names, area) -> int:
    if area not in names:
        raise ValueError(f"unknown area {area!r}; areas: {list(names)}")
    return list(names).index(area)


class JoglekarRate:
    """One regime (and variant) of the rate model.

    Attributes:
        params: resolved parameters (see ``models/joglekar2018_rate.toml``).
        area_names: ``(29,)``; hierarchy ``(29,)`` in [0, 1]; fln ``(29, 29)``
            as used (after the variant's change).
        coupling: ``(58, 58)`` ``W[post, pre]`` (Hz per Hz) with the gains
            ``beta (1 + eta h)`` folded in; inhibitory columns negative.
        steady: ``(58,)`` the target steady state (Hz).
        background: ``(58,)`` background currents ``(1 - W) steady`` (Hz).
        condition_number: 2-norm condition number of ``1 - W``.
        steady_residual: ``max |solve(1 - W, background) - steady|`` (Hz).
    """

    def __init__(self, params: dict, anatomy: _data.Joglekar2018Data, regime: str = "custom",
                 variant: str | None = None):
        self.regime, self.variant = regime, variant
        self.area_names = tuple(anatomy.area_names)
        self.params = p = _check_params(params, self.area_names)
        self.hierarchy = np.asarray(anatomy.hierarchy, float)
        self.fln = _fln(np.asarray(anatomy.fln, float), p["fln"])
        n = self.n_areas = len(self.area_names)
        gain = 1.0 + p["eta"] * self.hierarchy                        # (29,) onto area i
        eye = np.eye(n)
        w = np.zeros((2 * n, 2 * n))
        w[:n, :n] = p["betaE"] * gain[:, None] * (p["muEE"] * self.fln + p["omegaEE"] * eye)
        w[n:, :n] = p["betaI"] * gain[:, None] * (p["muIE"] * self.fln + p["omegaIE"] * eye)
        w[:n, n:] = -p["betaE"] * p["omegaEI"] * eye
        w[n:, n:] = -p["betaI"] * p["omegaII"] * eye
        self.coupling = w
        self.steady = np.concatenate([np.full(n, p["rE_steady"]), np.full(n, p["rI_steady"])])
        leak = np.eye(2 * n) - w
        self.background = leak @ self.steady
        self.condition_number = float(np.linalg.cond(leak))
        self.solved_steady = np.linalg.solve(leak, self.background)
        self.steady_residual = float(np.abs(self.solved_steady - self.steady).max())
        self.tau = np.concatenate([np.full(n, p["tauE"]), np.full(n, p["tauI"])])
        self._rnn = None

    @property
    def dtype(self) -> str:
        return self.params["dtype"]

    @property
    def stimulus_hz(self) -> float:
        """The regime's V1 pulse amplitude (Hz): ``stimulus_amplitude x stimulus_factor``."""
        return self.params["stimulus_amplitude"] * self.params["stimulus_factor"]

    # ----------------------------------------------------------- linear view
    def jacobian(self) -> np.ndarray:
        """``(58, 58)`` ``diag(1/tau) (W - 1)`` (1/ms): the linearisation
        around the steady state (all populations above threshold; the
        original code's ``A``)."""
        return (self.coupling - np.eye(2 * self.n_areas)) / self.tau[:, None]

    def eigenvalues(self) -> np.ndarray:
        """``(58,)`` eigenvalues of :meth:`jacobian` (1/ms), by decreasing real part."""
        ev = np.linalg.eigvals(self.jacobian())
        return ev[np.argsort(-ev.real, kind="stable")]

    def stability_margin(self) -> float:
        """``-max Re(eigenvalue)`` (1/ms); negative: the steady state is unstable."""
        return float(-self.eigenvalues()[0].real)

    # ------------------------------------------------------------ the network
    def rnn(self) -> ConnectomeRNN:
        """The model as a :class:`ConnectomeRNN` (built once; float64 needs
        :func:`x64` around its use), with the floor and hold hooks the
        parameters ask for."""
        if self._rnn is None:
            self._rnn = self.build_rnn(floor=self.params["floor"], hold=self.params["hold"])
        return self._rnn

    def build_rnn(self, *, floor: bool, hold: bool, edge_groups: str = "types", trainable=("edge_strength",),
                  backend=None) -> ConnectomeRNN:
        """A new :class:`ConnectomeRNN` of this model (see the module
        docstring), every ``edge_strength`` 1.

        Args:
            floor, hold: register the floor / hold state hooks.
            edge_groups: the edge types, each with its own strength:
                ``"types"`` the (pre, post) type pairs E->E, E->I, I->E, I->I;
                ``"long-range"`` the local ones (``"E->E"``, ``"E->I"``,
                ``"I->E"``, ``"I->I"``) and ``"E->E long-range"``, ``"E->I
                long-range"``; ``"per-area"`` the local ones and the
                long-range ones onto each area, ``"E->E long-range onto V4"``.
        """
        if edge_groups not in EDGE_GROUPS:
            raise ValueError(f"edge_groups must be one of {EDGE_GROUPS}, got {edge_groups!r}")
        with x64(self.dtype):
            return self._with_hooks(self._connectome_rnn(trainable, backend, edge_groups), floor, hold)

    def _edge_labels(self, how: str, pre: np.ndarray, post: np.ndarray) -> np.ndarray:
        n = self.n_areas
        pop = np.array(["E", "I"])
        labels = np.char.add(np.char.add(pop[pre // n], "->"), pop[post // n])
        long_range = pre % n != post % n
        if how == "long-range":
            labels = np.where(long_range, np.char.add(labels, " long-range"), labels)
        elif how == "per-area":
            onto = np.char.add(" long-range onto ", np.array(self.area_names)[post % n])
            labels = np.where(long_range, np.char.add(labels, onto), labels)
        return labels

    def _connectome_rnn(self, trainable, backend, edge_groups) -> ConnectomeRNN:
        n = self.n_areas
        feed = CSR(_input_indptr(n), _input_indices(n), 2 * n)       # background + one input per area's E
        weights = np.concatenate([self.background, np.ones(n)])
        types = np.array(["E"] * n + ["I"] * n)
        pre_by_post = np.abs(self.coupling).T                  # (pre, post) magnitudes
        return ConnectomeRNN(
            pre_by_post, types, neuron_type_class={"E": "excitatory", "I": "inhibitory"},
            tau={"E": self.params["tauE"], "I": self.params["tauI"]}, bias=0.0, edge_strength=1.0,
            nonlinearity="relu", trainable=trainable,
            input_projection=Projection(n + 1, 2 * n, feed, weights, backend=backend),
            state="rate", dtype=self.dtype, backend=backend,
            edge_groups=None if edge_groups == "types" else (lambda pre, post: self._edge_labels(edge_groups, pre, post)))

    def _with_hooks(self, rnn: ConnectomeRNN, floor: bool, hold: bool) -> ConnectomeRNN:
        if floor:
            lower = jnp.asarray(self.steady, rnn.dtype)
            rnn.register_state_hook(lambda r, t: jnp.maximum(r, lower))
        if hold:
            steady = jnp.asarray(self.steady, rnn.dtype)
            # held: the states before the one the first pulse frame produces
            dt = self.params["dt"]
            t_until = (self._frame_of_step(round(self.params["stimulus_start"] / dt)) + 1.5) * dt
            rnn.register_state_hook(lambda r, t: jnp.where(t < t_until, steady, r))
        return rnn

    def _times(self, n_steps=None) -> np.ndarray:
        return (np.arange(n_steps or self.params["n_steps"]) + 1) * self.params["dt"]

    @staticmethod
    def _frame_of_step(i: int) -> int:
        """Input frame of the MATLAB step ``i`` (1-based, state at ``i dt``)."""
        return i - 2

    def input_frames(self, amplitude_hz, area=None, n_steps=None) -> np.ndarray:
        """``(batch, n_steps, 30)`` inputs: background channel 1, the pulse of
        ``amplitude_hz`` ``(batch,)`` on ``area``'s E (default the stimulus area)."""
        p = self.params
        n_steps = n_steps or p["n_steps"]
        amplitude = _checks.finite_array("amplitude_hz", np.atleast_1d(amplitude_hz), ndim=1)
        a = _area_index(self.area_names, p["stimulus_area"] if area is None else area)
        first = self._frame_of_step(round(p["stimulus_start"] / p["dt"]))
        last = self._frame_of_step(round(p["stimulus_stop"] / p["dt"]))
        x = np.zeros((amplitude.size, n_steps, self.n_areas + 1))
        x[:, :, 0] = 1.0
        x[:, max(first, 0):last + 1, 1 + a] = amplitude[:, None]
        return x

    def simulate(self, amplitude_hz=None, *, area: str | None = None, n_steps: int | None = None,
                 solver: str = "euler") -> RateRun:
        """Run the protocol: a pulse on ``area``'s E (default the stimulus
        area) of ``amplitude_hz`` (scalar or ``(batch,)``; default the
        regime's) from ``stimulus_start`` to ``stimulus_stop``.

        Args:
            n_steps: number of states (default the model's, 50,000); must
                cover the peak window.
            solver: ``"euler"`` (the original) or ``"rk4"``.

        Returns:
            :class:`RateRun` (numpy float64 arrays).
        """
        p = self.params
        if amplitude_hz is None:
            amplitude_hz = self.stimulus_hz
        n_steps = p["n_steps"] if n_steps is None else _checks.positive_int("n_steps", n_steps)
        last_peak = int(round(p["peak_stop"] / p["dt"])) - 1
        if n_steps <= last_peak:
            raise ValueError(f"n_steps = {n_steps} does not reach the end of the peak window "
                             f"({p['peak_stop']} ms = state {last_peak})")
        x = self.input_frames(amplitude_hz, area, n_steps)
        rnn = self.rnn()
        times = self._times(n_steps)
        with x64(self.dtype):
            start = np.broadcast_to(self.solved_steady, (x.shape[0], 2 * self.n_areas))
            _, activity, _ = rnn.forward(x, float(times[0]), float(times[-1]), n_steps, solver=solver,
                                         initial_state=start)
            rates = np.asarray(activity, np.float64)
        first = int(round(p["peak_start"] / p["dt"])) - 1
        return RateRun(times, rates, np.atleast_1d(np.asarray(amplitude_hz, float)), self.area_names,
                       (first, last_peak))


def _input_indptr(n: int) -> np.ndarray:
    """Input 0 (background) reaches all ``2n`` populations, input ``1 + a`` area ``a``'s E."""
    return np.concatenate([[0, 2 * n], 2 * n + np.arange(1, n + 1)]).astype(np.int64)


def _input_indices(n: int) -> np.ndarray:
    return np.concatenate([np.arange(2 * n), np.arange(n)]).astype(np.int64)

