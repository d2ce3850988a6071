"""Taichi kernel of whole steps of a population network (``spiking.populations``).

One launch of :func:`population_step` advances every neuron of a
:class:`~multiarea.spiking.populations.PopulationNetwork` by the ``K`` steps
of an XLA call.  A row is one population (its neurons and their ring cells,
so no atomics on data and a fixed order of float additions); for step ``t``
a row does:

1. *delivery* of the spikes of step ``t - 1`` into its population: for each
   projection into it (in connection order) and each spike of its source
   (ascending) generate the synapses of the row from the counter-based stream
   (``ops._synapse_stream``) and add their weights into ring slot
   ``t - 1 + delay`` of the receptor their sign picks;
2. *neurons*, one 32-neuron spike word at a time: the ``iaf_psc_exp`` update
   (``spiking.iaf_psc_exp``: V from the currents at the start of the step,
   currents decay and take this step's ring slot plus Poisson input,
   threshold, reset, refractoriness), writing the step's spike words; then
   the slot just consumed is cleared.

The rows of a step run on a *team* of ``TEAM`` members, one Taichi task
each, that stays alive for the whole call: Taichi's parallel loops cost
~100 us of thread wake-up each on this project's 2-core VM (measured), as
much as a step's work at small scale, so the kernel has one parallel loop per
call, not per step.  Members take rows through atomic counters, their own
share first (a member keeps its populations from step to step: their ring
cells stay in its caches; without that the team was slower than one thread),
then what the others have not taken; a member that runs out of rows waits
until every row of the step is done, because the next step reads all spike
words.  Nothing waits for a member that never started: one thread alone does
every row, in the same order per row; a member that waits too long (its
partner is not running: a busy machine) leaves the rest of the call to the
others.  So the spikes do not depend on threading.

Bit for bit the semantics of ``PopulationNetwork.update`` (the pure-JAX
reference): same integer stream, same correctly rounded FMAs (``_fma32``),
same order of additions into every ring cell.
"""

import taichi as ti

from . import _rng
from ._event_taichi import _mix32
from ._plan import DELAY_GUIDE_BITS
from ._synapse_stream import FEISTEL_ROUNDS, KIND_BERNOULLI, KIND_TOTAL, _REDRAW_SALT

_U32, _I32, _F32, _U64 = ti.u32, ti.i32, ti.f32, ti.u64
#: branch-free steps of a table walk (``_walk``); tables are padded by this many entries
WALK_FREE = 2
_FLT_MIN = 1.1754943508222875e-38  #: the smallest normal float32
TEAM = 2  #: members of the team that runs a call (one per thread Taichi gives them)
_SPREAD_BITS = 12
#: polls (~0.1 us each) a member waits for the others at the end of a step
#: before it leaves the rest of the call to them (~30 ms: far above the work of
#: a step, a few of the machine's time slices): on a busy machine a member
#: whose partner is not running would otherwise spin through its time slices
EXIT_POLLS = 300_000

# columns of the per-population and per-projection tables (see the runner)
POP_F = ("P22", "P21ex", "P21in", "P11ex", "P11in", "P20", "I_e", "theta", "y_reset", "drive_weight",
         "noise_mean", "noise_std", "V_rest", "euler", "noise_scale")
POP_I = ("ref_steps", "drive_steps", "drive_key", "first", "size", "first_word", "poisson_bits", "poisson_off",
         "has_noise", "noise_key", "ring_block", "model", "ref_table", "during_ref", "membrane_key", "membrane_first")
PROJ_I = ("kind", "first_pre", "n_pre", "first_post", "n_post", "pre_word0", "geo_off", "geo_len",
          "alias_off", "alias_bits", "row_off", "indegree", "feistel_bits", "n_perm", "start_off", "stride",
          "delay_search", "cdf_off", "cdf_len", "geo_guide_off", "cdf_guide_off")
PROJ_F = ("mean", "sd", "low", "high")


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
def _flush(x: ti.f32) -> ti.f32:
    """0 for a subnormal float32 (a decaying current), as XLA's CPU code
    computes with flush-to-zero (the reference flushes explicitly, too)."""
    return ti.select(ti.abs(x) < _F32(_FLT_MIN), _F32(0.0), x)


