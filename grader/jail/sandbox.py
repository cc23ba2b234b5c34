"""Confinement of a worker: the zygote forks it as pid 1 of a new pid namespace, and the worker
confines itself in two steps before it touches student code.

In the zygote, once (`zygote_setup`): become a subreaper; find how to give each worker a pid
namespace (root: directly; a normal user: the zygote enters a user namespace of its own that maps
only its own uid); precompile the seccomp filter. Per worker, `fork_worker` is os.fork with the
child in a new pid namespace (unshare(CLONE_NEWPID), fork, setns back).

`prepare` (worker, still privileged)
    new mount + network + IPC namespaces (as root: owned by the host's user namespace); the job
    folder becomes a size-limited tmpfs, the submission is copied into it, the grader's sensitive
    folders are covered by empty read-only tmpfs mounts, every folder on the way to the read-only
    allowlist that the worker's uid could not traverse (/root, the jail's folder) is replaced by a
    tmpfs holding only what the worker needs (as root), and a fresh read-only /proc shows the
    worker only.

`confine` (worker)
    as root, a switch to an unprivileged uid of its own (no capabilities anywhere); as a normal
    user, a user namespace of its own (its uid only) and no capabilities; Landlock with an explicit
    read-only allowlist (`read_only_paths`, never sys.path) and the job folder read-write, TCP
    denied, signals scoped; rlimits (memory, CPU, file size, open files, no core, tasks per
    worker); seccomp (no sockets, exec, fork, ptrace, mount, namespaces; no prlimit, scheduling,
    priority or signal aimed at any other process).

Each layer the kernel refuses is skipped and reported; the worker never runs with less than
rlimits. Which layer stops what is tabled in README.md ("The trust boundary") and SECURITY.md.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import platform
import resource
import signal
import site
import stat
import sys
import sysconfig
from dataclasses import dataclass, field
from typing import Callable

from grader.jail import landlock

try:
    # Imported here, in the zygote: loading it finds libseccomp with a subprocess, which a confined
    # worker may no longer start.
    import pyseccomp as _seccomp
except Exception as _exc:  # the library or libseccomp.so is missing
    _seccomp = None
    _SECCOMP_MISSING = f"{type(_exc).__name__}: {_exc}"

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36

# open_tree / move_mount (Linux 5.2): the same numbers on the architectures listed.
_SYS_OPEN_TREE = 428
_SYS_MOVE_MOUNT = 429
_NEW_MOUNT_API_MACHINES = {"x86_64", "aarch64", "arm64", "riscv64", "ppc64le", "s390x", "loongarch64"}
_OPEN_TREE_CLONE = 1
_OPEN_TREE_CLOEXEC = 0o2000000
_AT_RECURSIVE = 0x8000
_AT_FDCWD = -100
_MOVE_MOUNT_F_EMPTY_PATH = 4

# As root, each worker runs under its own uid from this range (no user of the host has one there:
# the range must stay unused, see SECURITY.md). Root-owned files are then only what any user reads.
WORKER_UID_BASE = 1 << 30
WORKER_UID_SPAN = 1 << 20

# Read-only for every worker, whatever sys.path says: the system's libraries and data.
SYSTEM_READ_ONLY = (
    "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/local/lib", "/usr/local/lib64",
    "/lib", "/lib64", "/lib32", "/usr/share/zoneinfo",
    "/proc", "/sys/devices/system/cpu", "/sys/devices/system/node",
    "/dev/urandom", "/dev/random", "/dev/zero",
    # Not /etc as a whole: it names the host's users, keys and services.
    "/etc/ld.so.cache", "/etc/localtime", "/etc/timezone", "/etc/passwd", "/etc/group",
    "/etc/nsswitch.conf", "/etc/mime.types",
)


# Per-worker limits live at the bottom of the package (the manifest converts to them): re-exported.
from grader.limits import Limits  # noqa: E402,F401


@dataclass
class Confinement:
    """Which layers were applied to one worker; sent back to the scorer and logged."""

    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass
class Prepared:
    """What `prepare` set up; `confine` finishes from here."""

    conf: Confinement
    namespaces: bool = False  # mount + network + IPC namespaces of its own
    pid_namespace: bool = False  # the worker is pid 1 of a pid namespace of its own
    worker_uid: int | None = None  # root: the unprivileged uid the worker switches to
    disk_quota: bool = False
    host_proc: int | None = None  # fd of the proc under the fresh one, until `confine` closes it


@dataclass
class _ZygoteState:
    mode: str = "none"  # "host": root creates namespaces directly; "userns": the zygote's own user ns
    note: str = ""  # why there is no pid namespace
    own_pid_ns: int | None = None  # fd of the zygote's pid namespace, to return to after a fork
    seccomp_bpf: bytes | None = None  # the filter of a worker that is pid 1, compiled once


_ZYGOTE = _ZygoteState()


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _errno() -> str:
    return os.strerror(ctypes.get_errno())


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(_libc().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {fstype or source} on {target}")


def _prctl(option: int, value: int) -> int:
    return _libc().prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0),
                         ctypes.c_ulong(0))


def _enter_own_user_namespace(proc_fd: int | None = None) -> bool:
    """unshare(CLONE_NEWUSER), mapping our own uid and gid only (left unmapped if the kernel
    refuses the map). `proc_fd`: a directory fd of a writable proc (the worker's own is read-only)."""
    uid, gid = os.geteuid(), os.getegid()
    if _libc().unshare(CLONE_NEWUSER) != 0:
        return False
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            fd = os.open(f"self/{name}" if proc_fd is not None else f"/proc/self/{name}",
                         os.O_WRONLY, dir_fd=proc_fd)
            try:
                os.write(fd, text.encode())
            finally:
                os.close(fd)
    except OSError:
        pass
    return True


def _vm_size() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def die_with_parent(expected_parent: int) -> None:
    """SIGKILL when the parent ends; if it already has, end now. (In a new pid namespace the
    parent is outside it and getppid() says 0: pass 0 there.)"""
    if platform.system() == "Linux":
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != expected_parent:
            os._exit(70)


# ----------------------------------------------------------------------------------------------
# the zygote


def zygote_setup() -> str:
    """Once, in the zygote, before any worker: how workers get a pid namespace, the seccomp filter
    compiled, the allowlist computed. Returns the mode ("host", "userns" or "none")."""
    state = _ZYGOTE
    if platform.system() != "Linux":
        state.note = f"not available on {platform.system()}"
        return state.mode
    # Orphans (none expected: workers die with the zygote) are re-parented to us and reaped.
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    try:
        state.own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        state.note = f"/proc/self/ns/pid: {exc.strerror}"
        return state.mode
    if _probe(come_back=True):
        state.mode = "host"  # root: unshare(CLONE_NEWPID), fork, setns back, per worker
    else:
        # A normal user: a user namespace of the zygote's own (its uid only), in which a process
        # may create one pid namespace but never come back (that takes CAP_SYS_ADMIN over the
        # host's), so each worker is forked by an intermediate of its own. Each worker then leaves
        # it for a user namespace of its own.
        if _enter_own_user_namespace():
            if _probe(come_back=False):
                state.mode = "userns"
            else:
                state.note = "unshare(CLONE_NEWPID) refused, even in a user namespace"
        else:
            state.note = f"unshare(CLONE_NEWPID) and unshare(CLONE_NEWUSER) refused ({_errno()})"
    read_only_paths()  # cached: every worker uses the same list
    if _seccomp is not None:
        try:
            state.seccomp_bpf = _export_bpf(_seccomp_filter(own_pid=1))
        except Exception:
            state.seccomp_bpf = None  # each worker compiles its own
    return state.mode


def _probe(come_back: bool) -> bool:
    """In a throwaway child (the dance leaves a process unable to fork if setns fails): may we
    create a pid namespace for our children (and, `come_back`, return to our own)?"""
    pid = os.fork()
    if pid == 0:
        libc = _libc()
        ok = libc.unshare(CLONE_NEWPID) == 0 and (
            not come_back or libc.setns(_ZYGOTE.own_pid_ns, CLONE_NEWPID) == 0)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def fork_worker() -> tuple[int, int | None, int]:
    """Fork a worker: pid 1 of a pid namespace of its own where `zygote_setup` found how, set to
    die with its parent. Returns (pid, pidfd, the child to reap) in the zygote, (0, None, 0) in
    the worker. The pidfd (None where Linux has none) is the one way to kill the worker safely."""
    state = _ZYGOTE
    libc = _libc()
    parent = os.getpid()
    if state.mode == "userns":
        return _fork_through_intermediate(parent)
    entered = state.mode == "host" and libc.unshare(CLONE_NEWPID) == 0
    try:
        pid = os.fork()
    finally:
        if entered and os.getpid() == parent:  # unshare(CLONE_NEWPID) moves children only: back
            if libc.setns(state.own_pid_ns, CLONE_NEWPID) != 0:
                os._exit(70)  # a zygote whose next children would land in a dead namespace
    if pid == 0:
        die_with_parent(0 if entered else parent)
        return 0, None, 0
    return pid, _pidfd(pid), pid


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)  # our unreaped child: this pid cannot be anyone else's yet
    except (AttributeError, OSError):
        return None


