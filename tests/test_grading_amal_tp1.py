"""End to end for amal_tp1: example submissions as real students hand them in (renamed files, a
subfolder with `from src.tp1 import ...`, an absent module, Boston as a script, conventions, a bug).

Each example has the per-question outcome it must get: full marks where it is right, whatever its
layout or convention, and points lost only where it is wrong, with the cause named.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader import assignment as assignment_model
from grader.pipeline import Options, run_batch

pytestmark = pytest.mark.slow   # a batch graded end to end: handed out first under xdist

PROJECT = Path(__file__).resolve().parent.parent
ASSIGNMENT = PROJECT / "assignments" / "amal_tp1"
EXAMPLES = PROJECT / "submissions" / "amal_tp1"
FULL = {"mse": 4, "linear": 4, "gradcheck": 2, "descente": 3, "boston": 4}


def only(*questions: str) -> dict[str, float]:
    return {q: (FULL[q] if q in questions else 0) for q in FULL}


EXPECTED = {
    "zz_reference": FULL,
    "alice_correct": FULL,           # the skeleton's names, in-place updates, grad_output = 1 (an int)
    "carol_renamed": FULL,           # classes.py, Gradcheck.py, Descente.py, Boston.py; W stored (p, d)
    "dave_subfolder": FULL,          # student_tp1/src/tp1.py, scripts doing `from src.tp1 import ...`
    "erin_icecream": FULL,           # tp1.py runs pip through subprocess and imports icecream
    "grace_blank": only(),           # the starter as handed out
}
# Which questions each other submission must lose points on; every other one keeps full marks.
LOSES = {
    "bob_script_only": {"boston"},                      # Boston as a script: test MSE not measurable
    "frank_grad_b_bug": {"linear", "descente", "boston"},   # grad_b = grad_output (gradcheck passes)
    "heidi_conventions": {"mse", "descente"},           # mean over q·p elements; autograd in descente
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    for example in EXAMPLES.iterdir():
        shutil.copytree(example, subs / example.name)
    shutil.copytree(ASSIGNMENT / "reference", subs / "zz_reference")
    out = tmp_path_factory.mktemp("reports")
    result = run_batch(assignment_model.load(ASSIGNMENT), subs, out, Options(workers=2, lang="en"))
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
def test_other_submissions_lose_points_only_where_wrong(batch, student):
    _, out = batch
    got = scores(out, student)
    lost = {q for q, v in got.items() if v < FULL[q]}
    assert lost == LOSES[student], got
    assert all(v > 0 for q, v in got.items() if q in LOSES[student] and student != "frank_grad_b_bug"), got


def test_feedback_names_the_cause(batch):
    _, out = batch
    frank = feedback(out, "frank_grad_b_bug", "linear")
    assert "gradcheck through linear = Linear.apply hides this bug" in frank
    assert "the parameters change shape during the descent ((3,) → (50, 3))" in \
        feedback(out, "frank_grad_b_bug", "descente")
    assert "mean over all q·p elements" in feedback(out, "heidi_conventions", "mse")
    assert "autograd" in feedback(out, "heidi_conventions", "descente")
    assert "as a script" in feedback(out, "bob_script_only", "boston")
    assert "x Wᵀ + b" in feedback(out, "carol_renamed", "linear")
    # the curves are drawn in the report
    assert "▁" in feedback(out, "alice_correct", "boston") and "test" in feedback(out, "alice_correct", "boston")
    assert "▁" in feedback(out, "bob_script_only", "boston")


def test_files_found_wherever_they_are(batch):
    _, out = batch
    carol = report(out, "carol_renamed")["sources"]
    assert carol["tp1.py"] == "classes.py"
    assert carol["tp1_descente.py"] == "Descente.py"
    assert carol["tp1_gradcheck.py"] == "Gradcheck.py"
    dave = report(out, "dave_subfolder")["sources"]
    assert dave["tp1.py"].endswith("src/tp1.py")
    assert report(out, "bob_script_only")["sources"]["tp1_boston_script.py"] == "boston.py"
