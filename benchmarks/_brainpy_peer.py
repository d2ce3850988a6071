"""Reference ("peer") implementation of the Joglekar et al. (2018) 29-area
macaque spiking model, written the way a plain BrainPy 2.8 user would write it.
``multiarea``'s own implementation is benchmarked against this peer.

It follows the BrainPy tutorial "(Joglekar, et. al, 2018): Inter-areal Balanced
Amplification taichi customized operators". That tutorial registers Taichi
kernels through ``bm.XLACustomOp``, which no longer works, so here those kernels
are replaced by BrainPy's built-in just-in-time-connectivity operator
``brainpy.math.jitconn.event_mv_prob_homo``. In BrainPy 2.8 that operator is
backed by ``brainevent``'s numba CPU kernel. Its matrix shape is
``(n_post, n_pre)`` when ``transpose=False``; this was checked against an
explicit dense matrix.

Model
-----
* Each area has ``n_E`` excitatory and ``n_I`` inhibitory LIF neurons. They are
  ``bp.dyn.LifRef`` populations of shape ``(n_areas, n)`` with ``keep_size=True``,
  ``R = 1``, ``dV = (-(V - V_rest) + Vext) dt / tau + sigma sqrt(dt / tau) xi``.
  The noise is given to BrainPy as ``noise = sigma / sqrt(tau)`` and integrated
  with ``method='euler'`` (BrainPy's ``sdeint`` Euler-Maruyama). Initial V is
  ``bp.init.Uniform(V_rest, V_th)``. The refractory period is ``tau_ref``:
  LifRef holds V at ``V_reset``.
* The synapses are delta synapses. A presynaptic spike adds its weight (in mV)
  directly to the postsynaptic V. The sum of the jumps for one step is
  registered with ``LifRef.add_inp_fun(..., category='delta')``, so LifRef adds it
  after the Euler step and discards it while the neuron is refractory.
* Weights (fln[i, j] = strength of the projection from area j to area i,
  h = hierarchy normalised to max 1):
  E_j -> E_i ``(1 + alpha h_i) muEE fln[i, j]``, E_j -> I_i
  ``(1 + alpha h_i) muIE fln[i, j]``; local E->E ``(1 + alpha h_i) wEE``,
  E->I ``(1 + alpha h_i) wIE``, I->E ``-wEI``, I->I ``-wII``. Every projection
  has connection probability ``p``. The connectivity is never stored:
  ``event_mv_prob_homo`` regenerates it from a fixed seed on each call.
  Each (source area, projection type) pair gets its own fixed seed, drawn from
  ``seed``.
* External drive: ``VextE`` / ``VextI`` for every area. ``v1_input_mV`` is
  added to V1's E drive during ``[input_start_ms, input_start_ms +
  input_duration_ms)``. The runner supplies it as a per-step input array
  (``DSRunner.run(inputs=...)``).

Operator calls per time step
----------------------------
Every call passes ``outdim_parallel=False``. That selects the event-driven
scatter kernel, which loops over the active presynaptic neurons as the
tutorial's Taichi kernels do. The default (``True``) walks every
postsynaptic row whether or not there are spikes. On CPU it took ~115 ms per
inter-areal E->E call, against ~28 us for the event-driven kernel (measured
with shape (28*1600, 1600) and sparse spikes).

* Inter-areal E: ONE ``event_mv_prob_homo`` call per source area j and target
  type. The call covers the concatenation of all the *other* areas' E (or I)
  populations, with shape ``((n_areas - 1) * n_post, n_E)`` and unit weight.
  Its result is reshaped to ``(n_areas - 1, n_post)`` and multiplied by the
  per-target weight column. That makes n_areas calls for E->E and n_areas for
  E->I.
* Local (intra-areal) projections: one call per area for each of E->E, E->I,
  I->E and I->I, i.e. 4 * n_areas calls. I sources project only locally.
  Block-diagonal connectivity cannot be expressed as one ``event_mv_prob_homo``
  call, so I sources also get per-area calls.

Delays -- APPROXIMATION (read this)
-----------------------------------
Spikes are delayed with ``bm.LengthDelay`` ring buffers, one for E spikes and
one for I spikes. A spike emitted in step n changes the postsynaptic V in step
n + D, where D = round(delay / dt), with D >= 1.

* Local projections use the exact ``local_delay`` (2 ms).
* Inter-areal projections: one operator call per source area feeds all target
  areas, so all of them receive the same delayed spike vector. The pairwise
  delay ``delay_ms[i, j]`` therefore cannot be applied exactly; that would take
  one call per (source, target) pair. The peer uses a single delay per SOURCE
  area j instead: the mean of ``delay_ms[i, j]`` over the target areas i != j
  that j projects to (fln[i, j] > 0). Targets that are nearer or farther than
  this mean get their input later or earlier than in the exact model. The
  per-source mean delays for the 29-area data range from 5.3 to 8.7 ms, while
  the pairwise delays of existing projections range from 1.4 to 15.4 ms.
* Delays have no per-synapse jitter. ``multiarea``'s own model can jitter them;
  the peer does not.

Timing (``run_brainpy_peer``)
-----------------------------
``DSRunner.run`` re-traces and re-compiles its scan on *every* call, even when
the length is unchanged (measured). So the timing uses a 1-step warm-up run
(``compile_s``: tracing, XLA and numba compilation, plus 1 step) followed by a
main run of the remaining steps (``run_s``: its wall time). ``run_s`` includes
the unavoidable re-compile of the main run. That part is measured with
``jax.monitoring`` compile-duration events and reported as
``run_recompile_s``, and ``sim_s = run_s - run_recompile_s`` is the pure
simulation time behind ``steps_per_s``.

Run ``python benchmarks/_brainpy_peer.py --areas 29 --duration 200`` for a
self-check with the asynchronous-weak parameters.
"""
from __future__ import annotations

