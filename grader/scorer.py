"""The scorers of the grading pool, and the template they are forked from.

    python -m grader.scorer --template CONTROL_FD SOCKET_DIR [ASSIGNMENT_ROOT [OPTIONS_JSON]]

(or `main` of this module, in the process the zygote forks once torch and the preloads are imported:
grader.jail.beside). The template imports pytest, Hypothesis, and the assignment's tests with what
they import, once, and grades nothing: each message on the socket CONTROL_FD, with two file descriptors
attached (the new scorer's job and answer pipes), forks a scorer that shares its memory, copy on
write (grader.pool.ScorerTemplate is the other side).

A scorer grades submission after submission (JSON lines; the pool's side is
grader.pipeline._grade_all): the pool writes {"assignment": root, "submission": <PreparedSubmission
JSON>, "options": <Options JSON>, "shard": <folder>} on the job pipe (the shard's folder: the
questions are shared out with the other scorers grading the same submission,
grader.harness.shards); the scorer answers one line {"report": <StudentReport wire JSON>,
"claimed": [question ids it ran]} or {"harness_error": "..."} on the answer pipe (whatever pytest or a
library prints goes to stderr and never mixes with the answers). Its first line, {"ready": true,
"pid": n}, says it is there.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import traceback
from typing import IO


def _prepare(argv: list[str]) -> tuple:
    """The jail to attach to, and the assignments imported ahead (pytest, Hypothesis, torch and the
    tests: imported beside the zygote's own start, and not in the first student's time)."""
    from grader import assignment as assignment_model
    from grader.harness.runner import collect_ahead
    from grader.jail.session import Jail
    from grader.options import Options

    socket_dir = argv[0]
    ahead = argv[1] if len(argv) > 1 else None
    ahead_options = argv[2] if len(argv) > 2 else None
    assignments = {}
    if ahead:
        assignments[ahead] = assignment_model.load(ahead)
        collect_ahead(assignments[ahead], Options.from_json(json.loads(ahead_options)) if ahead_options else Options())
    return Jail.attach(socket_dir), assignments


def _serve(jobs: IO[str], answers: IO[str], jail, assignments: dict) -> None:
    """Grade job after job until `jobs` ends; never returns."""
    from grader import assignment as assignment_model
    from grader.grading import grade_one
    from grader.harness.shards import Shard
    from grader.intake import PreparedSubmission
    from grader.options import Options

    answers.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    for line in jobs:
        try:
            job = json.loads(line)
            if job["assignment"] not in assignments:
                assignments[job["assignment"]] = assignment_model.load(job["assignment"])
            started = time.perf_counter()
            shard = Shard(job["shard"]) if job.get("shard") else None
            try:
                report = grade_one(assignments[job["assignment"]], PreparedSubmission.from_json(job["submission"]),
                                   jail, Options.from_json(job["options"]), shard=shard)
            finally:
                if shard is not None:
                    shard.close()
            report.timings["scorer"] = time.perf_counter() - started
            answer = {"report": report.to_wire()}
            if shard is not None:
                answer["claimed"] = list(shard.mine)
            answers.write(json.dumps(answer) + "\n")
        except Exception as exc:  # ours: reported, never scored as the student's 0 silently
            answers.write(json.dumps({"harness_error": f"{type(exc).__name__}: {exc}",
                                      "traceback": traceback.format_exc()[-3000:]}) + "\n")
    # Every answer is written and nothing else needs finalising; tearing torch and Hypothesis
    # down takes half a second the batch would wait for.
    answers.flush()
    sys.stderr.flush()
    os._exit(0)


def _template(control_fd: int, argv: list[str]) -> None:
    """Import once, then fork a scorer per request: the pool's scorers share one heap."""
    import gc
    import signal

    control = socket.socket(fileno=control_fd)
    jail, assignments = _prepare(argv)
    gc.freeze()   # a collection in a scorer would otherwise copy every page of the shared objects
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)   # the kernel reaps the scorers
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(control, 64, 2)
        except OSError:
            message, fds = b"", []
        if not message:
            os._exit(0)   # the pool has gone; its scorers end with their job pipes
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            continue
        if os.fork() == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            control.close()
            _serve(os.fdopen(fds[0], "r"), os.fdopen(fds[1], "w", buffering=1), jail, assignments)
        for fd in fds:
            os.close(fd)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "--template":
        print(__doc__, file=sys.stderr)
        return 2
    # Whatever pytest or a library prints goes to stderr, never into an answer pipe.
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _template(int(argv[1]), argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
