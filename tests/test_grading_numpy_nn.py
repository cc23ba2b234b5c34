"""End to end for numpy_nn: example submissions (one file, split files with alias class names, a
package with relative imports, self-consistent conventions, typical bugs, the blank starter) graded
by the real pipeline, and the instructor's USPS data path.

Each example has the per-question outcome it must get: full marks where it is right, whatever its
layout or names, partial credit for the conventions the issue lists, points lost only where wrong.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from grader import assignment as assignment_model
from grader.options import Options
from grader.pipeline import run_batch

pytestmark = pytest.mark.slow   # a batch graded end to end: handed out first under xdist

PROJECT = Path(__file__).resolve().parent.parent
ASSIGNMENT = PROJECT / "assignments" / "numpy_nn"
EXAMPLES = PROJECT / "submissions" / "numpy_nn"
FULL = {"linear": 3, "nonlinear": 2, "sequential": 4, "multiclass": 4, "autoencoder": 3, "conv1d": 4}

EXACT = {
    "zz_reference": FULL,
    "alice_single_file": FULL,      # the course file, experiments at top level
    "bob_split_aliases": FULL,      # Module.py, Loss.py, Activation.py, Network.py; Sigmoid, Tanh, Sequential...
    "carol_package": FULL,          # reseau/ with relative imports, a script beside it
    "grace_blank": {q: 0 for q in FULL},
}
# Partial credit (0 < score < full) exactly on these questions; full marks elsewhere.
PARTIAL = {
    "dave_conventions": {"linear", "multiclass"},          # batch-mean MSE, averaged gradient; the CE chain
    "erin_typical_bugs": {"sequential", "multiclass", "conv1d"},   # no zero_grad, diagonal Jacobian, stride
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    for example in EXAMPLES.iterdir():
        shutil.copytree(example, subs / example.name)
    shutil.copytree(ASSIGNMENT / "reference", subs / "zz_reference")
    out = tmp_path_factory.mktemp("reports")
    result = run_batch(assignment_model.load(ASSIGNMENT), subs, out, Options(workers=2, lang="en", max_examples=5))
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


@pytest.mark.parametrize("student", sorted(EXACT))
def test_exact_scores(batch, student):
    _, out = batch
    assert scores(out, student) == {q: float(v) for q, v in EXACT[student].items()}


@pytest.mark.parametrize("student", sorted(PARTIAL))
def test_partial_only_where_expected(batch, student):
    _, out = batch
    got = scores(out, student)
    partial = {q for q, v in got.items() if 0 < v < FULL[q]}
    full = {q for q, v in got.items() if v == FULL[q]}
    assert partial == PARTIAL[student], got
    assert full == set(FULL) - PARTIAL[student], got


def test_feedback_names_conventions_and_causes(batch):
    _, out = batch
    dave_linear = feedback(out, "dave_conventions", "linear")
    assert "averaged over the batch" in dave_linear
    assert "the mean over the batch" in dave_linear
    assert "chained they give softmax(z) - y" in feedback(out, "dave_conventions", "multiclass")
    assert "diagonal of the Jacobian" in feedback(out, "erin_typical_bugs", "multiclass")
    assert "not reset between steps" in feedback(out, "erin_typical_bugs", "sequential")
    assert "stride > 1" in feedback(out, "erin_typical_bugs", "conv1d")
    assert "template" in feedback(out, "grace_blank", "linear")
    assert "template" in feedback(out, "grace_blank", "sequential")


def test_classes_are_found_in_every_file(batch):
    _, out = batch
    bob = feedback(out, "bob_split_aliases", "nonlinear")
    assert "Activation.py" in bob
    carol = feedback(out, "carol_package", "conv1d")
    assert "reseau/module.py" in carol


# -- the instructor's USPS file ------------------------------------------------------------------

def write_usps(path: Path, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """A small file in the course's USPS format (a header line, then "label v1 ... v256"), made
    of scikit-learn's 8x8 digits upsampled to 16x16 and scaled to the course's range [0, 2]."""
    from sklearn.datasets import load_digits

    data = load_digits()
    images = np.kron(data.images[:n], np.ones((2, 2))) / 8.0          # (n, 16, 16) in [0, 2]
    pixels = images.reshape(len(images), 256)
    labels = data.target[:n]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"{len(pixels)} 256\n")
        for label, row in zip(labels, pixels):
            handle.write(f"{label} " + " ".join(f"{v:.4f}" for v in row) + "\n")
    return pixels, labels


def test_usps_loader_reads_the_course_format(tmp_path):
    sys.path.insert(0, str(ASSIGNMENT / "support"))
    try:
        import numpy_nn_support as support
    finally:
        sys.path.remove(str(ASSIGNMENT / "support"))
    pixels, labels = write_usps(tmp_path / "USPS_train.txt", n=50)
    X, y = support.load_usps(tmp_path / "USPS_train.txt")
    assert X.shape == (50, 256) and y.tolist() == labels.tolist()
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.allclose(X, np.round(pixels, 4) / 2.0, atol=1e-4)
    # the setting may name the file or the folder holding USPS_*.txt
    X2, y2, source = support.digits(tmp_path, n=50)
    assert source == "USPS" and X2.shape == (50, 256) and sorted(y2.tolist()) == sorted(labels.tolist())
    X3, _, source3 = support.digits(lambda name: None, n=20)
    assert source3.startswith("load_digits") and X3.shape == (20, 64)


def test_grading_with_the_usps_setting(tmp_path):
    """`--data usps=PATH`: the digits experiments run on that file, and the reference keeps full marks."""
    write_usps(tmp_path / "USPS_train.txt")
    subs = tmp_path / "subs"
    shutil.copytree(ASSIGNMENT / "reference", subs / "zz_reference")
    out = tmp_path / "out"
    result = run_batch(assignment_model.load(ASSIGNMENT), subs, out,
                       Options(workers=1, lang="en", max_examples=3, data={"usps": str(tmp_path / "USPS_train.txt")}))
    assert result.harness_errors == 0
    assert scores(out, "zz_reference") == {q: float(v) for q, v in FULL.items()}
