"""A graded function under a name the manifest accepts ([functions] sgd = ["sgd_step"]) gets
credit, and the report says which name was graded; an unknown name still counts as missing."""

from __future__ import annotations

from pathlib import Path

from grader import assignment as assignment_model
from grader.check import check
from grader.options import Options

PROJECT = Path(__file__).resolve().parents[1]


def renamed(tmp_path: Path, new_name: str) -> Path:
    folder = tmp_path / new_name
    folder.mkdir()
    text = (PROJECT / "assignments" / "tp_nn" / "reference" / "tp_nn.py").read_text()
    (folder / "tp_nn.py").write_text(text.replace("def sgd(", f"def {new_name}("))
    return folder


def test_an_accepted_alias_is_graded_and_named(tmp_path):
    a = assignment_model.load(PROJECT / "assignments" / "tp_nn")
    report, _ = check(a, renamed(tmp_path, "sgd_step"), Options(include_hidden=False, lang="en", max_examples=3))
    sgd = report.questions["sgd"]
    assert sgd.score == sgd.max_score
    assert any("your sgd_step was graded" in m.render("en") for m in sgd.feedback)


def test_another_name_is_missing(tmp_path):
    a = assignment_model.load(PROJECT / "assignments" / "tp_nn")
    report, _ = check(a, renamed(tmp_path, "my_sgd"), Options(include_hidden=False, lang="en", max_examples=3))
    sgd = report.questions["sgd"]
    assert sgd.score == 0
    assert any("sgd is not defined" in m.render("en") for m in sgd.feedback)
