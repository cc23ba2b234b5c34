"""The class gradebook: one CSV row per student, rebuilt from the per-student JSON reports.

Rebuilding from the reports on disk (not from memory) means a batch that was interrupted and
resumed still yields one complete, consistent gradebook.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from grader.report.model import write_atomically


def build(out_dir: Path, question_ids: list[str], stems: list[str] | None = None) -> Path:
    """`stems`: the reports of this batch (graded now or kept from a resumed run); other JSON files
    in the folder (an older batch's students, anything else) are not counted."""
    rows = []
    paths = sorted(out_dir.glob("*.json")) if stems is None else [out_dir / f"{stem}.json" for stem in sorted(stems)]
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if not isinstance(data, dict) or "questions" not in data or "student" not in data:
            continue
        rows.append(data)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "name", "moodle_id", *question_ids, "total", "max"])
    for data in rows:
        questions = data["questions"]
        writer.writerow([data["student"], data.get("student_name") or "", data.get("moodle_id") or "",
                         *[_cell(questions.get(q, {})) for q in question_ids],
                         data["score"], data["max_score"]])
    target = out_dir / "grades.csv"
    # (a skipped question reads "skipped": not graded here, never a silent 0)
    write_atomically(target, buffer.getvalue())
    return target


def _cell(question: dict) -> object:
    if question.get("skipped"):
        return "skipped"
    return question.get("score", "")
