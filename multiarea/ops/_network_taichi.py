"""Taichi kernel of one whole step of an E/I multi-area network.

One launch of :func:`network_step` advances every neuron of a
:class:`~multiarea.spiking.network.MultiAreaNetwork` by ``steps`` steps (unrolled at
compile time), each step updating all neurons and delivering their spikes
through the four fused projections (E->E, E->I, I->E, I->I).
``multiarea.spiking.runners.kernel`` launches it ``ceil(K / steps)`` times per XLA custom call
(the handler's ``repeat``), so a chunk of ``K`` steps is one call: no XLA scan
iteration, no Python and no DSRunner per step.  The network's state lives in
XLA's buffers, aliased in place.  On this project's 2-core VM a launch costs
~50 us and each parallel task inside it ~30-60 us (measured; Taichi's pool
wakes its workers through condition variables), so launches are shared by ``steps`` steps and, when every delay is
at least 2 steps, a step needs one parallel task (see :func:`_phase_steps`).

Semantics are those of the pure-JAX reference (``LIF.update``,
``_EINetwork.update`` and ``_event_jax.event_current``), bit for bit:

* the LIF update is ``fma(x, dt/tau, fma(xi, noise_scale, V))`` with ``x =
  (V_ext + input) - (V - V_rest)`` — what XLA computes for the reference's
  ``(V + xi * noise_scale) + x * (dt / tau)`` on CPUs with FMA (every x86-64
  CPU XLA targets); the fused multiply-add is computed exactly here
  (:func:`_fma32`, float64 with a midpoint correction), independent of what
  this LLVM would contract;
* the noise is the same table lookup (``_rng.noise_index``), the refractory
  length the same bit table (``LIF.refractory_steps_after``);
* the jumps arriving at step ``t`` are ``ring_EE[t] + ring_IE[t]`` (E) and
  ``ring_EI[t] + ring_II[t]`` (I), added in that order; spikes are delivered
  in ascending (source area, neuron) order into each projection's own ring,
  as the reference's scatter-adds do, so every ring holds the same floats.

Spikes of step ``k`` of the call are written bit-packed to ``words[k]``: word
``a * wE + j`` holds E neurons ``32 j .. 32 j + 31`` of area ``a`` (bit ``i %
32``), word ``n_areas * wE + a * wI + j`` the I neurons likewise.  The same
words are the spike lists the delivery reads, and the recording.

Parallel work: neuron updates one 32-neuron word at a time, deliveries one
(target area, projection) row at a time; each row owns its ring rows, so no
atomics are needed and the float sums do not depend on threading.
"""

import taichi as ti

from . import _rng
from ._event_taichi import _TASK_PAD, _mix32
from ._plan import DELAY_GUIDE_BITS, GEOMETRIC_GUIDE_BITS

_U32, _I32, _F32 = ti.u32, ti.i32, ti.f32
#: branch-free steps of a table walk; tables are padded by this many entries
WALK_FREE = 2


@ti.func
def _fma32(a: ti.f32, b: ti.f32, c: ti.f32) -> ti.f32:
    """``a * b + c`` with one rounding to float32 (an exact FMA, for results
    in the float32 normal range).

    The product is exact in float64, so the float64 sum ``s`` differs from the
    exact sum only by its own rounding, and rounding ``s`` to float32 is
    correct unless ``s`` fell exactly on a float32 midpoint (its low 29 bits
    are ``1 << 28``; about one sum in 2**29).  Only then is the rounding error
    of the sum computed (TwoSum) and ``s`` moved one float64 ulp towards the
    exact value, which decides the float32 rounding as an FMA would.
    """
    p = ti.f64(a) * ti.f64(b)
    cd = ti.f64(c)
    s = p + cd
    bits = ti.bit_cast(s, ti.i64)
    if (bits & ti.i64(0x1FFFFFFF)) == ti.i64(0x10000000):  # rare: a float32 midpoint
        bb = s - p
        err = (p - (s - bb)) + (cd - bb)
        if err != 0.0:
            bits += ti.select((err > 0.0) == (s > 0.0), ti.i64(1), ti.i64(-1))
            s = ti.bit_cast(bits, ti.f64)
    return ti.f32(s)


