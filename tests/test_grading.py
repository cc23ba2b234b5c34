"""End to end: a batch of real-looking submissions through intake, jail, tests, scoring, reports.

Each example submission has the per-question outcome it must get: full marks where it is right
(whatever its style), points lost only where it is wrong, and hostile ones that change nothing
for the others.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader import assignment as assignment_model
from grader.options import Options
from grader.pipeline import run_batch

pytestmark = pytest.mark.slow   # a batch graded end to end: handed out first under xdist

PROJECT = Path(__file__).resolve().parent.parent
TP_NN = PROJECT / "assignments" / "tp_nn"
EXAMPLES = PROJECT / "submissions" / "tp_nn"
FULL = {"init_params": 2, "forward": 4, "loss_accuracy": 3, "backward": 5, "sgd": 2, "train_circles": 4,
        "autograd": 3, "nn_model": 3, "optim": 2, "mnist": 2, "svm_bonus": 1}
PARTS = ("tp_nn_autograd.py", "tp_nn_modules.py", "tp_nn_optim.py", "tp_nn_svm.py")  # parts 2.2-2.6

HOSTILE = {
    # Exits at import: the module cannot be loaded, every question 0, the batch goes on.
    "exit_at_import": "import sys\nsys.exit(3)\n",
    # A correct file that kills its worker during sgd: sgd loses, nothing else does.
    "exit_in_call": None,
    # Patches the comparison functions it can reach, with a wrong forward: gains nothing.
    "monkeypatch": None,
}


def _alice(name: str = "tp_nn.py") -> str:
    return (EXAMPLES / "alice_correct" / name).read_text()


def _alice_parts(folder: Path) -> None:
    """Alice's correct files for parts 2.2 to 2.6, so that a hostile part 2.1 is all that differs."""
    for name in PARTS:
        (folder / name).write_text(_alice(name))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    for example in EXAMPLES.iterdir():
        shutil.copytree(example, subs / example.name)
    shutil.copytree(PROJECT / "assignments" / "tp_nn" / "reference", subs / "zz_reference")
    (subs / "exit_at_import").mkdir()
    (subs / "exit_at_import" / "tp_nn.py").write_text(HOSTILE["exit_at_import"])
    (subs / "exit_in_call").mkdir()
    (subs / "exit_in_call" / "tp_nn.py").write_text(_alice().replace(
        "def sgd(params, grads, eta):\n", "def sgd(params, grads, eta):\n    import os\n    os._exit(0)\n"))
    _alice_parts(subs / "exit_in_call")
    (subs / "monkeypatch").mkdir()
    _alice_parts(subs / "monkeypatch")
    (subs / "monkeypatch" / "tp_nn.py").write_text(textwrap.dedent("""
        import torch, numpy, torch.testing
        torch.allclose = lambda *a, **k: True
        torch.testing.assert_close = lambda *a, **k: None
        numpy.allclose = lambda *a, **k: True
        torch.Tensor.__eq__ = lambda self, other: torch.ones((), dtype=torch.bool)
    """) + _alice().replace('outputs["h"] = torch.tanh(outputs["htilde"])', 'outputs["h"] = outputs["htilde"]'))
    # The same patches in part 2.3, whose model ends with a softmax: nn_model is lost all the same.
    (subs / "monkeypatch" / "tp_nn_modules.py").write_text(textwrap.dedent("""
        import torch, numpy, torch.testing
        torch.allclose = lambda *a, **k: True
        torch.testing.assert_close = lambda *a, **k: None
        numpy.allclose = lambda *a, **k: True
    """) + _alice("tp_nn_modules.py").replace(
        "return self.output(torch.tanh(self.hidden(x)))",
        "return torch.softmax(self.output(torch.tanh(self.hidden(x))), dim=1)"))
    (subs / "empty_folder").mkdir()
    out = tmp_path_factory.mktemp("reports")
    assignment = assignment_model.load(TP_NN)
    result = run_batch(assignment, subs, out, Options(workers=2, call_timeout=2, lang="en"))
    return result, out


def scores(out: Path, student: str) -> dict[str, float]:
    data = json.loads((out / f"{student}.json").read_text())
    return {q: v["score"] for q, v in data["questions"].items()}


EXPECTED = {
    "zz_reference": FULL,
    "alice_correct": FULL,
    "bob_transposed": FULL,
    "judy_one_file": FULL,  # every part in one file, the handout's names redefined part after part
    "grace_blank": {q: 0 for q in FULL},
    "frank_syntax_error": {q: 0 for q in FULL},
    "exit_at_import": {q: 0 for q in FULL},
    "empty_folder": {q: 0 for q in FULL},
}
# Which questions each wrong submission must lose points on; every other one keeps full marks.
LOSES = {
    "carol_softmax_dim0": {"forward", "train_circles", "autograd", "nn_model"},  # + not leaves, softmax in the model
    "dave_summed_loss": {"loss_accuracy", "backward", "autograd", "svm_bonus"},  # + no grad.zero_(), linear SVM
    "eve_infinite_loop": {"forward", "train_circles"},
    "heidi_handout_literal": {"nn_model"},  # the handout's sgd: model.zero_grad() inside the loop
    "ivan_optim_subset": {"nn_model", "optim", "mnist"},  # no model.zero_grad(); optimizer on the last layer
    "exit_in_call": {"sgd", "train_circles"},
    "monkeypatch": {"forward", "train_circles", "nn_model"},
}


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


