"""`grader gradescope ASSIGNMENT OUT.zip`: a Gradescope autograder, and what it runs there.

    build_archive(assignment, Path("autograder.zip"), lang="fr")   # what the instructor uploads
    python -m grader.gradescope --root /autograder --assignment DIR  # what run_autograder runs

The archive holds, at its root (Gradescope's "Autograder Specifications"):

* `setup.sh`: run once when Gradescope builds the image: a Python >= 3.11 and a virtual
  environment at /autograder/venv with `requirements.txt` installed;
* `requirements.txt`: the grader's dependencies pinned to the versions installed here
  (`grader.export.pinned_requirements`; torch's CPU build from its own index);
* `run_autograder`: run for every submission: grades /autograder/submission and writes
  /autograder/results/results.json, even when Python itself cannot start;
* `grader/` (the package) and `assignments/<id>/` (manifest, reference, public and hidden
  tests, support: Gradescope's image is the instructor's; in it, as everywhere, student code runs
  only in the jail, which keeps the reference and the hidden tests out of its reach). The
  mutants are left out: they validate the assignment, they do not grade.

On Gradescope the submission goes through the normal pipeline (`run_batch`, one submission) twice:
the public tests alone (what the student sees at once) and the public and hidden tests (the grade,
shown when the instructor publishes); grader.report.gradescope turns both reports into
results.json. A submission that fails intake is a report like any other (score 0, the reasons);
a failure of the grader itself still writes a results.json (score 0, "not your fault"), its
traceback going to the autograder's log, which only the instructor sees.

GRADER_AUTOGRADER_ROOT (default /autograder) and GRADER_PYTHON (default the venv's python)
let a test run `run_autograder` on a fake tree.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path
from typing import Any

from grader import assignment as manifest
from grader.assignment import Assignment
from grader.errors import GraderError
from grader.export import pinned_requirements
from grader.messages import DEFAULT_LANGUAGE, LANGUAGES
from grader.options import Options
from grader.report import gradescope
from grader.report.model import write_json

ROOT_VARIABLE = "GRADER_AUTOGRADER_ROOT"
PYTHON_VARIABLE = "GRADER_PYTHON"
STUDENT = "submission"           # the student id of the one submission (the report's name)
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".hypothesis"}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed: the same sources give the same archive, byte for byte

SETUP_SH = """#!/usr/bin/env bash
# Run once by Gradescope, as root, when it builds the autograder's image (written by
# `grader gradescope`): a Python >= 3.11 and a virtual environment with the pinned requirements.
set -euo pipefail
ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

