"""Intake picks the real work (issue 16.3): per manifest file, the candidate whose graded functions
parse under Python 3 and are filled in; a Jupyter checkpoint copy never beats a filled-in real
file, but is graded when it is the only filled-in one; the notes say which file was graded and
why each other one was passed over."""

from __future__ import annotations

import importlib
import inspect
import shutil
from pathlib import Path

import pytest

from grader.intake import SubmissionSource, prepare_bounded
from grader.intake.choose import collect_definitions
from grader.intake.resolve import explain_choice, rank_candidates
from grader.intake.sources import checkpoint_original, is_checkpoint_copy, read_source
from grader.intake.strip import classify_blocks
from intake_helpers import STUDENTS, demo_assignment, probe

prepare_module = importlib.import_module("grader.intake.prepare")
# prepare.py reads `.ipynb_checkpoints/` copies as candidates and writes explain_choice's notes
# once the patch given in the intake report is applied there (prepare.py is not ours to edit).
PATCHED = "explain_choice" in inspect.getsource(prepare_module)
needs_patch = pytest.mark.xfail(not PATCHED, strict=True,
                                reason="needs the prepare.py patch: checkpoint copies as candidates, explain_choice notes")

TRAIN = """
import torch, tp_nn
torch.manual_seed(0)
p = tp_nn.init_params(2, 10, 2)
X = torch.randn(6, 2)
Y = torch.eye(2)[[0, 1, 0, 1, 1, 0]]
Yhat, out = tp_nn.forward(p, X)
L, acc = tp_nn.loss_accuracy(Yhat, Y)
p = tp_nn.sgd(p, tp_nn.backward(p, out, Y), 0.1)
extra["loss"] = float(L)
"""


def _ranked(folder: Path, spec_name: str = "tp_nn.py", tmp: Path | None = None):
    assignment = demo_assignment((tmp or folder) / "reference")
    sources = []
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".py", ".ipynb") and path.is_file():
            sources.append(read_source(path, path.relative_to(folder).as_posix()))
    definitions = {s.rel: collect_definitions(s, classify_blocks(s.parsed_blocks())) for s in sources}
    spec = assignment.file(spec_name)
    candidates = rank_candidates(assignment, spec, sources, definitions)
    return spec, candidates, [n.render("en") for n in explain_choice(spec, candidates)]


def test_checkpoint_names() -> None:
    assert is_checkpoint_copy(".ipynb_checkpoints/TP3-checkpoint.ipynb")
    assert is_checkpoint_copy("rendu/.ipynb_checkpoints/tp_nn-checkpoint.py")
    assert not is_checkpoint_copy("TP3.ipynb") and not is_checkpoint_copy(".ipynb_checkpoints")
    assert checkpoint_original("rendu/.ipynb_checkpoints/tp_nn-checkpoint.py") == "rendu/tp_nn.py"
    assert checkpoint_original(".ipynb_checkpoints/TP3-checkpoint.ipynb") == "TP3.ipynb"


def test_python3_file_beats_a_python2_file_defining_the_same_functions(tmp_path: Path) -> None:
    spec, candidates, notes = _ranked(STUDENTS / "python2_beside_python3", tmp=tmp_path)
    assert [c.source.rel for c in candidates] == ["mlp_py3.py", "tp_nn.py"]    # despite tp_nn.py's name
    assert notes == [
        "several files could be tp_nn.py: mlp_py3.py was graded (also considered: tp_nn.py)",
        "tp_nn.py: tp_nn.py was not graded: it is Python 2, which does not run under Python 3 "
        "(line 6: print statement)"]


def test_checkpoint_copy_is_graded_when_it_is_the_only_filled_in_file(tmp_path: Path) -> None:
    spec, candidates, notes = _ranked(STUDENTS / "checkpoint_vs_template", tmp=tmp_path)
    assert [c.source.rel for c in candidates] == [".ipynb_checkpoints/TP3-checkpoint.ipynb", "tp_nn.py"]
    assert notes == [
        "several files could be tp_nn.py: .ipynb_checkpoints/TP3-checkpoint.ipynb was graded (also considered: "
        "tp_nn.py)",
        "tp_nn.py: .ipynb_checkpoints/TP3-checkpoint.ipynb is a Jupyter checkpoint copy (.ipynb_checkpoints); "
        "it was graded because it is the only file where the functions are filled in",
        "tp_nn.py: tp_nn.py was not graded: its functions are still the starter's stubs "
        "(raise NotImplementedError / pass)"]


