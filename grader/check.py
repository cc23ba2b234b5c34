"""`grader check`: the public tests on one student's folder, on the student's own machine."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Collection

from grader.assignment import Assignment
from grader.grading import grade_one, nothing_to_run, report_without_tests, tests_of
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
    # Not waited for: the zygote imports torch while this process imports the parsers and pytest,
    # and reads the student's files; it is told what else they need once they are read.
    with Jail.launch(preload=None) as jail, tempfile.TemporaryDirectory(prefix="grader-check-") as work:
        from grader import intake

        source = intake.SubmissionSource(student_id=path.name or "submission", path=path)
        prepared = intake.prepare_bounded(source, assignment, Path(work) / "prepared")
        options = dataclasses.replace(options, workers=1)
        if questions is not None:
            options = dataclasses.replace(options, questions={source.student_id: list(questions)})
        only = options.questions_for(source.student_id)
        if nothing_to_run(assignment, prepared) or (only is not None and tests_of(assignment, options, only) == []):
            # nothing to run (no test of these questions): the jail is never asked to start
            report = report_without_tests(assignment, prepared, only=only)
        else:
            jail.preload(batch_preload(assignment, [prepared]))
            report = grade_one(assignment, prepared, jail, options)
            if confinement is not None:
                confinement.update(jail.probe())
    return report, markdown.render(report, options.lang)
