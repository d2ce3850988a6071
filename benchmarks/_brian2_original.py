"""The published Brian2 model (Joglekar et al. 2018, ``rishimodelpython_brian2_spiking.py``)
on the first N areas -- the peer of ``brian2_crosscheck.py``, ``joglekar.py``
and ``joglekar_outcomes.py``.  Runs under Brian2 (any 2.x with
``prefs.legacy.refractory_timing``), without multiarea: the regime's
parameters are read from ``models/joglekar2018.toml``; writes the E and I
spikes to an .npz.

    python _brian2_original.py DATA_DIR N_AREAS SEED DURATION_MS OUT.npz legacy|timestep [REGIME]
        [--device runtime|cpp_standalone] [--threads N] [--build-dir DIR] [--seeds 0-19]

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

Standalone seeds: the binary seeds its random generators at start-up from the
environment variable ``BRIAN2_SEED`` (inserted into ``main.cpp`` where
``seed()`` would be), so one build runs any number of seeds: ``--seeds 0-19``
runs each and writes ``OUT`` with ``{seed}`` replaced.  Seed s of the binary
is ``seed(s)`` of Brian2 (generator k of the OpenMP threads gets s + k).
``objects.cpp`` (the array definitions, 8 MB at 29 areas, run once) is
compiled without optimisation: at ``-O3`` one compiler took more than 47 min
on it here; everything that runs per step keeps Brian2's flags.  The
makefile's header-dependency and link commands exceed the kernel's 128 KB
limit on one shell command at 29 areas, so the script compiles the objects
through ``make`` and links them itself (``_compile``).
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import scipy.io
from brian2 import (NeuronGroup, Network, SpikeMonitor, Synapses, TimedArray, defaultclock, device, mV, ms,
                    prefs, rand, seed, set_device)

SEED_VARIABLE = "BRIAN2_SEED"
MODEL = Path(__file__).resolve().parent.parent / "models" / "joglekar2018.toml"


def _seed_from_environment(threads):
    """C++ for main.cpp: seed generator k with $BRIAN2_SEED + k, as Brian2's ``seed()`` does with its argument."""
    return (f'{{ const char* _s = getenv("{SEED_VARIABLE}"); if (!_s) {{ std::cerr << "{SEED_VARIABLE} is not set" '
            f'<< std::endl; exit(2); }} for (int _i=0; _i<{max(threads, 1)}; _i++) '
            f'brian::_random_generators[_i].seed(strtoul(_s, NULL, 10) + _i); }}')


def _compile(build_dir, jobs):
    """Compile and link the generated project as Brian2's makefile would, but for three things it cannot do at
    29 areas here: ``objects.cpp`` (array definitions, run once) at -O0; no header-dependency file (its
    rule is one shell command of > 128 KB, which the kernel refuses: "Argument list too long"); and the
    link with the object files in a response file (the same limit)."""
    makefile = (Path(build_dir) / "makefile").read_text()
    var = dict(re.findall(r"^(\w+) = (.*)$", makefile, re.M))
    objects = [src.rsplit(".", 1)[0] + ".o" for src in var["SRCS"].split()]
    (Path(build_dir) / "make.deps").write_text("")
    make = ["make", "-C", build_dir, "--no-print-directory"]
    subprocess.run([*make, "objects.o", f"OPTIMISATIONS={var['OPTIMISATIONS'].replace('-O3', '-O0')}"],
                   check=True)
    subprocess.run([*make, f"-j{jobs}", *objects], check=True)
    (Path(build_dir) / "objects.rsp").write_text("\n".join(objects))
    subprocess.run(["g++", "@objects.rsp", "-o", "main", *shlex.split(var["LFLAGS"])], cwd=build_dir, check=True)


def main(data_dir, n_areas, rnd_seed, duration_ms, out, timing, regime="asynchronous-strong",
         device_name="runtime", threads=1, build_dir=None, seeds=None):
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
    if standalone:
        device.insert_code("main", _seed_from_environment(threads))
    else:
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
    if not standalone:
        tic = time.perf_counter()
        net.run(duration_ms * ms)
        _save(out, mon_E, mon_I, run_s=time.perf_counter() - tic)
        return
    net.run(duration_ms * ms)
    build_s = time.perf_counter() - tic
    tic = time.perf_counter()
    device.build(directory=build_dir, compile=False, run=False)
    _compile(build_dir, max(threads, 1))
    compile_s = time.perf_counter() - tic
    for s in seeds or [rnd_seed]:
        os.environ[SEED_VARIABLE] = str(s)
        device.run(build_dir, with_output=True)
        run_s = float((Path(build_dir) / "results" / "last_run_info.txt").read_text().split()[0])
        _save(out.replace("{seed}", str(s)), mon_E, mon_I, build_s=build_s, compile_s=compile_s, run_s=run_s,
              seed=s)


def _save(out, mon_E, mon_I, **info):
    np.savez_compressed(out, t_E=np.asarray(mon_E.t / ms), i_E=np.asarray(mon_E.i),
                        t_I=np.asarray(mon_I.t / ms), i_I=np.asarray(mon_I.i), **info)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("data_dir", "n_areas", "seed", "duration_ms", "out", "timing"):
        ap.add_argument(name)
    ap.add_argument("regime", nargs="?", default="asynchronous-strong")
    ap.add_argument("--device", choices=("runtime", "cpp_standalone"), default="runtime")
    ap.add_argument("--threads", type=int, default=1, help="OpenMP threads (cpp_standalone)")
    ap.add_argument("--build-dir", help="cpp_standalone: where the code is generated (required)")
    ap.add_argument("--seeds", help="cpp_standalone: run these seeds (e.g. 0-19 or 0,3) from one build; OUT "
                                    "must contain {seed}")
    a = ap.parse_args()
    if a.device == "cpp_standalone" and not a.build_dir:
        sys.exit("--build-dir is required with --device cpp_standalone")
    seeds = None
    if a.seeds:
        if a.device != "cpp_standalone" or "{seed}" not in a.out:
            sys.exit("--seeds needs --device cpp_standalone and an OUT containing {seed}")
        # multiarea.cli.parse_seeds's syntax; this script runs in Brian2's environment, without multiarea
        seeds = [s for part in a.seeds.split(",") for s in (
            range(int(part.split("-")[0]), int(part.split("-")[1]) + 1) if "-" in part else [int(part)])]
    main(a.data_dir, int(a.n_areas), int(a.seed), float(a.duration_ms), a.out, a.timing, a.regime,
         a.device, a.threads, a.build_dir, seeds)
