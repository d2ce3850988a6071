"""The published Brian2 model (Joglekar et al. 2018, ``rishimodelpython_brian2_spiking.py``)
on the first N areas -- the peer of ``brian2_crosscheck.py``.  Runs under
Brian2 (any 2.x with ``prefs.legacy.refractory_timing``), without multiarea:
the regime's parameters are read from ``models/joglekar2018.toml``; writes the
E and I spikes to an .npz.

    python _brian2_original.py DATA_DIR N_AREAS SEED DURATION_MS OUT.npz legacy|timestep [REGIME]
        [--device runtime|cpp_standalone] [--threads N] [--build-dir DIR]

As the original: one NeuronGroup per population, Synapses per area and per
area pair (pairs with FLN 0 are skipped: their weight is 0), ``connect(p=0.1)``,
local delay 2 ms, inter-areal delays Normal(d, 0.1 d) per synapse, the V1
input through a TimedArray from step 3000 on, ``method='euler'``.

``--device runtime`` (default) runs Brian2's numpy target, as the published
script did.  ``--device cpp_standalone`` generates, compiles and runs C++
(OpenMP with ``--threads``), the fastest way to run the model in Brian2; two
things differ, neither in distribution: the inter-areal delays are drawn by
Brian2's generated code (``d + 0.1 d randn()``; the synapses do not exist in
Python before the run), and the V1 input is a TimedArray per area rather than
per neuron (the same values; the per-neuron array would be 3.5 GB at 29
areas x 950 ms).  The .npz then also holds ``build_s`` (Python-side
construction), ``compile_s`` (code generation and compilation) and ``run_s``
(the binary's own simulation time, ``results/last_run_info.txt``).
"""
import argparse
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import scipy.io
from brian2 import (NeuronGroup, Network, SpikeMonitor, Synapses, TimedArray, defaultclock, device, mV, ms,
                    prefs, rand, seed, set_device)


MODEL = Path(__file__).resolve().parent.parent / "models" / "joglekar2018.toml"


