"""grader.scoring: outcomes -> question scores (pure, no jail, no pytest)."""

from __future__ import annotations

from pathlib import Path

from grader import assignment as assignment_model
from grader.messages import msg
from grader.outcomes import TestOutcome
from grader.scoring import score_question, score_questions, total

TP_NN = Path(__file__).resolve().parents[1] / "assignments" / "tp_nn"


def outcome(fraction, weight=1.0, incidental=False, skipped=False, question="forward"):
    return TestOutcome(f"t{fraction}{weight}{incidental}", question, weight, fraction,
                       incidental=incidental, skipped=skipped)


def forward():
    return assignment_model.load(TP_NN).questions["forward"]


def test_weighted_share_with_partial_credit():
    score = score_question(forward(), [outcome(1.0, 3), outcome(0.5, 1)])
    assert score.score == round(4 * 3.5 / 4, 2)


def test_incidental_tests_count_only_when_the_core_passes():
    """Code that computes nothing (right shapes, wrong values) earns nothing."""
    wrong = score_question(forward(), [outcome(0.0, 3), outcome(1.0, 1, incidental=True)])
    assert wrong.score == 0
    assert any(m.key == "incidental_withheld" for m in wrong.feedback)
    right = score_question(forward(), [outcome(1.0, 3), outcome(1.0, 1, incidental=True)])
    assert right.score == 4
    partly = score_question(forward(), [outcome(0.5, 3), outcome(1.0, 1, incidental=True)])
    assert partly.score == round(4 * 2.5 / 4, 2)


def test_without_core_tests_in_the_run_the_properties_count():
    """`check` runs the public tests only: they may hold only properties of the question."""
    assert score_question(forward(), [outcome(1.0, 1, incidental=True)]).score == 4


def test_skipped_question_leaves_the_maximum():
    a = assignment_model.load(TP_NN)
    scores = score_questions(a, [outcome(1.0, question="init_params"),
                                 outcome(0.0, skipped=True, question="forward")])
    assert scores["forward"].skipped and scores["forward"].score == 0
    assert total(scores)[1] == a.max_score - a.questions["forward"].points


def test_fatal_intake_reason_is_the_feedback_of_an_untested_question():
    a = assignment_model.load(TP_NN)
    reason = msg("intake_missing_file", file="tp_nn.py", found="-")
    scores = score_questions(a, [], {"tp_nn.py": reason})
    assert scores["forward"].feedback == [reason]


def test_question_score_round_trips_through_json():
    score = score_question(forward(), [outcome(0.5)])
    again = type(score).from_json(score.to_json())
    assert again == score
