"""`grader check`: the public tests on one student's folder, on the student's own machine."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from grader import intake
from grader.assignment import Assignment
from grader.grading import grade_one, nothing_to_run, report_without_tests
from grader.jail.session import Jail
from grader.options import Options
from grader.report import markdown
from grader.report.model import StudentReport


def check(assignment: Assignment, path: Path, options: Options = Options(include_hidden=False)) -> tuple[StudentReport, str]:
    path = path.resolve()
    source = intake.SubmissionSource(student_id=path.name or "submission", path=path)
    with tempfile.TemporaryDirectory(prefix="grader-check-") as work:
        prepared = intake.prepare_bounded(source, assignment, Path(work) / "prepared")
        if nothing_to_run(assignment, prepared):
            report = report_without_tests(assignment, prepared)
        else:
            with Jail.start(preload=list(assignment.preload)) as jail:
                report = grade_one(assignment, prepared, jail, dataclasses.replace(options, workers=1))
    return report, markdown.render(report, options.lang)
