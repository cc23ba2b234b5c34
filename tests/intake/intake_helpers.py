"""Shared by the intake tests: the demo manifest, fixture paths, and importing prepared modules
in a separate process (as the jail will), never in the test process."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
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


# Each probe is a fresh child of one server that imported torch and numpy once (as the jail's
# zygote does): the fixtures' modules import torch, and a new interpreter for each probe paid
# that import again, about 2 s. The child starts as `python -c` would leave it:
# cwd and sys.path[0] = the prepared folder's, stdin closed, stdout and stderr to a file.
_SERVER = r"""
import json, os, signal, sys, time
import numpy, torch
probe_source = sys.argv[1]
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(output, 1)
            os.dup2(output, 2)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            sys.stdin = open(os.devnull)
            os.chdir(request["cwd"])
            sys.path[0] = request["cwd"]
            sys.argv = ["-c", request["modules"], request["code"]]
            exec(compile(probe_source, "<probe>", "exec"), {"__name__": "__main__"})
            status = 0
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    deadline = time.monotonic() + request["timeout"]
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = -1
            break
        time.sleep(0.005)
    print(json.dumps({"status": status}), flush=True)
"""
_server: subprocess.Popen | None = None


def _probe_server() -> subprocess.Popen:
    global _server
    if _server is None or _server.poll() is not None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["MPLBACKEND"] = "Agg"
        _server = subprocess.Popen([sys.executable, "-c", _SERVER, _PROBE], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True, env=env)
        atexit.register(_server.kill)
    return _server


def probe(prepared_dir: Path, modules: list[str], code: str = "", timeout: float = 180) -> dict:
    """Import `modules` in a fresh process with cwd = prepared_dir; run `code` (it fills `extra`).

    stdin is closed, so a module that still called input() at import would fail here.
    """
    server = _probe_server()
    with tempfile.NamedTemporaryFile(prefix="probe-", suffix=".out", delete=False) as handle:
        output = Path(handle.name)
    try:
        server.stdin.write(json.dumps({"cwd": str(Path(prepared_dir).resolve()), "modules": json.dumps(modules),
                                       "code": code, "timeout": timeout, "output": str(output)}) + "\n")
        server.stdin.flush()
        reply = server.stdout.readline()
        text = output.read_text(errors="replace")
    finally:
        output.unlink(missing_ok=True)
    for line in text.splitlines():
        if line.startswith("PROBE"):
            return json.loads(line[5:])
    raise AssertionError(f"probe failed ({reply.strip() or 'the probe server died'}):\n{text[-4000:]}")


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
