"""Isolation of a worker from every other process, student and folder (issue 10, items 1 5 6 7 12).

Each test runs hostile student code (`HOSTILE` below) in a real worker and checks, from outside,
that nothing changed; where a test names a layer, it checks that this layer is the one that
stopped the attack (seccomp answers EPERM before the kernel looks a pid up; a pid the worker's
namespace does not hold answers ESRCH).
"""

from __future__ import annotations

import errno
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from grader.errors import StudentError
from grader.jail import sandbox
from grader.jail.sandbox import Limits
from grader.jail.session import Jail, JobSpec, Session
from grader.pool import ScorerPool

PROJECT = Path(__file__).resolve().parents[2]
LINUX = sys.platform.startswith("linux")
pytestmark = pytest.mark.skipif(not LINUX, reason="namespaces, Landlock and seccomp are Linux's")

HOSTILE = '''
import ctypes, errno, os, resource, signal, sys, threading

def _errno(call, *args):
    try:
        call(*args)
    except OSError as exc:
        return exc.errno
    return 0

def _syscall(name, *args):
    import pyseccomp
    number = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    if libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in args]) != 0:
        raise OSError(ctypes.get_errno(), name)

def identity():
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    return {"pid": os.getpid(), "ppid": os.getppid(), "uid": os.getuid(), "euid": os.geteuid(),
            "gid": os.getgid(), "groups": os.getgroups(),
            "cap_eff": status["CapEff"].strip(), "cap_prm": status["CapPrm"].strip()}

def processes():
    return sorted(int(name) for name in os.listdir("/proc") if name.isdigit())

def read(path):
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")

def errors_of(paths):
    out = {}
    for path in paths:
        try:
            if os.path.isdir(path):
                os.listdir(path)
            else:
                open(path, "rb").close()
            out[path] = 0
        except OSError as exc:
            out[path] = exc.errno
    return out

NOBODY_HAS_THIS_UID = 2000000000

def touch_outside(pid, now):
    """Everything the issue's attacker did to the grader's processes, found through /proc; but
    harmless should it ever be allowed (a regressed jail must not harm the machine running the
    tests): `now` holds the target's current limits, affinity and scheduling, written back as
    they are; signals are signal 0; PRIO_USER names a uid nobody has; the ioprio is invalid."""
    cpu = resource.RLIMIT_CPU
    return {
        "prlimit": _errno(resource.prlimit, pid, cpu, tuple(now["cpu"])),
        "prlimit_read": _errno(resource.prlimit, pid, cpu),
        "setpriority": _errno(os.setpriority, os.PRIO_PROCESS, pid, now["nice"]),
        "setpriority_user": _errno(os.setpriority, os.PRIO_USER, NOBODY_HAS_THIS_UID, 19),
        "setpriority_pgrp": _errno(os.setpriority, os.PRIO_PGRP, 0, os.getpriority(os.PRIO_PGRP, 0)),
        "sched_setaffinity": _errno(os.sched_setaffinity, pid, set(now["affinity"])),
        "sched_setscheduler": _errno(os.sched_setscheduler, pid, now["policy"], os.sched_param(now["priority"])),
        "sched_setparam": _errno(os.sched_setparam, pid, os.sched_param(now["priority"])),
        "sched_setattr": _errno(_syscall, "sched_setattr", pid, 0, 0),  # NULL attr: EFAULT if allowed
        "ioprio_set": _errno(_syscall, "ioprio_set", 1, pid, 7 << 13),  # class 7: EINVAL if allowed
        "kill": _errno(os.kill, pid, 0),
        "kill_all": _errno(os.kill, -1, 0),
        "killpg": _errno(os.kill, -pid, 0),
        "tgkill": _errno(_syscall, "tgkill", pid, pid, 0),
        "tkill": _errno(_syscall, "tkill", pid, 0),
        "rt_sigqueueinfo": _errno(_syscall, "rt_sigqueueinfo", pid, 0, 0),  # NULL info: EFAULT
        "pidfd_open": _errno(_syscall, "pidfd_open", pid, 0),
    }

def touch_self():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft - 1, hard))
    os.sched_setaffinity(0, os.sched_getaffinity(0))
    os.kill(os.getpid(), 0)
    done = []
    workers = [threading.Thread(target=done.append, args=(i,)) for i in range(8)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return {"nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0], "threads": len(done)}

def write_proc():
    """Open for writing, write nothing: a read-only /proc refuses at open (EROFS)."""
    out = {}
    for path in ("/proc/self/oom_score_adj", "/proc/sys/vm/drop_caches", "/proc/sys/kernel/core_pattern"):
        try:
            os.close(os.open(path, os.O_WRONLY))
            out[path] = 0
        except OSError as exc:
            out[path] = exc.errno
    return out

def scan_memory(needles):
    """Search every writable mapping of this process (heap, arenas, data) for each needle, as an
    attacker would. A needle comes in two halves, matched as a lookahead, so that the search never
    holds the needle itself in memory (it would find its own copy)."""
    import re
    patterns = [re.compile(re.escape(a.encode()) + b"(?=" + re.escape(b.encode()) + b")") for a, b in needles]
    found = [False] * len(needles)
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("rw"):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                chunk = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            for index, pattern in enumerate(patterns):
                if not found[index] and pattern.search(chunk):
                    found[index] = True
    return found

def fill_disk(total_mb, file_mb, give_up_mb):
    """Write total_mb into the job folder, file_mb per file (each under the per-file cap); stop
    at give_up_mb all the same (a regressed jail must not fill the test machine's disk)."""
    written, block = 0, b"x" * (1 << 20)
    for index in range(total_mb // file_mb):
        try:
            with open(f"fill-{index}.bin", "wb") as handle:
                for _ in range(file_mb):
                    handle.write(block)
                    written += len(block)
                    if written > give_up_mb << 20:
                        return {"written": written, "errno": 0}
        except OSError as exc:
            return {"written": written, "errno": exc.errno}
    return {"written": written, "errno": 0}

def start_threads(count):
    release, started = threading.Event(), []
    try:
        for _ in range(count):
            thread = threading.Thread(target=release.wait, daemon=True)
            thread.start()
            started.append(thread)
    except RuntimeError as exc:
        return {"started": len(started), "error": str(exc)}
    finally:
        release.set()
        for thread in started:
            thread.join()
    return {"started": len(started), "error": ""}

def memory_files():
    """RAM outside RLIMIT_AS and outside the job folder: memfds, SysV shared memory."""
    out = {"memfd": _errno(os.memfd_create, "x")}
    libc = ctypes.CDLL(None, use_errno=True)
    out["shmget"] = 0 if libc.shmget(0, 1 << 20, 0o1600) >= 0 else ctypes.get_errno()
    return out

def where():
    return os.getcwd()

def write(name, text):
    with open(name, "w") as handle:
        handle.write(text)
    return os.path.abspath(name)
'''