@ti.func
def _pause(x: ti.u32) -> ti.u32:
    """Some hundred cycles of register arithmetic between two polls of a
    counter, so that waiting does not flood the other core's caches (the
    caller stores the result, so the loop is not optimised away)."""
    for _ in range(64):
        x = x * _U32(1664525) + _U32(1013904223)
    return x


@ti.func
def _draw(key: ti.u32, counter: ti.u32) -> ti.u32:
    return _mix32(key ^ _mix32(counter))


@ti.func
def _alias(table: ti.template(), base: ti.i32, bits: ti.u32, r31: ti.u32) -> ti.i32:
    """Outcome of 31-bit draw ``r31`` in the alias table at ``table[base:]``
    (``_tables.alias_sample``): branch-free."""
    shift = _U32(31) - bits
    bucket = r31 >> shift
    entry = table[base + ti.cast(bucket, _I32)]
    low = r31 & ((_U32(1) << shift) - _U32(1))
    return ti.cast(ti.select(low < (entry >> bits), bucket, entry & ((_U32(1) << bits) - _U32(1))), _I32)


@ti.func
def _feistel(x: ti.u32, j: ti.i32, half: ti.u32, proj_u: ti.template()) -> ti.u32:
    mask = (_U32(1) << half) - _U32(1)
    left, right = x >> half, x & mask
    for r in ti.static(range(FEISTEL_ROUNDS)):
        left, right = right, left ^ (_mix32(right ^ proj_u[j, 1 + r]) & mask)
    return (left << half) | right


@ti.func
def _counter_mix(c: ti.u32, cmix: ti.template()) -> ti.u32:
    """``mix32(c)``, looked up: ``cmix`` covers the counters of the longest row."""
    return cmix[ti.cast(c, _I32)]


@ti.func
def _weight(rk: ti.u32, c: ti.u32, mean: ti.f32, sd: ti.f32, low: ti.f32, high: ti.f32,
            normal: ti.template(), cmix: ti.template()) -> ti.f32:
    """Weight of synapse ``c``: ``z * sd + mean`` in float32 (two roundings:
    these kernels are compiled without FMA contraction), redrawn outside [low, high]."""
    w = mean
    if sd != 0.0:
        counter = _U32(3) * c + _U32(2)
        u = _mix32(rk ^ _counter_mix(counter, cmix))
        w = normal[ti.cast(u >> _U32(32 - _rng.NOISE_BITS), _I32)] * sd + mean
        attempt = _U32(1)
        while w < low or w > high:
            u = _draw(_mix32(rk ^ _mix32(_U32(_REDRAW_SALT) + attempt)), counter)
            w = normal[ti.cast(u >> _U32(32 - _rng.NOISE_BITS), _I32)] * sd + mean
            attempt += _U32(1)
    return w


@ti.func
def _delay_minus_one(j: ti.i32, b: ti.u32, proj_i: ti.template(), delay_alias: ti.template(),
                     delay_cdf: ti.template(), cdf_guide: ti.template()) -> ti.i32:
    """Delay (steps) - 1 of 31-bit draw ``b`` in projection ``j``: its alias
    table, or (first stream) the number of cumulative-table entries <= ``b``."""
    out = 0
    if proj_i[j, 16] == 0:
        out = _alias(delay_alias, proj_i[j, 8], ti.cast(proj_i[j, 9], _U32), b)
    else:
        start = cdf_guide[proj_i[j, 20] + ti.cast(b >> _U32(31 - DELAY_GUIDE_BITS), _I32)]
        out = _walk(delay_cdf, proj_i[j, 17], proj_i[j, 18], start, b)
    return out


