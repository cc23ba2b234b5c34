"""Each fixture is a student's hand-in in a shape met in practice; each row states what `prepare`
must make of it. Every prepared module is imported in a separate Python (cwd = prepared folder,
stdin closed) and its functions' signatures checked; some rows also call the functions.

The last test prints the table (fixture, expected, got) and the number of fixtures that come out
as expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from grader.intake import PreparedSubmission, SubmissionSource, discover, prepare
from intake_helpers import STUDENTS, build_moodle_zip, demo_assignment, probe

FILES = ("tp_nn.py", "tp_nn_autograd.py", "tp_nn_modules.py", "Ex grad intro.py")
SIGNATURES = {
    "tp_nn": {"init_params": ["nx", "nh", "ny"], "forward": ["params", "X"], "loss_accuracy": ["Yhat", "Y"],
              "backward": ["params", "outputs", "Y"], "sgd": ["params", "grads", "eta"]},
    "tp_nn_autograd": {"init_params": ["nx", "nh", "ny"], "sgd": ["params", "eta"]},
    "tp_nn_modules": {"init_model": ["nx", "nh", "ny"], "sgd": ["model", "eta"]},
}
MISSING = "fatal:intake_missing_file"

# Runs in the probe process after the imports; fills `extra` with what the checks look at.
TRAIN_STEP = """
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
PARTS = TRAIN_STEP + """
import tp_nn_autograd, tp_nn_modules
q = tp_nn_autograd.init_params(2, 10, 2)
extra["autograd_requires_grad"] = all(t.requires_grad for t in q.values())
extra["init_model_returns"] = len(tp_nn_modules.init_model(2, 10, 2))
"""


@dataclass
class Case:
    fixture: str
    expected: dict[str, str]                      # manifest file -> "ok" | "fatal:<key>"
    notes: tuple[str, ...] = ()                   # message keys that must be among the notes
    probe_code: str = ""
    check: Callable[[PreparedSubmission, dict], None] | None = None
    description: str = ""
    defines: dict[str, tuple[str, ...]] = field(default_factory=dict)   # when not all of SIGNATURES

    def expected_text(self) -> str:
        return _summary(self.expected)


def _summary(statuses: dict[str, str]) -> str:
    return "; ".join(f"{Path(f).stem}={statuses.get(f, '?')}" for f in FILES)


def _note(prepared: PreparedSubmission, key: str) -> str:
    found = [n for n in prepared.notes if n.key == key]
    assert found, f"no {key} note in {[n.key for n in prepared.notes]}"
    return found[0].render("en")


def check_colab(prepared: PreparedSubmission, result: dict) -> None:
    assert result["__extra__"].get("loss", 0) > 0, result["__extra__"]
    origins = prepared.origins
    assert origins["forward"]["forward"].describe() == "TP3_NOM.ipynb, cell 7, line 1"
    assert origins["sgd"]["sgd"].cell == 8          # the cell that was never run
    assert "cells 2, 9, 11" in _note(prepared, "intake_skipped_toplevel")
    assert "google.colab" in _note(prepared, "intake_missing_module")
    assert (prepared.dir / "mlp_utils.py").exists() and (prepared.dir / "tme5.py").exists()
    text = (prepared.dir / "tp_nn.py").read_text()
    assert "from helpers import *" in text and "!pip" not in text.replace("# [intake]", "")


def check_parts(prepared: PreparedSubmission, result: dict) -> None:
    extra = result["__extra__"]
    assert extra.get("autograd_requires_grad") is True, extra
    assert extra.get("init_model_returns") == 2, extra     # 2.3's (model, loss), not 2.4's
    assert extra.get("loss", 0) > 0, extra


def check_multipart(prepared: PreparedSubmission, result: dict) -> None:
    check_parts(prepared, result)
    o = prepared.origins
    assert (o["sgd"]["sgd"].cell, o["autograd_sgd"]["sgd"].cell, o["modules_sgd"]["sgd"].cell) == (5, 9, 12)
    assert (o["init_params"]["init_params"].cell, o["autograd_init_params"]["init_params"].cell) == (4, 8)
    assert o["modules_init_model"]["init_model"].cell == 12
    # forward's helper softmax comes from 2.1 (cell 4), not from 2.3's redefinition (cell 12)
    lines = (prepared.dir / "tp_nn.py").read_text().split("\n")
    at = lines.index("def softmax(x):") + 1
    assert prepared.origin_of_line("tp_nn.py", at).cell == 4