@ti.func
def _walk(table: ti.template(), base: ti.i32, length: ti.i32, n_le: ti.i32, r: ti.u32) -> ti.i32:
    """Number of entries ``<= r`` of ``table[base : base + length]`` (ascending),
    counting on from ``n_le``.

    The first ``WALK_FREE`` steps are branch-free (tables are padded by that
    many entries); the loop after them almost never runs, so its branch is
    predicted (a data-dependent loop count costs a misprediction per synapse).
    """
    for _ in ti.static(range(WALK_FREE)):
        n_le += ti.select(n_le < length, ti.select(table[base + n_le] <= r, 1, 0), 0)
    while n_le < length and table[base + n_le] <= r:
        n_le += 1
    return n_le


@ti.func
def _lif_word(pop: ti.i32, area: ti.i32, j: ti.i32, t: ti.i32, k: ti.i32, w: ti.i32,
              V: ti.template(), left: ti.template(), vext: ti.template(), ring_a: ti.template(),
              ring_b: ti.template(), stim: ti.template(), lif_f: ti.template(),
              lif_i: ti.template(), ref_words: ti.template(), normal: ti.template(),
              words: ti.template()):
    """Update neurons ``32 j ..`` of population ``pop`` in ``area``; write their
    spike word.  ``vext`` is flat (area-major)."""
    n = V.shape[1]
    V_rest, V_reset, V_th = lif_f[pop, 0], lif_f[pop, 1], lif_f[pop, 2]
    euler, noise_scale = lif_f[pop, 3], lif_f[pop, 4]
    ref_base, legacy, during_ref = lif_i[pop, 0], lif_i[pop, 1], lif_i[pop, 2]
    step_key = _mix32(ti.cast(lif_i[pop, 3], _U32) ^ _mix32(ti.cast(t, _U32)))
    ref_after = ref_base
    if legacy != 0:
        ref_after += ti.cast((ref_words[t >> 5] >> ti.cast(t & 31, _U32)) & _U32(1), _I32)
    slot_a, slot_b = t % ring_a.shape[0], t % ring_b.shape[0]  # ring slots arriving at step t
    drive_in = stim[k, pop, area]
    bits = _U32(0)
    first = area * n
    for i in range(32 * j, ti.min(32 * j + 32, n)):
        neuron = first + i
        v = V[area, i]
        refractory = left[area, i] > 0
        xi = normal[ti.cast(_mix32(step_key ^ _mix32(ti.cast(neuron, _U32))) >> _U32(32 - _rng.NOISE_BITS),
                            _I32)]
        x = (vext[neuron] + drive_in) - (v - V_rest)
        v_free = _fma32(x, euler, _fma32(xi, noise_scale, v))
        if not refractory:
            v = v_free
        spike = (not refractory) and v > V_th
        jump = ring_a[slot_a, area, i] + ring_b[slot_b, area, i]
        if during_ref != 0 or not refractory:
            v = v + jump
        if spike:
            v = V_reset
            left[area, i] = ref_after
            bits |= _U32(1) << ti.cast(i - 32 * j, _U32)
        else:
            left[area, i] = ti.max(left[area, i] - 1, 0)
        V[area, i] = v
    words[k, w] = bits


