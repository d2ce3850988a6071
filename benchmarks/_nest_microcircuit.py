"""The Potjans & Diesmann (2014) cortical microcircuit in NEST 3.9: the NEST side
of the microcircuit benchmark.  Runs under NEST's own Python (the venv that
``benchmarks/setup_nest.sh`` builds; its last line is the interpreter wrapper),
without jax and without the ``multiarea`` package: the model's numbers come from
``multiarea/potjans2014/parameters.py`` (loaded by file path) and
``models/potjans2014.toml``.

    .peers/nest-python benchmarks/_nest_microcircuit.py [--scale F] [--threads N]
        [--background poisson|dc] [--t-presim MS] [--t-sim MS] [--seed S] [--out FILE.npz]

The network, as docs/nest_semantics.md describes NEST running it:

- ``iaf_psc_exp`` neurons, one population per layer and type, N scaled by
  ``--scale`` (rounded); nodes are created, and connections made, in the order
  of the reference implementation (populations, spike recorders, Poisson
  generators; recurrent connections target by target, then recorders, then
  background), so that the node ids are the same as there;
- ``fixed_total_number`` connections for every (target, source) pair (multapses
  and autapses allowed, NEST's defaults), the synapse count scaled by
  ``--scale`` twice (N and K);
- weights ``redraw(normal(w, 0.1 |w|))`` on [0, inf) for w >= 0 and (-inf, 0]
  for w < 0, w divided by sqrt(K scaling); delays ``redraw(normal(d, 0.5 d))``
  on [0.05 ms, inf) (half a step: NEST rounds delays to the nearest step);
- background: by default one ``poisson_generator`` per population at
  8 Hz x K_ext (K_ext scaled and rounded), ``all_to_all`` with the external PSC
  (divided by sqrt(K scaling)) and a 1.5 ms delay, plus the DC that compensates
  the K scaling (as the published rates were made; the reference
  implementation v1.0 defaults to DC); ``--background dc`` replaces the
  Poisson input with its mean current as ``I_e`` (below about --scale 0.2
  the K-scaled DC falls under rheobase in some populations and they may
  stay silent: a warning on stderr says which);
- V_m drawn from the 'optimized' normal of each population; resolution 0.1 ms;
  ``nest.rng_seed = --seed``.

It simulates ``--t-presim`` ms (the transient, not recorded), then ``--t-sim``
ms with one ``spike_recorder`` per population.  ``--threads`` sets
``local_num_threads``: NEST 3.9 keeps at most 134,217,726 connections per
virtual process and synapse model, so the full-scale network (~3e8 synapses)
needs >= 3.

The last line on stdout is one JSON object: ``build_s`` (Create + Connect, wall
seconds), ``presim_s``, ``sim_s`` (the ``--t-sim`` part only), ``rtf``
(sim_s / model seconds of t_sim), ``peak_rss_gb`` (ru_maxrss, 1e9 bytes),
``spikes`` (count per population in the recorded window), ``rates_hz``,
``n_neurons``, ``n_synapses`` (recurrent), ``n_connections`` (NEST's
``num_connections``, devices included) and the arguments.  ``--out`` writes
an .npz with, per population P, ``times_P`` (ms, float64, sorted by time) and ``senders_P`` (0-based index
within P, int32), plus ``populations``, ``n_neurons``, ``first_node_id``,
``t_presim``, ``t_sim``, ``scale``, ``seed``, ``threads``, ``background``.
"""
import argparse
import importlib.util
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PARAMETERS_PY = ROOT / "multiarea" / "potjans2014" / "parameters.py"
RESOLUTION = 0.1  # ms


def load_parameters_module(path=PARAMETERS_PY):
    """multiarea/potjans2014/parameters.py as a stand-alone module (it imports
    neither jax nor the rest of the package)."""
    spec = importlib.util.spec_from_file_location("_potjans2014_parameters", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0,
                   help="N and K scaling (default 1.0: the full network)")
    p.add_argument("--threads", type=int, default=4,
                   help="local_num_threads (default 4; >= 3 at full scale)")
    p.add_argument("--background", choices=("poisson", "dc"), default="poisson")
    p.add_argument("--t-presim", type=float, default=500.0, help="ms, not recorded")
    p.add_argument("--t-sim", type=float, default=1000.0, help="ms, recorded and timed")
    p.add_argument("--seed", type=int, default=55, help="nest.rng_seed")
    p.add_argument("--out", type=Path, default=None, help="spikes to this .npz")
    return p.parse_args(argv)


def network(pm, scale, background):
    """The numbers NEST is given, all from multiarea/potjans2014/parameters.py."""
    params = pm.load(regime=background)
    poisson = background == "poisson"
    v0_mean, v0_std = pm.initial_potentials(params)
    return dict(
        populations=[str(p) for p in params["populations"]],
        neuron={k: params[k] for k in ("C_m", "tau_m", "tau_syn", "E_L", "V_th", "V_reset", "t_ref")},
        n=pm.neuron_numbers(params, scale),
        syn=pm.synapse_numbers(params, scale, scale),   # [target, source]
        w=pm.weight_matrix(params, scale),               # pA, [target, source]
        w_sd=pm.weight_sd(params, scale),
        d=pm.delay_means(params),                        # ms, [target, source]
        d_sd=pm.delay_sds(params),
        d_min=pm.delay_lower_bound(params, RESOLUTION),  # 0.05 ms
        i_e=pm.dc_amplitudes(params, scale, poisson),
        poisson_rates=pm.poisson_rates(params, scale),   # bg_rate * round(K_ext * k)
        w_ext=pm.external_weight(params, scale),
        delay_ext=params["delay_poisson"],
        v0_mean=v0_mean, v0_std=v0_std,
        rheobase=pm.rheobase_current(params),
    )


