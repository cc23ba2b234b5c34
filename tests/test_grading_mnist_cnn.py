"""End to end for mnist_cnn: example submissions (a .py, a Colab notebook, the slides copied
literally, a CIFAR-10 training that never steps) graded with a small synthetic CIFAR-10 written in
the dataset's format; the same grading without the data set (cifar "not graded", never a silent 0);
the CIFAR-10 reader on the dataset's formats and on a crafted file.
"""

from __future__ import annotations

import csv
import json
import pickle
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from grader import assignment as assignment_model
from grader.pipeline import Options, run_batch

pytestmark = pytest.mark.slow   # a batch graded end to end: handed out first under xdist

PROJECT = Path(__file__).resolve().parent.parent
ASSIGNMENT = PROJECT / "assignments" / "mnist_cnn"
EXAMPLES = PROJECT / "submissions" / "mnist_cnn"
sys.path.insert(0, str(ASSIGNMENT / "support"))

import mnist_cnn_support as support  # noqa: E402

FULL = {"reseau1": 3, "train_loop": 4, "reseau2": 4, "mnist_accuracy": 4, "cifar": 3, "corruption": 3}


def but(**scores) -> dict[str, float]:
    return {q: float(scores.get(q, v)) for q, v in FULL.items()}


EXPECTED = {
    # the reference on the question validate cannot grade (it is given no data set); validate
    # grades the rest of it, which must get full marks there
    "zz_reference": {"cifar": 3.0},
    "alice_py": but(),
    "bob_colab": but(),
    # the slide's softmax (reseau1: the value test, weight 2 of 4, at half credit: 3 * 3/4); no
    # zero_grad and evaluate in train mode (train_loop: make_optimizer and the labels of evaluate
    # right, weight 2 of 7); CIFAR fine; corruption by noise, within eps (corruption: eps kept and
    # hardest_examples right, weight 4 of 6)
    "carol_slide_literal": but(reseau1=2.25, train_loop=1.14, corruption=2.0),
    "erin_cifar_no_step": but(cifar=0),
    # mutants of the reference for the cifar question, which `grader validate` cannot grade (it is
    # given no data set): see cifar_mutants below. Graded on that question only, as validate
    # --named-only grades a mutant (the rest of each is the reference's).
    "zz_mutant_cifar_constant": {"cifar": 0.0},
    "zz_mutant_cifar_shipped_weights": {"cifar": 0.0},
}
CIFAR_MUTANTS = {"zz_mutant_cifar_constant": ["cifar"], "zz_mutant_cifar_shipped_weights": ["cifar"]}
CIFAR_ONLY = {"zz_reference": ["cifar"], **CIFAR_MUTANTS}
CIFAR_DIAGNOSES = {"erin_cifar_no_step": "more than 50% expected",
                   "zz_mutant_cifar_constant": "more than 50% expected",
                   "zz_mutant_cifar_shipped_weights": "do not load trained weights"}


@pytest.fixture(scope="module")
def cifar(tmp_path_factory) -> Path:
    return support.synthetic_cifar10(tmp_path_factory.mktemp("cifar") / "cifar-10-batches-py", 800, 400)


def reference_with(subs: Path, name: str, *replacements: tuple[str, str]) -> Path:
    """A copy of the reference with text replacements (a mutant, as validate builds them)."""
    folder = subs / name
    shutil.copytree(ASSIGNMENT / "reference", folder)
    module = folder / "mnist_cnn.py"
    source = module.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in source, old
        source = source.replace(old, new, 1)
    module.write_text(source, encoding="utf-8")
    return folder


