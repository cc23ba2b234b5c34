"""A scorer process of the grading pool: imports pytest, Hypothesis, and the assignment's tests with
what they import (torch), once, then grades submission after submission on request.

    python -m grader.scorer SOCKET_DIR [ASSIGNMENT_ROOT [OPTIONS_JSON]]

Protocol (JSON lines; the pool's side is grader.pipeline._grade_all): the pool writes
{"assignment": root, "submission": <PreparedSubmission JSON>, "options": <Options JSON>} on stdin;
the scorer answers one line {"report": <StudentReport wire JSON>} or {"harness_error": "..."} on a
private file descriptor (whatever pytest or a library prints goes to stderr and never mixes with
the answers).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback


def main(argv: list[str]) -> int:
    socket_dir = argv[0]
    # The assignment most jobs will be for, and the batch's options
    ahead = argv[1] if len(argv) > 1 else None
    ahead_options = argv[2] if len(argv) > 2 else None
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    from grader import assignment as assignment_model
    from grader.grading import grade_one
    from grader.intake import PreparedSubmission
    from grader.jail.session import Jail
    from grader.options import Options
    from grader.harness.runner import collect_ahead

    jail = Jail.attach(socket_dir)
    assignments = {}
    if ahead:
        # pytest, Hypothesis, torch and the tests: imported before "ready", beside the zygote's
        # own start, and not in the first student's time.
        assignments[ahead] = assignment_model.load(ahead)
        collect_ahead(assignments[ahead], Options.from_json(json.loads(ahead_options)) if ahead_options else Options())
    answers.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        try:
            job = json.loads(line)
            if job["assignment"] not in assignments:
                assignments[job["assignment"]] = assignment_model.load(job["assignment"])
            started = time.perf_counter()
            report = grade_one(assignments[job["assignment"]], PreparedSubmission.from_json(job["submission"]),
                               jail, Options.from_json(job["options"]))
            report.timings["scorer"] = time.perf_counter() - started
            answers.write(json.dumps({"report": report.to_wire()}) + "\n")
        except Exception as exc:  # ours: reported, never scored as the student's 0 silently
            answers.write(json.dumps({"harness_error": f"{type(exc).__name__}: {exc}",
                                      "traceback": traceback.format_exc()[-3000:]}) + "\n")
    # Every answer is written and nothing else needs finalising; tearing torch and Hypothesis
    # down takes half a second the batch would wait for.
    answers.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