@ti.func
def _cell(j: ti.i32, rk: ti.u32, c: ti.u32, post: ti.i32, slot_t: ti.i32, n_slots: ti.i32, inh_slots: ti.i32,
          n_neurons: ti.i32, stride: ti.u32, mean: ti.f32, sd: ti.f32, low: ti.f32, high: ti.f32,
          proj_i: ti.template(), delay_alias: ti.template(), delay_cdf: ti.template(), cdf_guide: ti.template(),
          normal: ti.template(), cmix: ti.template(), scratch: ti.template(), weights: ti.template(), at: ti.i32):
    """Delay and weight of synapse ``c`` of projection ``j`` onto global
    neuron ``post``: its flat ring cell and weight go to ``scratch[at]``,
    ``weights[at]``.  A weight <= 0 goes ``inh_slots`` slots on (into the
    inhibitory receptor's ring; 0 when the receptors are merged)."""
    b = _mix32(rk ^ _counter_mix(stride * c + _U32(1), cmix)) >> _U32(1)
    slot = slot_t + 1 + _delay_minus_one(j, b, proj_i, delay_alias, delay_cdf, cdf_guide)
    slot -= ti.select(slot >= n_slots, n_slots, 0)
    w = _weight(rk, c, mean, sd, low, high, normal, cmix)
    scratch[at] = (slot + ti.select(w > 0.0, 0, inh_slots)) * n_neurons + post
    weights[at] = w


