"""Fresh processes for the tests: without the host-device flag conftest.py
sets, and examples/distributed_run.py started as 2 jax.distributed processes."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import multiarea as ma

ROOT = Path(__file__).resolve().parents[1]


def env_without_device_flags() -> dict:
    """This environment without ``--xla_force_host_platform_device_count``."""
    flags = " ".join(f for f in os.environ.get("XLA_FLAGS", "").split()
                     if not f.startswith("--xla_force_host_platform_device_count"))
    return dict(os.environ, XLA_FLAGS=flags)


def run_two_processes(arguments, out) -> "ma.SpikeRecord":
    """Run ``examples/distributed_run.py ARGUMENTS --out OUT`` as 2 processes
    with one device each; assert both ran on the 2-device mesh and return the
    spikes process 0 wrote."""
    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    args = [sys.executable, str(ROOT / "examples" / "distributed_run.py"), "--coordinator", f"localhost:{port}",
            "--num-processes", "2", *arguments, "--out", str(out)]
    procs = [subprocess.Popen(args + ["--process-id", str(i)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=env_without_device_flags()) for i in range(2)]
    logs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(log[-2000:] for log in logs)
    assert all("2 devices (1 here)" in log for log in logs)
    return ma.SpikeRecord.load(Path(out) / "spikes.npz")
