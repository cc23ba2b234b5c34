"""The zygote: one process that imports torch once and forks a fresh worker per request.

Started by the grader as `python -m grader.jail.zygote SOCKET_DIR PRELOAD [BESIDE_FD]`. With
BESIDE_FD, one trusted program of the grader's is forked as soon as torch and PRELOAD are
imported, to share those imports (grader.jail.beside). Scorers connect to
`SOCKET_DIR/zygote.sock` and send a spawn request with one end of a socketpair attached
(SCM_RIGHTS); the answer is the worker's pid and, where Linux offers it, a pidfd the scorer kills
it with.

The zygote never reads a request. When a scorer's socket turns readable it forks the worker
(pid 1 of a new pid namespace, `sandbox.fork_worker`), answers that scorer with the worker's pid
and pidfd, and leaves the socket to the worker until the worker says it has read its request: so
the memory every worker is forked from holds no student's path, code or limits, ever. The worker
reads its own request, prepares its namespaces and job folder (`sandbox.prepare`, still
privileged), confines itself (`sandbox.confine`), says hello on its socket and serves. The zygote
reaps workers and removes their job folders; a worker dies with the zygote (PR_SET_PDEATHSIG).

Fork hazard: a process that has run a multi-threaded torch op cannot fork safely (children hang in
OpenMP). The zygote therefore imports torch but never runs an op, and each worker sets its own
thread count.
"""

from __future__ import annotations

import gc
import json
import os
import secrets
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback

from grader.jail import beside, protocol, sandbox

SOCKET_NAME = "zygote.sock"


def preload(modules: list[str], cache_dir: str) -> list[str]:
    """Import what every worker needs, once. Returns the modules that could not be imported."""
    os.environ["MPLBACKEND"] = "Agg"
    os.environ["MPLCONFIGDIR"] = cache_dir
    missing = []
    for name in modules:
        try:
            __import__(name)
        except Exception:
            missing.append(name)
    return missing


def warm_up_for_workers() -> None:
    """Pay once, here, what each forked worker would pay again: the lazy imports and allocations
    of a first seeding, and the copies that a garbage collection in a worker makes of the pages
    of every object it visits (gc.freeze: the zygote's objects are left out of every collection,
    in the zygote and in its workers). Measured: 12 -> 1.6 ms from confinement to the greeting."""
    from grader.jail.worker import seed_everything

    seed_everything(0)
    gc.collect()
    gc.freeze()
    collapse_into_huge_pages()


HUGE_PAGE = 2 * 1024 * 1024
MADV_COLLAPSE = 25   # Linux 6.1: back a range with transparent huge pages now, not when khugepaged comes
COLLAPSE_SECONDS = 0.05