@ti.func
def _deliver_row(j: ti.i32, pre: ti.i32, slot_t: ti.i32, n_slots: ti.i32, inh_slots: ti.i32, n_neurons: ti.i32,
                 block_start: ti.i32, proj_i: ti.template(), proj_u: ti.template(), proj_f: ti.template(), geometric: ti.template(),
                 geo_guide: ti.template(), delay_alias: ti.template(), delay_cdf: ti.template(),
                 cdf_guide: ti.template(), row_counts: ti.template(),
                 row_starts: ti.template(), normal: ti.template(), cmix: ti.template(), ring: ti.template(),
                 scratch: ti.template(), weights: ti.template(), base: ti.i32):
    """All synapses of pre neuron ``pre`` (local) of projection ``j``: first
    generated into this task's scratch (from ``base``: flat ring index and
    weight), then added into the ring in a loop of their own, so that many
    cache misses are in flight.  ``ring`` is the block of the target
    population (``n_neurons`` neurons from global neuron ``block_start``)."""
    kind, n_post, first_post = proj_i[j, 0], proj_i[j, 4], proj_i[j, 3] - block_start  # in the ring block
    stride = ti.cast(proj_i[j, 15], _U32)
    mean, sd, low, high = proj_f[j, 0], proj_f[j, 1], proj_f[j, 2], proj_f[j, 3]
    rk = _mix32(proj_u[j, 0] + ti.cast(pre, _U32))
    n = 0
    if kind == KIND_BERNOULLI:
        geo_off, geo_len, geo_guide_off = proj_i[j, 6], proj_i[j, 7], proj_i[j, 19]
        if geo_len > 0:
            pos = -1
            c = _U32(0)
            while True:
                r = _mix32(rk ^ _counter_mix(stride * c, cmix))
                start = geo_guide[geo_guide_off + ti.cast(r >> _U32(20), _I32)]
                pos += 1 + geo_len - _walk(geometric, geo_off, geo_len, start, r)
                if pos >= n_post:
                    break
                _cell(j, rk, c, first_post + pos, slot_t, n_slots, inh_slots, n_neurons, stride, mean, sd, low, high,
                      proj_i, delay_alias, delay_cdf, cdf_guide, normal, cmix, scratch, weights, base + n)
                n += 1
                c += _U32(1)
    else:
        n = row_counts[proj_i[j, 10] + pre]
        if kind == KIND_TOTAL:
            nn = ti.cast(n_post, _U64)
            threshold = ((_U64(1) << _U64(32)) - nn) % nn
            for cc in range(n):
                c = ti.cast(cc, _U32)
                counter = _U32(3) * c
                m = ti.cast(_mix32(rk ^ _counter_mix(counter, cmix)), _U64) * nn
                attempt = _U32(1)
                while (m & _U64(0xFFFFFFFF)) < threshold:
                    m = ti.cast(_draw(_mix32(rk ^ _mix32(_U32(_REDRAW_SALT) + attempt)), counter), _U64) * nn
                    attempt += _U32(1)
                _cell(j, rk, c, first_post + ti.cast(m >> _U64(32), _I32), slot_t, n_slots, inh_slots, n_neurons,
                      stride, mean, sd, low, high, proj_i, delay_alias, delay_cdf, cdf_guide, normal, cmix, scratch,
                      weights, base + cc)
        else:
            half = ti.cast(proj_i[j, 12] // 2, _U32)
            n_perm, k = ti.cast(proj_i[j, 13], _U32), ti.cast(proj_i[j, 11], _U32)
            row_start = row_starts[proj_i[j, 14] + pre]
            for cc in range(n):
                c = ti.cast(cc, _U32)
                x = _feistel(row_start + c, j, half, proj_u)
                while x >= n_perm:
                    x = _feistel(x, j, half, proj_u)
                _cell(j, rk, c, first_post + ti.cast(x // k, _I32), slot_t, n_slots, inh_slots, n_neurons,
                      stride, mean, sd, low, high, proj_i, delay_alias, delay_cdf, cdf_guide, normal, cmix, scratch,
                      weights, base + cc)
    for i in range(n):
        ring[scratch[base + i]] += weights[base + i]


@ti.func
def _update_word(w: ti.i32, t: ti.i32, k: ti.i32, n_slots: ti.i32, block_start: ti.i32, n_block: ti.i32,
                 pop_f: ti.template(), pop_i: ti.template(),
                 poisson: ti.template(), word_pop: ti.template(), stim: ti.template(), y: ti.template(),
                 i_syn: ti.template(), left: ti.template(), ring: ti.template(), words: ti.template(),
                 cmix: ti.template(), normal: ti.template()):
    q = word_pop[w]
    first, size = pop_i[q, 3], pop_i[q, 4]
    n_rec = i_syn.shape[0]  # 1: receptors merged (equal time constants), 2: excitatory, inhibitory
    slot_base = (t % n_slots) * n_block - block_start  # + global neuron: its cell in the ring block
    inh_offset = n_slots * n_block
    drive_steps = pop_i[q, 1]
    emitted = t - drive_steps
    has_drive = drive_steps >= 0 and emitted >= 1
    step_key = _mix32(ti.cast(pop_i[q, 2], _U32) ^ _mix32(ti.cast(emitted, _U32)))
    poisson_bits = ti.cast(pop_i[q, 6], _U32)
    w_drive = pop_f[q, 9]
    P22, P21ex, P21in, P11ex, P11in = pop_f[q, 0], pop_f[q, 1], pop_f[q, 2], pop_f[q, 3], pop_f[q, 4]
    theta, y_reset, ref_steps = pop_f[q, 7], pop_f[q, 8], pop_i[q, 0]
    I_base, P20 = pop_f[q, 6] + stim[k, q], pop_f[q, 5]
    drive = I_base * P20  # + 0.0 noise: the same float
    has_noise = pop_i[q, 8] != 0
    noise_key = _mix32(ti.cast(pop_i[q, 9], _U32) ^ _mix32(ti.cast(t, _U32)))
    noise_mean, noise_std = pop_f[q, 10], pop_f[q, 11]
    bits = _U32(0)
    local0 = 32 * (w - pop_i[q, 5])
    for local in range(local0, ti.min(local0 + 32, size)):
        n = first + local
        a_ex, a_in, i_in = ring[slot_base + n], 0.0, 0.0
        if n_rec == 2:
            a_in, i_in = ring[inh_offset + slot_base + n], i_syn[1, n]
        if has_drive:
            count = _alias(poisson, pop_i[q, 7], poisson_bits,
                           _mix32(step_key ^ cmix[local]) >> _U32(1))
            if w_drive > 0.0 or n_rec == 1:
                a_ex = _fma32(ti.cast(count, _F32), w_drive, a_ex)
            else:
                a_in = _fma32(ti.cast(count, _F32), w_drive, a_in)
        v, i_ex = y[n], i_syn[0, n]
        drive_n = drive
        if has_noise:
            z = normal[ti.cast(_mix32(noise_key ^ cmix[local]) >> _U32(32 - _rng.NOISE_BITS), _I32)]
            drive_n = (I_base + _fma32(z, noise_std, noise_mean)) * P20
        if left[n] > 0:
            left[n] -= 1
        elif n_rec == 2:
            v = _fma32(v, P22, _fma32(i_ex, P21ex, _fma32(i_in, P21in, drive_n)))
        else:
            v = _fma32(v, P22, _fma32(i_ex, P21ex, drive_n))
        i_syn[0, n] = _flush(_fma32(i_ex, P11ex, a_ex))
        if n_rec == 2:
            i_syn[1, n] = _flush(_fma32(i_in, P11in, a_in))
        if v >= theta:
            v = y_reset
            left[n] = ref_steps
            bits |= _U32(1) << ti.cast(local - local0, _U32)
        y[n] = v
    words[k, w] = bits


@ti.func
def _update_word_delta(w: ti.i32, t: ti.i32, k: ti.i32, n_slots: ti.i32, block_start: ti.i32, n_block: ti.i32,
                       pop_f: ti.template(), pop_i: ti.template(), poisson: ti.template(), word_pop: ti.template(),
                       stim: ti.template(), y: ti.template(), left: ti.template(), ring: ti.template(),
                       words: ti.template(), cmix: ti.template(), normal: ti.template(), ref_words: ti.template(),
                       n_rec: ti.i32):
    """Word ``w`` of a :class:`LifDelta` population (``spiking.lif_delta``:
    Brian2's order; ``y`` holds V): the bits of the ``LIF`` kernel of the
    E/I model's neurons (``spiking.neurons.LIF``), jumps = excitatory ring +
    inhibitory ring (+ Poisson drive)."""
    q = word_pop[w]
    first, size = pop_i[q, 3], pop_i[q, 4]
    slot_base = (t % n_slots) * n_block - block_start
    inh_offset = n_slots * n_block
    drive_steps = pop_i[q, 1]
    emitted = t - drive_steps
    has_drive = drive_steps >= 0 and emitted >= 1
    step_key = _mix32(ti.cast(pop_i[q, 2], _U32) ^ _mix32(ti.cast(emitted, _U32)))
    poisson_bits = ti.cast(pop_i[q, 6], _U32)
    w_drive = pop_f[q, 9]
    V_rest, V_th, V_reset = pop_f[q, 12], pop_f[q, 7], pop_f[q, 8]
    euler, noise_scale = pop_f[q, 13], pop_f[q, 14]
    drive = pop_f[q, 6] + stim[k, q]
    has_noise = pop_i[q, 8] != 0
    noise_key = _mix32(ti.cast(pop_i[q, 9], _U32) ^ _mix32(ti.cast(t, _U32)))
    noise_mean, noise_std = pop_f[q, 10], pop_f[q, 11]
    membrane_key = _mix32(ti.cast(pop_i[q, 14], _U32) ^ _mix32(ti.cast(t, _U32)))
    membrane_first = ti.cast(pop_i[q, 15], _U32)
    during_ref = pop_i[q, 13] != 0
    ref_after = pop_i[q, 0]
    if pop_i[q, 12] >= 0:
        ref_after += ti.cast((ref_words[pop_i[q, 12] + (t >> 5)] >> ti.cast(t & 31, _U32)) & _U32(1), _I32)
    bits = _U32(0)
    local0 = 32 * (w - pop_i[q, 5])
    for local in range(local0, ti.min(local0 + 32, size)):
        n = first + local
        a_ex, a_in = ring[slot_base + n], 0.0
        if n_rec == 2:
            a_in = ring[inh_offset + slot_base + n]
        if has_drive:
            count = _alias(poisson, pop_i[q, 7], poisson_bits, _mix32(step_key ^ cmix[local]) >> _U32(1))
            if w_drive > 0.0 or n_rec == 1:
                a_ex = _fma32(ti.cast(count, _F32), w_drive, a_ex)
            else:
                a_in = _fma32(ti.cast(count, _F32), w_drive, a_in)
        drive_n = drive
        if has_noise:
            z = normal[ti.cast(_mix32(noise_key ^ cmix[local]) >> _U32(32 - _rng.NOISE_BITS), _I32)]
            drive_n = drive + _fma32(z, noise_std, noise_mean)
        v = y[n]
        refractory = left[n] > 0
        xi = normal[ti.cast(_mix32(membrane_key ^ _mix32(membrane_first + ti.cast(local, _U32)))
                            >> _U32(32 - _rng.NOISE_BITS), _I32)]
        if not refractory:
            v = _fma32(drive_n - (v - V_rest), euler, _fma32(xi, noise_scale, v))
        spike = (not refractory) and v > V_th
        jump = a_ex
        if n_rec == 2:
            jump = a_ex + a_in
        if during_ref or not refractory:
            v = v + jump
        if spike:
            v = V_reset
            left[n] = ref_after
            bits |= _U32(1) << ti.cast(local - local0, _U32)
        else:
            left[n] = ti.max(left[n] - 1, 0)
        y[n] = v
    words[k, w] = bits


@ti.func
def _row(r: ti.i32, ph: ti.i32, t0: ti.i32, n_call: ti.i32, W: ti.i32, deliver_prev: ti.i32, n_slots: ti.i32,
         inh_slots: ti.i32, block_start: ti.i32,
         n_block: ti.i32, row_pop: ti.template(), row_proj: ti.template(), proj_order: ti.template(),
         proj_i: ti.template(), proj_u: ti.template(), proj_f: ti.template(), pop_f: ti.template(),
         pop_i: ti.template(), poisson: ti.template(), word_pop: ti.template(), stim: ti.template(),
         geometric: ti.template(), geo_guide: ti.template(), delay_alias: ti.template(), delay_cdf: ti.template(),
         cdf_guide: ti.template(), ref_words: ti.template(), row_counts: ti.template(),
         row_starts: ti.template(), normal: ti.template(), cmix: ti.template(), y: ti.template(),
         i_syn: ti.template(), left: ti.template(), ring: ti.template(), words: ti.template(),
         prev_words: ti.template(), scratch: ti.template(), weights: ti.template(), deliver: ti.template()):
    """Row ``r`` in phase ``ph``: deliver the spikes of window ``ph - 1``
    (steps ``(ph - 1) W ..``; in phase 0 the ``deliver_prev`` steps before the
    call, from ``prev_words``) into its population, step by
    step, then update it for the steps of window ``ph``, clearing each slot
    it consumed.  ``ring`` is the population's ring block (``n_block``
    neurons from ``block_start``)."""
    q = row_pop[r]
    n_rows = row_pop.shape[0]
    if ti.static(deliver):
        first, last = (ph - 1) * W, ti.min(ph * W, n_call)
        if ph == 0:
            first, last = -deliver_prev, 0
        base = r * (scratch.shape[0] // n_rows)
        for k in range(first, last):
            slot_prev = (t0 + k) % n_slots
            for jj in range(row_proj[r], row_proj[r + 1]):
                j = proj_order[jj]
                n_pre, word0 = proj_i[j, 2], proj_i[j, 5]
                for wi in range((n_pre + 31) // 32):
                    bits = _U32(0)
                    if k >= 0:
                        bits = words[k, word0 + wi]
                    else:
                        bits = prev_words[k + deliver_prev, word0 + wi]
                    while bits != _U32(0):
                        low = bits & (~bits + _U32(1))
                        bits ^= low
                        pre = 32 * wi + 31 - ti.math.clz(ti.cast(low, _I32))
                        _deliver_row(j, pre, slot_prev, n_slots, inh_slots, n_block, block_start, proj_i, proj_u,
                                     proj_f, geometric, geo_guide, delay_alias, delay_cdf, cdf_guide, row_counts,
                                     row_starts, normal, cmix, ring, scratch, weights, base)
    for s in range(ph * W, ti.min(ph * W + W, n_call)):
        t = t0 + s
        for w in range(pop_i[q, 5], pop_i[q, 5] + (pop_i[q, 4] + 31) // 32):
            if pop_i[q, 11] == 0:
                _update_word(w, t, s, n_slots, block_start, n_block, pop_f, pop_i, poisson, word_pop, stim, y, i_syn,
                             left, ring, words, cmix, normal)
            else:
                _update_word_delta(w, t, s, n_slots, block_start, n_block, pop_f, pop_i, poisson, word_pop, stim, y,
                                   left, ring, words, cmix, normal, ref_words, i_syn.shape[0])
        slot_t = t % n_slots
        for n in range(pop_i[q, 3] - block_start, pop_i[q, 3] - block_start + pop_i[q, 4]):
            ring[slot_t * n_block + n] = 0.0
            if inh_slots > 0:
                ring[(n_slots + slot_t) * n_block + n] = 0.0


@ti.kernel
def population_step(
        pop_f: ti.types.ndarray(dtype=_F32, ndim=2),         # (P, len(POP_F))
        pop_i: ti.types.ndarray(dtype=_I32, ndim=2),         # (P, len(POP_I))
        poisson: ti.types.ndarray(dtype=_U32, ndim=1),       # (P * B,) alias tables of the counts
        word_pop: ti.types.ndarray(dtype=_I32, ndim=1),      # (W,) population of each word
        normal: ti.types.ndarray(dtype=_F32, ndim=1),        # (2**NOISE_BITS,)
        stim: ti.types.ndarray(dtype=_F32, ndim=2),          # (K, P) pA added to I_e per step
        proj_i: ti.types.ndarray(dtype=_I32, ndim=2),        # (R, len(PROJ_I))
        proj_u: ti.types.ndarray(dtype=_U32, ndim=2),        # (R, 1 + FEISTEL_ROUNDS) proj key, round keys
        proj_f: ti.types.ndarray(dtype=_F32, ndim=2),        # (R, len(PROJ_F))
        row_proj: ti.types.ndarray(dtype=_I32, ndim=1),      # (rows + 1,) projections into each row's population
        row_pop: ti.types.ndarray(dtype=_I32, ndim=1),       # (rows,) population of each row (heaviest first)
        proj_order: ti.types.ndarray(dtype=_I32, ndim=1),    # (R,) projections grouped by row
        team_rows: ti.types.ndarray(dtype=_I32, ndim=1),     # (n_rows,) rows grouped by the member that prefers them
        team_off: ti.types.ndarray(dtype=_I32, ndim=1),      # (TEAM + 1,) each member's share of team_rows (all: the rows)
        geometric: ti.types.ndarray(dtype=_U32, ndim=1),     # flat ascending gap thresholds (+ WALK_FREE padding)
        geo_guide: ti.types.ndarray(dtype=_I32, ndim=1),     # (4096 per distinct geometric table,)
        delay_alias: ti.types.ndarray(dtype=_U32, ndim=1),   # flat alias tables of delay - 1
        delay_cdf: ti.types.ndarray(dtype=_U32, ndim=1),     # flat cumulative delay tables (first stream, + WALK_FREE)
        cdf_guide: ti.types.ndarray(dtype=_I32, ndim=1),     # (64 per distinct table,) search starts in them
        ref_words: ti.types.ndarray(dtype=_U32, ndim=1),     # legacy refractory tables (LifDelta)
        row_counts: ti.types.ndarray(dtype=_I32, ndim=1),    # flat synapses per pre (counted rules)
        row_starts: ti.types.ndarray(dtype=_U32, ndim=1),    # flat first slot per pre (in-degree)
        cmix: ti.types.ndarray(dtype=_U32, ndim=1),          # mix32(c) for every counter of a row and neuron of a population
        ring_shape: ti.types.ndarray(dtype=_I32, ndim=1),    # (5,) slots D; first neuron and neurons of block 0, of block 1
        prev_words: ti.types.ndarray(dtype=_U32, ndim=2),    # (>= clock[4], n_words) spikes of the steps before the call
        y_in: ti.types.ndarray(dtype=_F32, ndim=1), i_syn_in: ti.types.ndarray(dtype=_F32, ndim=2),
        left_in: ti.types.ndarray(dtype=_I32, ndim=1), ring_in: ti.types.ndarray(dtype=_F32, ndim=1),
        ring_hi_in: ti.types.ndarray(dtype=_F32, ndim=1), clock_in: ti.types.ndarray(dtype=_I32, ndim=1),
        y: ti.types.ndarray(dtype=_F32, ndim=1),             # (N,) V - E_L (mV), aliased
        i_syn: ti.types.ndarray(dtype=_F32, ndim=2),         # (receptors, N) pA
        left: ti.types.ndarray(dtype=_I32, ndim=1),          # (N,) refractory steps left
        ring: ti.types.ndarray(dtype=_F32, ndim=1),          # (receptors D N0,) pA arriving per (receptor, slot, neuron)
        ring_hi: ti.types.ndarray(dtype=_F32, ndim=1),       # (receptors D N1,) the same for ring block 1
        # (6,) step t, step k of the call, steps K, window W, steps of prev_words to deliver first,
        # deliver the call's last window at its end (0/1)
        clock: ti.types.ndarray(dtype=_I32, ndim=1),
        words: ti.types.ndarray(dtype=_U32, ndim=2),         # (K, n_words) spikes
        scratch: ti.types.ndarray(dtype=_I32, ndim=1),       # (n_rows * L,) ring cells of a row's synapses
        weights: ti.types.ndarray(dtype=_F32, ndim=1),       # (n_rows * L,) their weights
        sync: ti.types.ndarray(dtype=_I32, ndim=1),          # ((TEAM + 1) (K + 1) + 1,) rows taken per share, done
        deliver: ti.template()):                             # False: neuron updates only (profiling)
    n_rows = team_off[TEAM]  # rows of this call (row_pop may be padded beyond them)
    t0, n_call, W, deliver_prev, deliver_last = clock[0], clock[2], clock[3], clock[4], clock[5]
    n_rec = i_syn.shape[0]
    n_slots = ring_shape[0]
    inh_slots = n_slots * (n_rec - 1)
    n_phases = ti.max((n_call + W - 1) // W + deliver_last, ti.min(deliver_prev, 1))
    for i in range(sync.shape[0]):  # serial, before the team starts
        sync[i] = 0
    # The team: TEAM members (one per thread when Taichi gives them threads)
    # go through the phases of the call together, one per window of W steps
    # (W <= the shortest delay: no spike arrives in the window it is sent in).
    # In phase p a member grabs rows (populations) from the phase's counter:
    # row r delivers the spikes of window p - 1 into population row_pop[r],
    # step by step, then updates it for the steps of window p, clearing each
    # slot it consumed (a row reads and writes only its own ring cells and
    # neurons).  A member that runs out of rows waits until every row of the
    # phase is done, so phase p + 1 reads complete spike words.  Nothing waits
    # for a member that never started: one thread alone does all rows, in the
    # same order per row.  Every ring cell gets its additions in the same
    # order for any W: by spike step, then projection, then pre neuron.
    for it in range(TEAM << _SPREAD_BITS):  # spread: Taichi runs a short range on one thread
        if it & ((1 << _SPREAD_BITS) - 1) != 0:
            continue
        member = it >> _SPREAD_BITS
        active = True
        for ph in range(n_phases):
            if not active:
                break
            for lst in range(TEAM):  # its own rows first, then those the others have not taken
                own = (member + lst) % TEAM
                while True:
                    i = ti.atomic_add(sync[(TEAM + 1) * ph + own], 1)
                    if i >= team_off[own + 1] - team_off[own]:
                        break
                    r = team_rows[team_off[own] + i]
                    if pop_i[row_pop[r], 10] == 0:
                        _row(r, ph, t0, n_call, W, deliver_prev, n_slots, inh_slots, ring_shape[1], ring_shape[2],
                             row_pop, row_proj, proj_order, proj_i, proj_u, proj_f, pop_f, pop_i, poisson, word_pop,
                             stim, geometric, geo_guide, delay_alias, delay_cdf, cdf_guide, ref_words, row_counts,
                             row_starts, normal, cmix, y, i_syn, left, ring, words, prev_words, scratch, weights,
                             deliver)
                    else:
                        _row(r, ph, t0, n_call, W, deliver_prev, n_slots, inh_slots, ring_shape[3], ring_shape[4],
                             row_pop, row_proj, proj_order, proj_i, proj_u, proj_f, pop_f, pop_i, poisson, word_pop,
                             stim, geometric, geo_guide, delay_alias, delay_cdf, cdf_guide, ref_words, row_counts,
                             row_starts, normal, cmix, y, i_syn, left, ring_hi, words, prev_words, scratch, weights,
                             deliver)
                    ti.atomic_add(sync[(TEAM + 1) * ph + TEAM], 1)
            polls = 0
            x = _U32(member)
            while ti.atomic_add(sync[(TEAM + 1) * ph + TEAM], 0) < n_rows:
                x = _pause(x)
                polls += 1
                if polls > EXIT_POLLS:  # the others are not running (busy machine): leave them the rest
                    active = False
                    break
            sync[sync.shape[0] - 1] = ti.cast(x, _I32)
    for _ in range(1):
        clock[0] = t0 + n_call
        clock[1] = n_call
