"""One submission, start to finish: tests in the jail -> scores -> the student's report.

    report = grade_one(assignment, prepared, jail, options)

The same function serves `grader check` (in the student's own process) and every scorer of the
batch's pool; `report_without_tests` makes the report of a submission that could not be run (nothing
to import, a scorer that died twice, the time budget): both go through `scoring` once, and nothing
changes a report after it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from grader.assignment import Assignment
from grader.harness.selection import keyword, question_tests
from grader.jail.session import Jail
from grader.options import Options
from grader.outcomes import RunResult
from grader.report.model import StudentReport
from grader.scoring import score_questions

if TYPE_CHECKING:   # intake (nbformat, the parsers) is imported by whoever prepares submissions
    from grader.harness.shards import Shard
    from grader.intake import PreparedSubmission


def nothing_to_run(assignment: Assignment, prepared: PreparedSubmission) -> bool:
    """Every manifest file failed intake: no test can reach the student's code."""
    return bool(prepared.fatal) and all(f.name in prepared.fatal for f in assignment.files)


def tests_of(assignment: Assignment, options: Options, questions: list[str]) -> list[str] | None:
    """The names of the tests that grade `questions` in this run (public, and hidden unless
    `options` leaves them out); None when some test's question cannot be read (all must run)."""
    folders = [assignment.public_tests] + ([assignment.hidden_tests] if options.include_hidden else [])
    return question_tests(folders, questions)


def grade_one(assignment: Assignment, prepared: PreparedSubmission, jail: Jail, options: Options,
              shard: Shard | None = None) -> StudentReport:
    """`shard`: other scorers grade the same submission; the report's questions that count are
    those in `shard.mine` (`merge_shards` puts the parts together). Where `options.questions`
    names this student's questions (`check` of some questions, validate's mutants), only their
    tests run and only they are in the report."""
    from grader.harness.runner import run_tests   # pytest is only needed where tests run

    only = options.questions_for(prepared.source.student_id)
    if nothing_to_run(assignment, prepared):
        return report_without_tests(assignment, prepared, only=only)
    select = None
    if only is not None:
        names = tests_of(assignment, options, only)
        if names == []:
            return report_without_tests(assignment, prepared, only=only)
        select = keyword(names) if names else None   # None: unreadable markers, every test runs
    result = run_tests(assignment, prepared, jail, options.for_student(prepared.source.student_id), select=select,
                       shard=shard)
    return _report(assignment, prepared, result, None, only)


def merge_shards(parts: list[tuple[StudentReport, list[str] | None]]) -> StudentReport:
    """One report from those of the scorers that graded one submission together: each question
    from the scorer that claimed it. `None` for claims: that scorer failed (its report is one
    without tests, saying why); the questions no scorer finished come from it."""
    first = parts[0][0]
    fallback = next((report for report, claims in parts if claims is None), first)
    owner = {qid: report for report, claims in parts for qid in (claims or [])}
    errors: list[str] = []
    timings: dict[str, float] = {}
    for report, _claims in parts:
        errors += [e for e in report.harness_errors if e not in errors]   # collection errors: said once
        for stage, seconds in report.timings.items():
            timings[stage] = timings.get(stage, 0.0) + seconds
    questions = {qid: owner.get(qid, fallback).questions[qid] for qid in first.questions}
    return replace(first, questions=questions, harness_errors=errors, timings=timings)


def report_without_tests(assignment: Assignment, prepared: PreparedSubmission,
                         harness_error: str | None = None, only: list[str] | None = None) -> StudentReport:
    return _report(assignment, prepared, None, harness_error, only)


def _report(assignment: Assignment, prepared: PreparedSubmission, result: RunResult | None,
            harness_error: str | None, only: list[str] | None = None) -> StudentReport:
    outcomes = result.outcomes if result else []
    scores = score_questions(assignment, outcomes, prepared.fatal, prepared.origins)
    if only is not None:
        scores = {qid: score for qid, score in scores.items() if qid in only}
    errors = list(result.collection_errors) if result else []
    if harness_error:
        errors.append(harness_error)
    errors += [o.nodeid for o in outcomes if o.harness_error]
    source = prepared.source
    return StudentReport(
        student=source.student_id, assignment=assignment.id, questions=scores,
        notes=list(prepared.notes), student_name=source.display_name, moodle_id=source.moodle_id,
        sources=dict(prepared.modules), harness_errors=errors,
        timings=dict(result.phases) if result else {},
    )