import time

import numpy as np
import jax.numpy as jnp
import brainpy as bp
import brainpy.math as bm

__all__ = ["build_brainpy_peer", "run_brainpy_peer", "JoglekarPeer"]



class JoglekarPeer(bp.DynSysGroup):
    """29-area (or fewer) Joglekar et al. 2018 network, plain BrainPy style."""

    def __init__(self, hierarchy, fln, delay_ms, params, n_E=1600, n_I=400, seed=0, dt=None):
        super().__init__()
        dt = bm.get_dt() if dt is None else dt
        self.dt = float(dt)
        hier = np.asarray(hierarchy, dtype=float).ravel()
        fln = np.asarray(fln, dtype=float)
        delay_ms = np.asarray(delay_ms, dtype=float)
        A = hier.size
        if fln.shape != (A, A) or delay_ms.shape != (A, A):
            raise ValueError(f"fln {fln.shape} / delay_ms {delay_ms.shape} must be ({A}, {A})")
        if A < 2:
            raise ValueError("need at least 2 areas")
        P = dict(params)
        self.num_area, self.n_E, self.n_I = A, int(n_E), int(n_I)
        self.p = float(P.get("p", 0.1))
        self.VextE, self.VextI = float(P["VextE"]), float(P["VextI"])
        sigma = float(P.get("sigma", 3.0))
        tau_E, tau_I = float(P.get("tau_E", 20.0)), float(P.get("tau_I", 10.0))
        lif = dict(V_rest=float(P.get("V_rest", -70.0)), V_reset=float(P.get("V_reset", -60.0)),
                   V_th=float(P.get("V_th", -50.0)), tau_ref=float(P.get("tau_ref", 2.0)),
                   V_initializer=bp.init.Uniform(float(P.get("V_rest", -70.0)), float(P.get("V_th", -50.0))),
                   method="euler", keep_size=True)

        bm.random.seed(seed)  # initial V and membrane noise use BrainPy's global RNG
        self.E = bp.dyn.LifRef((A, self.n_E), tau=tau_E, noise=sigma / np.sqrt(tau_E), **lif)
        self.I = bp.dyn.LifRef((A, self.n_I), tau=tau_I, noise=sigma / np.sqrt(tau_I), **lif)

        # ---- weights -----------------------------------------------------------
        alpha = float(P["alpha"])
        scale = 1.0 + alpha * hier  # (A,) per target area
        # long-range weight columns: W[i, j] for source j -> target i (diagonal unused)
        self.W_EE_far = scale[:, None] * float(P["muEE"]) * fln
        self.W_EI_far = scale[:, None] * float(P["muIE"]) * fln
        self.w_EE_loc = scale * float(P["wEE"])
        self.w_EI_loc = scale * float(P["wIE"])
        self.w_IE_loc = -float(P["wEI"])
        self.w_II_loc = -float(P["wII"])
        self.others = [np.delete(np.arange(A), j) for j in range(A)]  # target areas of source j
        # per-source (A-1, 1) weight columns as JAX constants
        self.col_EE = [jnp.asarray(self.W_EE_far[self.others[j], j][:, None], dtype=bm.float_)
                       for j in range(A)]
        self.col_EI = [jnp.asarray(self.W_EI_far[self.others[j], j][:, None], dtype=bm.float_)
                       for j in range(A)]

        # ---- fixed per-source-area seeds ----------------------------------------
        rng = np.random.RandomState(seed)
        s = rng.randint(0, 2 ** 30, size=(6, A))
        self.seed_EE_far, self.seed_EI_far = s[0].tolist(), s[1].tolist()
        self.seed_EE_loc, self.seed_EI_loc = s[2].tolist(), s[3].tolist()
        self.seed_IE_loc, self.seed_II_loc = s[4].tolist(), s[5].tolist()

        # ---- delays (see module docstring: per-source mean inter-areal delay) ----
        self.local_steps = max(1, int(round(float(P.get("local_delay", 2.0)) / dt)))
        far_ms = np.empty(A)
        for j in range(A):
            tgt = self.others[j]
            mask = fln[tgt, j] > 0
            far_ms[j] = delay_ms[tgt, j][mask].mean() if mask.any() else delay_ms[tgt, j].mean()
        self.far_delay_ms = far_ms
        self.far_steps = np.maximum(1, np.round(far_ms / dt)).astype(int)
        # LengthDelay.retrieve(k) returns the k-th most recent push (k = 0: latest);
        # spikes are pushed after the neuron update, so a D-step delay reads k = D - 1.
        self.far_idx = jnp.asarray(self.far_steps - 1)
        self.area_idx = jnp.arange(A)
        self.Edelay = bm.LengthDelay(self.E.spike, delay_len=int(max(self.far_steps.max(), self.local_steps)))
        self.Idelay = bm.LengthDelay(self.I.spike, delay_len=self.local_steps)

        # delta-synapse inputs: voltage jumps summed per step, added by LifRef
        self.dV_E = bm.Variable(bm.zeros((A, self.n_E)))
        self.dV_I = bm.Variable(bm.zeros((A, self.n_I)))
        self.E.add_inp_fun("syn", lambda: self.dV_E.value, category="delta")
        self.I.add_inp_fun("syn", lambda: self.dV_I.value, category="delta")
        self.v1_onehot = jnp.zeros((A, 1)).at[0, 0].set(1.0)

    def update(self, v1_input=0.0):
        A, nE, nI, p = self.num_area, self.n_E, self.n_I, self.p
        mv = bm.jitconn.event_mv_prob_homo
        E_far = bm.as_jax(self.Edelay(self.far_idx, self.area_idx))  # (A, nE): area j at its mean delay
        E_loc = bm.as_jax(self.Edelay(self.local_steps - 1))          # (A, nE)
        I_loc = bm.as_jax(self.Idelay(self.local_steps - 1))          # (A, nI)

        far_E = jnp.zeros((A, nE), dtype=bm.float_)
        far_I = jnp.zeros((A, nI), dtype=bm.float_)
        loc_E, loc_I = [], []
        for j in range(A):
            # inter-areal: one call per source area over all other target areas
            ee = mv(E_far[j], 1.0, p, self.seed_EE_far[j], shape=((A - 1) * nE, nE),
                    outdim_parallel=False).reshape(A - 1, nE) * self.col_EE[j]
            ei = mv(E_far[j], 1.0, p, self.seed_EI_far[j], shape=((A - 1) * nI, nE),
                    outdim_parallel=False).reshape(A - 1, nI) * self.col_EI[j]
            # insert the (empty) row of the source area itself
            far_E = far_E + jnp.concatenate([ee[:j], jnp.zeros((1, nE), ee.dtype), ee[j:]])
            far_I = far_I + jnp.concatenate([ei[:j], jnp.zeros((1, nI), ei.dtype), ei[j:]])
            # local projections (exact local delay)
            loc_E.append(mv(E_loc[j], float(self.w_EE_loc[j]), p, self.seed_EE_loc[j],
                            shape=(nE, nE), outdim_parallel=False)
                         + mv(I_loc[j], self.w_IE_loc, p, self.seed_IE_loc[j],
                              shape=(nE, nI), outdim_parallel=False))
            loc_I.append(mv(E_loc[j], float(self.w_EI_loc[j]), p, self.seed_EI_loc[j],
                            shape=(nI, nE), outdim_parallel=False)
                         + mv(I_loc[j], self.w_II_loc, p, self.seed_II_loc[j],
                              shape=(nI, nI), outdim_parallel=False))
        self.dV_E.value = far_E + jnp.stack(loc_E)
        self.dV_I.value = far_I + jnp.stack(loc_I)

        # neuron updates (Vext as the R*I drive; V1 gets the extra stimulus)
        self.E.update(self.VextE + v1_input * self.v1_onehot)
        self.I.update(self.VextI)
        self.Edelay.update(self.E.spike.value)
        self.Idelay.update(self.I.spike.value)
        # returns None: DSRunner would otherwise stack every step's output (memory)


