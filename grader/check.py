"""`grader check`: the public tests on one student's folder, on the student's own machine."""

from __future__ import annotations

import tempfile
from pathlib import Path

from grader import intake
from grader.assignment import Assignment
from grader.jail.session import Jail
from grader.pipeline import build_report
from grader.report import markdown
from grader.report.model import StudentReport
from grader.runner import run_tests


def check(assignment: Assignment, path: Path, *, lang: str, max_examples: int = 20,
          include_hidden: bool = False) -> tuple[StudentReport, str]:
    path = path.resolve()
    source = intake.SubmissionSource(student_id=path.name or "submission", path=path)
    with tempfile.TemporaryDirectory(prefix="grader-check-") as work:
        prepared = intake.prepare(source, assignment, Path(work) / "prepared")
        result = None
        if not (prepared.fatal and all(f.name in prepared.fatal for f in assignment.files)):
            with Jail.start(preload=list(assignment.preload)) as jail:
                result = run_tests(assignment, prepared, jail, include_hidden=include_hidden,
                                   max_examples=max_examples)
        report = build_report(assignment, prepared, result)
    return report, markdown.render(report, lang)
