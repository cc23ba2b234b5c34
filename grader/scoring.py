"""Pure scoring: test outcomes + the manifest's points -> question scores. No I/O.

A question's score is its points times the weighted share of its tests passed (partial credit
counts its fraction). Scores are rounded to hundredths so that reports and the CSV agree and a
re-run gives the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.assignment import Assignment
from grader.messages import Message, msg
from grader.plugin import TestOutcome


@dataclass
class QuestionScore:
    id: str
    title: str
    score: float
    max_score: float
    bonus: bool
    feedback: list[Message] = field(default_factory=list)
    tests_passed: int = 0
    tests_total: int = 0
    harness_error: bool = False


def score_questions(assignment: Assignment, outcomes: list[TestOutcome],
                    fatal: dict[str, Message] | None = None) -> dict[str, QuestionScore]:
    by_question: dict[str, list[TestOutcome]] = {q: [] for q in assignment.questions}
    for outcome in outcomes:
        by_question.setdefault(outcome.question, []).append(outcome)
    scores = {}
    for qid, question in assignment.questions.items():
        results = by_question.get(qid, [])
        total_weight = sum(r.weight for r in results)
        earned = sum(r.weight * r.fraction for r in results)
        share = earned / total_weight if total_weight > 0 else 0.0
        feedback: list[Message] = []
        seen: set[tuple] = set()
        for result in results:
            for message in result.messages:
                key = (message.key, repr(sorted(message.params.items(), key=lambda kv: kv[0])))
                if key not in seen:
                    seen.add(key)
                    feedback.append(message)
        if not results:
            feedback.append(msg("not_graded", reason="no test for this question was run"))
        elif share == 1.0:
            feedback.append(msg("all_passed"))
        scores[qid] = QuestionScore(
            id=qid, title=question.title, score=round(question.points * share, 2),
            max_score=question.points, bonus=question.bonus, feedback=feedback,
            tests_passed=sum(1 for r in results if r.fraction == 1.0), tests_total=len(results),
            harness_error=any(r.harness_error for r in results),
        )
    return scores


def total(scores: dict[str, QuestionScore]) -> tuple[float, float]:
    """(score, max_score); bonus questions add to the score, not to the maximum."""
    score = round(sum(q.score for q in scores.values()), 2)
    maximum = round(sum(q.max_score for q in scores.values() if not q.bonus), 2)
    return score, maximum
