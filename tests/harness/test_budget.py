"""Time budgets of student code: per test and per submission (grader.jail.session.Budget)."""

from __future__ import annotations

import pytest

from grader.errors import BudgetExhausted
from grader.harness.feedback import explain
from grader.jail.session import Budget, JobSpec, Session


def test_a_test_budget_draws_on_the_submission_budget():
    submission = Budget("submission", 10)
    first, second = Budget("test", 6, submission), Budget("test", 6, submission)
    first.charge(6)
    assert first.exhausted() is not None and first.exhausted().scope == "test"
    assert second.remaining() == 4
    second.charge(4)
    assert second.exhausted().scope == "submission"
    assert Budget("test", 6, submission).exhausted().scope == "submission"


def test_an_exhausted_budget_refuses_the_next_request_without_a_worker():
    class NoJail:
        def spawn(self, job):
            raise AssertionError("no worker may start once the budget is spent")

    budget = Budget("submission", 1)
    budget.charge(2)
    session = Session(NoJail(), JobSpec(submission_dir="/nonexistent"), Budget("test", 5, budget))
    with pytest.raises(BudgetExhausted):
        session.request("classes")
    with pytest.raises(BudgetExhausted):   # sticky: Hypothesis's next example fails at once
        session.request("classes")


def test_the_student_reads_why_in_their_language():
    messages, harness = explain(BudgetExhausted("submission", 180))
    assert not harness
    assert "180 s" in messages[0].render("en") and "submission" in messages[0].render("en")
    assert "rendu" in messages[0].render("fr") and "submission" not in messages[0].render("fr")
