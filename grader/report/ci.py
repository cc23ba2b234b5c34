"""`grader check --ci`: the compact console summary and the CI job summary of one report.

    complete(report)            # True when every regular question is at full marks
    summary(report, "fr")       # "✓ forward  3 / 3" ... one line per question, then the verdict
    step_summary(report, "fr")  # Markdown for $GITHUB_STEP_SUMMARY: verdict + the feedback file

A question not graded here (its data set is not configured on the student's machine) neither
passes nor fails: it is listed as such and does not turn the job red, which the student could not
fix. Bonus questions never fail the job either: bonus points must not hide a failed check, and a
missing bonus is no error.
"""

from __future__ import annotations

from grader.report import markdown
from grader.report.model import StudentReport

_TEXT = {
    "en": {"ok": "every public check passes", "todo": "{n} question(s) to complete",
           "skipped": "not graded here", "bonus": "bonus",
           "harness": "⚠ grader error (not your fault): {n} check(s) could not run; tell your instructor"},
    "fr": {"ok": "toutes les vérifications publiques réussissent", "todo": "{n} question(s) à compléter",
           "skipped": "non noté ici", "bonus": "bonus",
           "harness": "⚠ erreur du correcteur (pas de votre faute) : {n} vérification(s) n'ont pas pu s'exécuter ; prévenez l'enseignant"},
}


def _words(lang: str) -> dict[str, str]:
    return _TEXT.get(lang, _TEXT["en"])


def to_complete(report: StudentReport) -> list[str]:
    """The regular questions graded here that are not at full marks."""
    return [qid for qid, q in report.questions.items()
            if not q.bonus and not q.skipped and q.score < q.max_score]


def complete(report: StudentReport) -> bool:
    return not to_complete(report)


def _verdict(report: StudentReport, lang: str) -> str:
    words = _words(lang)
    missing = to_complete(report)
    return words["ok"] if not missing else words["todo"].format(n=len(missing))


def summary(report: StudentReport, lang: str) -> str:
    """One line per question (✓ full marks, ✗ not yet, – not graded here), a warning when the
    grader itself failed (the ✗ are then not the student's doing), then the verdict."""
    words = _words(lang)
    width = max((len(qid) for qid in report.questions), default=0)
    lines = []
    for qid, q in report.questions.items():
        if q.skipped:
            mark, points = "–", words["skipped"]
        else:
            mark = "✓" if q.score >= q.max_score else "✗"
            points = f"{q.score:g} / {q.max_score:g}"
        bonus = f" ({words['bonus']})" if q.bonus else ""
        lines.append(f"{mark} {qid:<{width}}  {points}{bonus}")
    if report.harness_errors:
        lines.append(words["harness"].format(n=len(report.harness_errors)))
    mark = "✓" if complete(report) else "✗"
    lines.append(f"{mark} {report.assignment}: {report.score:g} / {report.max_score:g} — {_verdict(report, lang)}")
    return "\n".join(lines)


def step_summary(report: StudentReport, lang: str) -> str:
    """The job summary (GitHub renders it under the run): the verdict, then the feedback file."""
    mark = "✅" if complete(report) else "❌"
    return f"{mark} **{_verdict(report, lang)}**\n\n{markdown.render(report, lang)}\n"