def _fork_through_intermediate(parent: int) -> tuple[int, int | None, int]:
    import socket

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    middle = os.fork()
    if middle == 0:
        ours.close()
        die_with_parent(parent)
        entered = _libc().unshare(CLONE_NEWPID) == 0
        me = os.getpid()
        worker = os.fork()
        if worker == 0:
            theirs.close()
            die_with_parent(0 if entered else me)
            return 0, None, 0
        status = 70
        try:
            keep = theirs.fileno()
            os.closerange(3, keep)  # the scorers' sockets, the listener: the worker's business
            os.closerange(keep + 1, 1 << 16)
            pidfd = _pidfd(worker)
            socket.send_fds(theirs, [str(worker).encode()], [pidfd] if pidfd is not None else [])
            _, wait_status = os.waitpid(worker, 0)
            status = os.waitstatus_to_exitcode(wait_status) & 0xFF
        finally:
            os._exit(status)
    theirs.close()
    try:
        message, fds, _, _ = socket.recv_fds(ours, 64, 1)
    finally:
        ours.close()
    if not message:
        raise OSError(errno.ECHILD, "the intermediate process ended before forking the worker")
    return int(message), (fds[0] if fds else None), middle


# ----------------------------------------------------------------------------------------------
# the explicit read-only allowlist


