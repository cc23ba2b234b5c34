"""A worker's resource limits: what the manifest's [limits] becomes, once (AssignmentLimits.jail),
and what the jail enforces (grader.jail.sandbox). Plain data, at the bottom of the package."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Per-worker resource limits. Times in seconds, sizes in bytes."""

    call_timeout: float = 10.0
    cpu_seconds: int = 600
    memory_bytes: int = 3 * 1024**3  # address space added on top of what the zygote maps
    file_size_bytes: int = 64 * 1024**2
    open_files: int = 256
    processes: int = 64  # tasks (threads) per worker: RLIMIT_NPROC under the worker's own uid
    threads: int = 1
    disk_bytes: int = 512 * 1024**2  # the job folder: a tmpfs of this size where mounts work
    disk_files: int = 16384  # inodes of that tmpfs
