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


def build(out_dir: Path, question_ids: list[str]) -> Path:
    rows = []
    for path in sorted(out_dir.glob("*.json")):
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
                         *[questions.get(q, {}).get("score", "") for q in question_ids],
                         data["score"], data["max_score"]])
    target = out_dir / "grades.csv"
    write_atomically(target, buffer.getvalue())
    return target
