"""One trusted program of the grader's, forked from the zygote as soon as it has imported torch and
the batch's preloads, so that the two share those imports (seconds of CPU at the start of every
batch, and their memory) instead of paying them twice.

    jail = Jail.launch(preload=None, beside=True)
    beside = jail.take_beside()                  # the grader's side: a Beside, or None
    beside.run("grader.scorer", argv, env, cwd, pass_fds=[fd])     # a Popen-like handle from now on

The fork happens before the zygote does anything of a jail's (no sandbox set up, no submission
read), and the program runs in a session of its own, a grandchild of the zygote re-parented away
from it. What it is to run, and the grader's environment, come on a socket once it exists, never
through the zygote's argv or environment: a worker's /proc/self shows those blocks, and they must
hold nothing of the grader's (`Jail.launch`). The zygote never reads that socket.
"""

from __future__ import annotations

import fcntl
import importlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys

from grader.jail.protocol import recv_exactly

_PID = struct.Struct("!q")
_LENGTH = struct.Struct("!I")
MAX_FDS = 16


# -- in the zygote -----------------------------------------------------------------------------------

def fork_from_zygote(fd: int) -> None:
    """Fork the program that `fd` (the zygote's end of the grader's socket) will be told to run,
    re-parented away from the zygote (its reaper must never see it); close `fd` here."""
    intermediate = os.fork()
    if intermediate == 0:
        try:
            if os.fork() == 0:
                _become(fd)
        finally:
            os._exit(0)
    os.waitpid(intermediate, 0)
    os.close(fd)


def _become(fd: int) -> None:
    """Say our pid, wait for what to run, run it; never returns."""
    status = 1
    try:
        os.setsid()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # the zygote's pipes to the grader are not ours to hold: its end must be seen when it ends
        devnull = os.open(os.devnull, os.O_RDWR)
        for std in (0, 1, 2):
            os.dup2(devnull, std)
        os.close(devnull)
        sock = socket.socket(fileno=fd)
        sock.sendall(_PID.pack(os.getpid()))   # fails when the grader has gone: we end at once
        header, fds, _flags, _addr = socket.recv_fds(sock, _LENGTH.size, MAX_FDS)
        if len(header) < _LENGTH.size:
            os._exit(0)   # told nothing: the grader did not need us
        spec = json.loads(recv_exactly(sock, _LENGTH.unpack(header)[0]))
        _take_fds(fds, [int(target) for target in spec["fds"]], sock).close()
        os.chdir(spec["cwd"])
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in spec["env"].items()})
        sys.argv = [spec["module"], *spec["argv"]]
        sys.path[0] = spec["cwd"]   # as `python -m` would have it
        status = importlib.import_module(spec["module"]).main(list(spec["argv"])) or 0
    except BaseException:   # noqa: BLE001 - nothing of ours may run on in a zygote's copy
        status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _take_fds(received: list[int], targets: list[int], sock: socket.socket) -> socket.socket:
    """The received fds at the numbers the grader gave them (as Popen's pass_fds), nothing else of
    the zygote's open; returns the socket, moved out of the targets' way (its number in the zygote
    is the grader's, and may be one of them)."""
    above = max([*targets, *received, sock.fileno(), 2]) + 1
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, above) for fd in received]
    kept = fcntl.fcntl(sock.fileno(), fcntl.F_DUPFD_CLOEXEC, above)
    sock.detach()
    wanted = {0, 1, 2, kept, *moved}
    for entry in os.listdir("/proc/self/fd"):
        if int(entry) not in wanted:
            try:
                os.close(int(entry))
            except OSError:
                pass   # the listing's own fd
    for source, target in zip(moved, targets):
        os.dup2(source, target)   # inheritable, as pass_fds leaves them
        os.close(source)
    return socket.socket(fileno=kept)


# -- in the grader ---------------------------------------------------------------------------------

class Beside:
    """The grader's handle on the forked program: `run` once, then what the pool uses of a Popen
    (pid, returncode, poll, kill, wait). The process is not our child: it is watched through a
    pidfd, and its exit status is not ours to read (returncode 0 for an end, -SIGKILL for ours)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock: socket.socket | None = sock
        self._pid: int | None = None
        self._pidfd: int | None = None
        self.returncode: int | None = None

    def run(self, module: str, argv: list[str], env: dict[str, str], cwd: str, pass_fds: list[int]) -> None:
        data = json.dumps({"module": module, "argv": argv, "env": env, "cwd": cwd, "fds": pass_fds}).encode()
        try:
            socket.send_fds(self._sock, [_LENGTH.pack(len(data))], pass_fds)
            self._sock.sendall(data)
        except OSError:
            self.returncode = -1   # the zygote died before forking it

    @property
    def pid(self) -> int | None:
        self._read_pid(timeout=None)
        return self._pid

    def _read_pid(self, timeout: float | None) -> None:
        if self._pid is not None or self._sock is None or self.returncode is not None:
            return
        if not select.select([self._sock], [], [], timeout)[0]:
            return
        try:
            data = self._sock.recv(_PID.size, socket.MSG_WAITALL)
        except OSError:
            data = b""
        if len(data) < _PID.size:
            self.returncode = -1   # the zygote ended before forking it
            self._close_socket()
            return
        self._pid = _PID.unpack(data)[0]
        try:
            self._pidfd = os.pidfd_open(self._pid)
        except OSError:
            self.returncode = 0   # born and gone already

    def poll(self) -> int | None:
        self._read_pid(timeout=0)
        if self.returncode is None and self._pidfd is not None and select.select([self._pidfd], [], [], 0)[0]:
            self._ended(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._read_pid(timeout=timeout)
        if self.returncode is None and self._pidfd is None:
            raise subprocess.TimeoutExpired("beside", timeout)
        if self.returncode is None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired("beside", timeout)
            self._ended(0)
        return self.returncode

    def kill(self) -> None:
        """Killed if born; if not born yet, it ends at birth (its pid finds no one to tell)."""
        self._read_pid(timeout=0)
        if self.returncode is not None:
            return
        if self._pidfd is None:
            self._close_socket()
            self.returncode = -signal.SIGKILL
            return
        try:
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass
        select.select([self._pidfd], [], [], 5)
        self._ended(-signal.SIGKILL)

    def _ended(self, status: int) -> None:
        self.returncode = status
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        self._close_socket()

    def _close_socket(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
