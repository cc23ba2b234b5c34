"""Confinement applied by a freshly forked worker to itself before it touches student code.

Layers, each applied when the OS offers it (see `probe`), strongest last:

1. resource limits (address space, CPU seconds, file size, open files, no core dumps, processes);
2. a new user + network + mount namespace: no network interface but loopback, and the grader's
   sensitive folders covered by empty read-only tmpfs mounts;
3. Landlock: read-only allowlist of the interpreter and libraries, read-write only in the job dir,
   TCP bind/connect denied;
4. seccomp: no new sockets, no exec, no fork (threads allowed), no ptrace / mount / namespaces.

A layer the kernel refuses is skipped and reported; the worker never runs with less than rlimits.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import sys
import sysconfig
from dataclasses import dataclass, field

from grader.jail import landlock

try:
    # Imported here, in the zygote: loading it finds libseccomp with a subprocess, which a confined
    # worker may no longer start.
    import pyseccomp as _seccomp
except Exception as _exc:  # the library or libseccomp.so is missing
    _seccomp = None
    _SECCOMP_MISSING = f"{type(_exc).__name__}: {_exc}"

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REC = 0x4000
MS_PRIVATE = 1 << 18


@dataclass(frozen=True)
class Limits:
    """Per-worker resource limits. Times in seconds, sizes in bytes."""

    call_timeout: float = 10.0
    cpu_seconds: int = 600
    memory_bytes: int = 3 * 1024**3  # address space added on top of what the zygote maps
    file_size_bytes: int = 64 * 1024**2
    open_files: int = 256
    processes: int = 64  # only effective under a dedicated uid; seccomp forbids fork anyway
    threads: int = 1


@dataclass
class Confinement:
    """Which layers were applied to one worker; sent back to the scorer and logged."""

    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _vm_size() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def apply_rlimits(limits: Limits) -> None:
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
    if os.geteuid() != 0 and hasattr(resource, "RLIMIT_NPROC"):
        # Counts every process and thread of the uid: only meaningful for a dedicated uid.
        pass


def _enter_namespaces(hidden_paths: list[str], conf: Confinement) -> None:
    libc = _libc()
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET
    try:
        _check(libc.unshare(flags), "unshare(user, mount, net)")
    except OSError as exc:
        conf.skipped.append(f"namespaces ({exc.strerror})")
        return
    if uid != 0:
        # Map our own uid only: the worker keeps its identity, gains nothing over other users' files.
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    # As root, leave uid 0 unmapped: inside, the worker is the overflow uid, and root's
    # capabilities (DAC override and the rest) no longer apply to the host's files.
    conf.applied.append("network namespace (no interfaces)")
    try:
        _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
        hidden = 0
        for path in hidden_paths:
            if os.path.isdir(path):
                _check(
                    libc.mount(b"tmpfs", path.encode(), b"tmpfs",
                               MS_RDONLY | MS_NOSUID | MS_NODEV, b"size=4k,mode=555"),
                    f"mount tmpfs on {path}",
                )
                hidden += 1
        conf.applied.append(f"mount namespace ({hidden} grader folders hidden)")
    except OSError as exc:
        conf.skipped.append(f"mount namespace ({exc.strerror})")


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w") as handle:
            handle.write(text)
    except OSError:
        pass


def _library_paths() -> list[str]:
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            paths.add(sysconfig.get_paths()[key])
        except KeyError:
            pass
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    paths.update(["/usr", "/lib", "/lib64", "/lib32", "/proc", "/sys/devices/system/cpu",
                  "/dev/urandom", "/dev/random", "/dev/zero"])
    # Not /etc as a whole: an unmapped root still reads root-owned files as their owner.
    paths.update(f"/etc/{name}" for name in ("ld.so.cache", "localtime", "timezone", "passwd",
                                             "group", "nsswitch.conf", "mime.types"))
    return sorted(paths)


def _apply_landlock(job_dir: str, hidden_paths: list[str], extra_read_only: list[str],
                    conf: Confinement) -> None:
    # sys.path may hold the project root (editable install): never allow a folder that contains a
    # hidden one, since Landlock rules grant whole subtrees.
    def covers_hidden(path: str) -> bool:
        path = os.path.realpath(path)
        return any(os.path.realpath(h).startswith(path.rstrip("/") + "/") or os.path.realpath(h) == path
                   for h in hidden_paths)

    read_only = tuple(p for p in [*_library_paths(), *extra_read_only] if not covers_hidden(p))
    policy = landlock.Policy(read_only=read_only, read_write=(job_dir, "/dev/null"))
    try:
        abi = landlock.restrict_self(policy)
        conf.applied.append(f"landlock ABI {abi} (read-only libraries, read-write job dir, no TCP)")
    except OSError as exc:
        conf.skipped.append(f"landlock ({exc.strerror or exc})")


_DENIED_SYSCALLS = (
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    "execve", "execveat", "fork", "vfork",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "move_mount", "open_tree",
    "fsopen", "fsmount", "bpf", "perf_event_open", "keyctl", "add_key", "request_key",
    "kexec_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff",
    "userfaultfd", "personality", "io_uring_setup", "setuid", "setgid", "setreuid", "setregid",
    "setresuid", "setresgid", "setgroups", "capset",
)


def _apply_seccomp(conf: Confinement) -> None:
    seccomp = _seccomp
    if seccomp is None:
        conf.skipped.append(f"seccomp (pyseccomp unavailable: {_SECCOMP_MISSING})")
        return
    try:
        flt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        for name in _DENIED_SYSCALLS:
            try:
                flt.add_rule(seccomp.ERRNO(errno.EPERM), name)
            except Exception:
                continue  # not a syscall on this architecture
        clone_thread = 0x00010000
        # clone without CLONE_THREAD makes a process; with it, a thread (torch needs threads).
        flt.add_rule(seccomp.ERRNO(errno.EPERM), "clone",
                     seccomp.Arg(0, seccomp.MASKED_EQ, clone_thread, 0))
        # clone3 passes its flags in memory the filter cannot read: make glibc fall back to clone.
        flt.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
        flt.load()
        conf.applied.append("seccomp (no sockets, exec, fork, ptrace, mount, namespaces)")
    except Exception as exc:
        conf.skipped.append(f"seccomp ({exc})")


def confine(job_dir: str, hidden_paths: list[str], limits: Limits,
            extra_read_only: list[str] = ()) -> Confinement:
    """Confine the calling process. Call once, in a fresh worker, before loading student code."""
    conf = Confinement()
    if platform.system() == "Linux":
        _enter_namespaces(hidden_paths, conf)
        if landlock.abi_version() > 0:
            _apply_landlock(job_dir, hidden_paths, list(extra_read_only), conf)
        else:
            conf.skipped.append("landlock (kernel has none)")
    else:
        conf.skipped.append(f"namespaces, landlock, seccomp (not available on {platform.system()})")
    apply_rlimits(limits)
    conf.applied.append("rlimits (memory, CPU, file size, open files, core)")
    if platform.system() == "Linux":
        _apply_seccomp(conf)
    return conf