def check_allparts(prepared: PreparedSubmission, result: dict) -> None:
    check_parts(prepared, result)
    o = prepared.origins
    assert (o["init_params"]["init_params"].line, o["autograd_init_params"]["init_params"].line) == (10, 53)
    assert o["modules_init_model"]["init_model"].line == 77


def check_toplevel(prepared: PreparedSubmission, result: dict) -> None:
    note = _note(prepared, "intake_skipped_toplevel")
    assert "circlesV2.py: skipped 8 top-level statements (lines 15-17, 70-71, 73-85)" in note
    assert "data_X" in _note(prepared, "intake_unrun_globals")
    assert "top-level code" in result["__extra__"]["evaluate"] and "line 16" in result["__extra__"]["evaluate"]
    assert (prepared.dir / "data" / "circles.csv").exists()
    assert "input(" not in (prepared.dir / "mytools.py").read_text()
    assert prepared.modules["tp_nn.py"] == "circlesV2.py"


def check_unknown(prepared: PreparedSubmission, result: dict) -> None:
    error = result["__extra__"]["forward"]
    assert "ModuleNotFoundError" in error
    assert "the module 'icecream' is not available in the grader: ic(...) cannot be used" in error
    assert "mltools.plot_frontiere" in result["__extra__"]["show"]
    modules = {n.params["module"] for n in prepared.notes if n.key == "intake_missing_module"}
    assert modules == {"icecream", "mltools", "torch.nn.functionnal"}
    assert _note(prepared, "intake_star_import_dropped").startswith("tp_nn.py: 'from utils import *'")
    assert (prepared.dir / "tme5.py").exists() and not (prepared.dir / "utils.py").exists()


def check_several(prepared: PreparedSubmission, result: dict) -> None:
    assert prepared.modules["tp_nn.py"] == "circlesV2.py"
    assert _note(prepared, "intake_file_chosen") == (
        "several files could be tp_nn.py: circlesV2.py was graded (also considered: circles.py, old/circles_v1.py)")


def check_script(prepared: PreparedSubmission, result: dict) -> None:
    original = (STUDENTS / "script_renamed" / "Ex grad intro (1).py").read_text(encoding="utf-8")
    assert (prepared.dir / "Ex grad intro.py").read_text(encoding="utf-8") == original
    assert prepared.origin_of_line("Ex grad intro.py", 15).describe() == "Ex grad intro (1).py, line 15"
    assert prepared.origins["grad_intro"]["f"].line == 10


def check_python2(prepared: PreparedSubmission, result: dict) -> None:
    assert prepared.fatal["tp_nn.py"].render("en") == \
        "tp_nn.py: SyntaxError line 5: print statement — Python 2? The grader runs Python 3"


def check_syntax(prepared: PreparedSubmission, result: dict) -> None:
    assert prepared.fatal["tp_nn.py"].render("en").startswith("tp_nn.py: SyntaxError line 13: expected ':'")


def check_template(prepared: PreparedSubmission, result: dict) -> None:
    assert "NotImplementedError" in result["__extra__"]["init_params"]


def check_broken_cell(prepared: PreparedSubmission, result: dict) -> None:
    notes = [n.render("en") for n in prepared.notes if n.key == "intake_cell_syntax_error"]
    assert notes == ["TP3.ipynb, cell 3: this cell has a syntax error and was skipped (line 1: expected ':')",
                     "TP3.ipynb, cell 4: this cell has a syntax error and was skipped "
                     "(line 1: print statement — Python 2?)"]


def _calls(*names: str) -> str:
    lines = ["import torch, tp_nn"]
    for name in names:
        call = {"forward": "tp_nn.forward(tp_nn.init_params(2, 3, 2), torch.zeros(1, 2))",
                "show": "tp_nn.show({})", "evaluate": "tp_nn.evaluate(tp_nn.init_params(2, 3, 2))",
                "init_params": "tp_nn.init_params(2, 3, 2)"}[name]
        lines += ["try:", f"    {call}", f"    extra[{name!r}] = 'no error'",
                  "except BaseException as exc:", f"    extra[{name!r}] = type(exc).__name__ + ': ' + str(exc)"]
    return "\n".join(lines)