def build(nest, net, background):
    """Create and connect; returns the populations and their spike recorders."""
    nrn = net["neuron"]
    pops = []
    for i, name in enumerate(net["populations"]):
        pop = nest.Create("iaf_psc_exp", int(net["n"][i]))
        pop.set(C_m=nrn["C_m"], tau_m=nrn["tau_m"], E_L=nrn["E_L"], V_th=nrn["V_th"],
                V_reset=nrn["V_reset"], t_ref=nrn["t_ref"],
                tau_syn_ex=nrn["tau_syn"], tau_syn_in=nrn["tau_syn"],
                I_e=float(net["i_e"][i]))  # the DC background, or the K-scaling compensation
        pop.V_m = nest.random.normal(mean=float(net["v0_mean"][i]), std=float(net["v0_std"][i]))
        pops.append(pop)

    recorders = nest.Create("spike_recorder", len(pops))
    if background == "poisson":
        gens = nest.Create("poisson_generator", len(pops))
        gens.rate = [float(r) for r in net["poisson_rates"]]

    for i, target in enumerate(pops):
        for j, source in enumerate(pops):
            n_syn = int(net["syn"][i, j])  # N = 0 goes through Connect too
            w = float(net["w"][i, j])
            lo, hi = (0.0, np.inf) if w >= 0 else (-np.inf, 0.0)  # keep the sign
            weight = nest.math.redraw(
                nest.random.normal(mean=w, std=float(net["w_sd"][i, j])), min=lo, max=hi)
            delay = nest.math.redraw(
                nest.random.normal(mean=float(net["d"][i, j]), std=float(net["d_sd"][i, j])),
                min=float(net["d_min"]), max=np.inf)  # [0.5 h, inf): rounds to >= 1 step
            nest.Connect(source, target,
                         {"rule": "fixed_total_number", "N": n_syn},
                         {"synapse_model": "static_synapse", "weight": weight, "delay": delay})

    for pop, rec in zip(pops, recorders):
        nest.Connect(pop, rec)
    if background == "poisson":
        for gen, pop in zip(gens, pops):
            nest.Connect(gen, pop, "all_to_all",
                         {"synapse_model": "static_synapse",
                          "weight": float(net["w_ext"]), "delay": float(net["delay_ext"])})
    return pops, recorders


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # KiB on Linux


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest  # noqa: E402  (after argparse: --help without the NEST banner)

    pm = load_parameters_module()
    net = network(pm, args.scale, args.background)
    if args.background == "dc":
        low = [p for p, i in zip(net["populations"], net["i_e"]) if i < net["rheobase"]]
        if low:   # as the reference implementation warns: K-scaled DC can fall below rheobase
            print(f"warning: DC input below rheobase ({net['rheobase']:.0f} pA) in {low} at "
                  f"scale {args.scale}; these populations may not fire", file=sys.stderr)

    nest.set_verbosity("M_WARNING")
    nest.ResetKernel()
    nest.local_num_threads = args.threads
    nest.resolution = RESOLUTION
    nest.rng_seed = args.seed
    nest.print_time = False

    t0 = time.perf_counter()
    pops, recorders = build(nest, net, args.background)
    build_s = time.perf_counter() - t0
    n_conn = int(nest.num_connections)

    # the transient is not recorded: spikes with t_presim < t are
    recorders.start = args.t_presim
    t0 = time.perf_counter()
    nest.Simulate(args.t_presim)
    presim_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    nest.Simulate(args.t_sim)
    sim_s = time.perf_counter() - t0

    out = {}
    spikes = {}
    rates = {}
    for i, (name, pop, rec) in enumerate(zip(net["populations"], pops, recorders)):
        ev = rec.events
        times = np.asarray(ev["times"], dtype=np.float64)
        senders = np.asarray(ev["senders"], dtype=np.int64)
        order = np.argsort(times, kind="stable")
        first = int(pop[0].global_id)
        out[f"times_{name}"] = times[order]
        out[f"senders_{name}"] = (senders[order] - first).astype(np.int32)
        spikes[name] = int(times.size)
        rates[name] = times.size / (len(pop) * args.t_sim * 1e-3)

    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        np.savez(args.out,
                 populations=np.array(net["populations"]),
                 n_neurons=net["n"],
                 first_node_id=np.array([int(p[0].global_id) for p in pops]),
                 t_presim=args.t_presim, t_sim=args.t_sim, scale=args.scale,
                 seed=args.seed, threads=args.threads, background=args.background,
                 **out)

    result = {
        "simulator": "nest",
        "nest_version": nest.__version__,
        "scale": args.scale,
        "threads": args.threads,
        "background": args.background,
        "seed": args.seed,
        "t_presim_ms": args.t_presim,
        "t_sim_ms": args.t_sim,
        "n_neurons": int(net["n"].sum()),
        "n_synapses": int(net["syn"].sum()),
        "n_connections": n_conn,
        "build_s": round(build_s, 3),
        "presim_s": round(presim_s, 3),
        "sim_s": round(sim_s, 3),
        "rtf": round(sim_s / (args.t_sim * 1e-3), 3),
        "peak_rss_gb": round(peak_rss_gb(), 3),
        "spikes": spikes,
        "rates_hz": {k: round(v, 3) for k, v in rates.items()},
    }
    sys.stdout.flush()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
