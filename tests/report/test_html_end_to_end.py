"""End to end: tp_nn submissions graded by the batch, and the pictures the grader measured in the
class report (index.html) and on each student's page: the training curve and the decision regions
on Circles, recorded by the hidden train_circles test, for a correct submission and a wrong one."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from grader import assignment as assignment_model
from grader.options import Options
from grader.pipeline import run_batch
from report_helpers import pngs

PROJECT = Path(__file__).resolve().parents[2]
EXAMPLES = PROJECT / "submissions" / "tp_nn"
STUDENTS = ("alice_correct", "carol_softmax_dim0")
CURVE_TITLE = "Your training on Circles, measured by the grader after each epoch"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    for name in STUDENTS:          # part 2.1 only: the other parts' questions score 0 at once
        (subs / name).mkdir()
        shutil.copy(EXAMPLES / name / "tp_nn.py", subs / name / "tp_nn.py")
    out = tmp_path_factory.mktemp("out")
    pages_on_arrival = {}

    def progress(done: int, total: int, student: str) -> None:
        pages_on_arrival[student] = (out / f"{student}.html").is_file()

    batch = run_batch(assignment_model.load(PROJECT / "assignments" / "tp_nn"), subs, out,
                      Options(workers=2, lang="en", max_examples=5), progress=progress)
    assert not batch.harness_errors
    # Each student's page is drawn when the report arrives, while the others are still graded,
    # not all at the end of the batch.
    assert pages_on_arrival == {name: True for name in STUDENTS}
    return out


def _figures(out: Path, student: str) -> list[dict]:
    return json.loads((out / f"{student}.json").read_text(encoding="utf-8"))["questions"]["train_circles"]["figures"]


def test_the_report_json_holds_the_measured_training(graded):
    alice = _figures(graded, "alice_correct")
    assert [f["kind"] for f in alice] == ["curve", "curve", "regions"]
    assert alice[0]["title"] == CURVE_TITLE
    loss, acc = alice[0]["series"][0]["y"], alice[1]["series"][0]["y"]
    assert len(loss) == 61 and all(v is not None and math.isfinite(v) for v in loss)   # start + 60 epochs
    assert loss[-1] < 0.5 * loss[0] and acc[-1] >= 0.9 and acc[0] <= 0.65   # learned, from near chance
    regions = alice[2]
    assert len(regions["grid"]) == 48 and len(regions["points"]) == 200
    # a correct network gives the centre the inner ring's class (1) and a corner the outer one's (0)
    assert regions["grid"][24][24] == 1 and regions["grid"][0][0] == 0
    assert set(regions["classes"]) == {0, 1}


def test_a_wrong_submission_gets_its_pictures_too(graded):
    carol = _figures(graded, "carol_softmax_dim0")
    assert [f["kind"] for f in carol] == ["curve", "curve", "regions"]
    report = json.loads((graded / "carol_softmax_dim0.json").read_text(encoding="utf-8"))
    assert report["questions"]["train_circles"]["score"] < report["questions"]["train_circles"]["max_score"]


def test_the_pages_show_the_training_curve(graded):
    index = (graded / "index.html").read_text(encoding="utf-8")
    assert 'href="alice_correct.html"' in index and 'href="carol_softmax_dim0.html"' in index
    for student in STUDENTS:
        page = (graded / f"{student}.html").read_text(encoding="utf-8")
        assert f'alt="{CURVE_TITLE}"' in page
        assert len(pngs(page)) >= 3
