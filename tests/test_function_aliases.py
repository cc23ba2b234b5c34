"""A graded function under a name the manifest accepts ([functions] sgd = ["sgd_step"]) gets
credit, and the report says which name was graded; an unknown name still counts as missing."""

from __future__ import annotations

from pathlib import Path

import json
import subprocess
import sys

PROJECT = Path(__file__).resolve().parents[1]


def renamed(tmp_path: Path, new_name: str) -> Path:
    folder = tmp_path / new_name
    folder.mkdir()
    text = (PROJECT / "assignments" / "tp_nn" / "reference" / "tp_nn.py").read_text()
    (folder / "tp_nn.py").write_text(text.replace("def sgd(", f"def {new_name}("))
    return folder


def check(folder: Path) -> dict:
    """`grader check` in a process of its own, as a student runs it; the report as JSON."""
    done = subprocess.run([sys.executable, "-m", "grader", "check", "tp_nn", str(folder), "--json", "--lang", "en",
                           "--max-examples", "3"], capture_output=True, text=True, cwd=PROJECT, timeout=600)
    return json.loads(done.stdout)


def test_an_accepted_alias_is_graded_and_named(tmp_path):
    sgd = check(renamed(tmp_path, "sgd_step"))["questions"]["sgd"]
    assert sgd["score"] == sgd["max_score"]
    assert any("your sgd_step was graded" in line for line in sgd["feedback"])


def test_another_name_is_missing(tmp_path):
    sgd = check(renamed(tmp_path, "my_sgd"))["questions"]["sgd"]
    assert sgd["score"] == 0
    assert any("sgd is not defined" in line for line in sgd["feedback"])
