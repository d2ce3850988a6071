#!/usr/bin/env bash
# NEST 3.9 built from source as a peer of the microcircuit benchmark
# (benchmarks/_nest_microcircuit.py).  Everything goes under .peers/ (git-ignored):
#   .peers/nest-venv    Python venv (Debian's /usr/bin/python3) with cython numpy scipy
#   .peers/nest-src     the v3.9 source tree (commit a32cd872...), written from a git mirror
#   .peers/nest-build   the CMake build directory
#   .peers/nest         the install prefix
#   .peers/nest-python  a wrapper: runs the venv's Python with NEST's environment set
#
#   benchmarks/setup_nest.sh NEST_GIT_DIR        or   NEST_GIT_DIR=... benchmarks/setup_nest.sh
#
# NEST_GIT_DIR is a git directory (bare or not) that holds commit
# a32cd8728fbb100cc1ce2bc7955196b2bd15403c (tag v3.9) of nest/nest-simulator: a clone,
# or the mirror that an agent session's `fetch github:nest/nest-simulator` tool
# writes (/work/.mirror/nest+nest-simulator/repo; `fetch` is a tool, not a shell
# command, so this script cannot call it).  Such a mirror may lack its largest
# blobs (example GIFs), so `git archive` fails: the tree is written file by file,
# missing blobs are skipped with a warning, executable bits and symlinks restored
# (without the bits CMake's helper scripts fail and libnestutil/config.h gets
# "#define NEST_EXITCODE_ABORT Permission denied").
# Not needed when .peers/nest-src is already there.
#
# Idempotent: each stage is skipped when its result is there (the source tree
# carries a stamp with the commit; the build is skipped when `import nest` works
# from the install).  NEST_REBUILD=1 forces configure+build+install again.
# Debian packages: libgsl-dev libltdl-dev libboost-dev python3-dev python3-venv
# (apt-get; runs `apt-get update` only when one is missing).  Build: make -j2,
# ~15-30 min on 2 cores.  Prints the wrapper's path last.
#
# NEST 3.9 keeps at most 134,217,726 connections per virtual process and synapse
# model: the full-scale microcircuit needs local_num_threads >= 3.
set -euo pipefail

NEST_COMMIT=a32cd8728fbb100cc1ce2bc7955196b2bd15403c
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="${NEST_PEERS_DIR:-$root/.peers}"
venv="$peers/nest-venv"
src="$peers/nest-src"
build="$peers/nest-build"
prefix="$peers/nest"
jobs="${NEST_MAKE_JOBS:-2}"
git_dir="${1:-${NEST_GIT_DIR:-}}"
mkdir -p "$peers"

log() { echo "[setup_nest] $*" >&2; }

# --- 1. Debian packages -------------------------------------------------------
debs=(libgsl-dev libltdl-dev libboost-dev python3-dev python3-venv cmake g++ make)
missing=()
for p in "${debs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# --- 2. venv ---------------------------------------------------------------------
# Debian's interpreter, so that python3-dev's headers and libpython match it.
if [ ! -x "$venv/bin/python" ]; then
    log "venv $venv"
    /usr/bin/python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import Cython, numpy, scipy" 2>/dev/null; then
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q cython numpy scipy
fi

# --- 3. source tree ------------------------------------------------------------
if [ "$(cat "$src/.nest-commit" 2>/dev/null || true)" != "$NEST_COMMIT" ]; then
    if [ -z "$git_dir" ]; then
        echo "setup_nest.sh: $src is missing; give the nest-simulator git directory" \
             "(argument or NEST_GIT_DIR), see the header of this script" >&2
        exit 2
    fi
    git --git-dir="$git_dir" cat-file -e "$NEST_COMMIT^{commit}" 2>/dev/null || {
        # a non-bare clone: its git directory is .git
        if [ -d "$git_dir/.git" ]; then git_dir="$git_dir/.git"; fi
        git --git-dir="$git_dir" cat-file -e "$NEST_COMMIT^{commit}"
    }
    log "writing the v3.9 tree from $git_dir into $src"
    rm -rf "$src.tmp"
    mkdir -p "$src.tmp"
    /usr/bin/python3 - "$git_dir" "$NEST_COMMIT" "$src.tmp" <<'PY'