def open_session(jail, folder, **limits):
    hidden = tuple(str(PROJECT / d) for d in ("assignments", "submissions", "tests"))
    return Session(jail, JobSpec(submission_dir=str(folder), limits=Limits(**limits), hidden_paths=hidden))


@pytest.fixture
def hostile(jail, make_submission):
    session = open_session(jail, make_submission({"hostile.py": HOSTILE}), call_timeout=20)
    yield session.module("hostile")
    session.close()


def _layers(session_module) -> str:
    return " ".join(session_module._session.worker().confinement["applied"])


# -- item 1: no process but its own --------------------------------------------------------------


def test_the_worker_is_alone_in_its_pid_namespace(hostile, jail):
    me = hostile.identity()
    assert me["pid"] == 1 and me["ppid"] == 0
    assert hostile.processes() == [1]  # /proc lists the worker only
    for outside in (os.getpid(), jail.process.pid, 2):
        with pytest.raises(StudentError) as info:
            hostile.read(f"/proc/{outside}/cmdline")  # the batch's paths, the scorer's arguments
        assert info.value.type_name == "FileNotFoundError"
    assert "pid namespace" in _layers(hostile)


def test_the_worker_runs_as_an_unprivileged_uid_of_its_own(hostile):
    me = hostile.identity()
    assert me["uid"] != 0 and me["euid"] != 0 and me["groups"] == []
    assert int(me["cap_eff"], 16) == 0 and int(me["cap_prm"], 16) == 0
    if os.geteuid() == 0:
        assert sandbox.WORKER_UID_BASE <= me["uid"] < sandbox.WORKER_UID_BASE + sandbox.WORKER_UID_SPAN


def now(pid: int) -> dict:
    """What `touch_outside` writes back: the target's current values (so that nothing changes)."""
    try:
        return {"cpu": list(resource.prlimit(pid, resource.RLIMIT_CPU)),
                "nice": os.getpriority(os.PRIO_PROCESS, pid), "affinity": sorted(os.sched_getaffinity(pid)),
                "policy": os.sched_getscheduler(pid), "priority": os.sched_getparam(pid).sched_priority}
    except OSError:  # no such process here (pid 2 in a container): values nothing would take
        return {"cpu": [resource.RLIM_INFINITY] * 2, "nice": 0, "affinity": [0], "policy": 0, "priority": 0}


