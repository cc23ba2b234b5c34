"""Grading some questions only: `grader validate --named-only` (what `make test` validates the five
assignments with) and `Options.questions`, on a two-question fixture whose second question goes
through the first's function."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from grader import assignment as assignment_model
from grader.options import Options
from grader.pipeline import run_batch
from grader.validate import validate

TWO = Path(__file__).resolve().parent / "fixtures" / "assignments" / "two_questions"

# A mutant that also costs a question it does not name, and one whose named question misses it.
EXTRA_MUTANTS = '''
[[mutant]]
name = "scale_adds_naming_scale_only"
file = "projet.py"
replace = [["np.asarray(x, dtype=float) * k", "np.asarray(x, dtype=float) + k"]]
loses = ["scale"]

[[mutant]]
name = "harmless_naming_total"
file = "projet.py"
replace = [["import numpy as np", "import numpy as np  # a comment changes nothing"]]
loses = ["total"]
'''


def _verdicts(table: str) -> dict[str, str]:
    """mutant name -> "ok" or "MISMATCH", from validate's printed table."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^  (\S+)\s.*?(ok|MISMATCH)$", table, re.M)}


def _with_extra_mutants(tmp_path: Path) -> assignment_model.Assignment:
    root = tmp_path / "two_questions"
    shutil.copytree(TWO, root)
    manifest = root / "mutants" / "mutants.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + EXTRA_MUTANTS, encoding="utf-8")
    return assignment_model.load(root)


def test_named_only_still_fails_a_mutant_its_question_misses_but_not_one_that_costs_more(tmp_path, capsys):
    assignment = _with_extra_mutants(tmp_path)

    assert not validate(assignment, workers=2, max_examples=5, named_only=True)
    named_only = _verdicts(capsys.readouterr().out)
    assert named_only["harmless_naming_total"] == "MISMATCH"   # its named question is still graded
    assert named_only["scale_adds_naming_scale_only"] == "ok"  # what it costs elsewhere is not looked at
    assert named_only["scale_adds"] == named_only["total_off_by_one"] == "ok"

    assert not validate(assignment, workers=2, max_examples=5)
    full = _verdicts(capsys.readouterr().out)
    assert full["scale_adds_naming_scale_only"] == "MISMATCH"  # the full validation sees "and only there"
    assert full["harmless_naming_total"] == "MISMATCH"
    assert full["reference"] == full["starter"] == full["scale_adds"] == "ok"


def _student(subs: Path, name: str, replace: tuple[str, str] | None = None) -> None:
    shutil.copytree(TWO / "reference", subs / name)
    if replace:
        module = subs / name / "projet.py"
        module.write_text(module.read_text(encoding="utf-8").replace(*replace), encoding="utf-8")


def test_some_questions_score_as_in_a_full_grading_and_never_stand_for_one(tmp_path):
    assignment = assignment_model.load(TWO)
    subs = tmp_path / "subs"
    _student(subs, "adds", ("np.asarray(x, dtype=float) * k", "np.asarray(x, dtype=float) + k"))
    _student(subs, "right")
    out = tmp_path / "out"

    some = run_batch(assignment, subs, out, Options(workers=2, max_examples=5, class_report=False,
                                                    questions={"adds": ["total"]}))
    partial = {r.student: r for r in some.reports}
    assert list(partial["adds"].questions) == ["total"]
    assert list(partial["right"].questions) == ["scale", "total"]

    full = run_batch(assignment, subs, out, Options(workers=2, max_examples=5, class_report=False))
    assert full.kept == ["right"]   # the report of one question is regraded, not kept
    graded = {r.student: r for r in full.reports}
    assert list(graded["adds"].questions) == ["scale", "total"]
    total, alone = graded["adds"].questions["total"], partial["adds"].questions["total"]
    assert (total.score, total.max_score) == (alone.score, alone.max_score) == (0, 1)
    assert [m.render("en") for m in total.feedback] == [m.render("en") for m in alone.feedback]
