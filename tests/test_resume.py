"""A batch run again keeps the finished reports made from the same content, regrades a changed
submission, counts only its own students in grades.csv, and gives byte-identical reports."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from grader import assignment as assignment_model
from grader.options import Options
from grader.pipeline import run_batch

TINY = Path(__file__).resolve().parent / "fixtures" / "assignments" / "tiny_linear"


def without_timings(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_resume_keeps_finished_reports_and_regrades_a_change(tmp_path):
    a = assignment_model.load(TINY)
    subs = tmp_path / "subs"
    shutil.copytree(TINY / "reference", subs / "a_b")
    shutil.copytree(TINY / "starter", subs / "a__b")
    out = tmp_path / "out"
    (out).mkdir()
    (out / "stale_student.json").write_text(json.dumps({"student": "stale_student", "questions": {},
                                                        "score": 99, "max_score": 3}))
    first = run_batch(a, subs, out, Options(workers=2, max_examples=5))
    assert sorted(r.student for r in first.reports) == ["a__b", "a_b"]       # ids kept exactly
    before = {p.name: without_timings(p) for p in out.glob("*.json")}
    again = run_batch(a, subs, out, Options(workers=2, max_examples=5))
    assert sorted(again.kept) == ["a__b", "a_b"] and not again.reports
    assert {p.name: without_timings(p) for p in out.glob("*.json")} == before
    (subs / "a__b" / "projet.py").write_text((TINY / "reference" / "projet.py").read_text())
    third = run_batch(a, subs, out, Options(workers=2, max_examples=5))
    assert third.kept == ["a_b"] and [r.student for r in third.reports] == ["a__b"]
    assert third.reports[0].score == 3
    forced = run_batch(a, subs, out, Options(workers=2, max_examples=5, force=True))
    assert not forced.kept and len(forced.reports) == 2
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 3 and not any("stale_student" in row for row in rows)


def test_regrading_gives_byte_identical_reports(tmp_path):
    """Twice here; `make robustness` grades them 10 times (GRADER_DETERMINISM_RUNS)."""
    a = assignment_model.load(TINY)
    subs = tmp_path / "subs"
    shutil.copytree(TINY / "reference", subs / "ref")
    shutil.copytree(TINY / "mutants" / "folders" / "split_files", subs / "pkg")
    outputs = []
    for run in range(int(os.environ.get("GRADER_DETERMINISM_RUNS", "2"))):
        out = tmp_path / f"out{run}"
        run_batch(a, subs, out, Options(workers=2, max_examples=5))
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert all(output == outputs[0] for output in outputs[1:])