def test_no_process_outside_the_worker_can_be_touched(hostile, jail):
    """prlimit / setpriority / sched_set* / ioprio_set / kill on the scorer, the zygote, pytest."""
    before = {kind: resource.getrlimit(kind) for kind in (resource.RLIMIT_CPU, resource.RLIMIT_NOFILE,
                                                           resource.RLIMIT_AS)}
    nice, affinity, policy = os.getpriority(os.PRIO_PROCESS, 0), os.sched_getaffinity(0), os.sched_getscheduler(0)
    zygote = jail.process.pid
    zygote_before = (os.getpriority(os.PRIO_PROCESS, zygote), resource.prlimit(zygote, resource.RLIMIT_CPU),
                     resource.prlimit(zygote, resource.RLIMIT_AS), os.sched_getaffinity(zygote))
    for outside in (os.getpid(), zygote, os.getppid(), 2):
        result = hostile.touch_outside(outside, now(outside))
        # Every call refused; EPERM (seccomp, before any pid lookup) except reading a limit, which
        # is harmless and finds no such process (the pid namespace).
        refused = {name: code for name, code in result.items() if name != "prlimit_read"}
        assert all(code == errno.EPERM for code in refused.values()), (outside, result)
        assert result["prlimit_read"] in (errno.ESRCH, errno.EPERM), result
    assert {kind: resource.getrlimit(kind) for kind in before} == before
    assert os.getpriority(os.PRIO_PROCESS, 0) == nice
    assert os.sched_getaffinity(0) == affinity and os.sched_getscheduler(0) == policy
    assert (os.getpriority(os.PRIO_PROCESS, zygote), resource.prlimit(zygote, resource.RLIMIT_CPU),
            resource.prlimit(zygote, resource.RLIMIT_AS), os.sched_getaffinity(zygote)) == zygote_before
    assert jail.process.poll() is None


def test_what_a_worker_does_to_itself_still_works(hostile):
    assert hostile.touch_self()["threads"] == 8


def test_proc_is_fresh_and_read_only(hostile):
    result = hostile.write_proc()
    assert all(code in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT) for code in result.values()), result


# -- item 5: its own job folder only; the allowlist is explicit ----------------------------------


def test_a_worker_sees_no_other_job_folder_nor_the_jail_folder(jail, make_submission, tmp_path):
    first = open_session(jail, make_submission({"hostile.py": HOSTILE}))
    try:
        secret = first.module("hostile").write("answers.py", "SECRET = 42\n")
        other_dir = tmp_path / "other"
        other_dir.mkdir()
        (other_dir / "hostile.py").write_text(HOSTILE)
        second = open_session(jail, other_dir)
        try:
            attacker = second.module("hostile")
            own_job = os.path.dirname(attacker.where())
            jobs_root = os.path.dirname(own_job)
            probes = [secret, os.path.dirname(secret), jail.socket_dir, jobs_root,
                      os.path.join(jail.socket_dir, "zygote.sock"), str(PROJECT / "README.md"),
                      str(PROJECT / "assignments"), str(tmp_path)]
            result = attacker.errors_of(probes)
            assert all(code in (errno.ENOENT, errno.EACCES, errno.EPERM) for code in result.values()), result
            assert attacker.errors_of([sandbox.__file__, os.path.dirname(os.__file__)]) == {
                sandbox.__file__: 0, os.path.dirname(os.__file__): 0}
            assert attacker.read(os.path.join(attacker.where(), "hostile.py")).startswith("\nimport ctypes")
        finally:
            second.close()
    finally:
        first.close()


def test_the_read_only_allowlist_never_comes_from_sys_path(tmp_path, monkeypatch):
    planted = tmp_path / "on-sys-path"
    planted.mkdir()
    monkeypatch.syspath_prepend(str(planted))
    monkeypatch.setenv("PYTHONPATH", str(planted))
    allowed = sandbox.read_only_paths()
    assert not any(sandbox._contains(p, str(planted)) for p in allowed), allowed
    assert not any(sandbox._contains(p, str(PROJECT / "assignments")) for p in allowed), allowed
    assert os.path.realpath(str(PROJECT / "grader")) in allowed  # the grader package, not the project
    assert os.path.realpath(os.path.dirname(os.__file__)) in allowed  # the stdlib
    assert any(p.endswith("site-packages") for p in allowed)


# -- item 6: no environment of the grader, no command line of others ------------------------------


