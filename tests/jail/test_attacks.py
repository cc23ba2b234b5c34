"""Hostile student code: each attack must fail inside the worker and change nothing outside."""

import os
import socket
import time
from pathlib import Path

import pytest
import torch

from grader.errors import StudentError, StudentTimeout, WorkerDied
from grader.jail.sandbox import Limits
from grader.jail.session import JobSpec, Session

PROJECT = Path(__file__).resolve().parents[2]
HIDDEN_TEST = PROJECT / "assignments" / "tp_nn" / "tests" / "hidden" / "test_hidden_tp_nn.py"


def open_session(jail, folder, **limits):
    hidden = tuple(str(PROJECT / d) for d in ("reference", "assignments", "submissions", "tests"))
    return Session(jail, JobSpec(submission_dir=str(folder), limits=Limits(**limits), hidden_paths=hidden))


ATTACKS = '''
import os, socket, subprocess, ctypes

def read(path):
    with open(path) as handle:
        return handle.read()

def write(path):
    with open(path, "w") as handle:
        handle.write("pwned")
    return "written"

def connect():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(("127.0.0.1", 22))
    return "connected"

def run(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True).returncode

def fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    return pid

def environment():
    return dict(os.environ)

def leave():
    os._exit(0)

def quit_politely():
    import sys
    sys.exit(0)

def spin():
    while True:
        pass

def allocate(gib):
    return len(bytearray(int(gib * 1024**3)))

def segfault():
    ctypes.string_at(0)

def kill_parent():
    os.kill(os.getppid(), 9)
    return "killed"
'''


@pytest.fixture
def attacker(jail, make_submission):
    folder = make_submission({"evil.py": ATTACKS})
    session = open_session(jail, folder, call_timeout=3, memory_bytes=1024**3)
    yield session.module("evil")
    session.close()


def test_cannot_read_hidden_tests_or_reference(attacker):
    assert HIDDEN_TEST.is_file()
    for path in (HIDDEN_TEST, PROJECT / "assignments" / "tp_nn" / "reference" / "tp_nn.py", "/etc/shadow"):
        with pytest.raises(StudentError) as info:
            attacker.read(str(path))
        assert info.value.type_name in ("PermissionError", "FileNotFoundError")


def test_cannot_write_outside_its_job_folder(attacker, tmp_path):
    target = tmp_path / "outside.txt"
    with pytest.raises(StudentError):
        attacker.write(str(target))
    assert not target.exists()
    assert attacker.write("inside.txt") == "written"


def test_no_network_no_exec_no_fork(attacker):
    for call in (attacker.connect, attacker.fork):
        with pytest.raises(StudentError):
            call()
    try:
        assert attacker.run("touch /tmp/grader-exec-escape") != 0
    except StudentError:
        pass  # exec refused outright
    assert not os.path.exists("/tmp/grader-exec-escape")


def test_environment_is_scrubbed(attacker, monkeypatch):
    env = attacker.environment()
    assert "PATH" in env and not any("SECRET" in k or "TOKEN" in k for k in env)
    assert env["HOME"] == env["TMPDIR"]


def test_exit_and_crash_end_only_the_worker(attacker):
    with pytest.raises(StudentError) as info:
        attacker.quit_politely()
    assert info.value.type_name == "SystemExit"
    for deadly in (attacker.leave, attacker.segfault):
        with pytest.raises(WorkerDied):
            deadly()
        assert attacker.read("/proc/self/status")  # a fresh worker serves the next call


def test_infinite_loop_times_out_and_sticks_for_the_test(attacker):
    started = time.monotonic()
    with pytest.raises(StudentTimeout) as info:
        attacker.spin()
    assert "timed out after 3 s" in str(info.value)
    assert time.monotonic() - started < 6
    with pytest.raises(StudentTimeout):
        attacker.read("/proc/self/status")


def test_memory_limit(attacker):
    with pytest.raises((StudentError, WorkerDied)):
        attacker.allocate(4)


def test_cannot_kill_the_zygote(attacker, jail):
    with pytest.raises(StudentError):
        attacker.kill_parent()
    assert jail.process.poll() is None


def test_malicious_reduce_runs_nothing_in_the_scorer(jail, make_submission, tmp_path):
    marker = tmp_path / "reduce-ran"
    folder = make_submission({"m.py": f'''
        class Payload:
            def __reduce__(self):
                import os
                return (os.system, ("touch {marker}",))
        def give():
            return {{"ok": Payload(), "t": __import__("torch").ones(2)}}
    '''})
    session = open_session(jail, folder)
    value = session.module("m").give()
    assert torch.equal(value["t"], torch.ones(2))
    assert type(value["ok"]).__name__ == "RemoteObject"
    assert not marker.exists()
    session.close()


def test_monkeypatching_in_the_worker_does_not_reach_the_scorer(jail, make_submission):
    folder = make_submission({"m.py": '''
        import torch, numpy
        torch.allclose = lambda *a, **k: True
        torch.testing.assert_close = lambda *a, **k: None
        numpy.allclose = lambda *a, **k: True
        def wrong():
            return torch.zeros(3)
    '''})
    session = open_session(jail, folder)
    value = session.module("m").wrong()
    assert not torch.allclose(value, torch.ones(3))
    session.close()


def test_confinement_layers_are_reported(jail, make_submission):
    folder = make_submission({"m.py": "def f():\n    return 1\n"})
    session = open_session(jail, folder)
    assert session.module("m").f() == 1
    applied = " ".join(session.worker().confinement["applied"])
    assert "rlimits" in applied
    if os.uname().sysname == "Linux":
        assert "seccomp" in applied and "landlock" in applied
    session.close()


def test_lone_surrogates_a_student_returns_never_reach_a_report(jail, make_submission):
    """A message or value holding "\\ud800" used to crash report writing (UnicodeEncodeError):
    every string from the worker is cleaned once, when its frame is read."""
    folder = make_submission({"m.py": '''
        class Odd:
            def __repr__(self):
                return "odd \\udcff repr"
        def fail():
            raise ValueError("bad \\ud800 value")
        def give():
            return {"key \\udfff": ["x\\ud800", ("\\udbff",)], "obj": Odd()}
    '''})
    session = open_session(jail, folder)
    try:
        student = session.module("m")
        with pytest.raises(StudentError) as info:
            student.fail()
        assert info.value.message == "bad \ufffd value"
        info.value.summary().encode("utf-8")
        value = student.give()
        assert value["key \ufffd"] == ["x\ufffd", ("\ufffd",)]
        assert "\ufffd" in repr(value["obj"])
        import json
        json.dumps({"feedback": [info.value.summary(), repr(value)]}, ensure_ascii=False).encode("utf-8")
    finally:
        session.close()