def test_a_filled_in_real_file_always_beats_a_checkpoint_copy(tmp_path: Path) -> None:
    """Even when the checkpoint fills in more: the real file is what was handed in."""
    spec, candidates, notes = _ranked(STUDENTS / "checkpoint_beside_real", tmp=tmp_path)
    assert [c.source.rel for c in candidates] == ["TP3.ipynb", ".ipynb_checkpoints/TP3-checkpoint.ipynb"]
    assert candidates[0].usable == (3, 5) and candidates[1].usable == (5, 5)
    assert notes[-1] == ("tp_nn.py: .ipynb_checkpoints/TP3-checkpoint.ipynb was not graded: it is a Jupyter "
                         "checkpoint copy (.ipynb_checkpoints), and TP3.ipynb is filled in")


def test_reasons_for_passing_a_file_over(tmp_path: Path) -> None:
    folder = tmp_path / "student"
    shutil.copytree(STUDENTS / "several_candidates", folder)
    shutil.copy(STUDENTS / "syntax_error" / "tp_nn.py", folder / "tp_nn.py")
    shutil.copy(STUDENTS / "unfilled_template" / "tp_nn.py", folder / "circles_template.py")
    spec, candidates, notes = _ranked(folder, tmp=tmp_path)
    assert candidates[0].source.rel == "circlesV2.py"
    reasons = {n.split(" was not graded: ")[0].split(": ", 1)[1]: n.split(" was not graded: ")[1]
               for n in notes if " was not graded: " in n}
    assert reasons["tp_nn.py"] == "it has a syntax error (line 13)"
    assert reasons["circles_template.py"].startswith("its functions are still the starter's stubs")
    assert reasons["old/circles_v1.py"].startswith("it fills in fewer of the graded functions (")
    assert reasons["circles.py"].startswith(("it fills in fewer", "circlesV2.py fills in as many"))


def test_python2_beside_python3_grades_the_python3_file(tmp_path: Path) -> None:
    prepared = prepare_bounded(SubmissionSource("s", STUDENTS / "python2_beside_python3"),
                               demo_assignment(tmp_path / "r"), tmp_path / "p")
    assert prepared.ok("tp_nn.py") and prepared.modules["tp_nn.py"] == "mlp_py3.py"
    assert probe(prepared.dir, ["tp_nn"], TRAIN)["__extra__"]["loss"] > 0


@needs_patch
def test_python2_beside_python3_says_why(tmp_path: Path) -> None:
    prepared = prepare_bounded(SubmissionSource("s", STUDENTS / "python2_beside_python3"),
                               demo_assignment(tmp_path / "r"), tmp_path / "p")
    notes = [n.render("en") for n in prepared.notes]
    assert "tp_nn.py: tp_nn.py was not graded: it is Python 2, which does not run under Python 3 " \
           "(line 6: print statement)" in notes
    assert [n.render("fr") for n in prepared.notes if n.key == "intake_file_passed_over"] == [
        "tp_nn.py : tp_nn.py n'a pas été corrigé : c'est du Python 2, qui ne tourne pas sous Python 3 "
        "(ligne 6 : print statement)"]


@needs_patch
def test_checkpoint_vs_template_grades_the_checkpoint(tmp_path: Path) -> None:
    prepared = prepare_bounded(SubmissionSource("s", STUDENTS / "checkpoint_vs_template"),
                               demo_assignment(tmp_path / "r"), tmp_path / "p")
    assert prepared.modules["tp_nn.py"] == ".ipynb_checkpoints/TP3-checkpoint.ipynb"
    keys = [n.key for n in prepared.notes]
    assert "intake_checkpoint_used" in keys and "intake_file_passed_over" in keys
    assert "intake_unfilled_template" not in keys
    assert probe(prepared.dir, ["tp_nn"], TRAIN)["__extra__"]["loss"] > 0
    # the checkpoint is read, not copied: the prepared folder has no checkpoint folder
    assert not (prepared.dir / ".ipynb_checkpoints").exists()


@needs_patch
def test_checkpoint_beside_real_grades_the_real_file(tmp_path: Path) -> None:
    prepared = prepare_bounded(SubmissionSource("s", STUDENTS / "checkpoint_beside_real"),
                               demo_assignment(tmp_path / "r"), tmp_path / "p")
    assert prepared.modules["tp_nn.py"] == "TP3.ipynb"
    assert any(n.key == "intake_file_passed_over" and n.params["reason"].key == "intake_reason_checkpoint"
               for n in prepared.notes)
