"""End to end for intro_pytorch: example submissions in both forms (functions, the course's scripts).

Each example has the per-question outcome it must get: full marks where it is right, whatever its
form or convention, and points lost only where it is wrong.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader import assignment as assignment_model
from grader.options import Options
from grader.pipeline import run_batch

pytestmark = pytest.mark.slow   # a batch graded end to end: handed out first under xdist

PROJECT = Path(__file__).resolve().parent.parent
ASSIGNMENT = PROJECT / "assignments" / "intro_pytorch"
EXAMPLES = PROJECT / "submissions" / "intro_pytorch"
FULL = {"tensors": 2, "broadcasting": 3, "graph_linear": 2, "hinge": 2, "spiral_vectorized": 2,
        "neq": 3, "neq_vectorized": 2, "categories": 2, "spiral": 2}
SCRIPT_QUESTIONS = {"neq", "neq_vectorized", "categories", "spiral"}


def only(*questions: str) -> dict[str, float]:
    return {q: (FULL[q] if q in questions else 0) for q in FULL}


EXPECTED = {
    "zz_reference": FULL,
    "alice_functions": FULL,                    # functions only; |f − ref| and the usual hinge
    "bob_scripts": only(*SCRIPT_QUESTIONS),     # the three scripts only
    "carol_course_template": only("neq", "spiral"),   # scripts named loosely; loop kept; no V1
    "heidi_broken_module": only("neq"),         # intro_pytorch.py does not parse; the script does
    "grace_blank": only(),                      # the starter as handed out
}
# Which questions each wrong submission must lose points on; every other one keeps full marks.
LOSES = {
    "dave_wrong_functions": {"broadcasting", "hinge", "graph_linear", "categories"},
    "erin_loops": {"tensors", "graph_linear", "neq_vectorized", "spiral_vectorized"},
    "frank_scripts_wrong": {"neq", "categories", "spiral"} | (set(FULL) - SCRIPT_QUESTIONS),
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    for example in EXAMPLES.iterdir():
        shutil.copytree(example, subs / example.name)
    shutil.copytree(PROJECT / "assignments" / "intro_pytorch" / "reference", subs / "zz_reference")
    out = tmp_path_factory.mktemp("reports")
    result = run_batch(assignment_model.load(ASSIGNMENT), subs, out,
                       Options(workers=2, call_timeout=2, lang="en"))
    return result, out


def report(out: Path, student: str) -> dict:
    return json.loads((out / f"{student}.json").read_text())


def scores(out: Path, student: str) -> dict[str, float]:
    return {q: v["score"] for q, v in report(out, student)["questions"].items()}


def feedback(out: Path, student: str, question: str) -> str:
    return " ".join(report(out, student)["questions"][question]["feedback"])


def test_no_grader_error(batch):
    result, _ = batch
    assert result.harness_errors == 0, [r.harness_errors for r in result.reports if r.harness_errors]


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_exact_scores(batch, student):
    _, out = batch
    assert scores(out, student) == {q: float(v) for q, v in EXPECTED[student].items()}


@pytest.mark.parametrize("student", sorted(LOSES))
def test_wrong_submissions_lose_points_only_where_wrong(batch, student):
    _, out = batch
    got = scores(out, student)
    lost = {q for q, v in got.items() if v < FULL[q]}
    assert lost == LOSES[student], got


def test_feedback_names_the_convention_and_the_cause(batch):
    _, out = batch
    # both conventions earn full marks, and the feedback says which one was used
    assert "usual hinge" in feedback(out, "alice_functions", "hinge")
    assert "follows the handout" in feedback(out, "zz_reference", "hinge")
    assert "|f − ref|" in feedback(out, "alice_functions", "neq")
    assert "|f − ref|" in feedback(out, "carol_course_template", "neq")
    # wrong ones: the cause
    dave = feedback(out, "dave_wrong_functions", "broadcasting")
    assert "pad the shorter shape on the left" in dave
    assert "ajoute_colonne(A" in dave and "ComputeCatPerPixel" in dave
    assert "the row index comes first" in feedback(out, "erin_loops", "tensors")
    assert "Python loop" in feedback(out, "erin_loops", "graph_linear")
    assert "Python loop" in feedback(out, "erin_loops", "spiral_vectorized")
    assert "sample by sample" in feedback(out, "carol_course_template", "neq_vectorized")
    assert "a.grad.zero_()" in feedback(out, "frank_scripts_wrong", "neq")
    assert "accuracy" in feedback(out, "frank_scripts_wrong", "spiral")
    assert "not in their zone" in feedback(out, "frank_scripts_wrong", "categories")
    assert "nothing to grade" in feedback(out, "carol_course_template", "categories")
    assert "template" in feedback(out, "grace_blank", "tensors")
    assert "intro_pytorch.py" in feedback(out, "heidi_broken_module", "tensors")


def test_scripts_are_found_by_loose_names(batch):
    _, out = batch
    sources = report(out, "carol_course_template")["sources"]
    assert sources["Ex grad intro.py"] == "ex_grad_intro.py"
    assert sources["Ex Appr formes V2.py"] == "Ex Appr formes V2 (1).py"