@functools.lru_cache(maxsize=None)
def _base_read_only() -> tuple[str, ...]:
    import grader

    paths = [sys.executable, os.path.realpath(sys.executable)]
    scheme = sysconfig.get_paths()
    paths += [scheme.get(key, "") for key in ("stdlib", "platstdlib", "purelib", "platlib")]
    try:
        paths += list(site.getsitepackages())
    except AttributeError:  # some embedded interpreters have no getsitepackages
        pass
    if site.ENABLE_USER_SITE:
        paths.append(site.getusersitepackages())
    libdir = sysconfig.get_config_var("LIBDIR")  # libpython, where the interpreter is shared
    if libdir:
        paths.append(libdir)
    paths.append(os.path.dirname(os.path.abspath(grader.__file__)))
    paths += SYSTEM_READ_ONLY
    return tuple(paths)


def read_only_paths(extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """What a worker may read: interpreter, stdlib, site-packages, the grader package, the system's
    libraries, and `extra`. Computed from an explicit list, never from sys.path (which holds the
    zygote's working directory, the project root, whatever PYTHONPATH said)."""
    return list(_resolved_read_only(tuple(extra)))


@functools.lru_cache(maxsize=16)
def _resolved_read_only(extra: tuple[str, ...]) -> tuple[str, ...]:
    # Resolved once in the zygote (zygote.main), not twice in every worker: some 250 stat calls.
    seen, out = set(), []
    for path in (*_base_read_only(), *extra):
        if not path:
            continue
        real = os.path.realpath(path)
        if real not in seen and os.path.exists(real):
            seen.add(real)
            out.append(real)
    return tuple(out)


def _contains(folder: str, path: str) -> bool:
    folder = folder.rstrip("/")
    return not folder or path == folder or path.startswith(folder + "/")


def _allowlist(hidden_paths: list[str], extra_read_only: list[str]) -> list[str]:
    # Landlock rules grant whole subtrees: never allow a folder that holds a hidden one.
    hidden = [os.path.realpath(h) for h in hidden_paths]
    return [p for p in read_only_paths(extra_read_only) if not any(_contains(p, h) for h in hidden)]


# ----------------------------------------------------------------------------------------------
# step 1: the worker, still privileged


def prepare(job_dir: str, hidden_paths: list[str], limits: Limits,
            populate: Callable[[str, int | None], None], extra_read_only: list[str] = (),
            worker_uid: int | None = None) -> Prepared:
    """In the worker just forked by `fork_worker`: namespaces, the job folder's tmpfs,
    `populate(job_dir, owner)` (copy the submission in; files owned by `owner` when not None),
    hidden folders covered, a fresh /proc. `worker_uid`: the uid a worker of root runs under."""
    prepared = Prepared(Confinement())
    conf = prepared.conf
    if platform.system() != "Linux":
        conf.skipped.append(f"namespaces, landlock, seccomp (not available on {platform.system()})")
        populate(job_dir, None)
        return prepared
    state = _ZYGOTE
    prepared.pid_namespace = state.mode != "none" and os.getpid() == 1
    if not prepared.pid_namespace:
        conf.skipped.append(f"pid namespace ({state.note or 'refused'}): other processes are visible")
    root = os.geteuid() == 0 and state.mode == "host"
    needed = _allowlist(hidden_paths, list(extra_read_only)) + [job_dir]
    if state.mode != "none" and _libc().unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) == 0:
        prepared.namespaces = True
        conf.applied.append("network namespace (no interfaces), IPC namespace")
    elif state.mode != "none":
        conf.skipped.append(f"mount, network and IPC namespaces ({_errno()})")
    if not prepared.namespaces:
        # No mount namespace: root still gives the worker a uid of its own if that uid can reach
        # everything as things are.
        if os.geteuid() == 0 and worker_uid is not None:
            blocked = _unreachable(needed, worker_uid)
            if blocked is None:
                prepared.worker_uid = worker_uid
                os.chown(job_dir, worker_uid, worker_uid)
            else:
                conf.skipped.append(f"unprivileged uid ({blocked} is out of its reach and there is "
                                    "no mount namespace): the worker is root")
        conf.skipped.append("disk quota (no mount namespace): the job folder is on the host's disk")
        if prepared.pid_namespace:
            conf.applied.append("pid namespace (the worker is pid 1)")
            conf.skipped.append("fresh /proc (no mount namespace): other processes stay listed in /proc")
        populate(job_dir, prepared.worker_uid)
        return prepared

    if root and worker_uid is not None:
        prepared.worker_uid = worker_uid
    try:
        _mount("none", "/", None, MS_REC | MS_PRIVATE, None)
    except OSError as exc:
        conf.skipped.append(f"mount namespace ({exc.strerror})")
        prepared.worker_uid = None
        populate(job_dir, None)
        return prepared
    _job_tmpfs(prepared, job_dir, limits)
    populate(job_dir, prepared.worker_uid)
    try:
        hidden = 0
        for path in hidden_paths:
            if os.path.isdir(path):
                _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=555")
                hidden += 1
        conf.applied.append(f"mount namespace ({hidden} grader folders hidden)")
    except OSError as exc:
        conf.skipped.append(f"hiding grader folders ({exc.strerror})")
    if prepared.worker_uid is not None:
        try:
            covered = _expose(needed, prepared.worker_uid)
            if covered:
                conf.applied.append(f"{covered} folders the worker's uid could not traverse covered by "
                                    "tmpfs holding only what it needs")
        except OSError as exc:
            prepared.worker_uid = None
            _chown_tree(job_dir, os.geteuid())  # the worker stays uid 0: give it its files back
            conf.skipped.append(f"unprivileged uid (the allowlist is out of its reach: {exc.strerror})")
    if prepared.pid_namespace:
        try:
            prepared.host_proc = os.open("/proc", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            # A proc of this pid namespace: the worker (pid 1) is the only process it shows. Read
            # only: no /proc/sys, no /proc/self/* writes, whatever the uid.
            _mount("proc", "/proc", "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
            conf.applied.append("pid namespace (the worker is pid 1; fresh read-only /proc)")
        except OSError as exc:
            conf.applied.append("pid namespace (the worker is pid 1)")
            conf.skipped.append(f"fresh /proc ({exc.strerror}): other processes stay listed in /proc")
    return prepared


def _job_tmpfs(prepared: Prepared, job_dir: str, limits: Limits) -> None:
    """The job folder becomes a tmpfs of its own: the disk a worker fills is bounded, and what it
    holds exists in this mount namespace only (no other worker can find it, whatever Landlock does)."""
    conf = prepared.conf
    owner = prepared.worker_uid
    options = f"size={int(limits.disk_bytes)},nr_inodes={int(limits.disk_files)},mode=0700"
    if owner is not None:
        options += f",uid={owner},gid={owner}"
    else:
        options += f",uid={os.geteuid()},gid={os.getegid()}"
    try:
        _mount("tmpfs", job_dir, "tmpfs", MS_NOSUID | MS_NODEV, options)
        prepared.disk_quota = True
        conf.applied.append(f"job folder on a {limits.disk_bytes // 1024**2} MiB tmpfs "
                            f"({limits.disk_files} files at most)")
    except OSError as exc:
        conf.skipped.append(f"disk quota ({exc.strerror}): the job folder is on the host's disk")
        if owner is not None:
            os.chown(job_dir, owner, owner)


def _chown_tree(top: str, uid: int) -> None:
    os.chown(top, uid, uid, follow_symlinks=False)
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def _unreachable(paths: list[str], uid: int) -> str | None:
    """The first folder on the way to `paths` that `uid` may not traverse, or None."""
    for path in paths:
        parts = [p for p in path.split("/") if p]
        for depth in range(len(parts)):
            ancestor = "/" + "/".join(parts[:depth])
            if not _traversable(ancestor, uid):
                return ancestor
    return None


def _traversable(path: str, uid: int) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return True  # missing: nothing to expose
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid == uid:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def _expose(paths: list[str], uid: int) -> int:
    """Make every path reachable by `uid` (which owns nothing on the host): each ancestor it may not
    traverse (a mode-0700 /root holding the interpreter, the jail's folder) is covered by a
    read-only tmpfs into which only the needed children are moved (clones of the original mounts).
    Returns the number of folders covered. In this process's private mount namespace only."""
    if platform.machine() not in _NEW_MOUNT_API_MACHINES:
        raise OSError(errno.ENOSYS, "open_tree is not known on this architecture")
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    covered = 0
    for _ in range(32):
        blocked: dict[str, set[str]] = {}
        for path in paths:
            parts = [p for p in path.split("/") if p]
            for depth in range(len(parts)):
                ancestor = "/" + "/".join(parts[:depth])
                if not _traversable(ancestor, uid):
                    blocked.setdefault(ancestor, set()).add(parts[depth])
                    break
        if not blocked:
            return covered
        for ancestor, children in blocked.items():
            clones = {}
            try:
                for child in sorted(children):
                    source = os.path.join(ancestor, child)
                    fd = libc.syscall(ctypes.c_long(_SYS_OPEN_TREE), ctypes.c_int(_AT_FDCWD),
                                      source.encode(),
                                      ctypes.c_uint(_OPEN_TREE_CLONE | _OPEN_TREE_CLOEXEC | _AT_RECURSIVE))
                    if fd < 0:
                        err = ctypes.get_errno()
                        raise OSError(err, f"open_tree({source}): {os.strerror(err)}")
                    clones[child] = (fd, os.path.isdir(source))
                _mount("tmpfs", ancestor, "tmpfs", MS_NOSUID | MS_NODEV,
                       f"size={64 * 1024},nr_inodes={len(clones) + 8},mode=0755")
                for child, (fd, is_dir) in clones.items():
                    target = os.path.join(ancestor, child)
                    if is_dir:
                        os.mkdir(target, 0o755)
                    else:
                        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
                    if libc.syscall(ctypes.c_long(_SYS_MOVE_MOUNT), ctypes.c_int(fd), b"",
                                    ctypes.c_int(_AT_FDCWD), target.encode(),
                                    ctypes.c_uint(_MOVE_MOUNT_F_EMPTY_PATH)) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, f"move_mount({target}): {os.strerror(err)}")
                _mount(None, ancestor, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
                covered += 1
            finally:
                for fd, _ in clones.values():
                    os.close(fd)
    raise OSError(errno.ELOOP, "folders to expose nested too deeply")


# ----------------------------------------------------------------------------------------------
# step 2: the worker drops what it had


def apply_rlimits(limits: Limits, conf: Confinement | None = None, cap_tasks: bool = False) -> None:
    def cap(kind: int, value: int) -> None:
        soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, value))

    cap(resource.RLIMIT_CORE, 0)
    cap(resource.RLIMIT_CPU, int(limits.cpu_seconds))
    cap(resource.RLIMIT_FSIZE, int(limits.file_size_bytes))
    cap(resource.RLIMIT_NOFILE, int(limits.open_files))
    if hasattr(resource, "RLIMIT_AS") and platform.system() == "Linux":
        cap(resource.RLIMIT_AS, _vm_size() + int(limits.memory_bytes))
    tasks = ""
    if cap_tasks and hasattr(resource, "RLIMIT_NPROC"):
        # Counts the tasks (threads too) of the real uid in its user namespace (Linux 5.14+);
        # ignored for the host's uid 0. Only set where that uid is this worker's alone.
        cap(resource.RLIMIT_NPROC, int(limits.processes))
        tasks = f", {limits.processes} tasks"
    elif conf is not None and platform.system() == "Linux":
        conf.skipped.append("thread cap (the worker's uid is the host's root or shared with other "
                            "processes: RLIMIT_NPROC would not count this worker alone)")
    if conf is not None:
        conf.applied.append(f"rlimits (memory, CPU, file size, open files, core{tasks})")


