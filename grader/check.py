"""`grader check`: the public tests on one student's folder, on the student's own machine."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Collection

from grader.assignment import Assignment
from grader.grading import grade_one, nothing_to_run, report_without_tests
from grader.harness.selection import keyword, question_tests
from grader.jail.session import Jail
from grader.options import Options
from grader.pipeline import batch_preload
from grader.report import markdown
from grader.report.model import StudentReport


def check(assignment: Assignment, path: Path, options: Options = Options(include_hidden=False),
          questions: Collection[str] | None = None, confinement: dict | None = None) -> tuple[StudentReport, str]:
    """`questions`: only these questions' tests run and are reported (a notebook's self-check of one
    question); `confinement`, when given, is filled with the layers the jail applied and skipped
    on this machine ("applied", "skipped"), for the caller to say what was not enforced."""
    path = path.resolve()
    names = question_tests([assignment.public_tests], questions) if questions is not None else None
    select = keyword(names) if names else None    # None: every test runs (and is filtered below)
    # Not waited for: the zygote imports torch while this process imports the parsers and pytest,
    # and reads the student's files; it is told what else they need once they are read.
    with Jail.launch(preload=None) as jail, tempfile.TemporaryDirectory(prefix="grader-check-") as work:
        from grader import intake

        source = intake.SubmissionSource(student_id=path.name or "submission", path=path)
        prepared = intake.prepare_bounded(source, assignment, Path(work) / "prepared")
        if nothing_to_run(assignment, prepared) or names == []:    # []: no test of these questions
            report = report_without_tests(assignment, prepared)
        else:
            jail.preload(batch_preload(assignment, [prepared]))
            report = grade_one(assignment, prepared, jail, dataclasses.replace(options, workers=1), select)
            if confinement is not None:
                confinement.update(jail.probe())
    if questions is not None:
        report = dataclasses.replace(report, questions={q: s for q, s in report.questions.items() if q in questions})
    return report, markdown.render(report, options.lang)