def cifar_mutants(subs: Path, cifar: Path) -> None:
    """A ReseauCifar with constant outputs, and one that loads weights trained beforehand (on the
    same synthetic set: the fresh network is then far above chance) with a train_cifar that does
    nothing."""
    reference_with(subs, "zz_mutant_cifar_constant", ("        return self.fc2(x)\n", "        return self.fc2(x) * 0\n"))
    import torch

    sys.path.insert(0, str(ASSIGNMENT / "reference"))
    try:
        import mnist_cnn as reference
    finally:
        sys.path.remove(str(ASSIGNMENT / "reference"))
    Xtrain, ytrain, _, _ = support.load_cifar10(cifar, 800, 400)
    with torch.random.fork_rng(devices=[]), support.one_thread():
        torch.manual_seed(5)
        model = reference.ReseauCifar()
        reference.train_cifar(model, Xtrain.float() / 255, ytrain)
    folder = reference_with(
        subs, "zz_mutant_cifar_shipped_weights",
        ("        self.dropout = nn.Dropout(0.25)\n",
         "        self.dropout = nn.Dropout(0.25)\n        self.load_state_dict(torch.load(__import__('os').path.join("
         "__import__('os').path.dirname(__import__('os').path.abspath(__file__)), 'cifar.pt')))\n"),
        ("def train_cifar(model, X, y):\n", "def train_cifar(model, X, y):\n    return model\n"))
    torch.save(model.state_dict(), folder / "cifar.pt")


@pytest.fixture(scope="module")
def batch(tmp_path_factory, cifar):
    subs = tmp_path_factory.mktemp("subs")
    for example in EXAMPLES.iterdir():
        shutil.copytree(example, subs / example.name)
    shutil.copytree(ASSIGNMENT / "reference", subs / "zz_reference")
    cifar_mutants(subs, cifar)
    out = tmp_path_factory.mktemp("reports")
    # the parent folder: the reader finds cifar-10-batches-py inside it
    result = run_batch(assignment_model.load(ASSIGNMENT), subs, out,
                       Options(workers=2, lang="en", data={"cifar10": str(cifar.parent)}, questions=CIFAR_ONLY))
    return result, out


def report(out: Path, student: str) -> dict:
    return json.loads((out / f"{student}.json").read_text())


def scores(out: Path, student: str) -> dict[str, float]:
    return {q: round(v["score"], 2) for q, v in report(out, student)["questions"].items()}


def feedback(out: Path, student: str, question: str) -> str:
    return " ".join(report(out, student)["questions"][question]["feedback"])


def test_no_grader_error(batch):
    result, _ = batch
    assert result.harness_errors == 0, [r.harness_errors for r in result.reports if r.harness_errors]


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_exact_scores(batch, student):
    _, out = batch
    assert scores(out, student) == EXPECTED[student]


def test_feedback_names_the_cause(batch):
    _, out = batch
    carol = "carol_slide_literal"
    assert "F.nll_loss expects log-probabilities" in feedback(out, carol, "reseau1")
    assert "zero_grad() is missing" in feedback(out, carol, "train_loop")
    assert "model.eval()" in feedback(out, carol, "train_loop")
    assert "Noise the model ignores" in feedback(out, carol, "corruption")
    for student, diagnosis in CIFAR_DIAGNOSES.items():
        assert diagnosis in feedback(out, student, "cifar"), student
    # what full marks say: the reduction, the accuracies, the drop
    assert "reduction='sum'" in feedback(out, "alice_py", "train_loop")
    assert "Reseau2: test accuracy" in feedback(out, "bob_colab", "mnist_accuracy")
    assert "CIFAR-10 test accuracy" in feedback(out, "alice_py", "cifar")
    assert "falls from" in feedback(out, "alice_py", "corruption")


def test_the_notebook_is_found(batch):
    _, out = batch
    sources = report(out, "bob_colab")["sources"]
    assert "TD4_MNIST_CNN.ipynb" in json.dumps(sources)