def _drop_capabilities() -> None:
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    header = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    _check(_libc().capset(ctypes.byref(header), data), "capset")


def _drop_privileges(prepared: Prepared) -> bool:
    """Leave root / the namespaces' capabilities. True when the worker's uid is its own, so that
    RLIMIT_NPROC counts this worker alone."""
    conf = prepared.conf
    try:
        if prepared.worker_uid is not None:
            uid = prepared.worker_uid
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)  # from root to another uid: every capability is cleared
            _prctl(PR_SET_DUMPABLE, 1)  # its /proc/self files belong to it (the switch cleared it)
            conf.applied.append(f"uid {uid} (unprivileged, its own, no capabilities)")
            return True
        if _ZYGOTE.mode == "none" and os.geteuid() != 0:
            return False  # a normal user without namespaces: nothing to drop, its uid is shared
        # A user namespace of its own: RLIMIT_NPROC then counts this worker alone (unless it is
        # the host's root), and no capability over the namespaces we are in survives.
        uid = os.geteuid()
        if _threads() == 1 and _enter_own_user_namespace(prepared.host_proc):
            _drop_capabilities()
            conf.applied.append("user namespace of its own, no capabilities" +
                                (" (but uid 0 of the host)" if uid == 0 else ""))
            return uid != 0  # our user namespaces map each uid onto itself
        reason = _errno() if _threads() == 1 else "threads already running"
        try:
            _drop_capabilities()
            dropped = "; capabilities dropped"
        except OSError:
            dropped = ""
        conf.skipped.append(f"user namespace of its own ({reason}){dropped}" +
                            (": the worker keeps uid 0" if os.geteuid() == 0 else ""))
        return False
    finally:
        if prepared.host_proc is not None:
            os.close(prepared.host_proc)
            prepared.host_proc = None