def main(data_dir, n_areas, rnd_seed, duration_ms, out, timing, regime="asynchronous-strong",
         device_name="runtime", threads=1, build_dir=None):
    tic = time.perf_counter()
    standalone = device_name == "cpp_standalone"
    if standalone:
        set_device("cpp_standalone", directory=build_dir, build_on_run=False)
        prefs.devices.cpp_standalone.openmp_threads = threads
        # Brian2's default is an unbounded 'make -j': at 29 areas (~1,000 Synapses objects)
        # its parallel compilers exhausted 24 GB here
        prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{threads}"]
    with open(MODEL, "rb") as f:
        spec = tomllib.load(f)
    par = {**spec["parameters"], **spec["regimes"][regime]}
    prefs.legacy.refractory_timing = timing == "legacy"
    if not standalone:
        prefs.codegen.target = "numpy"
    seed(rnd_seed)
    np.random.seed(324823 + rnd_seed)
    hier = scipy.io.loadmat(f"{data_dir}/hierValspython.mat")["hierVals"][:, 0]
    hier = hier / hier.max()
    fln = scipy.io.loadmat(f"{data_dir}/efelenMatpython.mat")["flnMatpython"]
    delay_ms = scipy.io.loadmat(f"{data_dir}/subgraphWiring29.mat")["wiring"] / 3.5
    k = 400
    Vr, Vreset, Vt, taum, taumI, sigma = -70 * mV, -60 * mV, -50 * mV, 20 * ms, 10 * ms, 3 * mV
    muE, muI, alpha = par["VextE"] * mV, par["VextI"] * mV, par["alpha"]
    wEE, wIE, wEI, wII, muEE, muIE = (par[k] * mV for k in ("wEE", "wIE", "wEI", "wII", "muEE", "muIE"))
    netsteps = int(round(duration_ms * ms / defaultclock.dt))
    on = int(round(par["stimulus_duration_ms"] / par["dt"]))
    pulse = np.vstack((np.zeros([3000, 1]), par["stimulus_mV"] * np.ones([on, 1]),
                       np.zeros([netsteps - 3000 - on, 1])))
    if standalone:  # one column per area
        inputtoE1 = TimedArray(np.hstack((pulse, np.zeros([netsteps, n_areas - 1]))) * mV, dt=defaultclock.dt)
        drive = f"inputtoE1(t, i // {4 * k})"
    else:
        netarr = np.hstack((np.tile(pulse, (1, 4 * k)), np.zeros([netsteps, 4 * k * (n_areas - 1)])))
        inputtoE1 = TimedArray(netarr * mV, dt=defaultclock.dt)
        drive = "inputtoE1(t,i)"
    eqs = f"dV/dt=(-(V-Vr) + {drive} + muE)*(1./taum) + (sigma*(1./taum)**0.5)*xi : volt (unless refractory)"
    eqsI = "dV/dt=(-(V-Vr) + muI)*(1./taumI) + (sigma*(1./taumI)**0.5)*xi : volt (unless refractory)"
    E = NeuronGroup(4 * k * n_areas, eqs, method="euler", threshold="V > Vt", reset="V=Vreset",
                    refractory=2 * ms)
    I = NeuronGroup(k * n_areas, eqsI, method="euler", threshold="V > Vt", reset="V=Vreset",
                    refractory=2 * ms)
    exc = [E[a * 4 * k:(a + 1) * 4 * k] for a in range(n_areas)]
    inh = [I[a * k:(a + 1) * k] for a in range(n_areas)]
    synapses = []
    for h in range(n_areas):
        gain = 1 + alpha * hier[h]
        for pre, post, weight in ((exc[h], exc[h], gain * wEE), (inh[h], inh[h], -wII),
                                  (exc[h], inh[h], gain * wIE), (inh[h], exc[h], -wEI)):
            S = Synapses(pre, post, "w:volt", delay=2. * ms, on_pre="V+=w")
            S.connect(p=0.1)
            S.w = weight
            synapses.append(S)
        for j in range(n_areas):
            if j == h or fln[j, h] == 0:
                continue
            for post, mu in ((exc[j], muEE), (inh[j], muIE)):
                S = Synapses(exc[h], post, "w:volt", on_pre="V+=w")
                S.connect(p=0.1)
                S.w = (1 + alpha * hier[j]) * mu * fln[j, h]
                if standalone:
                    S.delay = f"{delay_ms[j, h]}*ms + {0.1 * delay_ms[j, h]}*ms*randn()"
                else:
                    S.delay = np.random.normal(delay_ms[j, h], 0.1 * delay_ms[j, h], len(S.w)) * ms
                synapses.append(S)
    mon_E, mon_I = SpikeMonitor(E), SpikeMonitor(I)
    E.V = Vr + rand(len(E)) * (Vt - Vr)
    I.V = Vr + rand(len(I)) * (Vt - Vr)
    net = Network(E, I, synapses, mon_E, mon_I)
    if standalone:
        net.run(duration_ms * ms)
        build_s = time.perf_counter() - tic
        tic = time.perf_counter()
        device.build(directory=build_dir, compile=True, run=True)
        compile_and_run_s = time.perf_counter() - tic
        run_s = float((Path(build_dir) / "results" / "last_run_info.txt").read_text().split()[0])
        timings = dict(build_s=build_s, compile_s=compile_and_run_s - run_s, run_s=run_s)
    else:
        tic = time.perf_counter()
        net.run(duration_ms * ms)
        timings = dict(run_s=time.perf_counter() - tic)
    np.savez_compressed(out, t_E=np.asarray(mon_E.t / ms), i_E=np.asarray(mon_E.i),
                        t_I=np.asarray(mon_I.t / ms), i_I=np.asarray(mon_I.i), **timings)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("data_dir", "n_areas", "seed", "duration_ms", "out", "timing"):
        ap.add_argument(name)
    ap.add_argument("regime", nargs="?", default="asynchronous-strong")
    ap.add_argument("--device", choices=("runtime", "cpp_standalone"), default="runtime")
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads (cpp_standalone)")
    ap.add_argument("--build-dir", help="cpp_standalone: where the code is generated (required)")
    a = ap.parse_args()
    if a.device == "cpp_standalone" and not a.build_dir:
        sys.exit("--build-dir is required with --device cpp_standalone")
    main(a.data_dir, int(a.n_areas), int(a.seed), float(a.duration_ms), a.out, a.timing, a.regime,
         a.device, a.threads, a.build_dir)
