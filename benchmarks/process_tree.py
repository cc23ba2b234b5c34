"""The processes of one grader run, for the benchmarks' memory figures: the descendants of a pid,
and the processes the zygote forks for the grader (the scorers' template and its scorers,
grader/jail/beside.py), which run in a session of their own, re-parented away from the run's tree.
They are found by their command line, the zygote's: a fork without exec keeps it."""

from __future__ import annotations

import os

ZYGOTE = b"grader.jail.zygote"


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def grader_processes(root: int, include_root: bool = True) -> list[int]:
    children: dict[int, list[int]] = {}
    commands: dict[int, bytes] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        stat = _read(f"/proc/{name}/stat")
        if not stat:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])   # after "pid (comm) state"
        children.setdefault(ppid, []).append(int(name))
        commands[int(name)] = _read(f"/proc/{name}/cmdline")

    def descendants(pid: int) -> set[int]:
        found, todo = set(), [pid]
        while todo:
            current = todo.pop()
            found.add(current)
            todo += children.get(current, ())
        return found

    tree = descendants(root)
    zygotes = {commands.get(pid, b"") for pid in tree if ZYGOTE in commands.get(pid, b"")}
    for pid, command in commands.items():
        if pid not in tree and command in zygotes:
            tree |= descendants(pid)
    if not include_root:
        tree.discard(root)
    return sorted(tree)