def confine(prepared: Prepared, job_dir: str, hidden_paths: list[str], limits: Limits,
            extra_read_only: list[str] = ()) -> Confinement:
    """In the worker after `prepare`; call once, before student code."""
    conf = prepared.conf
    own_uid = False
    if platform.system() == "Linux":
        own_uid = _drop_privileges(prepared)
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # again: a uid switch clears it
        if landlock.abi_version() > 0:
            _apply_landlock(job_dir, hidden_paths, list(extra_read_only), conf)
        else:
            conf.skipped.append("landlock (kernel has none)")
    apply_rlimits(limits, conf, cap_tasks=own_uid)
    if platform.system() == "Linux":
        _apply_seccomp(conf)
    return conf


def _apply_landlock(job_dir: str, hidden_paths: list[str], extra_read_only: list[str],
                    conf: Confinement) -> None:
    policy = landlock.Policy(read_only=tuple(_allowlist(hidden_paths, extra_read_only)),
                             read_write=(job_dir, "/dev/null"))
    try:
        abi = landlock.restrict_self(policy)
        scoped = ", signals scoped" if abi >= 6 else ""
        conf.applied.append(f"landlock ABI {abi} (explicit read-only allowlist, read-write job dir, "
                            f"no TCP{scoped})")
    except OSError as exc:
        conf.skipped.append(f"landlock ({exc.strerror or exc})")


