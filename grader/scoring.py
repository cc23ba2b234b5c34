"""Pure scoring: test outcomes, intake's reasons and origins + the manifest's points -> question
scores. No I/O, no pytest, no jail.

A question's score is its points times the weighted share of its tests passed (partial credit
counts its fraction). Tests marked incidental (shapes, no mutation, dtype kept...) count only when
every core test of the question in the run earns something: code that computes nothing earns
nothing. A
question whose tests say it cannot be graded here (`skip_question`) is "not graded" and leaves the
maximum. Scores are rounded to hundredths so that reports and the CSV agree and a re-run gives the
same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from grader.assignment import Assignment, Question
from grader.messages import Message, msg, text
from grader.outcomes import Figure, TestOutcome
from grader.summary import summarize

MAX_FIGURES = 8   # per question: the report's pictures stay a few hundred kilobytes per student


class _Origin(Protocol):
    file: str
    cell: int | None

    def describe(self) -> str: ...


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
    skipped: bool = False
    figures: list[Figure] = field(default_factory=list)   # what the tests measured, to draw
    title_en: str = ""                   # the manifest's English title ("": `title` in every language)
    verdict: Message | None = None       # the one-line verdict that heads the feedback (grader.summary)

    def title_in(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title

    def lines(self) -> list[Message]:
        """The feedback as a report shows it: the verdict, then the rest."""
        return ([self.verdict] if self.verdict is not None else []) + list(self.feedback)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "score": self.score, "max_score": self.max_score,
                "bonus": self.bonus, "feedback": [m.to_json() for m in self.feedback],
                "tests_passed": self.tests_passed, "tests_total": self.tests_total,
                "harness_error": self.harness_error, "skipped": self.skipped,
                "figures": [f.to_json() for f in self.figures], "title_en": self.title_en,
                "verdict": self.verdict.to_json() if self.verdict is not None else None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "QuestionScore":
        return cls(str(data["id"]), str(data["title"]), float(data["score"]), float(data["max_score"]),
                   bool(data["bonus"]), [Message.from_json(m) for m in data.get("feedback", [])],
                   int(data.get("tests_passed", 0)), int(data.get("tests_total", 0)),
                   bool(data.get("harness_error", False)), bool(data.get("skipped", False)),
                   [Figure.from_json(f) for f in data.get("figures", [])], str(data.get("title_en", "")),
                   Message.from_json(data["verdict"]) if data.get("verdict") else None)


def _unique(messages: list[Message]) -> list[Message]:
    seen: set[tuple] = set()
    kept = []
    for message in messages:
        key = (message.key, repr(sorted(message.params.items(), key=lambda kv: kv[0])))
        if key not in seen:
            seen.add(key)
            kept.append(message)
    return kept


def _share(results: list[TestOutcome]) -> tuple[float, bool]:
    """(weighted share earned, whether incidental tests were withheld)."""
    core = [r for r in results if not r.incidental]
    # With no core test in this run (the public tests of `check` may hold only properties), the
    # properties are all there is to go by; graded runs always hold the core (validate's
    # all-zeros mutants make sure of it).
    core_ok = all(r.fraction > 0 for r in core)
    withheld = any(r.incidental for r in results) and not core_ok
    total_weight = sum(r.weight for r in results)
    earned = sum(r.weight * r.fraction for r in results if core_ok or not r.incidental)
    return (earned / total_weight if total_weight > 0 else 0.0), withheld


def score_question(question: Question, results: list[TestOutcome],
                   blocking: list[Message] = (), origins: Mapping[str, _Origin] | None = None) -> QuestionScore:
    """One question's score from its tests' outcomes.

    `blocking`: intake's reasons why the question's files cannot be graded; `origins`: where each
    graded function or class came from (shown when it is not simply the expected file)."""
    shown = [msg("graded_from", function=name, origin=origin.describe())
             for name, origin in (origins or {}).items()
             if not name.startswith("__") and (origin.cell is not None or origin.file != question.file)]
    skipped = any(r.skipped for r in results)
    if skipped:
        feedback = _unique([m for r in results if r.skipped for m in r.messages])
        return QuestionScore(question.id, question.title, 0.0, question.points, question.bonus,
                             feedback, 0, len(results), skipped=True, title_en=question.title_en)
    share, withheld = _share(results)
    # verdict, distinct causes, smallest failing input, failing tests, notes (grader.summary)
    summary = summarize(results, all_passed=bool(results) and share == 1.0)
    feedback = summary.lines + shown
    if not results:
        feedback = list(blocking) or [msg("not_graded", reason=text("no test for this question was run",
                                                                    "aucun test de cette question n'a été exécuté"))]
    elif withheld:
        feedback.append(msg("incidental_withheld"))
    return QuestionScore(
        id=question.id, title=question.title, score=round(question.points * share, 2),
        max_score=question.points, bonus=question.bonus, feedback=feedback,
        title_en=question.title_en, verdict=summary.verdict,
        tests_passed=sum(1 for r in results if r.fraction == 1.0), tests_total=len(results),
        harness_error=any(r.harness_error for r in results),
        figures=[f for r in results for f in r.figures][:MAX_FIGURES],
    )


def score_questions(assignment: Assignment, outcomes: list[TestOutcome],
                    fatal: Mapping[str, Message] | None = None,
                    origins: Mapping[str, Mapping[str, _Origin]] | None = None) -> dict[str, QuestionScore]:
    by_question: dict[str, list[TestOutcome]] = {q: [] for q in assignment.questions}
    for outcome in outcomes:
        by_question.setdefault(outcome.question, []).append(outcome)
    fatal = fatal or {}
    scores = {}
    for qid, question in assignment.questions.items():
        # An either-form question is blocked only when neither of its files can be graded.
        blocking = [fatal[f] for f in question.files if f in fatal]
        if len(blocking) < len(question.files):
            blocking = []
        scores[qid] = score_question(question, by_question.get(qid, []), blocking,
                                     (origins or {}).get(qid, {}))
    return scores


def total(scores: Mapping[str, QuestionScore]) -> tuple[float, float]:
    """(score, max_score); bonus questions add to the score, not to the maximum; questions not
    graded here leave the maximum."""
    score = round(sum(q.score for q in scores.values()), 2)
    maximum = round(sum(q.max_score for q in scores.values() if not q.bonus and not q.skipped), 2)
    return score, maximum
