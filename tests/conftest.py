import os

os.environ.setdefault("MPLBACKEND", "Agg")
# Four host CPU devices for the sharding tests (XLA reads this when jax starts
# its backend, before any test module runs).
_FLAGS = os.environ.get("XLA_FLAGS", "")
if "--xla_force_host_platform_device_count" not in _FLAGS:
    os.environ["XLA_FLAGS"] = f"{_FLAGS} --xla_force_host_platform_device_count=4".strip()
