"""Intake: from what a student hands in to a folder of importable modules, or a clear reason why not.

    sources, messages = discover(Path("moodle.zip"), workdir)       # who handed in what
    prepared = prepare_bounded(sources[0], assignment, dest)        # dest/tp_nn.py, … + .intake.json
    prepared.fatal          # manifest file -> why it cannot be graded
    prepared.notes          # feedback: file chosen, top-level code skipped, stand-ins…
    prepared.origin_of_line("tp_nn.py", 42)   # -> Origin("TP3.ipynb", line=3, cell=14)
    intake_failed(prepared) # the intake itself failed or timed out: every file fatal, saying why
    packages_imported(prepared.dir)   # {"torch", "matplotlib"}: what the zygote may preload

`prepare_bounded` is `prepare` under a time limit that never raises for a student's input (only a
HarnessError, the grader's own fault, propagates); `prepare` is the same work without the guard.

One concern per module: discover.py and archives.py (finding students, exact ids, safe
extraction), sources.py and notebooks.py (reading .py / .ipynb), resolve.py (which file),
strip.py (which top-level statements), choose.py (which definition), imports.py,
course_helpers.py and standin.py (what cannot be imported), build.py (assembling a module with its
line map), diagnose.py (syntax and Python 2 messages), prepare.py (putting it together), limits.py
and guard.py (size caps, time limit, a report when the intake fails), messages.py (feedback
catalogue).
"""

import grader.catalogue  # noqa: F401  (registers the message keys)
from grader.intake.discover import ReportNameCollision, check_report_names, discover
from grader.intake.guard import IntakeFailed, failure_summary, intake_failed, prepare_bounded
from grader.intake.imports import packages_imported
from grader.intake.model import Origin, PreparedSubmission, SubmissionSource
from grader.intake.prepare import prepare

__all__ = ["SubmissionSource", "Origin", "PreparedSubmission", "discover", "prepare", "prepare_bounded",
           "IntakeFailed", "intake_failed", "failure_summary", "ReportNameCollision", "check_report_names",
           "packages_imported"]
