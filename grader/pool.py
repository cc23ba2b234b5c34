"""The scorer processes of a batch: one template that imports pytest, Hypothesis and the
assignment's tests once (torch: the zygote's import, where the jail offers its `beside`), and
scorers forked from it, which share its memory copy on write.

    pool = ScorerPool(jail, size, assignment_root, options)   # the template starts importing
    proc = pool.proc(slot)      # a scorer, ready: proc.stdin (jobs), proc.stdout (answers)
    pool.kill(slot); pool.grow(size); pool.close()

A scorer forked from the template costs a fork, not an interpreter importing torch: two scorers
hold one copy of torch's heap, and one that dies is replaced in milliseconds. The protocol on
the pipes is grader.scorer's.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from grader.jail.beside import Beside
from grader.jail.session import Jail
from grader.options import Options


class ForkedScorer:
    """A scorer forked by the template: the part of a Popen the pool uses (stdin, stdout, poll,
    kill, wait). It is the template's child, not ours: it is watched and killed through a pidfd,
    opened once its ready line has said its pid."""

    def __init__(self, stdin, stdout) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self._pidfd: int | None = None
        self.returncode: int | None = None

    def started(self, pid: int) -> None:
        try:
            self._pidfd = os.pidfd_open(pid)
        except OSError:   # gone already: its pipes say so
            self.returncode = -1

    def poll(self) -> int | None:
        if self.returncode is None and self._pidfd is not None and select.select([self._pidfd], [], [], 0)[0]:
            self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None and self._pidfd is not None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired("scorer", timeout)
            self._ended()
        self._close_pipes()
        return self.returncode if self.returncode is not None else 0

    def kill(self) -> None:
        if self.returncode is None and self._pidfd is not None:
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._close_pipes()   # one not started yet ends on its first write

    def _ended(self) -> None:
        self.returncode = 0
        os.close(self._pidfd)
        self._pidfd = None

    def _close_pipes(self) -> None:
        for stream in (self.stdin, self.stdout):
            try:
                stream.close()
            except OSError:
                pass


class ScorerTemplate:
    """The process scorers are forked from (`grader.scorer --template`): the one the zygote forks
    once it has imported torch and the preloads (`beside`: imported once, not twice side by side),
    or an interpreter of its own (`python -m grader.scorer`)."""

    def __init__(self, socket_dir: str, ahead: list[str], beside: Beside | None = None) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = dict(os.environ, OMP_NUM_THREADS="1")   # no OpenMP pool: forking stays safe
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
        argv = ["--template", str(theirs.fileno()), socket_dir, *ahead]
        self.process: subprocess.Popen | Beside
        if beside is not None:
            beside.run("grader.scorer", argv, env, os.getcwd(), pass_fds=[theirs.fileno()])
            self.process = beside
        else:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "grader.scorer", *argv],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=[theirs.fileno()], env=env)
        theirs.close()
        self.control = ours

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self) -> ForkedScorer:
        """A new scorer; asked for now, forked once the template has imported everything."""
        jobs_read, jobs_write = os.pipe()
        answers_read, answers_write = os.pipe()
        try:
            socket.send_fds(self.control, [b"fork"], [jobs_read, answers_write])
        except OSError:
            pass   # the template is gone: the scorer's answers pipe ends at once, and says so
        finally:
            os.close(jobs_read)
            os.close(answers_write)
        return ForkedScorer(os.fdopen(jobs_write, "w", buffering=1), os.fdopen(answers_read, "r"))

    def close(self, ready: bool) -> None:
        self.control.close()
        if not ready:
            self.process.kill()   # still importing (a batch with nothing to grade): not waited for
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ScorerPool:
    """N scorers; each grades one submission at a time, and is used only once it says it is ready:
    the template imports pytest and the tests while the zygote sets up the jail."""

    def __init__(self, jail: Jail, size: int, assignment_root: Path | None = None,
                 options: Options | None = None) -> None:
        self.jail = jail
        self.size = size
        # the assignment whose tests the template imports, under the batch's options
        self.ahead = [str(assignment_root), json.dumps((options or Options()).to_json())] if assignment_root else []
        self.template = ScorerTemplate(jail.socket_dir, self.ahead, jail.take_beside())
        self.launched = [time.perf_counter()] * size
        self.procs: list[ForkedScorer | None] = [self.template.fork() for _ in range(size)]
        self.ready = [False] * size
        self.start_seconds = 0.0  # from asking to ready, summed over scorers (for the benchmark)

    def _launch(self) -> ForkedScorer:
        if not self.template.alive:
            self.template.close(ready=True)
            self.template = ScorerTemplate(self.jail.socket_dir, self.ahead)
        return self.template.fork()

    def grow(self, size: int) -> None:
        """Up to `size` scorers: those asked for ahead, and more, asked for now."""
        while self.size < size:
            self.launched.append(time.perf_counter())
            self.procs.append(self._launch())
            self.ready.append(False)
            self.size += 1

    def proc(self, slot: int) -> ForkedScorer:
        proc = self.procs[slot]
        if proc is None or proc.poll() is not None:
            proc = self.procs[slot] = self._launch()
            self.launched[slot] = time.perf_counter()
            self.ready[slot] = False
        if not self.ready[slot]:
            try:
                hello = json.loads(proc.stdout.readline() or "{}")
            except ValueError:
                hello = {}
            if not isinstance(hello, dict) or not isinstance(hello.get("pid"), int):
                raise RuntimeError("a scorer process failed to start")
            proc.started(hello["pid"])
            self.ready[slot] = True
            self.start_seconds += time.perf_counter() - self.launched[slot]
        return proc

    def kill(self, slot: int) -> None:
        proc = self.procs[slot]
        if proc is not None:
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.procs[slot] = None

    def close(self) -> None:
        for slot, proc in enumerate(self.procs):
            if proc is not None and not self.ready[slot]:
                self.kill(slot)
            elif proc is not None:
                try:
                    proc.stdin.close()
                    proc.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    proc.kill()
            self.procs[slot] = None
        self.template.close(ready=any(self.ready))