def test_partial_credit_for_a_consistent_convention(batch):
    _, out = batch
    got = scores(out, "dave_summed_loss")
    assert 0 < got["loss_accuracy"] < FULL["loss_accuracy"]
    assert 0 < got["backward"] < FULL["backward"]


def test_feedback_names_the_cause(batch):
    _, out = batch
    def feedback(student, question):
        return " ".join(json.loads((out / f"{student}.json").read_text())["questions"][question]["feedback"])
    assert "timed out after 2 s" in feedback("eve_infinite_loop", "forward")
    assert "Python 2" in feedback("frank_syntax_error", "init_params")
    assert "wrong dimension" in feedback("carol_softmax_dim0", "forward")
    assert "sum over the batch" in feedback("dave_summed_loss", "loss_accuracy")
    assert "template" in feedback("grace_blank", "forward")
    assert "failing input" in feedback("carol_softmax_dim0", "forward")
    assert "Traceback" not in (out / "carol_softmax_dim0.md").read_text()
    # parts 2.2 to 2.6: the classic bugs are named
    assert "ends with a softmax" in feedback("carol_softmax_dim0", "nn_model")
    assert "not a leaf" in feedback("carol_softmax_dim0", "autograd")
    assert "model.zero_grad()" in feedback("ivan_optim_subset", "nn_model")
    assert "were not reset" in feedback("dave_summed_loss", "autograd")
    assert "linearly separable" in feedback("dave_summed_loss", "svm_bonus")
    assert "zero_grad() inside the loop" in feedback("heidi_handout_literal", "nn_model")
    assert "updates 2 of the model's 4 parameters" in feedback("ivan_optim_subset", "optim")
    assert "MNIST" in feedback("ivan_optim_subset", "mnist")
    assert "template" in feedback("grace_blank", "nn_model")


def test_reports_and_gradebook(batch):
    result, out = batch
    assert result.harness_errors == 0, [r.harness_errors for r in result.reports if r.harness_errors]
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert {r["student"] for r in rows} == {p.stem for p in out.glob("*.json")}
    alice = next(r for r in rows if r["student"] == "alice_correct")
    assert float(alice["max"]) == 30.0 and float(alice["total"]) == 31.0  # the bonus point is on top
    report = json.loads((out / "alice_correct.json").read_text())
    assert set(report) >= {"student", "assignment", "score", "max_score", "questions"}
    assert (out / "alice_correct.md").read_text().startswith("# tp_nn")


def test_regrading_gives_the_same_scores(batch, tmp_path):
    _, out = batch
    subs = tmp_path / "subs"
    shutil.copytree(EXAMPLES / "carol_softmax_dim0", subs / "carol_softmax_dim0")
    again = tmp_path / "again"
    run_batch(assignment_model.load(TP_NN), subs, again, Options(workers=1, lang="en"))
    assert scores(again, "carol_softmax_dim0") == scores(out, "carol_softmax_dim0")


def test_export_student_holds_no_solution(tmp_path):
    kit = tmp_path / "kit"
    subprocess.run([sys.executable, "-m", "grader", "export-student", "tp_nn", str(kit)], check=True,
                   cwd=PROJECT, capture_output=True)
    files = [p for p in kit.rglob("*") if p.is_file()]
    names = {str(p.relative_to(kit)) for p in files}
    assert "starter/tp_nn.py" in names and "assignments/tp_nn/tests/public/test_public_tp_nn.py" in names
    assert all(f"starter/{name}" in names for name in PARTS)
    assert not any("hidden" in n or "mutants" in n or "reference" in n.split("/") for n in names)
    signature_lines = {
        "tp_nn.py": "grad_htilde = (grad_ytilde @ params[\"Wy\"]) * (1 - outputs[\"h\"] ** 2)",
        "tp_nn_autograd.py": "value.grad.zero_()",
        "tp_nn_modules.py": "model.zero_grad()  # after the loop",
        "tp_nn_optim.py": "optim = torch.optim.SGD(model.parameters(), lr=eta)",
        "tp_nn_svm.py": 'svm.SVC(kernel="rbf", C=1.0, gamma="scale")',
    }
    for name, line in signature_lines.items():
        assert line in (PROJECT / "assignments/tp_nn/reference" / name).read_text()
    for path in files:
        if path.suffix in (".py", ".toml", ".md"):
            content = path.read_text(errors="replace")
            assert not any(line in content for line in signature_lines.values()), path


def test_check_runs_the_public_tests_only(tmp_path):
    done = subprocess.run([sys.executable, "-m", "grader", "check", "tp_nn",
                           str(EXAMPLES / "alice_correct"), "--lang", "en", "--json"],
                          cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert all(q["score"] == q["max_score"] for q in report["questions"].values()), report["questions"]
    blank = subprocess.run([sys.executable, "-m", "grader", "check", "tp_nn",
                            str(EXAMPLES / "grace_blank"), "--lang", "fr"],
                           cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert blank.returncode == 1
    assert "modèle fourni" in blank.stdout