find_python() {
  for candidate in python@PYTHON@ python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \\
        && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

PYTHON="$(find_python || true)"
if [ -z "$PYTHON" ]; then
  apt-get update
  apt-get install -y python@PYTHON@ python@PYTHON@-venv
  PYTHON=python@PYTHON@
fi
# pyseccomp (a layer of the jail) loads libseccomp; Ubuntu images usually have it already.
apt-get install -y libseccomp2 >/dev/null 2>&1 || true
if ! "$PYTHON" -m venv "$ROOT/venv"; then
  apt-get install -y "$PYTHON-venv" || apt-get install -y python3-venv
  "$PYTHON" -m venv "$ROOT/venv"
fi
"$ROOT/venv/bin/python" -m pip install --upgrade pip
"$ROOT/venv/bin/python" -m pip install -r "$SOURCE/requirements.txt"
"$ROOT/venv/bin/python" -c "import torch, pytest, hypothesis"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Run by Gradescope for every submission (written by `grader gradescope`): grades
# $ROOT/submission with the public and the hidden tests of @ID@ and writes
# $ROOT/results/results.json. GRADER_AUTOGRADER_ROOT and GRADER_PYTHON point it elsewhere.
set -u
ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${GRADER_PYTHON:-$ROOT/venv/bin/python}"
SOURCE="$ROOT/source"
cd "$SOURCE" || exit 1
export PYTHONPATH="$SOURCE"
"$PYTHON" -m grader.gradescope --root "$ROOT" --assignment "$SOURCE/assignments/@ID@" \\
  --lang @LANG@ --max-examples @MAX_EXAMPLES@
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  # Python could not even start: Gradescope still gets a results.json (score 0).
  mkdir -p "$ROOT/results"
  cat > "$ROOT/results/results.json" <<'JSON'
@FAILED@
JSON
fi
exit $status
"""


def _fill(template: str, **values: str) -> str:
    """@NAME@ placeholders: the scripts are full of shell braces that str.format would eat."""
    for name, value in values.items():
        template = template.replace(f"@{name}@", value)
    return template


def _entry(name: str, executable: bool = False) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    return info


def _tree(source: Path, prefix: str, skip: frozenset[str] = frozenset()) -> list[tuple[str, Path]]:
    files = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if not path.is_file() or path.is_symlink() or path.suffix == ".pyc" \
                or _SKIP_DIRS & set(rel.parts) or (rel.parts and rel.parts[0] in skip):
            continue
        files.append((f"{prefix}/{rel.as_posix()}", path))
    return files


def build_archive(assignment: Assignment, out: Path, lang: str = DEFAULT_LANGUAGE, max_examples: int = 20) -> list[str]:
    """Write the autograder archive of `assignment` to `out`; the names it holds."""
    grader_src = Path(__file__).resolve().parent
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    texts = {
        "setup.sh": _fill(SETUP_SH, PYTHON=python),
        "run_autograder": _fill(RUN_AUTOGRADER, ID=assignment.id, LANG=lang, MAX_EXAMPLES=str(max_examples),
                                FAILED=json.dumps(gradescope.failure("python did not start", lang, assignment.id))),
        "requirements.txt": pinned_requirements(grader_src.parent),
    }
    files = _tree(grader_src, "grader") + _tree(assignment.root, f"assignments/{assignment.id}", frozenset({"mutants"}))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w") as archive:
            for name, text in texts.items():
                archive.writestr(_entry(name, executable=name != "requirements.txt"), text)
            for name, path in files:
                archive.writestr(_entry(name), path.read_bytes())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return [*texts, *(name for name, _ in files)]


# --- on Gradescope ----------------------------------------------------------------------------

def _grade(assignment: Assignment, batch: Path, out: Path, options: Options) -> dict[str, Any]:
    """One run of the normal pipeline on the one submission; its report (the contract)."""
    from grader.pipeline import run_batch   # the jail and the scorers: only where grading happens

    result = run_batch(assignment, batch, out, options)
    for problem in result.problems:
        print(f"warning: {problem}")
    for layer in result.confinement.get("skipped", []):
        print(f"warning: sandbox layer not applied here: {layer}")
    if len(result.reports) != 1:
        raise GraderError(f"expected one report, got {len(result.reports)}")
    report = result.reports[0]
    for error in report.harness_errors:
        print(f"grader error: {error}")
    return report.to_json(options.lang)


def autograde(root: Path, assignment_dir: Path, lang: str = DEFAULT_LANGUAGE, max_examples: int = 20) -> dict[str, Any]:
    """Grade `root`/submission, write `root`/results/results.json, return what was written."""
    started = time.monotonic()
    assignment_id = assignment_dir.name
    try:
        assignment = manifest.load(assignment_dir)
        with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as work:
            batch = Path(work) / "batch"
            submission = root / "submission"
            if submission.is_dir():
                # Symbolic links are copied as links, which the intake skips with a note.
                shutil.copytree(submission, batch / STUDENT, symlinks=True)
            else:
                (batch / STUDENT).mkdir(parents=True)      # nothing handed in: intake says so
            common = {"workers": 1, "max_examples": max_examples, "lang": lang}
            public = _grade(assignment, batch, Path(work) / "public", Options(include_hidden=False, **common))
            graded = _grade(assignment, batch, Path(work) / "graded", Options(include_hidden=True, **common))
        data = gradescope.results(graded, public, execution_time=time.monotonic() - started)
    except Exception as exc:  # noqa: BLE001 - Gradescope must get a results.json whatever happened
        traceback.print_exc(file=sys.stdout)       # the autograder's log: the instructor's only
        data = gradescope.failure(f"{type(exc).__name__}: {exc}", lang, assignment_id)
    write_json(root / "results" / "results.json", data)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.gradescope",
                                     description="Grade one Gradescope submission (run by run_autograder).")
    parser.add_argument("--root", default=os.environ.get(ROOT_VARIABLE, "/autograder"))
    parser.add_argument("--assignment", required=True, help="the assignment's folder")
    parser.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    parser.add_argument("--max-examples", type=int, default=20)
    args = parser.parse_args(argv)
    data = autograde(Path(args.root), Path(args.assignment), args.lang, args.max_examples)
    print(f"results.json: score {data['score']:g}, {len(data['tests'])} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
