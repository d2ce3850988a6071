"""The Joglekar model's spikes stay bit-identical to a stored digest.

A 29-area, full-size run (2000 neurons per area, asynchronous-strong, the V1
pulse moved to 20-120 ms so that 200 ms show the response) on the default
path (the whole-step kernel), held to the SHA-256 of its (step, neuron)
pairs in ``tests/data/joglekar2018_digest.json``.  Generalising the network
layer or speeding up the kernel must not change a spike.  A change of the
connectivity or noise stream changes the digest on purpose: regenerate it in
the commit that changes the stream (``python tests/test_joglekar_digest.py``)
and re-measure what depends on the stream (the seed statistics, the Brian2
cross-check), as the file's ``regenerate`` entry says.
"""
import hashlib
import json
from pathlib import Path

import numpy as np

import multiarea as ma

DIGEST = Path(__file__).resolve().parent / "data" / "joglekar2018_digest.json"
RUN = dict(regime="asynchronous-strong", n_areas=29, neurons_per_area=2000, seed=0, duration_ms=200.0,
           stimulus_start_ms=20.0, stimulus_duration_ms=100.0)


def _run() -> dict:
    model = ma.load_model("joglekar2018", **RUN)
    net = model.build()
    record = ma.simulate(net, model.duration_ms, inputs=[model.stimulus(net)], progress_bar=False)
    pairs = np.stack([record.steps, record.neurons]).astype("<i4")
    return {"run": RUN, "n_spikes": int(record.steps.size),
            "sha256_steps_neurons": hashlib.sha256(pairs.tobytes()).hexdigest(),
            "spikes_per_area": np.bincount(record.population("E")[1], minlength=model.params["n_areas"]).tolist()}


def test_spikes_equal_the_stored_digest():
    stored = json.loads(DIGEST.read_text())
    assert stored["run"] == RUN, "the stored digest was made for another run; regenerate it"
    now = _run()
    assert now["n_spikes"] > 10_000  # the pulse propagated: enough spikes to tell runs apart
    assert (now["n_spikes"], now["sha256_steps_neurons"]) == (stored["n_spikes"], stored["sha256_steps_neurons"]), (
        "spikes differ from the stored run; E spikes per area now vs stored:\n"
        + "\n".join(f"  {a}: {n} vs {s}" for a, n, s in zip(ma.data.joglekar2018().area_names,
                                                              now["spikes_per_area"], stored["spikes_per_area"])
                    if n != s))


if __name__ == "__main__":
    digest = _run()
    digest["regenerate"] = ("python tests/test_joglekar_digest.py, in the commit that changes the connectivity or "
                            "noise stream; then re-measure models/joglekar2018_seeds.csv (examples/joglekar_seeds.py) "
                            "and the Brian2 cross-check (benchmarks/brian2_crosscheck.py)")
    DIGEST.write_text(json.dumps(digest, indent=1) + "\n")
    print(f"wrote {DIGEST}: {digest['n_spikes']} spikes")