def test_without_the_data_cifar_is_not_graded(tmp_path):
    # cifar and one other question: the whole grading without the data set is validate's (its
    # reference must get full marks with cifar left out of the maximum: tests/test_validate.py)
    subs = tmp_path / "subs"
    shutil.copytree(EXAMPLES / "alice_py", subs / "alice_py")
    out = tmp_path / "out"
    result = run_batch(assignment_model.load(ASSIGNMENT), subs, out,
                       Options(workers=1, lang="en", questions={"alice_py": ["cifar", "reseau1"]}))
    assert result.harness_errors == 0
    data = report(out, "alice_py")
    cifar = data["questions"]["cifar"]
    assert cifar.get("skipped") is True
    assert "not configured" in " ".join(cifar["feedback"])
    assert data["max_score"] == FULL["reseau1"]   # cifar is out of the maximum
    assert data["score"] == data["max_score"]
    with open(out / "grades.csv", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["cifar"] != "0", row      # "not graded" in the gradebook, never a silent 0


# -- the CIFAR-10 reader ---------------------------------------------------------------------------

def _py2_batch(data: np.ndarray, labels: list[int]) -> bytes:
    """A batch pickled as the dataset's files are (Python 2 cPickle, protocol 2): str keys and a
    numpy array whose raw bytes are a str (BINSTRING), read back with encoding='bytes'."""
    def short(s: bytes) -> bytes:
        return b"U" + bytes([len(s)]) + s

    def long_string(s: bytes) -> bytes:
        return b"T" + struct.pack("<i", len(s)) + s

    def int_(v: int) -> bytes:
        return b"J" + struct.pack("<i", v)

    n, width = data.shape
    array = (b"cnumpy.core.multiarray\n_reconstruct\n" + b"cnumpy\nndarray\n" + int_(0) + b"\x85"
             + short(b"b") + b"\x87R"
             + b"(" + int_(1) + int_(n) + int_(width) + b"\x86"
             + b"cnumpy\ndtype\n" + short(b"u1") + int_(0) + int_(1) + b"\x87R"
             + b"(" + int_(3) + short(b"|") + b"NNN" + int_(-1) + int_(-1) + int_(0) + b"tb"
             + b"\x89" + long_string(data.tobytes()) + b"tb")
    items = (short(b"batch_label") + short(b"synthetic") + short(b"data") + array
             + short(b"labels") + b"](" + b"".join(int_(v) for v in labels) + b"e")
    return b"\x80\x02}(" + items + b"u."


def test_reader_reads_the_python2_format(tmp_path):
    rng = np.random.default_rng(1)
    data = rng.integers(0, 256, size=(6, 3072), dtype=np.uint8)
    labels = [3, 1, 4, 1, 5, 9]
    raw = _py2_batch(data, labels)
    plain = pickle.loads(raw, encoding="bytes")        # what the dataset's own recipe reads
    assert (plain[b"data"] == data).all() and plain[b"labels"] == labels
    (tmp_path / "data_batch_1").write_bytes(raw)
    X, y = support.read_cifar_batch(tmp_path / "data_batch_1")
    assert X.shape == (6, 3, 32, 32) and (X.reshape(6, -1) == data).all()
    assert y.tolist() == labels


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_reader_reads_batches_written_from_python3(tmp_path, protocol):
    folder = support.synthetic_cifar10(tmp_path / "cifar", 50, 20, protocol=protocol)
    Xtrain, ytrain, Xtest, ytest = support.load_cifar10(folder, 40, 10)
    plain = pickle.loads((folder / "data_batch_1").read_bytes(), encoding="bytes")
    assert (Xtrain[:25].numpy().reshape(25, -1) == plain[b"data"]).all()
    assert ytrain[:25].tolist() == plain[b"labels"]
    assert tuple(Xtest.shape) == (10, 3, 32, 32) and tuple(ytest.shape) == (10,)


class _Boom:
    def __reduce__(self):
        return (Path.touch, (Path("/tmp/mnist_cnn_pwned"),))


def test_reader_refuses_code_in_a_crafted_batch(tmp_path):
    target = Path("/tmp/mnist_cnn_pwned")
    target.unlink(missing_ok=True)
    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"data": _Boom(), b"labels": [0]}, protocol=2))
    with pytest.raises(pickle.UnpicklingError):
        support.read_cifar_batch(tmp_path / "test_batch")
    assert not target.exists()
    # an array of another type is refused too
    (tmp_path / "data_batch_1").write_bytes(pickle.dumps(
        {b"data": np.zeros((1, 3072), dtype=np.float64), b"labels": [0]}, protocol=2))
    with pytest.raises(ValueError):
        support.read_cifar_batch(tmp_path / "data_batch_1")