def collapse_into_huge_pages(seconds: float = COLLAPSE_SECONDS) -> int:
    """Back what is left of the zygote's anonymous memory with huge pages, where the kernel offers
    them (malloc's heap already is: GLIBC_TUNABLES, Jail.launch): a fork copies one page-table
    entry per 2 MB instead of 512, and an exit drops as few. A worker that writes to such a page
    still copies only the 4 kB it writes to. Measured: 17 ms for what malloc left (Python's arenas),
    and fork and exit of a worker 14.3 -> 9.2 ms; without the tunable it would take 330 ms, so it
    stops after `seconds`, off the first student's path. Returns the bytes collapsed."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    deadline = time.monotonic() + seconds
    collapsed = 0
    try:
        with open("/proc/self/maps", encoding="ascii") as handle:
            regions = handle.read().splitlines()
    except OSError:
        return 0
    for line in regions:
        fields = line.split()
        if len(fields) < 5 or fields[1][:2] != "rw" or fields[1][3] != "p" or \
                (len(fields) > 5 and fields[5] != "[heap]"):
            continue   # anonymous, private and writable only: code and files are never copied
        low, high = (int(bound, 16) for bound in fields[0].split("-"))
        for start in range(-(-low // HUGE_PAGE) * HUGE_PAGE, high // HUGE_PAGE * HUGE_PAGE, HUGE_PAGE):
            if time.monotonic() > deadline:
                return collapsed
            if libc.madvise(start, HUGE_PAGE, MADV_COLLAPSE) == 0:
                collapsed += HUGE_PAGE
    return collapsed


def _scrubbed_environment(job_dir: str, cache_dir: str, threads: int) -> dict[str, str]:
    return {
        "HOME": job_dir, "TMPDIR": job_dir, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
        "USER": "student", "LOGNAME": "student",  # the worker's uid has no passwd entry
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": cache_dir, "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _copy_submission(source: str, dest: str, max_bytes: int, owner: int | None = None) -> None:
    total = 0

    def ignore(folder: str, names: list[str]) -> set[str]:
        nonlocal total
        skipped = set()
        for name in names:
            path = os.path.join(folder, name)
            if os.path.islink(path) or name in (".git", "__pycache__", ".ipynb_checkpoints"):
                skipped.add(name)
            elif os.path.isfile(path):
                total += os.path.getsize(path)
                if total > max_bytes:
                    skipped.add(name)
        return skipped

    shutil.copytree(source, dest, ignore=ignore, symlinks=False)
    if owner is not None:  # root copied it: hand it to the worker's uid
        os.chown(dest, owner, owner)
        for folder, dirs, files in os.walk(dest):
            for name in dirs + files:
                os.chown(os.path.join(folder, name), owner, owner, follow_symlinks=False)


def run_worker(client: socket.socket, done_fd: int, job_dir: str, cache_dir: str,
               worker_uid: int) -> None:
    """In the forked worker: read our spawn request from `client` (then tell the zygote through
    `done_fd`), prepare, confine, serve on the socket the request carried. Never returns."""
    status = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            message, fds, _flags, _addr = socket.recv_fds(client, 1 << 20, 4)
        finally:
            os.write(done_fd, b".")  # the zygote may watch this scorer again
            os.close(done_fd)
            client.close()
        if not message or not fds:
            return
        conn = socket.socket(fileno=fds[0])
        keep = conn.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, 1 << 16)
        os.setsid()
        job = json.loads(message)
        serve(conn, job, job_dir, cache_dir, worker_uid)
    except BaseException:  # anything escaping here ends the worker, never the zygote
        status = 70
    finally:
        os._exit(status)


def serve(conn: socket.socket, job: dict, job_dir: str, cache_dir: str, worker_uid: int) -> None:
    from grader.jail.worker import Worker, install_student_environment, redirect_output, seed_everything

    limits = sandbox.Limits(**job.get("limits", {}))
    hidden = [str(p) for p in job.get("hidden_paths", [])]
    source = str(job["submission_dir"])

    def populate(folder: str, owner: int | None) -> None:
        _copy_submission(source, os.path.join(folder, "work"),
                         min(limits.file_size_bytes * 4, limits.disk_bytes), owner)

    work_dir = os.path.join(job_dir, "work")
    try:
        prepared = sandbox.prepare(job_dir, hidden, limits, populate, extra_read_only=[cache_dir],
                                   worker_uid=worker_uid)
        os.chdir(work_dir)
        os.environ.clear()
        os.environ.update(_scrubbed_environment(job_dir, cache_dir, limits.threads))
        redirect_output(os.path.join(job_dir, "output.txt"))
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.set_num_threads(limits.threads)
        confinement = sandbox.confine(prepared, job_dir, hidden, limits, extra_read_only=[cache_dir])
        jail_dir = os.path.dirname(os.path.dirname(job_dir))
        sys.path[:] = [work_dir] + [p for p in sys.path
                                    if p and p != work_dir and not sandbox._contains(jail_dir, p)]
        seed_everything(int(job.get("seed", 0)))
        worker = Worker(conn, work_dir)
        install_student_environment(worker)
    except Exception as exc:
        # No student code has run yet: this is the grader's fault (or the machine's), and the
        # scorer says so (HarnessError) rather than blaming the submission.
        protocol.send_frame(conn, {"seq": 0, "setup_error": f"{type(exc).__name__}: {exc}"[:2000]})
        raise
    protocol.send_frame(conn, {"seq": 0, "ok": {"applied": confinement.applied,
                                                 "skipped": confinement.skipped}})
    worker.serve()


class Zygote:
    def __init__(self, socket_dir: str, jobs_root: str, cache_dir: str) -> None:
        self.socket_dir = socket_dir
        self.jobs_root = jobs_root
        self.cache_dir = cache_dir
        self.children: dict[int, str] = {}  # worker (or its intermediate) pid -> its job folder
        path = os.path.join(socket_dir, SOCKET_NAME)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Bound and listening under another name first: scorers wait for `path` to appear and
        # connect at once (Jail._zygote), so it must never exist before it accepts.
        self.listener.bind(path + ".new")
        os.chmod(path + ".new", 0o600)
        self.listener.listen(64)
        os.rename(path + ".new", path)
        self.clients: list[socket.socket] = []  # connected scorers we wait for a request from
        self.busy: dict[int, socket.socket] = {}  # a new worker's done pipe -> the scorer it reads
        # Root gives each worker its own uid from a range (see sandbox.WORKER_UID_BASE); start at
        # a random place so that two zygotes on one host rarely hand out the same one.
        self.next_uid = secrets.randbelow(sandbox.WORKER_UID_SPAN)

    def _worker_uid(self) -> int:
        uid = sandbox.WORKER_UID_BASE + self.next_uid % sandbox.WORKER_UID_SPAN
        self.next_uid += 1
        return uid

    def spawn(self, client: socket.socket) -> None:
        """Fork a worker that reads `client`'s request itself (the zygote never does); answer
        `client` with the worker's pid and pidfd."""
        job_dir = tempfile.mkdtemp(prefix="job-", dir=self.jobs_root)
        read_end, write_end = os.pipe()
        uid = self._worker_uid()
        try:
            pid, pidfd, reap = sandbox.fork_worker()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            shutil.rmtree(job_dir, ignore_errors=True)
            self.clients.remove(client)  # its request unread: the scorer sees the zygote gone
            client.close()
            return
        if pid == 0:
            os.close(read_end)
            self.listener.close()
            for other in self.clients:
                if other is not client:
                    other.close()
            for fd, other in self.busy.items():
                os.close(fd)
                other.close()
            run_worker(client, write_end, job_dir, self.cache_dir, uid)
        os.close(write_end)
        self.children[reap] = job_dir
        self.clients.remove(client)
        self.busy[read_end] = client
        try:
            socket.send_fds(client, [json.dumps({"pid": pid}).encode()], [pidfd] if pidfd is not None else [])
        except OSError:
            pass  # the scorer went away; the worker finds out on its own
        finally:
            if pidfd is not None:
                os.close(pidfd)

    def reap(self) -> None:
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            job_dir = self.children.pop(pid, None)
            if job_dir:
                shutil.rmtree(job_dir, ignore_errors=True)

    def serve(self) -> None:
        while True:
            watched = [self.listener, sys.stdin, *self.clients, *self.busy]
            ready, _, _ = select.select(watched, [], [], 0.2)
            self.reap()
            if sys.stdin in ready and not os.read(sys.stdin.fileno(), 1024):
                return  # the grader that started us has gone: so do we
            for item in ready:
                if item is sys.stdin:
                    continue
                if item is self.listener:
                    client, _ = self.listener.accept()
                    self.clients.append(client)
                elif isinstance(item, int):  # a new worker is done with its scorer's socket
                    said = os.read(item, 16)
                    os.close(item)
                    client = self.busy.pop(item)
                    if said:
                        self.clients.append(client)
                    else:  # it died before reading: the request may still be there, unserved
                        client.close()
                elif item in self.clients:
                    try:
                        # One byte, peeked, of a request: enough to tell a request from a hang-up.
                        alive = item.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                    except BlockingIOError:
                        continue
                    except OSError:
                        alive = b""
                    if alive:
                        self.spawn(item)
                    else:
                        self.clients.remove(item)
                        item.close()

    def shutdown(self) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        deadline = time.monotonic() + 2
        while self.children and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.01)