def build_brainpy_peer(hierarchy, fln, delay_ms, params, n_E=1600, n_I=400, seed=0):
    """Build the plain-BrainPy peer network (see module docstring).

    Uses the current ``bm.get_dt()`` to convert delays into steps, so call
    ``bm.set_dt(dt)`` first if dt is not 0.1 ms. Seeds BrainPy's global RNG with
    ``seed``, which drives the initial V and the membrane noise.
    """
    return JoglekarPeer(hierarchy, fln, delay_ms, params, n_E=n_E, n_I=n_I, seed=seed)


def _compile_listener(sink):
    """jax.monitoring listener adding tracing / lowering / XLA-compile durations to ``sink``."""
    events = ("/jax/core/compile/jaxpr_trace_duration",
              "/jax/core/compile/jaxpr_to_mlir_module_duration",
              "/jax/core/compile/backend_compile_duration")

    def listener(event, duration, **kwargs):
        if event in events:
            sink[0] += duration
    return listener


def run_brainpy_peer(net, duration_ms, v1_input_mV, input_start_ms, input_duration_ms,
                     dt=0.1, progress_bar=False):
    """Run ``net`` with ``bp.DSRunner`` and return timings and E spike statistics.

    There are two ``runner.run`` calls: a 1-step warm-up, then the remaining
    ``steps - 1`` steps. The returned dict holds:

    * ``compile_s``: wall time of the warm-up, i.e. tracing, XLA compilation,
      numba compilation of the jitconn kernels, and one step.
    * ``run_s``: wall time of the main run. ``DSRunner`` re-traces and
      re-compiles its scan on every ``run`` call, so this includes that
      re-compilation.
    * ``run_recompile_s``: the part of ``run_s`` spent tracing, lowering and
      compiling, as reported by ``jax.monitoring``.
    * ``sim_s``: ``run_s - run_recompile_s``, the simulation alone.
    * ``steps`` (total), ``run_steps`` (= steps - 1).
    * ``steps_per_s``: run_steps / sim_s. ``steps_per_s_wall``: run_steps / run_s.
    * ``spikes_E`` (total E spikes over all steps) and ``rate_E_hz`` (per-area
      mean E rate over the whole run).
    * ``spike_counts_E``: ``(steps, n_areas)`` E spike counts per step.
    * ``far_delay_ms``: the per-source inter-areal delays that were used.
    """
    import jax.monitoring

    if abs(float(dt) - net.dt) > 1e-12:
        raise ValueError(f"dt={dt} differs from the dt the network was built with ({net.dt}); "
                         "call bm.set_dt(dt) before build_brainpy_peer")
    bm.set_dt(dt)
    n_steps = int(round(duration_ms / dt))
    if n_steps < 2:
        raise ValueError("duration_ms must cover at least 2 steps")
    t = np.arange(n_steps) * dt
    v1 = np.where((t >= input_start_ms) & (t < input_start_ms + input_duration_ms),
                  float(v1_input_mV), 0.0).astype(np.float32)

    runner = bp.DSRunner(net, monitors={"nspk_E": lambda: bm.sum(net.E.spike, axis=1)},
                         progress_bar=progress_bar, numpy_mon_after_run=True)
    t0 = time.perf_counter()
    runner.run(inputs=v1[:1])  # warm-up: trace + compile + 1 step
    counts = [np.asarray(runner.mon["nspk_E"])]
    compile_s = time.perf_counter() - t0

    sink = [0.0]
    listener = _compile_listener(sink)
    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        t0 = time.perf_counter()
        runner.run(inputs=v1[1:])  # main run (DSRunner recompiles for the new length)
        counts.append(np.asarray(runner.mon["nspk_E"]))
        run_s = time.perf_counter() - t0
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)

    counts = np.concatenate(counts, axis=0)  # (n_steps, n_areas)
    run_steps = n_steps - 1
    sim_s = max(run_s - sink[0], 1e-12)
    return {
        "compile_s": compile_s,
        "run_s": run_s,
        "run_recompile_s": sink[0],
        "sim_s": sim_s,
        "steps": n_steps,
        "run_steps": run_steps,
        "steps_per_s": run_steps / sim_s,
        "steps_per_s_wall": run_steps / run_s,
        "spikes_E": int(counts.sum()),
        "rate_E_hz": counts.sum(axis=0) / (net.n_E * n_steps * dt * 1e-3),
        "spike_counts_E": counts,
        "far_delay_ms": np.asarray(net.far_delay_ms),
    }