import os, subprocess, sys
git_dir, commit, dest = sys.argv[1:]
git = ["git", f"--git-dir={git_dir}"]
entries = []
for rec in subprocess.run(git + ["ls-tree", "-r", "-z", commit], check=True,
                          capture_output=True).stdout.split(b"\0"):
    if not rec:
        continue
    meta, path = rec.split(b"\t", 1)
    mode, kind, sha = meta.split()
    if kind != b"blob":            # submodules: none at v3.9
        print(f"skip {kind.decode()} {path.decode()}", file=sys.stderr)
        continue
    entries.append((mode.decode(), sha.decode(), os.fsdecode(path)))
proc = subprocess.Popen(git + ["cat-file", "--batch"], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE)
skipped = 0
for mode, sha, path in entries:
    proc.stdin.write(sha.encode() + b"\n")
    proc.stdin.flush()
    header = proc.stdout.readline().split()
    if header[-1] == b"missing":
        print(f"warning: blob {sha} of {path} is missing from the mirror; skipped",
              file=sys.stderr)
        skipped += 1
        continue
    size = int(header[2])
    data = proc.stdout.read(size)
    proc.stdout.read(1)            # the newline after the contents
    out = os.path.join(dest, path)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    if mode == "120000":
        os.symlink(os.fsdecode(data), out)
        continue
    with open(out, "wb") as f:
        f.write(data)
    os.chmod(out, 0o755 if mode == "100755" else 0o644)
proc.stdin.close()
proc.wait()
print(f"wrote {len(entries) - skipped} files, skipped {skipped} missing blobs",
      file=sys.stderr)
PY
    echo "$NEST_COMMIT" > "$src.tmp/.nest-commit"
    rm -rf "$src"
    mv "$src.tmp" "$src"
    rm -rf "$build"      # a new tree: configure afresh
fi

# --- 4. configure, build, install ---------------------------------------------------
nest_env() {
    # shellcheck disable=SC1091
    source "$prefix/bin/nest_vars.sh"    # PYTHONPATH and PATH
}
nest_ok() {
    [ -f "$prefix/bin/nest_vars.sh" ] || return 1
    ( nest_env; cd /tmp && "$venv/bin/python" -c "import nest" ) >/dev/null 2>&1
}
if [ "${NEST_REBUILD:-0}" = 1 ] || ! nest_ok; then
    mkdir -p "$build"
    if [ ! -f "$build/Makefile" ]; then
        log "cmake -> $build"
        ( cd "$build" && cmake "$src" \
            -DCMAKE_INSTALL_PREFIX="$prefix" \
            -Dwith-python=ON -DPython_EXECUTABLE="$venv/bin/python" \
            -Dwith-openmp=ON -Dwith-mpi=OFF \
            -Dwith-boost=ON -Dwith-gsl=ON -Dwith-readline=OFF ) >&2
    fi
    log "make -j$jobs (15-30 min on 2 cores)"
    make -C "$build" -j"$jobs" >&2
    make -C "$build" install >&2
fi

# --- 5. wrapper and check ------------------------------------------------------------
cat > "$peers/nest-python" <<EOF
#!/usr/bin/env bash
# Written by benchmarks/setup_nest.sh: NEST 3.9's Python with its environment.
source "$prefix/bin/nest_vars.sh"
exec "$venv/bin/python" "\$@"
EOF
chmod +x "$peers/nest-python"
( cd /tmp && PYNEST_QUIET=1 "$peers/nest-python" -c 'import nest; print("nest", nest.__version__)' ) >&2
echo "$peers/nest-python"
