"""Run a model with its areas (or populations) split over the devices of several processes.

Start one process per device group (a node, or a GPU), all with the same
coordinator address and process count; here two processes on this machine::

    python examples/distributed_run.py --coordinator localhost:12355 --num-processes 2 --process-id 0 --out DIR &
    python examples/distributed_run.py --coordinator localhost:12355 --num-processes 2 --process-id 1 --out DIR

``--model`` is a bundled E/I model (default ``joglekar2018``), or a
population network: a folder written by ``multiarea import-mam`` (the
multi-area model of Schmidt et al. 2018, its populations split over the
processes) or a population ``.toml`` file.

Every process builds the network (neuron state only: synapses are
regenerated, never stored), the mesh spans the devices of all processes, and
process 0 writes ``DIR/spikes.npz`` (the same spikes as a one-device run of
the same seed).  On CPUs the processes exchange spikes through gloo; on GPUs
jax uses NCCL (untested here: no GPU on the development machine).

``jax.distributed.initialize`` must run before jax starts its backends, which
importing brainpy (and so multiarea) does: import multiarea after it.
"""
from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import jax


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coordinator", required=True, help="host:port of process 0")
    parser.add_argument("--num-processes", type=int, required=True)
    parser.add_argument("--process-id", type=int, required=True)
    parser.add_argument("--model", default="joglekar2018",
                        help="a bundled model, an import-mam folder or a population .toml file")
    parser.add_argument("--regime", default=None)
    parser.add_argument("--areas", type=int, default=None, help="first N areas of the data")
    parser.add_argument("--neurons", type=int, default=None, help="neurons per area")
    parser.add_argument("--duration", type=float, default=None, help="ms")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--backend", default=None, help="op backend: taichi or jax")
    parser.add_argument("--out", required=True, help="output folder (written by process 0)")
    args = parser.parse_args(argv)

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(args.coordinator, num_processes=args.num_processes,
                               process_id=args.process_id)
    import multiarea as ma

    if args.backend:
        ma.ops.set_backend(args.backend)
    mam = ma.schmidt2018.is_mam_folder(args.model)
    if mam or args.model.endswith(".toml"):
        net = ma.schmidt2018.load_mam(args.model, seed=args.seed) if mam else ma.load_population_network(args.model)
        start = time.perf_counter()
        record = ma.simulate_populations(net, 100.0 if args.duration is None else args.duration, method="sharded",
                                         devices=len(jax.devices()), progress_bar=False)
    else:
        overrides = {k: v for k, v in (("n_areas", args.areas), ("neurons_per_area", args.neurons),
                                       ("duration_ms", args.duration), ("seed", args.seed)) if v is not None}
        model = ma.load_model(args.model, regime=args.regime, **overrides)
        net = model.build()
        start = time.perf_counter()
        record = ma.simulate(net, model.duration_ms, inputs=[model.stimulus(net)], progress_bar=False,
                             devices=len(jax.devices()))
    elapsed = time.perf_counter() - start
    print(f"process {jax.process_index()}/{jax.process_count()}: {len(jax.devices())} devices "
          f"({len(jax.local_devices())} here), {record.steps.size} spikes in {elapsed:.1f} s; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB", flush=True)
    if jax.process_index() == 0:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        record.save(out / "spikes.npz")


if __name__ == "__main__":
    main()
