"""The scorer's side of the jail: start the zygote, open workers, call student code through proxies.

    with Jail.start() as jail:
        session = Session(jail, JobSpec(submission_dir=...))
        Yhat, outputs = session.module("tp_nn").forward(params, X)     # runs in the worker
        session.close()

`Session.request(op, **fields)` is the one way to the worker (its operations are the table
`grader.jail.worker.OPERATIONS`); the proxies (`StudentModule`, `RemoteCallable`, `RemoteObject`)
only build requests. A call that overruns its time limit kills the worker and raises
`StudentTimeout`; within one test, later calls fail at once with the same error, so that
Hypothesis does not wait for the limit again on every example it tries. A worker that dies raises
`WorkerDied`. An exception in student code raises `StudentError` with the student's own frames.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import types
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterator

from grader.errors import BudgetExhausted, HarnessError, StudentError, StudentTimeout, WorkerDied
from grader.jail import protocol
from grader.jail.beside import Beside
from grader.jail.protocol import HandleInfo
from grader.jail.sandbox import Limits
from grader.jail.zygote import LATER, SOCKET_NAME

ZYGOTE_START_SECONDS = 120.0

__student_facing__ = True  # exceptions raised here are about a student's value (harness.feedback)


# What the zygote imports, beyond numpy and torch, for a batch whose files import the package:
# pyplot costs a third of torch's import, and the worker makes plt.show and plt.pause no-ops (a
# pause would sleep) only where pyplot is loaded before the student's code runs.
PRELOAD_WHEN_IMPORTED = {"matplotlib": "matplotlib.pyplot"}


def preload_for_imports(packages: set[str]) -> list[str]:
    """The modules the zygote preloads for a batch whose files import `packages`."""
    return [module for package, module in PRELOAD_WHEN_IMPORTED.items() if package in packages]


@dataclass(frozen=True)
class JobSpec:
    """What a worker needs: where the prepared submission is, the limits, the seed."""

    submission_dir: str
    limits: Limits = field(default_factory=Limits)
    hidden_paths: tuple[str, ...] = ()
    seed: int = 0


class Jail:
    """A running zygote. One per grading run (or per `grader check`)."""

    def __init__(self, process: subprocess.Popen, socket_dir: str) -> None:
        self.process = process
        self.socket_dir = socket_dir
        self._conn: socket.socket | None = None
        self.spawn_seconds = 0.0  # spent starting workers, until each said hello (for the benchmark)
        self._prefetched: dict[JobSpec, WorkerConnection] = {}
        self._preload_pending = False   # launched with preload=None, and told nothing yet
        self._beside: Beside | None = None

    @classmethod
    def start(cls, preload: list[str] = (), timeout: float = 120.0) -> "Jail":
        jail = cls.launch(preload)
        jail.wait_ready(timeout)
        return jail

    @classmethod
    def launch(cls, preload: list[str] | None = (), beside: bool = False) -> "Jail":
        """Start the zygote and return at once: the caller starts its scorers while the zygote
        imports torch. With `preload=None` the zygote is started before the submissions are read:
        it imports numpy and torch, then waits for `preload(...)` to say what else the submissions
        need. With `beside`, the zygote forks one process of the grader's once those are imported
        (`take_beside`): the scorers' template, which then imports none of them again."""
        socket_dir = tempfile.mkdtemp(prefix="grader-jail-")
        os.chmod(socket_dir, 0o700)
        # The zygote's environment is built from nothing, never copied from ours: its environment
        # block is what every forked worker shows in /proc/self/environ (os.environ.clear() in
        # the worker does not erase that block), so it must hold nothing of the grader's.
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            # malloc's heap (torch's C++ state: most of the zygote's 170 MB) on transparent huge
            # pages where the kernel offers them: a fork copies one page-table entry per 2 MB
            # instead of 512, an exit drops as few (measured: fork and exit 14.9 -> 8.4 ms).
            "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
            "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        }
        argv = [sys.executable, "-m", "grader.jail.zygote", socket_dir,
                LATER if preload is None else json.dumps(list(preload))]
        ours = theirs = None
        if beside:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            argv.append(str(theirs.fileno()))
        process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=socket_dir, env=env,
            start_new_session=True, pass_fds=[theirs.fileno()] if theirs else (),
        )
        if theirs is not None:
            theirs.close()
        jail = cls(process, socket_dir)
        jail._preload_pending = preload is None
        jail._beside = Beside(ours) if ours is not None else None
        return jail

    def take_beside(self) -> Beside | None:
        """The process the zygote forks once it has imported its preloads (`launch(beside=True)`),
        to run once (`Beside.run`); None when there is none, or it was taken."""
        beside, self._beside = self._beside, None
        return beside

    def preload(self, modules: list[str]) -> None:
        """What the zygote of `launch(preload=None)` imports beyond numpy and torch (once)."""
        self._preload_pending = False
        try:
            self.process.stdin.write(json.dumps(list(modules)).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            pass  # the zygote is gone: wait_ready says so

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if self.process.stdout.readline().strip() == b"ready":
                return
        self.process.kill()
        raise HarnessError(f"the worker zygote did not start (exit code {self.process.poll()})")

    @classmethod
    def attach(cls, socket_dir: str) -> "Jail":
        """Use a zygote started by another process (a scorer in the grading pool)."""
        return cls(None, socket_dir)  # type: ignore[arg-type]

    def _zygote(self) -> socket.socket:
        if self._conn is None:
            # A scorer of the pool may get here while the zygote is still importing torch: its
            # socket appears when it is ready.
            path = os.path.join(self.socket_dir, SOCKET_NAME)
            deadline = time.monotonic() + ZYGOTE_START_SECONDS
            while not os.path.exists(path) and time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    raise HarnessError(f"the worker zygote did not start (exit code {self.process.poll()})")
                time.sleep(0.01)
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                conn.connect(path)
            except OSError as exc:
                conn.close()
                raise HarnessError(f"the worker zygote is not there: {exc}") from None
            self._conn = conn
        return self._conn

    def spawn(self, job: JobSpec) -> "WorkerConnection":
        """A worker for `job`, confined and greeted: the one `prefetch` started, or a new one."""
        started = time.perf_counter()
        try:
            worker = self._prefetched.pop(job, None)
            if worker is None or not worker.alive:
                worker = self._fork(job)
            worker.greet()
            return worker
        finally:
            self.spawn_seconds += time.perf_counter() - started

    def prefetch(self, job: JobSpec) -> None:
        """Have the zygote fork the next test's worker now: it prepares and confines itself while
        this test runs (on another core), and `spawn(job)` takes it. Worth it when a scorer has a
        core to spare (one student, `grader check`); the worker runs no student code until asked.
        At most two wait (this test's, if its setup has not taken it yet, and the next one's)."""
        started = time.perf_counter()
        try:
            if job not in self._prefetched:
                self._prefetched[job] = self._fork(job)
                while len(self._prefetched) > 2:  # the oldest was for a test that did not come
                    self.discard_prefetched(next(iter(self._prefetched)))
        except HarnessError:
            pass  # spawn() meets the same trouble again, and reports it
        finally:
            self.spawn_seconds += time.perf_counter() - started

    def discard_prefetched(self, *jobs: JobSpec) -> None:
        """Kill the prefetched workers (those of `jobs`, or all): a run that ends leaves none."""
        for job in jobs or list(self._prefetched):
            worker = self._prefetched.pop(job)
            # Killed only once it has read its request off our zygote socket (its hello says so):
            # the zygote takes a worker that dies before that as a hang-up, and closes the socket.
            try:
                worker.greet()
            except (HarnessError, WorkerDied, StudentTimeout):
                pass
            worker.kill()

    def _fork(self, job: JobSpec) -> "WorkerConnection":
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        request = {"submission_dir": job.submission_dir, "limits": asdict(job.limits),
                   "hidden_paths": list(job.hidden_paths), "seed": job.seed}
        zygote = self._zygote()
        try:
            socket.send_fds(zygote, [json.dumps(request).encode()], [theirs.fileno()])
            reply, fds, _, _ = socket.recv_fds(zygote, 1 << 16, 1)
        except OSError as exc:
            raise HarnessError(f"the worker zygote is gone: {exc}") from None
        finally:
            theirs.close()
        answer = json.loads(reply or b"{}")
        if "pid" not in answer:
            for fd in fds:
                os.close(fd)
            raise HarnessError(f"the zygote could not start a worker: {answer.get('error')}")
        return WorkerConnection(ours, answer["pid"], fds[0] if fds else None, job.limits, greet=False)

    def probe(self, limits: Limits = Limits()) -> dict:
        """Start one worker on an empty folder: which confinement layers this machine applies."""
        empty = tempfile.mkdtemp(prefix="grader-probe-")
        try:
            worker = self.spawn(JobSpec(submission_dir=empty, limits=limits))
            worker.kill()
            return dict(worker.confinement)
        finally:
            shutil.rmtree(empty, ignore_errors=True)

    def close(self) -> None:
        self.discard_prefetched()
        if self._beside is not None:   # never taken: it ends as it is born
            self._beside.kill()
            self._beside = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self.process is not None:
            if self._preload_pending:   # never needed (nothing to grade): not waited for
                self.process.kill()
            try:
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def __enter__(self) -> "Jail":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class WorkerConnection:
    """One live worker process: request / reply with deadlines; kill on overrun."""

    def __init__(self, sock: socket.socket, pid: int, pidfd: int | None, limits: Limits,
                 greet: bool = True) -> None:
        self.sock = sock
        self.pid = pid
        self.pidfd = pidfd
        self.limits = limits
        self.seq = 0
        self.alive = True
        self.confinement: dict = {}
        if greet:
            self.greet()

    def greet(self) -> None:
        """Wait for the worker's hello: it is confined and serving. Once; then a no-op."""
        if self.confinement:
            return
        hello = self._receive(0, time.monotonic() + 60)
        if not isinstance(hello, dict) or not all(
                isinstance(hello.get(key), list) and all(isinstance(item, str) for item in hello[key])
                for key in ("applied", "skipped")):
            self.kill()
            raise WorkerDied("the worker sent an invalid greeting")
        # Which confinement layers the worker applied / skipped (strings cleaned by recv_frame).
        self.confinement: dict = {"applied": list(hello["applied"]), "skipped": list(hello["skipped"])}

    def request(self, message: dict, timeout: float | None = None) -> Any:
        if not self.alive:
            raise WorkerDied("the worker is no longer running")
        self.seq += 1
        message["seq"] = self.seq
        limit = self.limits.call_timeout if timeout is None else timeout
        try:
            protocol.send_frame(self.sock, message)
        except OSError:
            self.kill()
            raise WorkerDied("your code ended the worker process (os._exit, a crash, or a signal)") from None
        return self._receive(self.seq, time.monotonic() + limit, limit)

    def _receive(self, seq: int, deadline: float, limit: float = 60.0) -> Any:
        try:
            reply = protocol.recv_frame(self.sock, deadline=deadline)
        except TimeoutError:
            self.kill()
            raise StudentTimeout(limit) from None
        except (EOFError, OSError):
            self.kill()
            raise WorkerDied("your code ended the worker process (os._exit, a crash, or a signal)") from None
        except protocol.ProtocolError as exc:
            self.kill()
            raise WorkerDied(f"the worker sent an invalid reply ({exc})") from None
        if type(reply.get("seq")) is not int or reply["seq"] != seq:
            self.kill()
            raise WorkerDied("the worker sent a reply out of turn")
        if seq == 0 and "setup_error" in reply:  # sent before any student code runs: ours
            self.kill()
            raise HarnessError(f"the worker could not set itself up: {str(reply['setup_error'])[:2000]}")
        if "error" in reply and isinstance(reply["error"], dict):
            raise StudentError.from_wire(reply["error"])
        if "ok" not in reply:
            self.kill()
            raise WorkerDied("the worker sent an invalid reply")
        return reply["ok"]

    def kill(self) -> None:
        if not self.alive:
            return
        self.alive = False
        try:
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass
        self.close()

    def close(self) -> None:
        self.alive = False
        try:
            self.sock.close()
        except OSError:
            pass
        if self.pidfd is not None:
            try:
                if hasattr(signal, "pidfd_send_signal"):
                    signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except OSError:
                pass
            os.close(self.pidfd)
            self.pidfd = None


class Budget:
    """Seconds of student code a scope may use (one test, or the whole submission): every request
    is charged the time spent waiting for the worker; the grader's own work is not counted."""

    def __init__(self, scope: str, seconds: float, parent: "Budget | None" = None) -> None:
        self.scope = scope
        self.seconds = float(seconds)
        self.spent = 0.0
        self.parent = parent

    def remaining(self) -> float:
        own = self.seconds - self.spent
        return own if self.parent is None else min(own, self.parent.remaining())

    def charge(self, seconds: float) -> None:
        self.spent += seconds
        if self.parent is not None:
            self.parent.charge(seconds)

    def exhausted(self) -> BudgetExhausted | None:
        if self.parent is not None and self.parent.exhausted() is not None:
            return self.parent.exhausted()
        return BudgetExhausted(self.scope, self.seconds) if self.spent >= self.seconds else None


class Session:
    """The student's code for one test: a worker started on first use, replaced after a crash.

    Every operation is one `request`; the proxies below only build requests and decode replies.
    With a `budget`, once it is spent every later request fails at once (BudgetExhausted): a failing
    test stops shrinking, and the submission's other tests say why they were not run.
    """

    def __init__(self, jail: Jail, job: JobSpec, budget: Budget | None = None) -> None:
        self.jail = jail
        self.job = job
        self.budget = budget
        self._worker: WorkerConnection | None = None
        self._sticky: BaseException | None = None
        self.workers_started = 0
        self._loaded: list[dict] = []   # the `load` requests answered, in order (`isolated` replays them)

    def worker(self) -> WorkerConnection:
        if self._sticky is not None:
            raise self._sticky
        if self._worker is None or not self._worker.alive:
            self._worker = self.jail.spawn(self.job)
            self.workers_started += 1
        return self._worker

    def request(self, op: str, timeout: float | None = None, **fields: Any) -> Any:
        """Send one operation (see grader.jail.worker.OPERATIONS) and return its decoded reply."""
        if self.budget is not None:
            spent = self.budget.exhausted()
            if spent is not None:
                self._sticky = spent
                raise spent
        worker = self.worker()
        started = time.monotonic()
        limit = self.job.limits.call_timeout if timeout is None else timeout
        if self.budget is not None:
            limit = max(0.05, min(limit, self.budget.remaining()))
        try:
            reply = worker.request({"op": op, **fields}, limit)
        except StudentTimeout as exc:
            self._sticky = exc
            if self.budget is not None:
                self.budget.charge(time.monotonic() - started)
                self._sticky = self.budget.exhausted() or exc
            raise self._sticky from None
        finally:
            if self.budget is not None and self._sticky is None:
                self.budget.charge(time.monotonic() - started)
        if op == "load" and fields not in self._loaded:
            self._loaded.append(dict(fields))
        return protocol.decode(reply, make_handle=lambda info: RemoteObject(self, info))

    # -- what tests and drivers use ------------------------------------------------------------

    def module(self, name: str) -> "StudentModule":
        return StudentModule(self, name)

    def call(self, target: dict, args: tuple, kwargs: dict, want: str = "value",
             timeout: float | None = None) -> Any:
        return self.request("call", timeout, target=target, args=protocol.encode(list(args)),
                            kwargs=protocol.encode(dict(kwargs)), want=want)

    def run_driver(self, driver: types.ModuleType, entry: str, *args: Any,
                   timeout: float | None = None, **kwargs: Any) -> Any:
        """Run `driver.entry(code, *args, **kwargs)` in the worker, where `code` gives the student's
        modules, classes and functions (grader.jail.worker.StudentCode). `driver` is a public,
        trusted module of the assignment's support folder; its source is sent, never a pickle."""
        if not isinstance(driver, types.ModuleType):
            raise HarnessError("run_driver takes the driver module itself (import it, pass it)")
        source = _module_source(driver)
        return self.request("run", timeout, source=source, entry=entry, filename=f"<{driver.__name__}>",
                            args=protocol.encode(list(args)), kwargs=protocol.encode(dict(kwargs)))

    def run_script(self, file: str, variables: list[str] = (), inputs: list[str] = (),
                   timeout: float | None = None) -> dict:
        return self.request("script", timeout, file=file, variables=list(variables), inputs=list(inputs))

    def scalars(self) -> list[dict]:
        """Every `SummaryWriter.add_scalar` call of the student's code in this worker so far."""
        return self.request("scalars")

    def grader_context(self) -> "RemoteObject":
        """The grader's own `ctx` (save_for_backward / saved_tensors), in the worker."""
        return self.request("context")

    def classes(self) -> dict:
        """The student's classes intake found: {canonical name: {"name", "module", "stub"}}."""
        return self.request("classes")

    @contextlib.contextmanager
    def isolated(self, seed: int) -> Iterator[None]:
        """Requests made inside go to a fresh worker seeded with `seed`, closed at the end: what
        they compute does not depend on what this session's worker did before. The modules the
        session loaded are loaded there first, in the same order (the question's file is the
        worker's default module)."""
        own_worker, own_job = self._worker, self.job
        self._worker, self.job = None, replace(own_job, seed=seed)
        try:
            for fields in list(self._loaded):
                self.request("load", **fields)
            yield
        finally:
            if self._worker is not None:
                self._worker.kill()
            self._worker, self.job = own_worker, own_job

    def close(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker = None


_SOURCES: dict[str, str] = {}


def _module_source(module: types.ModuleType) -> str:
    key = getattr(module, "__file__", None) or module.__name__
    if key not in _SOURCES:
        _SOURCES[key] = inspect.getsource(module)
    return _SOURCES[key]


class StudentModule:
    """`student.forward(...)`: attribute access names a function of the student's module."""

    def __init__(self, session: Session, name: str) -> None:
        self._session = session
        self._name = name
        self._names: dict | None = None

    def describe(self) -> dict:
        """The module's functions and classes: {name: {kind, signature, line, stub}}."""
        if self._names is None:
            self._names = self._session.request("load", module=self._name)["names"]
        return self._names

    def __getattr__(self, name: str) -> "RemoteCallable":
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteCallable(self._session, {"module": self._name, "path": [name]}, name)


class RemoteCallable:
    def __init__(self, session: Session, target: dict, name: str, timeout: float | None = None) -> None:
        self._session = session
        self._target = target
        self._timeout = timeout
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self._target, args, kwargs, timeout=self._timeout)

    def observe(self, *args: Any, **kwargs: Any) -> tuple[Any, list]:
        """Call, and return (result, the positional arguments as they are after the call)."""
        reply = self._session.call(self._target, args, kwargs, want="observe", timeout=self._timeout)
        return reply["result"], list(reply["args"])

    def remote(self, *args: Any, **kwargs: Any) -> "RemoteObject":
        """Call, and keep the result in the worker (to inspect requires_grad, is_leaf, grad...)."""
        return self._session.call(self._target, args, kwargs, want="handle", timeout=self._timeout)

    def with_timeout(self, timeout: float) -> "RemoteCallable":
        return RemoteCallable(self._session, self._target, self.__name__, timeout)


class RemoteObject:
    """An object that lives in the worker (an nn.Module, an optimizer, a student's class)."""

    def __init__(self, session: Session, info: HandleInfo) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_info", info)
        object.__setattr__(self, "_grader_handle_id", info.id)

    @property
    def remote_type(self) -> str:
        return self._info.type

    def _target(self, *path: str) -> dict:
        return {"handle": self._info.id, "path": list(path)}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._session.request("get", target=self._target(name))

    def __setattr__(self, name: str, value: Any) -> None:
        self._session.request("setattr", target=self._target(), name=name, value=protocol.encode(value))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self._target(), args, kwargs)

    def new(self, *args: Any, **kwargs: Any) -> "RemoteObject":
        """Call and keep the result in the worker: an instance, when this is a class."""
        return self._session.call(self._target(), args, kwargs, want="handle")

    def __getitem__(self, key: Any) -> Any:
        return self._session.request("getitem", target=self._target(), key=protocol.encode(key))

    def __iter__(self):
        return iter(self._session.request("list", target=self._target()))

    def fetch(self) -> Any:
        """The object itself if it is plain data (tensors, dicts of tensors...)."""
        return self._session.request("get", target=self._target())

    def arrays(self, values: bool = False) -> list[dict]:
        """Every array or tensor the object holds: [{"path", "shape", "dtype"(, "value")}]
        (see grader.checks.parameters.find_parameters)."""
        return self._session.request("parameters", target=self._target(), values=values)

    def assign(self, path: list, value: Any) -> None:
        self._session.request("assign", target=self._target(), path=path, value=protocol.encode(value))

    def __repr__(self) -> str:
        return f"<remote {self._info.type}: {self._info.repr[:200]}>"
