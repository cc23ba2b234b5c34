"""Gradescope's results.json from a student's reports (Gradescope's "Autograder Specifications").

    results(graded, public, execution_time=12.3)     # -> the dict run_autograder writes
    failure("the assignment could not be loaded", "fr")

Input is the report contract (`StudentReport.to_json`), twice: `graded` is the run with the hidden
tests (what the grade is), `public` the run of the public tests alone (what `grader check` shows
the student on their own machine). The report's own language is used throughout.

Per question, in the manifest's order:

* "<title> — public checks": the public run's status and feedback, `visibility: visible`, no
  points (it must not count twice) — only when public tests ran for the question;
* "<title>": the graded score / max_score and feedback, `visibility: after_published` when the
  hidden tests added anything to the public ones (their detail and the grade stay hidden until
  the instructor publishes; Gradescope then also hides the total), `visible` when they did not
  (a question blocked at intake, with no test run, says why at once).

The top-level `output` (always shown) never holds the score: the files graded, intake's notes,
the reasons nothing could be run, a grader fault (without its text, which goes to `extra_data`
for the instructor); `stdout_visibility` is hidden: the autograder's log is the instructor's.
A question not graded here (its data set is not configured) gets max_score 0 and no status.
"""

from __future__ import annotations

from typing import Any, Mapping

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
PUBLIC_VISIBILITY = "visible"
HIDDEN_DETAIL_VISIBILITY = "after_published"

_TEXT = {
    "en": {"public": "public checks", "bonus": "bonus", "files": "Files graded:", "notes": "Notes:",
           "pending": "The points and the detail of the hidden checks are shown when the grades are published.",
           "nothing_run": "Nothing could be run:",
           "harness": "grader error (not your fault, the instructor has been told)",
           "failed": "The submission could not be graded: grader error (not your fault, the instructor has been told)."},
    "fr": {"public": "vérifications publiques", "bonus": "bonus", "files": "Fichiers notés :", "notes": "Remarques :",
           "pending": "Les points et le détail des vérifications cachées sont visibles à la publication des notes.",
           "nothing_run": "Rien n'a pu être exécuté :",
           "harness": "erreur du correcteur (pas de votre faute, l'enseignant est prévenu)",
           "failed": "La soumission n'a pas pu être notée : erreur du correcteur (pas de votre faute, l'enseignant est prévenu)."},
}


def _text(lang: str) -> dict[str, str]:
    return _TEXT.get(lang, _TEXT["en"])


def _tests_run(question: Mapping[str, Any]) -> int:
    """The number of tests run for a question ("passed/total" in the report)."""
    try:
        return int(str(question.get("tests", "0/0")).split("/")[1])
    except (IndexError, ValueError):
        return 0


def _status(question: Mapping[str, Any]) -> str:
    return "passed" if float(question.get("score", 0)) >= float(question.get("max_score", 0)) else "failed"


def _output(question: Mapping[str, Any]) -> str:
    return "\n".join(f"- {line}" for line in question.get("feedback", []))


def results(graded: Mapping[str, Any], public: Mapping[str, Any] | None = None, *,
            execution_time: float | None = None) -> dict[str, Any]:
    """results.json for one submission: `graded` with the hidden tests, `public` without."""
    lang = str(graded.get("lang", "en"))
    words = _text(lang)
    public_questions = (public or {}).get("questions", {})
    tests: list[dict[str, Any]] = []
    pending = False
    for qid, question in graded.get("questions", {}).items():
        title = str(question.get("title") or qid)
        if question.get("bonus"):
            title = f"{title} ({words['bonus']})"
        seen = public_questions.get(qid)
        public_run = _tests_run(seen) if seen else 0
        hidden_detail = _tests_run(question) > public_run
        if seen and public_run and hidden_detail:
            tests.append({"name": f"{title} — {words['public']}", "status": _status(seen),
                          "output": _output(seen), "output_format": "text", "visibility": PUBLIC_VISIBILITY})
        entry: dict[str, Any] = {
            "name": title, "score": float(question.get("score", 0)),
            "max_score": 0.0 if question.get("skipped") else float(question.get("max_score", 0)),
            "output": _output(question), "output_format": "text",
            "visibility": HIDDEN_DETAIL_VISIBILITY if hidden_detail else PUBLIC_VISIBILITY,
        }
        if not question.get("skipped"):
            entry["status"] = _status(question)
        pending = pending or hidden_detail
        tests.append(entry)
    return {
        "score": float(graded.get("score", 0)),
        **({"execution_time": max(0, round(execution_time))} if execution_time is not None else {}),
        "output": _summary(graded, words, pending),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": PUBLIC_VISIBILITY,
        "stdout_visibility": "hidden",
        "extra_data": {"assignment": graded.get("assignment"), "grader_version": graded.get("grader_version"),
                       "harness_errors": list(graded.get("harness_errors") or [])},
        "tests": tests,
    }


def _summary(graded: Mapping[str, Any], words: Mapping[str, str], pending: bool) -> str:
    """The submission-wide text every student sees at once: never the score."""
    lines: list[str] = []
    if graded.get("sources"):
        lines += [words["files"]] + [f"- {name} ← {origin}" for name, origin in graded["sources"].items()]
    if graded.get("notes"):
        lines += [words["notes"]] + [f"- {note}" for note in graded["notes"]]
    questions = list(graded.get("questions", {}).values())
    if questions and not any(_tests_run(q) for q in questions):
        reasons = list(dict.fromkeys(line for q in questions for line in q.get("feedback", [])))
        lines += [words["nothing_run"]] + [f"- {reason}" for reason in reasons]
    if graded.get("harness_errors"):
        lines.append(words["harness"])
    if pending:
        lines.append(words["pending"])
    return "\n".join(lines)


def failure(reason: str, lang: str, assignment: str | None = None) -> dict[str, Any]:
    """results.json when no report could be made at all (the grader itself failed): score 0; the
    student reads that it is not their fault, the reason is kept for the instructor (`extra_data`)."""
    return {"score": 0.0, "output": _text(lang)["failed"], "output_format": "text",
            "visibility": PUBLIC_VISIBILITY, "stdout_visibility": "hidden",
            "extra_data": {"assignment": assignment, "error": reason}, "tests": []}
