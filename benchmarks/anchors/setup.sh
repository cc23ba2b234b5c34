#!/usr/bin/env bash
# Creates the venv of the speed comparison's anchors (Otter-Grader 7, nbgrader 0.9), apart from the
# grader's own .venv: these tools are measured, never dependencies of the grader.
#
#   bash benchmarks/anchors/setup.sh            # venv at $ANCHORS_VENV, default /tmp/grader-anchors-venv
#
# torch==2.13.0 is the CPU build where a local wheel or a CPU index provides it; elsewhere pass
# e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu".
set -euo pipefail

VENV="${ANCHORS_VENV:-/tmp/grader-anchors-venv}"
PYTHON="${PYTHON:-python3}"
TORCH_PIP_ARGS="${TORCH_PIP_ARGS:-}"

test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
# shellcheck disable=SC2086  # TORCH_PIP_ARGS is a list of pip options
"$VENV/bin/python" -m pip install --quiet torch==2.13.0 $TORCH_PIP_ARGS
"$VENV/bin/python" -m pip install --quiet numpy ipykernel "otter-grader>=7,<8" "nbgrader>=0.9,<0.10"
"$VENV/bin/python" - <<'PY'
from importlib.metadata import version
for name in ("otter-grader", "nbgrader", "torch", "numpy"):
    print(f"{name:14s}{version(name)}")
PY
echo "anchors venv ready: $VENV"
