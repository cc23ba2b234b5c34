"""Shared by the intake tests: the demo manifest, fixture paths, and importing prepared modules
in a separate Python (as the jail will), never in the test process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from grader.assignment import Assignment, load

FIXTURES = Path(__file__).parent / "fixtures"
STUDENTS = FIXTURES / "students"
MOODLE = FIXTURES / "moodle"


def demo_assignment(reference_root: Path) -> Assignment:
    return load(FIXTURES / "assignment_demo", reference_dir=reference_root)


_PROBE = r"""
import importlib, inspect, json, sys
result = {}
for name in json.loads(sys.argv[1]):
    entry = {}
    try:
        module = importlib.import_module(name)
    except BaseException as exc:
        entry["error"] = f"{type(exc).__name__}: {exc}"
    else:
        entry["functions"] = {k: list(inspect.signature(v).parameters)
                              for k, v in vars(module).items()
                              if inspect.isfunction(v) and v.__module__ == name}
    result[name] = entry
extra = {}
code = sys.argv[2]
if code:
    try:
        exec(code, {"extra": extra})
    except BaseException as exc:
        extra["probe_error"] = f"{type(exc).__name__}: {exc}"
result["__extra__"] = extra
print("PROBE" + json.dumps(result, default=str))
"""


def probe(prepared_dir: Path, modules: list[str], code: str = "", timeout: float = 180) -> dict:
    """Import `modules` in a fresh Python with cwd = prepared_dir; run `code` (it fills `extra`).

    stdin is closed, so a module that still called input() at import would fail here.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["MPLBACKEND"] = "Agg"
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(modules), code], cwd=prepared_dir,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("PROBE"):
            return json.loads(line[5:])
    raise AssertionError(f"probe failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def build_moodle_zip(tmp: Path, hostile: bool = True) -> Path:
    """The Moodle download of the fixture: batch/ zipped, Éloïse's nested zip added, plus hostile
    entries that extraction must refuse."""
    nested = tmp / "TP3_Dupont.zip"
    with zipfile.ZipFile(nested, "w") as zf:
        for path in sorted((MOODLE / "nested").rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(MOODLE / "nested").as_posix())
    archive = tmp / "moodle.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((MOODLE / "batch").rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(MOODLE / "batch").as_posix())
        zf.write(nested, "Éloïse Dupont_23456_assignsubmission_file_/TP3_Dupont.zip")
        if hostile:
            zf.writestr("../escaped.py", "print('outside')\n")
            zf.writestr("/tmp/absolute_intake_test.py", "print('absolute')\n")
            zf.writestr("Alice Martin_12345_assignsubmission_file_/..\\..\\windows_escape.py", "x = 1\n")
            link = zipfile.ZipInfo("Alice Martin_12345_assignsubmission_file_/passwd")
            link.external_attr = (0o120777 << 16)
            zf.writestr(link, "/etc/passwd")
    return archive


def copy_fixture(name: str, tmp: Path) -> Path:
    target = tmp / name
    shutil.copytree(STUDENTS / name, target)
    return target
