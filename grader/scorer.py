"""A scorer process of the grading pool: imports torch, pytest and Hypothesis once, then grades
submission after submission on request.

Protocol (JSON lines): the pool writes {"assignment": root, "reference": dir, "submission": <prepared
JSON>, "hidden": bool, "max_examples": int} on stdin; the scorer answers one line with
RunResult.to_json() or {"harness_error": "..."} on a private file descriptor (whatever pytest or a
library prints goes to stderr and never mixes with the answers).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import traceback


def main(argv: list[str]) -> int:
    socket_dir = argv[0]
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    from grader import assignment as assignment_model
    from grader.intake import PreparedSubmission
    from grader.jail.session import Jail
    from grader.runner import run_tests

    jail = Jail.attach(socket_dir)
    assignments = {}
    answers.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        try:
            job = json.loads(line)
            key = (job["assignment"], job.get("reference"))
            if key not in assignments:
                assignments[key] = assignment_model.load(job["assignment"], job.get("reference"))
            submission = PreparedSubmission.from_json(job["submission"])
            assignment = assignments[key]
            if job.get("call_timeout"):
                limits = dataclasses.replace(assignment.limits, call_timeout=float(job["call_timeout"]))
                assignment = dataclasses.replace(assignment, limits=limits)
            result = run_tests(assignment, submission, jail, include_hidden=job.get("hidden", True),
                               max_examples=int(job.get("max_examples", 20)),
                               seed=job.get("seed"))
            answers.write(json.dumps(result.to_json()) + "\n")
        except Exception as exc:  # ours: reported, never scored as the student's 0 silently
            answers.write(json.dumps({"harness_error": f"{type(exc).__name__}: {exc}",
                                      "traceback": traceback.format_exc()[-3000:]}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