_DENIED_SYSCALLS = (
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    "execve", "execveat", "fork", "vfork",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "process_madvise", "process_mrelease",
    "setpriority", "ioprio_set",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "move_mount", "open_tree",
    "fsopen", "fsmount", "fsconfig", "fspick", "mount_setattr",
    "open_by_handle_at", "name_to_handle_at",
    "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "syslog",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "swapon", "swapoff", "userfaultfd", "personality", "io_uring_setup",
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
    "setfsuid", "setfsgid", "capset",
    # Memory that neither RLIMIT_AS nor the job folder's tmpfs would bound (a memfd of 64 MiB per
    # open file; SysV segments kept after detaching): no worker needs them.
    "memfd_create", "memfd_secret", "shmget", "shmat", "shmctl", "msgget", "msgsnd", "msgctl",
    "semget", "semctl", "semop", "semtimedop",
)
# Calls that take a pid: allowed on the worker itself only.
_SELF_OR_ZERO = ("prlimit64", "sched_setaffinity", "sched_setscheduler", "sched_setparam",
                 "sched_setattr", "migrate_pages", "move_pages")
_SELF_SIGNALS = ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


def _seccomp_filter(own_pid: int):
    seccomp = _seccomp
    deny = seccomp.ERRNO(errno.EPERM)
    flt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)

    def rule(name: str, *args) -> None:
        try:
            flt.add_rule(deny, name, *args)
        except Exception:
            pass  # not a syscall on this architecture

    for name in _DENIED_SYSCALLS:
        rule(name)
    for name in _SELF_OR_ZERO:
        # pid 0 is "myself". In its pid namespace the worker is pid 1, so "> 1" is exactly
        # "another process"; elsewhere only the 0 form is allowed (libseccomp compares an argument
        # once per rule). Unsigned: negative pids (process groups) are "> 1" too.
        rule(name, seccomp.Arg(0, seccomp.GT, 1) if own_pid == 1 else seccomp.Arg(0, seccomp.NE, 0))
    for name in _SELF_SIGNALS:
        rule(name, seccomp.Arg(0, seccomp.NE, own_pid))  # tgkill's first argument is the tgid
    clone_thread = 0x00010000
    # clone without CLONE_THREAD makes a process; with it, a thread (torch needs threads).
    rule("clone", seccomp.Arg(0, seccomp.MASKED_EQ, clone_thread, 0))
    for flag in (CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                 CLONE_NEWPID, CLONE_NEWNET):
        rule("clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory the filter cannot read: make glibc fall back to clone.
    flt.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    return flt


def _export_bpf(flt) -> bytes:
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(write_end, "wb", closefd=False) as sink:
            flt.export_bpf(sink)
        os.close(write_end)
        write_end = -1
        chunks = []
        while chunk := os.read(read_end, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)


def _load_bpf(program: bytes) -> None:
    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    buffer = ctypes.create_string_buffer(program, len(program))
    prog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = _libc()
    _check(_prctl(_PR_SET_NO_NEW_PRIVS, 1), "prctl(NO_NEW_PRIVS)")
    _check(libc.prctl(_PR_SET_SECCOMP, ctypes.c_ulong(_SECCOMP_MODE_FILTER), ctypes.byref(prog),
                      ctypes.c_ulong(0), ctypes.c_ulong(0)), "prctl(SET_SECCOMP)")


def _apply_seccomp(conf: Confinement) -> None:
    if _seccomp is None:
        conf.skipped.append(f"seccomp (pyseccomp unavailable: {_SECCOMP_MISSING})")
        return
    try:
        if os.getpid() == 1 and _ZYGOTE.seccomp_bpf:
            _load_bpf(_ZYGOTE.seccomp_bpf)  # compiled once by the zygote
        else:
            _seccomp_filter(os.getpid()).load()
        conf.applied.append("seccomp (no sockets, exec, fork, ptrace, mount, namespaces, memfd, SysV "
                            "IPC; prlimit, scheduling, priorities and signals on the worker itself only)")
    except Exception as exc:
        conf.skipped.append(f"seccomp ({exc})")
