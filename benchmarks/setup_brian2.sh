#!/usr/bin/env bash
# Brian2 as a peer of benchmarks/joglekar.py: its own venv (Brian2 2.9 does not
# import with numpy 2, which jax needs).  Prints the interpreter to pass as
# --brian2-python.  C++ standalone needs g++ (on the machine).
#   benchmarks/setup_brian2.sh [VENV_DIR]     (default .peers/brian2)
set -euo pipefail
venv="${1:-.peers/brian2}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q "brian2>=2.9,<3" "numpy<2" scipy
"$venv/bin/python" -c "import brian2, numpy; print('brian2', brian2.__version__, 'numpy', numpy.__version__)" >&2
echo "$venv/bin/python"