def only(file: str, status: str = "ok", **others: str) -> dict[str, str]:
    statuses = {f: MISSING for f in FILES}
    statuses[file] = status
    statuses.update({k.replace("__", " ").replace("_py", ".py"): v for k, v in others.items()})
    return statuses


CASES = [
    Case("colab_notebook", only("tp_nn.py"), ("intake_file_renamed", "intake_writefile", "intake_course_helper"),
         TRAIN_STEP, check_colab, "Colab notebook: !pip, %run, drive.mount, %%writefile, 1 MB output"),
    Case("multipart_notebook", {**only("tp_nn.py"), "tp_nn_autograd.py": "ok", "tp_nn_modules.py": "ok"},
         ("intake_definition_chosen",), PARTS, check_multipart, "one notebook, parts 2.1-2.5 redefining names"),
    Case("allparts_py", {**only("tp_nn.py"), "tp_nn_autograd.py": "ok", "tp_nn_modules.py": "ok"},
         ("intake_definition_chosen",), PARTS, check_allparts, "one .py, all parts, no headings"),
    Case("script_toplevel", only("tp_nn.py"), ("intake_skipped_toplevel", "intake_unrun_globals"),
         TRAIN_STEP + _calls("evaluate"), check_toplevel, "circlesV2.py: training, input(), plt.show() at top level"),
    Case("unknown_imports", only("tp_nn.py"), ("intake_missing_module", "intake_course_helper"),
         _calls("forward", "show"), check_unknown, "tme5, mltools, utils *, icecream, torch.nn.functionnal"),
    Case("course_helpers_star", only("tp_nn.py"), ("intake_course_helper",),
         "import tp_nn\nextra['n'] = tp_nn.CirclesData().Xtrain.shape[0]",
         lambda p, r: (r["__extra__"].get("n") == 200) or pytest.fail(str(r["__extra__"])),
         "from utils import * for CirclesData / plot_data_with_grid", {"tp_nn": ("init_params", "forward")}),
    Case("python2", only("tp_nn.py", "fatal:intake_python2"), (), "", check_python2, "print statements"),
    Case("syntax_error", only("tp_nn.py", "fatal:intake_syntax_error"), (), "", check_syntax, "a missing colon"),
    Case("unfilled_template", only("tp_nn.py"), ("intake_unfilled_template",), _calls("init_params"),
         check_template, "the starter, untouched"),
    Case("empty", {f: "fatal:intake_empty_submission" for f in FILES}, (), "", None, "nothing but .gitkeep"),
    Case("several_candidates", only("tp_nn.py"), ("intake_file_chosen",), TRAIN_STEP, check_several,
         "circles.py, circlesV2.py, old/circles_v1.py"),
    Case("script_renamed", only("Ex grad intro.py"), ("intake_file_renamed",), "", check_script,
         "Ex grad intro (1).py"),
    Case("latin1", only("tp_nn.py"), ("intake_encoding",), "", None, "cp1252 accents, no coding cookie",
         {"tp_nn": ("init_params", "forward")}),
    Case("notebook_broken_cell", only("tp_nn.py"), ("intake_cell_syntax_error",), "", check_broken_cell,
         "cells with a syntax error and a Python 2 print", {"tp_nn": ("init_params", "forward")}),
    Case("hostile_heading", only("tp_nn.py"), ("intake_cell_syntax_error", "intake_skipped_toplevel"), TRAIN_STEP,
         None, "12 kB heading and bold lines, 6,000 escaped quotes, code nested too deep"),
    Case("python2_beside_python3", only("tp_nn.py"), ("intake_file_chosen",), TRAIN_STEP,
         lambda p, r: p.modules["tp_nn.py"] == "mlp_py3.py" or pytest.fail(str(p.modules)),
         "tp_nn.py in Python 2 beside mlp_py3.py, the same functions in Python 3"),
]

RESULTS: dict[str, tuple[str, str, bool]] = {}


def statuses(prepared: PreparedSubmission) -> dict[str, str]:
    return {f: (f"fatal:{prepared.fatal[f].key}" if f in prepared.fatal else "ok") for f in FILES}