def test_proc_environ_holds_only_the_zygotes_minimal_environment(hostile):
    block = hostile.read("/proc/self/environ")
    keys = {entry.split("=", 1)[0] for entry in block.split("\0") if entry}
    assert keys <= {"PATH", "LANG", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONNOUSERSITE", "PYTHONHASHSEED",
                    "GLIBC_TUNABLES"}, keys
    for key, value in os.environ.items():
        if key not in keys and len(value) > 3:
            assert f"{key}={value}" not in block


@pytest.fixture(scope="module")
def canary_jail():
    """A zygote started while the grader's environment holds a secret, with the scorers' template
    it forks given that environment (grader.jail.beside)."""
    secret = f"canary-{uuid.uuid4().hex}"
    os.environ["GRADER_TEST_SECRET_TOKEN"] = secret
    try:
        with Jail.launch(preload=[], beside=True) as running:
            pool = ScorerPool(running, 1)
            try:
                pool.proc(0)   # the template is born, and holds the secret
                running.wait_ready()
                yield running, secret
            finally:
                pool.close()
    finally:
        os.environ.pop("GRADER_TEST_SECRET_TOKEN", None)


def test_the_graders_secrets_never_reach_a_worker(canary_jail, make_submission):
    jail, secret = canary_jail
    session = open_session(jail, make_submission({"hostile.py": HOSTILE}))
    try:
        attacker = session.module("hostile")
        assert secret not in attacker.read("/proc/self/environ")
        assert secret not in attacker.read("/proc/1/environ")
        assert attacker.scan_memory([[secret[:12], secret[12:]]]) == [False]
    finally:
        session.close()


# -- item 7: the zygote's memory holds no earlier request -----------------------------------------


def test_no_worker_finds_an_earlier_request_in_its_memory(canary_jail, tmp_path):
    jail, _ = canary_jail
    earlier_marker, later_marker = f"student-{uuid.uuid4().hex}", f"student-{uuid.uuid4().hex}"
    code_marker = f"code-{uuid.uuid4().hex}"
    earlier_dir, later_dir = tmp_path / earlier_marker, tmp_path / later_marker
    earlier_dir.mkdir()
    later_dir.mkdir()
    (earlier_dir / "hostile.py").write_text(HOSTILE + f"\nMARK = {code_marker!r}\n")
    (later_dir / "hostile.py").write_text(HOSTILE)
    earlier = open_session(jail, earlier_dir)
    try:
        assert earlier.module("hostile").identity()["pid"] == 1  # its request served, it is alive
        later = open_session(jail, later_dir)
        try:
            halves = [[m[:12], m[12:]] for m in (later_marker, earlier_marker, code_marker)]
            own, earlier_path, earlier_code = later.module("hostile").scan_memory(halves)
        finally:
            later.close()
        assert own, "the scan must find the worker's own request"
        assert not earlier_path and not earlier_code
    finally:
        earlier.close()


# -- item 12: disk and threads bounded ------------------------------------------------------------


