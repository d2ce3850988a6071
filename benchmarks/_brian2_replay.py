"""Replay of the authors' asynchronous strong-GBA run of Joglekar et al. (2018)
under Brian2 -- the peer of ``joglekar_replay.py``.  Runs under Brian2 (2.x
with ``prefs.legacy.refractory_timing``), without multiarea; writes the E
spikes to an .npz (``t_ms``, ``i``) with the wall times of construction and run.

    python _brian2_replay.py DATA_DIR OUT.npz [--duration-ms 650]

A transcription of ``Brian/OriginalCodes/rishimodelpython_brian2_spiking.py``
(OpenSourceBrain/JoglekarEtAl18, commit 6557b81) with the regime that made
``allspikecur6pt3_150msgoodrate.npy``: the synchronous block's ``alpha = 4``
left in force, the asynchronous strong-GBA weights, 6.3 mV into V1 from step
3000 for 1500 steps, 650 ms.  Everything that draws random numbers happens in
the original's order, because the replay depends on it: ``numpy.random.seed(324824)``,
per source area the four local ``connect(p=0.1)`` calls, then per target area
the E->E and E->I long-range ``connect`` calls followed by their
``numpy.random.normal`` delays (pairs with FLN 0 are connected too, with
weight 0), then the initial voltages, then the run.  Brian2 < 2.1.3 refractory
timing (``prefs.legacy.refractory_timing``), as the authors' Brian2.

The authors' Brian2 (2.0/2.1 with weave or Cython) drew the connectivity from
one shared buffer of ``numpy.random.rand(20000)`` with its jump template
(``_brian2_legacy_random.py``); Brian2 2.9 draws it otherwise, so the
synapses are drawn by that emulation and given to ``connect(i=..., j=...)``.
With it, the initial voltages are numpy's stream from double 604,732,832 on
(the offset found by scanning the stream for the voltages that make the
authors' 174 spikes at t = 0), and the first 4 ms reproduce all 1,463 of the
authors' E spikes.  The membrane noise needs nothing: the old ``randn``
buffer and the numpy target's per-step ``randn(N)`` read the same Gaussian
stream, as nothing else draws during the run.  The numpy target then runs it.
"""
import argparse
import random
import time

import numpy as np
import scipy.io
from brian2 import NeuronGroup, Network, SpikeMonitor, Synapses, TimedArray, defaultclock, mV, ms, prefs

from _brian2_legacy_random import SharedRandBuffer, sample_jump

SEED = 324823 + 1  #: the original's ``rnd_seed = 1``


def connect(S, p, rand):
    """``S.connect(p=p)`` as Brian2 2.0/2.1 drew it."""
    i, j = sample_jump(len(S.source), len(S.target), p, rand)
    S.connect(i=i, j=j)


def main(data_dir, out, duration_ms=650.0):
    tic = time.perf_counter()
    prefs.codegen.target = "numpy"
    prefs.legacy.refractory_timing = True
    random.seed(SEED)
    np.random.seed(SEED)
    rand = SharedRandBuffer()
    hier = scipy.io.loadmat(f"{data_dir}/hierValspython.mat")["hierVals"][:]
    hier = hier / max(hier)
    fln = scipy.io.loadmat(f"{data_dir}/efelenMatpython.mat")["flnMatpython"][:][:]
    delay_mat = scipy.io.loadmat(f"{data_dir}/subgraphWiring29.mat")["wiring"][:][:] / 3.5
    k, n_areas, p = 400, 29, 0.1
    Vr, Vreset, Vt, taum, taumI, sigma = -70. * mV, -60. * mV, -50. * mV, 20. * ms, 10. * ms, 3. * mV
    alpha = (4. / .68) * .68                                    # the synchronous block's, never reset
    muE, muI = 14.2 * mV, 14.7 * mV
    wEE, wIE, wII = .01 * mV, .075 * mV, .075 * mV               # omegaEEsp, omegaIEsp, omegaIIsp
    wEI, muEE, muIE = .05 * mV, .05 * mV, .19 / 4 * mV          # omegaEIsp, muEEsp, muIEsp
    currdur, currval = 1500, 6.3
    netsteps = round(650. * ms / defaultclock.dt)  # the input's length; a shorter run uses its start
    pulse = np.vstack((np.zeros([3000, 1]), currval * np.ones([currdur, 1]),
                       np.zeros([int(netsteps - 3000 - currdur), 1])))
    # the original's TimedArray has a column per E neuron (2.4 GB); one per area gives every neuron the same value
    inputtoE1 = TimedArray(np.hstack((pulse, np.zeros([len(pulse), n_areas - 1]))) * mV,  # noqa: F841 (in eqs)
                           dt=defaultclock.dt)
    eqs = (f"dV/dt=(-(V-Vr) + inputtoE1(t,i // {k * 4}) + muE )*(1./taum) + (sigma*(1./taum)**0.5)*xi "
           f": volt (unless refractory)")
    eqsI = "dV/dt=(-(V-Vr) + muI )*(1./taumI) + (sigma*(1./taumI)**0.5)*xi : volt (unless refractory)"
    E = NeuronGroup(N=k * 4 * n_areas, method="euler", model=eqs, threshold="V > Vt", reset="V=Vreset",
                    refractory=2. * ms)
    I = NeuronGroup(N=k * n_areas, method="euler", model=eqsI, threshold="V > Vt", reset="V=Vreset",
                    refractory=2. * ms)
    exc = [E[y * k * 4:(y + 1) * k * 4] for y in range(n_areas)]
    inh = [I[z * k:(z + 1) * k] for z in range(n_areas)]
    synapses = []
    for h in range(n_areas):
        gain = 1 + alpha * hier[h]
        local = [Synapses(pre, post, "w:volt", delay=2. * ms, on_pre="V+=w")
                 for pre, post in ((exc[h], exc[h]), (inh[h], inh[h]), (exc[h], inh[h]), (inh[h], exc[h]))]
        for S in local:
            connect(S, p, rand)
        for S, weight in zip(local, (gain * wEE, -wII, gain * wIE, -wEI)):
            S.w = weight
        synapses += local
        for j in range(n_areas):
            if j == h:
                continue
            ee = Synapses(exc[h], exc[j], "w:volt", on_pre="V+= w ")
            ei = Synapses(exc[h], inh[j], "w:volt", on_pre="V+= w ")
            connect(ee, p, rand)
            connect(ei, p, rand)
            ee.w = (1 + alpha * hier[j]) * muEE * fln[j, h]
            ei.w = (1 + alpha * hier[j]) * muIE * fln[j, h]
            mean, sd = delay_mat[j, h], 0.1 * delay_mat[j, h]
            ee.delay = np.random.normal(mean, sd, len(ee.w)) * ms
            ei.delay = np.random.normal(mean, sd, len(ei.w)) * ms
            synapses += [ee, ei]
    mon = SpikeMonitor(E)
    E.V = Vr + np.random.rand(len(E)) * (Vt - Vr)
    I.V = Vr + np.random.rand(len(I)) * (Vt - Vr)
    net = Network(E, I, synapses, mon)
    build_s = time.perf_counter() - tic
    tic = time.perf_counter()
    net.run(duration_ms * ms)
    np.savez_compressed(out, t_ms=np.asarray(mon.t / ms), i=np.asarray(mon.i), build_s=build_s,
                        run_s=time.perf_counter() - tic)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir")
    ap.add_argument("out")
    ap.add_argument("--duration-ms", type=float, default=650.0, help="<= 650 (the original's)")
    a = ap.parse_args()
    main(a.data_dir, a.out, a.duration_ms)
