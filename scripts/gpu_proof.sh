#!/usr/bin/env bash
# The GPU path, proven on a GPU (issue 11).
#
# On a machine with an NVIDIA GPU this grades the reference and two wrong fixtures with the training
# checks on CUDA (the judge only: the sandbox child never touches CUDA, and the script checks that),
# then runs one `autograder worker` with AUTOGRADER_GPUS=0 (and `autograder api`) against a private
# Redis and uploads the reference; it prints the device used and the timings (scripts/gpu_proof.py).
# With --cpu it does the same on the CPU (CUDA hidden): what CI runs (tests/test_gpu_proof.py).
#
#   scripts/gpu_proof.sh [--cpu] [--wheels DIR] [--python PY] [--venv DIR] [--skip-worker]
#
# --python PY   the interpreter that has torch, pytorch-lightning, numpy and scikit-learn
#               (default: python3.12, else python3).
# --wheels DIR  install the service's other packages and our wheel from DIR into a virtual
#               environment (--venv, default /tmp/autograder-gpu-venv) made with
#               --system-site-packages, so torch and Lightning stay the machine's own, whatever
#               their version: our wheel goes in with --no-deps (its metadata pins the torch of our
#               own machines; the code does not need that pin). No registry is asked (--no-index).
#               Without --wheels, PY must already import everything (a checkout's .venv, in CI).
#
# The GPU machine (Python 3.12, torch, pytorch-lightning 2.6.x, numpy, scikit-learn; no registry)
# gets the wheel dir from here. Build it on a machine that reaches PyPI, from the checkout's root:
#
#   src="$(mktemp -d)" && git archive HEAD | tar -x -C "$src"                  # a clean tree (no stale build/)
#   python3 -m pip wheel --no-deps -w wheels "$src"                              # autograder-*.whl
#   scripts/gpu_proof.sh --print-requirements > wheels/requirements.txt        # our deps less the preinstalled
#   python3 -m pip download -d wheels --only-binary=:all: \
#       --implementation cp --python-version 3.12 --abi cp312 --abi abi3 --abi none \
#       --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
#       --platform any -r wheels/requirements.txt
#
# then copy the checkout (the fixtures come from it) with wheels/ inside to the GPU machine and run
#   scripts/gpu_proof.sh --wheels wheels
# pip download resolves every dependency of those packages for cp312 (and fails, naming it, if one
# has no binary wheel for that platform); packages the GPU machine already has are skipped at install.
# Tried here (Python 3.12 from pyenv, no torch): 71 wheels, all binary or pure; the install step of
# this script put them and our wheel into a fresh venv and service, api, workers and autograder.cli
# imported (the proof itself then needs the machine's numpy and torch).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
device=cuda wheels="" python="" venv=/tmp/autograder-gpu-venv extra=()
# What the GPU machine brings (scipy with scikit-learn); everything else of pyproject.toml's dependencies comes from the wheel dir.
preinstalled="torch torchvision pytorch-lightning numpy scikit-learn scipy"  # scipy: scikit-learn needs it

while [ $# -gt 0 ]; do
    case "$1" in
        --cpu) device=cpu ;;
        --wheels) wheels="$(cd "$2" && pwd)"; shift ;;
        --python) python="$2"; shift ;;
        --venv) venv="$2"; shift ;;
        --skip-worker) extra+=(--skip-worker) ;;
        --print-requirements) print_requirements=1 ;;
        -h|--help) sed -n '2,39p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$python" ]; then
    for candidate in python3.12 python3; do
        if "$candidate" -c 'import tomllib' 2>/dev/null; then python="$candidate"; break; fi
    done
    [ -n "$python" ] || { echo "no python3.12 or python3 (>= 3.11) here; pass --python" >&2; exit 2; }
fi

case "$python" in  # absolute: the script changes directory before it runs it
    /*) ;;
    */*) python="$PWD/$python" ;;
    *) python="$(command -v "$python")" ;;
esac

requirements() {  # pyproject's dependencies, less what the GPU machine brings
    "$python" - "$root/pyproject.toml" "$preinstalled" <<'EOF'
import re, sys, tomllib
skip = set(sys.argv[2].split())
for dep in tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]:
    name = re.split(r"[\[<>=!~; ]", dep, maxsplit=1)[0].lower()
    if name not in skip:
        print(dep)
EOF
}

if [ "${print_requirements:-}" = 1 ]; then
    requirements
    exit 0
fi

if [ -n "$wheels" ]; then
    echo "== installing the service's packages from $wheels into $venv (no registry) =="
    "$python" -m venv --system-site-packages "$venv"
    "$venv/bin/python" -m pip install -q --no-index --find-links "$wheels" -r <(requirements)
    "$venv/bin/python" -m pip install -q --no-index --no-deps --force-reinstall "$wheels"/autograder-*.whl
    python="$venv/bin/python"
    bindir="$venv/bin"
else
    bindir="$(dirname "$python")"
fi

export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
if [ "$device" = cpu ]; then
    export CUDA_VISIBLE_DEVICES=""  # torch sees no GPU: the CPU path, as CI runs it
elif ! "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    echo "no CUDA device visible to torch here; run with --cpu for the CPU path" >&2
    exit 3
fi
command -v nvidia-smi >/dev/null && [ "$device" = cuda ] && \
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

# From outside the checkout: with --wheels, grader comes from the installed wheel, not the working tree.
cd "$here"
PATH="$bindir:$PATH" exec "$python" "$here/gpu_proof.py" --device "$device" "${extra[@]}"
