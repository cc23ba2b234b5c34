"""The readable per-student feedback file, in one language: under each question its one-line
verdict, then the causes, the smallest failing input and the failing tests (grader.summary)."""

from __future__ import annotations

from grader.messages import LINE_CHARS
from grader.report.model import StudentReport

_HEAD = {
    "fr": ("Note", "Question", "Points", "Tests", "Remarques", "bonus", "Fichiers notés", "non noté"),
    "en": ("Score", "Question", "Points", "Tests", "Notes", "bonus", "Files graded", "not graded"),
}


def render(report: StudentReport, lang: str) -> str:
    score_h, question_h, points_h, tests_h, notes_h, bonus_h, files_h, skipped_h = _HEAD.get(lang, _HEAD["en"])

    def points(q) -> str:
        return skipped_h if q.skipped else f"{q.score:g} / {q.max_score:g}"

    name = report.student_name or report.student
    lines = [f"# {report.assignment} — {name}", "",
             f"**{score_h} : {report.score:g} / {report.max_score:g}**" if lang == "fr"
             else f"**{score_h}: {report.score:g} / {report.max_score:g}**", ""]
    lines += [f"| {question_h} | {points_h} | {tests_h} |", "|---|---:|---:|"]
    for q in report.questions.values():
        title = q.title_in(lang) + (f" ({bonus_h})" if q.bonus else "")
        lines.append(f"| {title} | {points(q)} | {q.tests_passed}/{q.tests_total} |")
    lines.append("")
    if report.sources:
        lines += [f"## {files_h}", ""]
        lines += [f"- `{graded}` ← {original}" for graded, original in report.sources.items()]
        lines.append("")
    if report.notes:
        lines += [f"## {notes_h}", ""]
        lines += [f"- {m.render(lang, LINE_CHARS)}" for m in report.notes]
        lines.append("")
    for q in report.questions.values():
        lines += [f"## {q.title_in(lang)} — {points(q)}", ""]
        if q.verdict is not None:
            lines += [f"**{q.verdict.render(lang, LINE_CHARS)}**", ""]
        if q.feedback:
            lines += [f"- {m.render(lang, LINE_CHARS)}" for m in q.feedback]
            lines.append("")
    return "\n".join(lines)