def _load_joglekar(n_areas):
    import os
    from scipy.io import loadmat
    here = os.path.dirname(os.path.abspath(__file__))
    d = os.path.join(here, "..", "data", "joglekar2018")
    fln = loadmat(os.path.join(d, "efelenMatpython.mat"))["flnMatpython"].astype(float)
    hier = loadmat(os.path.join(d, "hierValspython.mat"))["hierVals"].ravel().astype(float)
    dist = loadmat(os.path.join(d, "subgraphWiring29.mat"))["wiring"].astype(float)
    hier = hier / hier.max()
    delay = dist / 3.5
    n = n_areas
    return hier[:n], fln[:n, :n], delay[:n, :n]


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--areas", type=int, default=29)
    ap.add_argument("--duration", type=float, default=200.0, help="ms")
    ap.add_argument("--nE", type=int, default=1600)
    ap.add_argument("--nI", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--progress", action="store_true")
    args = ap.parse_args()

    params = dict(VextE=14.2, VextI=14.7, muIE=0.0475, wII=0.075, wEE=0.01, wIE=0.075,
                  wEI=0.0375, muEE=0.0375, alpha=4.0, p=0.1, sigma=3.0, tau_E=20.0, tau_I=10.0,
                  tau_ref=2.0, V_rest=-70.0, V_reset=-60.0, V_th=-50.0, local_delay=2.0)
    hier, fln, delay = _load_joglekar(args.areas)
    bm.set_dt(0.1)
    t0 = time.perf_counter()
    net = build_brainpy_peer(hier, fln, delay, params, n_E=args.nE, n_I=args.nI, seed=args.seed)
    build_s = time.perf_counter() - t0
    res = run_brainpy_peer(net, args.duration, 15.0, 300.0, 150.0, dt=0.1, progress_bar=args.progress)
    print(f"areas={args.areas} nE={args.nE} nI={args.nI} duration={args.duration} ms "
          f"steps={res['steps']} (backend: {bm.get_platform()})")
    print(f"build {build_s:.2f} s | warm-up (1 step, incl. compile) {res['compile_s']:.2f} s")
    print(f"main run {res['run_s']:.2f} s wall for {res['run_steps']} steps, of which "
          f"{res['run_recompile_s']:.2f} s DSRunner re-trace/re-compile -> "
          f"{res['steps_per_s']:.1f} steps/s simulation ({res['steps_per_s_wall']:.1f} steps/s wall)")
    print(f"total E spikes {res['spikes_E']}; per-source mean inter-areal delay "
          f"{res['far_delay_ms'].min():.1f}-{res['far_delay_ms'].max():.1f} ms")
    print("mean E rate per area (Hz):")
    print(" ".join(f"{r:.2f}" for r in res["rate_E_hz"]))
    cnt = res["spike_counts_E"]

    def window_rate(t0_ms, t1_ms):
        a, b = int(round(t0_ms / 0.1)), min(cnt.shape[0], int(round(t1_ms / 0.1)))
        return cnt[a:b].sum(axis=0) / (args.nE * (b - a) * 0.1e-3) if b > a else None

    base = window_rate(100.0, min(300.0, args.duration))
    if base is not None:
        print(f"baseline (100-{min(300.0, args.duration):.0f} ms) E rate: V1 {base[0]:.2f} Hz, "
              f"areas mean {base.mean():.2f} Hz, range {base.min():.2f}-{base.max():.2f} Hz")
    stim = window_rate(300.0, 450.0)
    if stim is not None:
        print("stimulus (300-450 ms) E rate per area (Hz):")
        print(" ".join(f"{r:.2f}" for r in stim))
