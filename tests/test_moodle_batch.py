"""`grader grade ASSIGNMENT archive.zip`: a Moodle "download all submissions" archive, end to end.

The report keeps the participant id and name so that the CSV imports back into Moodle.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BATCH = PROJECT / "tests" / "intake" / "fixtures" / "moodle" / "batch"
ALICE = PROJECT / "submissions" / "tp_nn" / "alice_correct" / "tp_nn.py"


def test_grade_a_moodle_zip(tmp_path):
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(BATCH.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(BATCH).as_posix())
        zf.write(ALICE, "Zoé Lefèvre_99999_assignsubmission_file_/TP3_Lefevre.py")
        zf.writestr("Yann Broken_88888_assignsubmission_file_/tp_nn.py", "def init_params(nx, nh, ny)\n")
    out = tmp_path / "reports"
    done = subprocess.run([sys.executable, "-m", "grader", "grade", "tp_nn", str(archive), "--out", str(out),
                           "--workers", "2", "--lang", "en", "--max-examples", "5"],
                          cwd=PROJECT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {row["moodle_id"]: row for row in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    assert {"12345", "99999", "88888"} <= set(rows)
    zoe = rows["99999"]
    assert zoe["name"] == "Zoé Lefèvre"
    report = json.loads((out / f"{zoe['student']}.json").read_text(encoding="utf-8"))
    assert report["moodle_id"] == "99999" and report["student_name"] == "Zoé Lefèvre"
    for qid in ("init_params", "forward", "loss_accuracy", "backward", "sgd", "train_circles"):
        assert report["questions"][qid]["score"] == report["questions"][qid]["max_score"], qid
    assert any("TP3_Lefevre.py" in note for note in report["notes"])
    broken = json.loads((out / f"{rows['88888']['student']}.json").read_text(encoding="utf-8"))
    assert float(rows["88888"]["total"]) == 0
    assert "SyntaxError line 1" in " ".join(broken["questions"]["forward"]["feedback"])