@ti.func
def _deliver(proj: ti.i32, tgt: ti.i32, t: ti.i32, k: ti.i32, ring: ti.template(),
             src_word0: ti.i32, words_per_area: ti.i32,
             words: ti.template(), weights: ti.template(), proj_ids: ti.template(),
             pair_delay: ti.template(), conn_keys: ti.template(), geometric: ti.template(),
             geo_len: ti.template(), geo_guide: ti.template(), delay_tables: ti.template(),
             delay_guide: ti.template(), counter_mix: ti.template(), row: ti.i32,
             row_offset: ti.template()):
    """Clear ring slot ``t`` of target area ``tgt``, then add the rows of all
    spikes of step ``k`` (words from ``src_word0``) projecting to it.

    Flat tables, row by row (``geometric``/``geo_guide`` per projection, ``delay_tables`` /
    ``delay_guide`` per (projection, pair)), ``row_offset`` one row per task.
    ``counter_mix[c] = mix32(c)``: the counter half of every row's draws
    (``_rng.draw``), the same for all rows, so it is looked up.
    """
    n_slots, n_tgt, n_post = ring.shape[0], ring.shape[1], ring.shape[2]
    n_src = pair_delay.shape[2]
    n_geo = geo_len[proj]
    geo_width = geometric.shape[0] // 4
    n_pairs = n_tgt * n_src
    n_delay = delay_tables.shape[0] // (4 * n_pairs)
    here = t % n_slots  # the slot consumed at step t
    for post in range(n_post):
        ring[here, tgt, post] = 0.0
    geo_base, guide_base = proj * geo_width, proj * (1 << GEOMETRIC_GUIDE_BITS)
    scratch = row * (row_offset.shape[0] // (4 * n_tgt))  # (slot, post) pairs of one row
    for src in range(n_src):
        fixed = pair_delay[proj, tgt, src]
        if fixed >= 0:
            pair = proj * n_pairs + tgt * n_src + src
            delay_base, dguide_base = pair * n_delay, pair * (1 << DELAY_GUIDE_BITS)
            w = weights[proj, tgt, src]
            proj_key = _mix32(conn_keys[proj] ^ proj_ids[proj, tgt, src])
            for j in range(words_per_area):
                bits = words[k, src_word0 + src * words_per_area + j]
                while bits != _U32(0):
                    low = bits & (~bits + _U32(1))
                    bits ^= low
                    pre = 32 * j + 31 - ti.math.clz(ti.cast(low, _I32))
                    key = _mix32(proj_key + ti.cast(pre, _U32))
                    pos = -1
                    c = _U32(0)
                    while True:
                        r = _mix32(key ^ counter_mix[2 * ti.cast(c, _I32)])
                        n_le = geo_guide[guide_base + ti.cast(r >> _U32(32 - GEOMETRIC_GUIDE_BITS), _I32)]
                        pos += 1 + n_geo - _walk(geometric, geo_base, n_geo, n_le, r)
                        if pos >= n_post:
                            break
                        delay = fixed
                        if delay == 0:
                            rd = _mix32(key ^ counter_mix[2 * ti.cast(c, _I32) + 1]) >> _U32(1)
                            d = delay_guide[dguide_base + ti.cast(rd >> _U32(31 - DELAY_GUIDE_BITS), _I32)]
                            delay = 1 + _walk(delay_tables, delay_base, n_delay, d, rd)
                        slot = here + delay  # delay < n_slots: one wrap at most
                        slot -= ti.select(slot >= n_slots, n_slots, 0)
                        row_offset[scratch + 2 * ti.cast(c, _I32)] = slot
                        row_offset[scratch + 2 * ti.cast(c, _I32) + 1] = pos
                        c += _U32(1)
                    # the adds in a loop of their own: no dependency between
                    # them, so many cache misses into the ring are in flight
                    for i in range(ti.cast(c, _I32)):
                        ring[row_offset[scratch + 2 * i], tgt, row_offset[scratch + 2 * i + 1]] += w


def _phase_steps(phase: int, pipelined: bool) -> tuple[int, int]:
    """``(step whose neurons update, step whose spikes are delivered)`` in phase
    ``phase`` of a launch (-1: none).

    Unpipelined: update 0, deliver 0, update 1, deliver 1, ... (two parallel
    tasks per step).  Pipelined, when every delay is at least 2 steps: update
    0, then deliver s together with update s + 1, ..., deliver the last step.
    That is safe because delivering step s's spikes writes only ring slots
    >= s + 2 and clears slot s, while updating step s + 1 reads slot s + 1;
    every ring cell still receives its additions in the same order.
    """
    if pipelined:
        return phase, phase - 1
    return (phase // 2, -1) if phase % 2 == 0 else (-1, phase // 2)


@ti.func
def _share(it: ti.i32, n: ti.i32, span_bits: ti.i32) -> ti.i32:
    """First of the ``n`` items handled by iteration ``it`` of a range of
    ``2**span_bits`` iterations (items spread evenly; ``n <= 2**span_bits``)."""
    return ti.cast((ti.cast(it, ti.i64) * n) >> span_bits, ti.i32)


@ti.func
def _lif_any_word(w: ti.i32, t: ti.i32, k: ti.i32, V_E: ti.template(), V_I: ti.template(),
                  left_E: ti.template(), left_I: ti.template(), vext_E: ti.template(),
                  vext_I: ti.template(), ring_EE: ti.template(), ring_EI: ti.template(),
                  ring_IE: ti.template(), ring_II: ti.template(), stim: ti.template(),
                  lif_f: ti.template(), lif_i: ti.template(), ref_words: ti.template(),
                  normal: ti.template(), words: ti.template()):
    """Word ``w`` (E words first, area-major, then I words) of step ``k``."""
    n_areas, wE, wI = V_E.shape[0], (V_E.shape[1] + 31) // 32, (V_I.shape[1] + 31) // 32
    if w < n_areas * wE:
        _lif_word(0, w // wE, w % wE, t, k, w, V_E, left_E, vext_E, ring_EE, ring_IE, stim,
                  lif_f, lif_i, ref_words, normal, words)
    else:
        u = w - n_areas * wE
        _lif_word(1, u // wI, u % wI, t, k, w, V_I, left_I, vext_I, ring_EI, ring_II, stim,
                  lif_f, lif_i, ref_words, normal, words)


@ti.func
def _deliver_row(row: ti.i32, t: ti.i32, k: ti.i32, ring_EE: ti.template(),
                 ring_EI: ti.template(), ring_IE: ti.template(), ring_II: ti.template(),
                 words: ti.template(), weights: ti.template(), proj_ids: ti.template(),
                 pair_delay: ti.template(), conn_keys: ti.template(), geometric: ti.template(),
                 geo_len: ti.template(), geo_guide: ti.template(), delay_tables: ti.template(),
                 delay_guide: ti.template(), counter_mix: ti.template(),
                 row_offset: ti.template()):
    """Row ``row`` = (target area ``row // 4``, projection ``row % 4``): target-major,
    so that contiguous shares of rows hold all four projections of their targets."""
    n_areas, wE, wI = ring_EE.shape[1], (ring_EE.shape[2] + 31) // 32, (ring_EI.shape[2] + 31) // 32
    tgt, proj = row // 4, row % 4
    if proj == 0:
        _deliver(0, tgt, t, k, ring_EE, 0, wE, words, weights, proj_ids, pair_delay, conn_keys,
                 geometric, geo_len, geo_guide, delay_tables, delay_guide, counter_mix, row,
                 row_offset)
    elif proj == 1:
        _deliver(1, tgt, t, k, ring_EI, 0, wE, words, weights, proj_ids, pair_delay, conn_keys,
                 geometric, geo_len, geo_guide, delay_tables, delay_guide, counter_mix, row,
                 row_offset)
    elif proj == 2:
        _deliver(2, tgt, t, k, ring_IE, n_areas * wE, wI, words, weights, proj_ids, pair_delay,
                 conn_keys, geometric, geo_len, geo_guide, delay_tables, delay_guide, counter_mix,
                 row, row_offset)
    else:
        _deliver(3, tgt, t, k, ring_II, n_areas * wE, wI, words, weights, proj_ids, pair_delay,
                 conn_keys, geometric, geo_len, geo_guide, delay_tables, delay_guide, counter_mix,
                 row, row_offset)


@ti.kernel
def network_step(
        # per population (E, I): V_rest, V_reset, V_th, dt / tau, noise_scale
        lif_f: ti.types.ndarray(dtype=_F32, ndim=2),          # (2, 5)
        # per population: refractory base, legacy table (0/1), synapses during
        # refractoriness (0/1), noise key bits
        lif_i: ti.types.ndarray(dtype=_I32, ndim=2),          # (2, 4)
        ref_words: ti.types.ndarray(dtype=_U32, ndim=1),      # legacy refractory bits
        normal: ti.types.ndarray(dtype=_F32, ndim=1),         # (2**NOISE_BITS,)
        vext_E: ti.types.ndarray(dtype=_F32, ndim=1),         # (n_areas * n_E,) mV
        vext_I: ti.types.ndarray(dtype=_F32, ndim=1),         # (n_areas * n_I,)
        stim: ti.types.ndarray(dtype=_F32, ndim=3),           # (K, 2, n_areas) input mV per step
        weights: ti.types.ndarray(dtype=_F32, ndim=3),        # (4, n_tgt, n_src) EE, EI, IE, II
        proj_ids: ti.types.ndarray(dtype=_U32, ndim=3),       # (4, n_tgt, n_src)
        pair_delay: ti.types.ndarray(dtype=_I32, ndim=3),     # (4, n_tgt, n_src) -1 none, 0 drawn, d
        conn_keys: ti.types.ndarray(dtype=_U32, ndim=1),      # (4,) mix32(seed ^ GOLDEN)
        geometric: ti.types.ndarray(dtype=_U32, ndim=1),      # (4 * G,) ascending rows, padded
        geo_len: ti.types.ndarray(dtype=_I32, ndim=1),        # (4,)
        geo_guide: ti.types.ndarray(dtype=_I32, ndim=1),      # (4 * 4096,)
        delay_tables: ti.types.ndarray(dtype=_U32, ndim=1),   # (4 * n_pairs * L,) padded with 2**32-1
        delay_guide: ti.types.ndarray(dtype=_I32, ndim=1),    # (4 * n_pairs * 64,)
        counter_mix: ti.types.ndarray(dtype=_U32, ndim=1),    # (2 max n_post + 2,) mix32(c)
        # the state as the call's operands (the same buffers as the outputs below)
        V_E_in: ti.types.ndarray(dtype=_F32, ndim=2), V_I_in: ti.types.ndarray(dtype=_F32, ndim=2),
        left_E_in: ti.types.ndarray(dtype=_I32, ndim=2), left_I_in: ti.types.ndarray(dtype=_I32, ndim=2),
        ring_EE_in: ti.types.ndarray(dtype=_F32, ndim=3), ring_EI_in: ti.types.ndarray(dtype=_F32, ndim=3),
        ring_IE_in: ti.types.ndarray(dtype=_F32, ndim=3), ring_II_in: ti.types.ndarray(dtype=_F32, ndim=3),
        clock_in: ti.types.ndarray(dtype=_I32, ndim=1),
        V_E: ti.types.ndarray(dtype=_F32, ndim=2),            # state, aliased: (n_areas, n_E)
        V_I: ti.types.ndarray(dtype=_F32, ndim=2),
        left_E: ti.types.ndarray(dtype=_I32, ndim=2),
        left_I: ti.types.ndarray(dtype=_I32, ndim=2),
        ring_EE: ti.types.ndarray(dtype=_F32, ndim=3),        # (D, n_areas, n_E) slot-major
        ring_EI: ti.types.ndarray(dtype=_F32, ndim=3),        # (D, n_areas, n_I)
        ring_IE: ti.types.ndarray(dtype=_F32, ndim=3),
        ring_II: ti.types.ndarray(dtype=_F32, ndim=3),
        clock: ti.types.ndarray(dtype=_I32, ndim=1),          # (3,) step t, step k of the call, steps K of the call
        words: ti.types.ndarray(dtype=_U32, ndim=2),          # (K, W) spikes
        row_offset: ti.types.ndarray(dtype=_I32, ndim=1),     # (4 n_areas * 2 max n_post,) scratch
        deliver: ti.template(),                               # False: neuron updates only (profiling)
        steps: ti.template(),                                 # steps per launch
        pipelined: ti.template()):                            # all delays >= 2 steps (see _phase_steps)
    n_areas = V_E.shape[0]
    n_words = n_areas * ((V_E.shape[1] + 31) // 32 + (V_I.shape[1] + 31) // 32)
    n_rows = 4 * n_areas
    # One parallel range per phase, of 2**span_bits iterations over which the
    # words and the (target area, projection) rows are spread evenly: Taichi's
    # CPU backend gives each thread one contiguous share of a range (and runs
    # short ranges on one thread), so both kinds of work must be spread over
    # the whole range for the shares to balance.
    span_bits = 12
    while (1 << span_bits) < ti.max(n_rows * _TASK_PAD, n_words):
        span_bits += 1
    t0, k0, n_call = clock[0], clock[1], clock[2]
    for ph in ti.static(range(steps + 1 if pipelined else 2 * steps)):
        lif_s, del_s = ti.static(_phase_steps(ph, pipelined))
        for it in range(1 << span_bits):
            if ti.static(del_s >= 0 and deliver):
                k = k0 + del_s
                if k < n_call:
                    for row in range(_share(it, n_rows, span_bits), _share(it + 1, n_rows, span_bits)):
                        _deliver_row(row, t0 + del_s, k, ring_EE, ring_EI, ring_IE, ring_II, words,
                                     weights, proj_ids, pair_delay, conn_keys, geometric, geo_len,
                                     geo_guide, delay_tables, delay_guide, counter_mix, row_offset)
            if ti.static(lif_s >= 0 and lif_s < steps):
                k = k0 + lif_s
                if k < n_call:
                    for w in range(_share(it, n_words, span_bits), _share(it + 1, n_words, span_bits)):
                        _lif_any_word(w, t0 + lif_s, k, V_E, V_I, left_E, left_I, vext_E, vext_I,
                                      ring_EE, ring_EI, ring_IE, ring_II, stim, lif_f, lif_i,
                                      ref_words, normal, words)
    for _ in range(1):
        done = ti.min(steps, n_call - k0)
        clock[0] = t0 + done
        clock[1] = k0 + done