LATER = "later"   # in place of the preload list: it comes as a line on stdin (Jail.preload)


def _preload_list(argument: str | None) -> list[str] | None:
    """The modules to preload beyond numpy and torch: given on the command line, or, for a zygote
    started before the submissions were read, one JSON line on stdin (None: the grader went away)."""
    if argument != LATER:
        return json.loads(argument) if argument else []
    line = sys.stdin.buffer.readline()
    if not line:
        return None
    names = json.loads(line)
    return [str(name) for name in names] if isinstance(names, list) else []


def main(argv: list[str]) -> int:
    socket_dir = argv[0]
    os.umask(0o022)
    jobs_root = os.path.join(socket_dir, "jobs")
    cache_dir = os.path.join(socket_dir, "cache")
    os.makedirs(jobs_root, mode=0o700, exist_ok=True)
    os.makedirs(cache_dir, mode=0o755, exist_ok=True)
    preload(["numpy", "torch"], cache_dir)
    preload_modules = _preload_list(argv[1] if len(argv) > 1 else None)
    if preload_modules is None:
        os._exit(0)
    # Imported before the grader's program is forked beside: its scorers run the reference, which
    # needs what the submissions need (torch._dynamo, sklearn: 1.5 to 2 s each), and share this
    # import instead of paying it once per scorer, in the middle of a test.
    preload(preload_modules, cache_dir)
    if len(argv) > 2:
        # before anything of a jail's: what is forked here is the grader's, not a worker
        beside.fork_from_zygote(int(argv[2]))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sandbox.zygote_setup()
    # The worker's own code, imported here so that no worker reads it from disk.
    preload(["grader.jail.worker"], cache_dir)   # pyplot where a file imports it
    warm_up_for_workers()
    sandbox.read_only_paths([cache_dir])   # what every worker's allowlist starts from, resolved once
    zygote = Zygote(socket_dir, jobs_root, cache_dir)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    status = 0
    try:
        zygote.serve()
    except SystemExit as stop:  # SIGTERM
        status = stop.code if isinstance(stop.code, int) else 0
    except BaseException:
        traceback.print_exc()
        status = 1
    finally:
        zygote.shutdown()
        # Nothing here needs finalising, and tearing torch down takes seconds: leave at once.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