def test_the_job_folder_disk_is_bounded(jail, make_submission):
    limits = Limits()
    session = open_session(jail, make_submission({"hostile.py": HOSTILE}), call_timeout=60)
    try:
        attacker = session.module("hostile")
        result = attacker.fill_disk(4096, limits.file_size_bytes // 2**20 - 1,  # 4 GB, under the file cap
                                    limits.disk_bytes // 2**20 + 64)
        assert result["errno"] == errno.ENOSPC, result
        assert limits.disk_bytes // 2 < result["written"] <= limits.disk_bytes
        assert "tmpfs" in _layers(attacker)
        jobs = Path(jail.socket_dir) / "jobs"
        assert sum(f.stat().st_size for f in jobs.rglob("*") if f.is_file()) < 1024**2  # not on the host
    finally:
        session.close()


def test_memory_outside_the_address_space_limit_is_refused(hostile):
    assert hostile.memory_files() == {"memfd": errno.EPERM, "shmget": errno.EPERM}


def test_threads_are_bounded(hostile):
    result = hostile.start_threads(6000)
    assert result["started"] < Limits().processes and "can't start new thread" in result["error"], result
    assert hostile.touch_self()["threads"] == 8  # the threads ended: the worker works again


# -- the scorer still controls its worker ---------------------------------------------------------


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def test_the_scorer_kills_its_worker_by_pidfd_and_the_zygote_reaps_it(jail, make_submission):
    session = open_session(jail, make_submission({"hostile.py": HOSTILE}))
    worker = session.worker()
    assert worker.pidfd is not None and _state(worker.pid) is not None
    assert session.module("hostile").identity()["pid"] == 1
    pid = worker.pid
    session.close()
    deadline = time.monotonic() + 5
    while _state(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _state(pid) is None  # killed, and reaped (a zombie would still be listed)


# -- the fallback where the kernel refuses namespaces ---------------------------------------------

FALLBACK = '''
import errno, json, os, sys
import pyseccomp
flt = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
flt.add_rule(pyseccomp.ERRNO(errno.EPERM), "unshare")   # no namespace of any kind, for us and children
flt.load()
sys.path.insert(0, sys.argv[1])
from grader.jail.session import Jail, JobSpec, Session
from grader.jail.sandbox import Limits
import resource
def now(pid):
    return {"cpu": list(resource.prlimit(pid, resource.RLIMIT_CPU)),
            "nice": os.getpriority(os.PRIO_PROCESS, pid), "affinity": sorted(os.sched_getaffinity(pid)),
            "policy": os.sched_getscheduler(pid), "priority": os.sched_getparam(pid).sched_priority}
os.environ["GRADER_TEST_SECRET_TOKEN"] = "fallback-canary"
with Jail.start() as jail:
    session = Session(jail, JobSpec(submission_dir=sys.argv[2], limits=Limits(),
                                    hidden_paths=(sys.argv[3],)))
    evil = session.module("hostile")
    out = {"confinement": session.worker().confinement, "identity": evil.identity(),
           "outside": evil.touch_outside(os.getpid(), now(os.getpid())),
           "zygote": evil.touch_outside(jail.process.pid, now(jail.process.pid)),
           "paths": evil.errors_of([sys.argv[3], os.path.join(jail.socket_dir, "zygote.sock")]),
           "environ": "fallback-canary" in evil.read("/proc/self/environ")}
    session.close()
print(json.dumps(out))
'''


def test_without_namespaces_seccomp_and_landlock_still_hold(make_submission):
    folder = make_submission({"hostile.py": HOSTILE})
    hidden = PROJECT / "assignments"
    run = subprocess.run([sys.executable, "-c", FALLBACK, str(PROJECT), str(folder), str(hidden)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    skipped = " ".join(out["confinement"]["skipped"])
    assert "pid namespace" in skipped and "disk quota" in skipped  # said, never silent
    assert "seccomp" in " ".join(out["confinement"]["applied"])
    assert out["identity"]["pid"] != 1
    for result in (out["outside"], out["zygote"]):
        refused = {k: v for k, v in result.items() if k != "prlimit_read"}
        assert all(code == errno.EPERM for code in refused.values()), result
    assert all(code in (errno.EACCES, errno.EPERM, errno.ENOENT) for code in out["paths"].values())
    assert not out["environ"]


def test_a_worker_that_cannot_set_itself_up_is_a_harness_error_not_the_students(jail, tmp_path):
    from grader.errors import HarnessError

    session = open_session(jail, tmp_path / "no-such-submission")
    with pytest.raises(HarnessError, match="could not set itself up"):
        session.worker()
    session.close()


WORKLOAD = '''
import importlib, os, pickle, tempfile

def run():
    # Modules nobody preloads: read from the stdlib and site-packages under the worker's own uid.
    for name in ("decimal", "fractions", "statistics", "csv", "xml.dom.minidom", "zoneinfo", "sqlite3",
                 "numpy.linalg", "numpy.fft", "torch.distributions", "torch.nn.functional",
                 "torch.optim.lr_scheduler", "matplotlib.animation"):
        importlib.import_module(name)
    import numpy as np, torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(64, 4), torch.randn(64, 1)
    for _ in range(20):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    import matplotlib.pyplot as plt
    plt.plot([1, 2, 3])
    plt.savefig("figure.png")
    with open("weights.pkl", "wb") as handle:
        pickle.dump({k: v.numpy() for k, v in model.state_dict().items()}, handle)
    with tempfile.NamedTemporaryFile(suffix=".npy") as handle:  # TMPDIR is the job folder
        np.save(handle.name, np.arange(3))
    return {"loss": float(loss), "files": sorted(os.listdir(".")), "tmp": tempfile.gettempdir(), "cwd": os.getcwd(),
            "det": float(np.linalg.det(np.eye(3))), "threads": torch.get_num_threads()}
'''


def test_a_typical_student_workload_runs_under_every_layer(jail, make_submission):
    session = open_session(jail, make_submission({"workload.py": WORKLOAD}), call_timeout=60)
    try:
        result = session.module("workload").run()
    finally:
        session.close()
    assert {"figure.png", "weights.pkl", "workload.py"} <= set(result["files"])
    assert result["det"] == 1.0 and result["threads"] == 1 and result["loss"] < 10
    assert result["tmp"] == os.path.dirname(result["cwd"])  # TMPDIR: the job folder, on its tmpfs
