"""grader.harness.feedback: whose fault an exception is, and what the student reads."""

from __future__ import annotations

import sys

from grader.checks.compare import expect_close
from grader.checks.outcomes import CheckFailed
from grader.errors import HarnessError, StudentError, StudentTimeout
from grader.harness.feedback import explain, raised_in_grader
from grader.harness import fixtures


def raised(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - the point is to keep it
        return exc, sys.exc_info()[2]
    raise AssertionError("did not raise")


def test_a_check_failing_is_the_students_fault():
    exc, tb = raised(expect_close, [1.0], [2.0], name="x")
    messages, harness = explain(exc, tb)
    assert isinstance(exc, CheckFailed) and not harness and messages


def test_a_bug_in_grader_code_is_ours():
    def buggy(_):
        return {}["missing"]   # stands for an engine bug: not student-facing code

    exc, tb = raised(fixtures.PerStudent().once, "k", lambda: buggy(0))
    # the innermost frame is this test file (not grader code): a value problem, not ours
    assert not explain(exc, tb)[1]
    exc, tb = raised(fixtures.load_reference, type("A", (), {"reference_dir": fixtures.Path("/nonexistent"),
                                                            "id": "x"})(), "m")
    assert isinstance(exc, HarnessError) and explain(exc, tb)[1]


def test_grader_frames_without_the_marker_are_ours():
    exc, tb = raised(fixtures._test_title, None)   # AttributeError raised inside grader code
    assert raised_in_grader(tb)
    assert explain(exc, tb)[1]


def test_student_errors_and_timeouts_become_feedback():
    error = StudentError("ZeroDivisionError", "division by zero")
    messages, harness = explain(error)
    assert not harness and "ZeroDivisionError" in messages[0].render("en")
    messages, harness = explain(StudentTimeout(3))
    assert not harness and "3 s" in messages[0].render("en")


def test_an_exception_group_is_explained_by_what_it_holds():
    """Hypothesis wraps a failure that appears only after earlier examples in FlakyFailure: the
    student reads the cause, never our paths."""
    group = ExceptionGroup("Inconsistent results from replaying /work/main/grader/x.py", [StudentTimeout(2)])
    messages, harness = explain(group)
    assert not harness and "2 s" in messages[0].render("en") and "grader" not in messages[0].render("en")
