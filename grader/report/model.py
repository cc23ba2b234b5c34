"""The per-student report: a stable, versioned contract (documented in the README).

    {"schema": 1, "student", "assignment", "score", "max_score",
     "questions": {"<id>": {"score", "max_score", "feedback": [str, ...], "bonus", "tests": "3/4",
                            "title", "verdict": str | None, "figures": [{"kind", "title", ...}]}},
     "student_name", "moodle_id", "sources": {...}, "notes": [str], "harness_errors": [str],
     "lang", "grader_version"}

The first five keys and each question's score / max_score / feedback are the contract; the others
are additions that consumers may ignore. A question's "feedback" starts with its one-line verdict
(also its "verdict"), then the distinct causes, the smallest failing input, the failing tests'
titles, the notes (grader.summary); "title" and every line are in the report's language.

"figures" (an addition) holds what the tests measured, to draw (grader.checks.figures bounds it),
titles and labels rendered in the report's language; `grader.report.html` draws them:

    {"kind": "curve", "title", "x_label", "y_label", "log_y",
     "series": [{"label", "y": [float | null, ...], "x": [float, ...] (optional)}]}   null: NaN / inf
    {"kind": "regions", "title", "x_label", "y_label", "extent": [x_min, x_max, y_min, y_max],
     "grid": [[class, ...], ...] (row 0 at y_min), "points": [[x, y], ...], "classes": [class, ...]}
    {"kind": "images", "title", "rows": [{"label", "images": [[[pixel, ...], ...], ...]}],
     "value_range": [low, high] (optional)}
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import __version__
from grader.messages import LINE_CHARS, Message
from grader.scoring import QuestionScore, total

SCHEMA = 1


@dataclass
class StudentReport:
    student: str
    assignment: str
    questions: dict[str, QuestionScore]
    notes: list[Message] = field(default_factory=list)
    student_name: str | None = None
    moodle_id: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    harness_errors: list[str] = field(default_factory=list)
    # Where the scorer's seconds went (RunResult.phases): for the benchmark, never in the report.
    timings: dict[str, float] = field(default_factory=dict)
    content_hash: str = ""      # what the report was made from (grader.fingerprint)

    @property
    def score(self) -> float:
        return total(self.questions)[0]

    @property
    def max_score(self) -> float:
        return total(self.questions)[1]

    def to_json(self, lang: str) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "student": self.student,
            "assignment": self.assignment,
            "score": self.score,
            "max_score": self.max_score,
            "questions": {
                qid: {"title": q.title_in(lang), "score": q.score, "max_score": q.max_score, "bonus": q.bonus,
                      "tests": f"{q.tests_passed}/{q.tests_total}",
                      # the verdict first, then the causes (grader.summary); each line capped
                      "feedback": [m.render(lang, LINE_CHARS) for m in q.lines()],
                      "verdict": q.verdict.render(lang, LINE_CHARS) if q.verdict is not None else None,
                      "figures": [f.render(lang) for f in q.figures],
                      **({"skipped": True} if q.skipped else {})}
                for qid, q in self.questions.items()
            },
            "student_name": self.student_name,
            "moodle_id": self.moodle_id,
            "sources": self.sources,
            "notes": [m.render(lang) for m in self.notes],
            "harness_errors": self.harness_errors,
            "lang": lang,
            "grader_version": __version__,
            "content_hash": self.content_hash,
        }


    def to_wire(self) -> dict[str, Any]:
        """Everything, messages unrendered: how a scorer hands a finished report to the batch."""
        return {"student": self.student, "assignment": self.assignment,
                "questions": {qid: q.to_json() for qid, q in self.questions.items()},
                "notes": [m.to_json() for m in self.notes], "student_name": self.student_name,
                "moodle_id": self.moodle_id, "sources": dict(self.sources),
                "harness_errors": list(self.harness_errors), "timings": dict(self.timings)}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "StudentReport":
        return cls(str(data["student"]), str(data["assignment"]),
                   {qid: QuestionScore.from_json(q) for qid, q in data["questions"].items()},
                   [Message.from_json(m) for m in data.get("notes", [])], data.get("student_name"),
                   data.get("moodle_id"), dict(data.get("sources", {})), list(data.get("harness_errors", [])),
                   {str(k): float(v) for k, v in data.get("timings", {}).items()})


def write_atomically(path: Path, content: str) -> None:
    """Write through a temporary file and rename: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json(path: Path, data: dict) -> None:
    write_atomically(path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
