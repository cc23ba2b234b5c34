"""The zygote: one process that imports torch once and forks a fresh worker per request.

Started by the grader as `python -m grader.jail.zygote SOCKET_DIR`. Scorers connect to
`SOCKET_DIR/zygote.sock` and send a spawn request with one end of a socketpair attached
(SCM_RIGHTS); the zygote forks, the child confines itself and serves on that socket, and the
zygote answers with the child's pid and, where Linux offers it, a pidfd the scorer kills it with.

Fork hazard: a process that has run a multi-threaded torch op cannot fork safely (children hang in
OpenMP). The zygote therefore imports torch but never runs an op, and each child sets its own
thread count.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
from typing import Any

from grader.jail import protocol, sandbox

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


def _scrubbed_environment(job_dir: str, cache_dir: str, threads: int) -> dict[str, str]:
    return {
        "HOME": job_dir, "TMPDIR": job_dir, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": cache_dir, "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _copy_submission(source: str, dest: str, max_bytes: int) -> None:
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


def run_child(conn: socket.socket, job: dict, job_dir: str, cache_dir: str) -> None:
    """In the forked child: confine, then serve. Never returns."""
    from grader.jail.worker import Worker, install_student_environment, redirect_output, seed_everything

    status = 0
    try:
        os.setsid()
        limits = sandbox.Limits(**job.get("limits", {}))
        work_dir = os.path.join(job_dir, "work")
        _copy_submission(job["submission_dir"], work_dir, limits.file_size_bytes * 4)
        os.chdir(work_dir)
        os.environ.clear()
        os.environ.update(_scrubbed_environment(job_dir, cache_dir, limits.threads))
        redirect_output(os.path.join(job_dir, "output.txt"))
        keep = conn.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, 1 << 16)
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.set_num_threads(limits.threads)
        confinement = sandbox.confine(job_dir, list(job.get("hidden_paths", [])), limits,
                                      extra_read_only=[cache_dir])
        sys.path[:] = [work_dir] + [p for p in sys.path if p and p != os.getcwd()]
        seed_everything(int(job.get("seed", 0)))
        worker = Worker(conn, work_dir)
        install_student_environment(worker)
        protocol.send_frame(conn, {"seq": 0, "ok": {"applied": confinement.applied,
                                                     "skipped": confinement.skipped}})
        worker.serve()
    except BaseException:  # anything escaping here ends the child, never the zygote
        status = 70
    finally:
        os._exit(status)


class Zygote:
    def __init__(self, socket_dir: str, jobs_root: str, cache_dir: str) -> None:
        self.socket_dir = socket_dir
        self.jobs_root = jobs_root
        self.cache_dir = cache_dir
        self.children: dict[int, str] = {}
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(os.path.join(socket_dir, SOCKET_NAME))
        self.listener.listen(64)
        self.clients: list[socket.socket] = []

    def spawn(self, client: socket.socket) -> None:
        message, fds, _flags, _addr = socket.recv_fds(client, 1 << 20, 1)
        if not message:
            raise EOFError
        conn = socket.socket(fileno=fds[0]) if fds else None
        try:
            job = json.loads(message)
            if conn is None:
                raise ValueError("spawn request without a socket")
            job_dir = tempfile.mkdtemp(prefix="job-", dir=self.jobs_root)
            pid = os.fork()
            if pid == 0:
                self.listener.close()
                for other in self.clients:
                    other.close()
                run_child(conn, job, job_dir, self.cache_dir)
            self.children[pid] = job_dir
            reply = json.dumps({"pid": pid}).encode()
            pidfds = []
            if hasattr(os, "pidfd_open"):
                try:
                    pidfds = [os.pidfd_open(pid)]
                except OSError:
                    pass
            socket.send_fds(client, [reply], pidfds)
            for fd in pidfds:
                os.close(fd)
        except (ValueError, KeyError, OSError) as exc:
            client.sendall(json.dumps({"error": str(exc)}).encode())
        finally:
            if conn is not None:
                conn.close()

    def reap(self) -> None:
        while self.children:
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
            ready, _, _ = select.select([self.listener, sys.stdin, *self.clients], [], [], 0.2)
            self.reap()
            if sys.stdin in ready and not os.read(sys.stdin.fileno(), 1024):
                return  # the grader that started us has gone: so do we
            for sock in ready:
                if sock is sys.stdin:
                    continue
                if sock is self.listener:
                    client, _ = self.listener.accept()
                    self.clients.append(client)
                    continue
                try:
                    self.spawn(sock)
                except (EOFError, ConnectionError):
                    self.clients.remove(sock)
                    sock.close()


def main(argv: list[str]) -> int:
    socket_dir = argv[0]
    preload_modules = json.loads(argv[1]) if len(argv) > 1 else []
    jobs_root = os.path.join(socket_dir, "jobs")
    cache_dir = os.path.join(socket_dir, "cache")
    os.makedirs(jobs_root, exist_ok=True)
    os.makedirs(cache_dir, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    preload(["numpy", "torch", "matplotlib.pyplot", *preload_modules], cache_dir)
    zygote = Zygote(socket_dir, jobs_root, cache_dir)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    try:
        zygote.serve()
    finally:
        for pid in list(zygote.children):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)
        zygote.reap()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