def verify(prepared: PreparedSubmission, case: Case) -> None:
    """Everything a row promises: statuses, notes, imports and signatures, the row's own checks."""
    got = statuses(prepared)
    assert got == case.expected
    keys = {n.key for n in prepared.notes}
    for key in case.notes:
        assert key in keys, f"note {key} missing; notes: {[n.render('en') for n in prepared.notes]}"
    for name in FILES:
        assert (prepared.dir / name).exists(), f"{name} not written"
    modules = [Path(f).stem for f, s in case.expected.items() if s == "ok" and Path(f).stem in SIGNATURES]
    result = probe(prepared.dir, modules, case.probe_code)
    for module in modules:
        entry = result[module]
        assert "error" not in entry, f"{module} does not import: {entry['error']}"
        for function in case.defines.get(module, tuple(SIGNATURES[module])):
            assert entry["functions"].get(function) == SIGNATURES[module][function], \
                (module, function, entry["functions"])
    if case.check:
        case.check(prepared, result)
    # the state round-trips, and a reload says the same
    again = PreparedSubmission.load(prepared.dir)
    assert again.to_json() == prepared.to_json()
    assert PreparedSubmission.from_json(json.loads(json.dumps(prepared.to_json()))).to_json() == prepared.to_json()


@pytest.mark.parametrize("case", CASES, ids=[c.fixture for c in CASES])
def test_fixture(case: Case, tmp_path: Path) -> None:
    assignment = demo_assignment(tmp_path / "reference")
    source = SubmissionSource(case.fixture, STUDENTS / case.fixture)
    prepared = prepare(source, assignment, tmp_path / "prepared")
    got = _summary(statuses(prepared))
    RESULTS[case.fixture] = (case.expected_text(), got, False)
    verify(prepared, case)
    RESULTS[case.fixture] = (case.expected_text(), got, True)


MOODLE_EXPECTED = ("Alice_Martin_12345: tp_nn=ok | Bob_Stone_34567: tp_nn=ok | Chloe_Bernard_45678: tp_nn=ok | "
                   "Eloise_Dupont_23456: tp_nn=ok tp_nn_autograd=ok tp_nn_modules=ok")


def test_moodle_batch(tmp_path: Path) -> None:
    """The Moodle download, through discover then prepare, every student imported and checked."""
    archive = build_moodle_zip(tmp_path)
    sources, messages = discover(archive, tmp_path / "work")
    assignment = demo_assignment(tmp_path / "reference")
    parts = []
    for source in sources:
        prepared = prepare(source, assignment, tmp_path / "prepared" / source.student_id)
        ok = [Path(f).stem for f in FILES[:3] if f not in prepared.fatal]
        parts.append(f"{source.student_id}: " + " ".join(f"{m}=ok" for m in ok))
        result = probe(prepared.dir, ok, "")
        for module in ok:
            assert "error" not in result[module], (source.student_id, result[module])
            for function in ("init_params", "forward") if module == "tp_nn" else SIGNATURES[module]:
                assert result[module]["functions"][function] == SIGNATURES[module][function]
    got = " | ".join(parts)
    RESULTS["moodle (zip)"] = (MOODLE_EXPECTED, got, False)
    assert got == MOODLE_EXPECTED
    assert [m.key for m in messages].count("intake_archive_unsafe_entry") == 4
    RESULTS["moodle (zip)"] = (MOODLE_EXPECTED, got, True)


def test_fixture_table(capsys: pytest.CaptureFixture) -> None:
    """The summary asked for: (fixture, expected, got) and how many fixtures grade as expected."""
    total = len(CASES) + 1
    passed = sum(1 for _, _, ok in RESULTS.values() if ok)
    width = max(len(k) for k in [c.fixture for c in CASES] + ["moodle (zip)"])
    lines = [f"{'fixture':<{width}}  {'as expected':<11}  expected -> got"]
    for name in [c.fixture for c in CASES] + ["moodle (zip)"]:
        expected, got, ok = RESULTS.get(name, ("?", "not run", False))
        lines.append(f"{name:<{width}}  {'yes' if ok else 'NO':<11}  {expected}")
        if got != expected or not ok:
            lines.append(f"{'':<{width}}  {'':<11}  got: {got}")
    lines.append(f"{passed}/{total} fixtures grade as expected")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    if len(RESULTS) == total:   # the whole file ran: every row must be as expected
        assert passed == total
