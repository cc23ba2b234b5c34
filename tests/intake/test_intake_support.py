"""Course helpers, stand-ins, the saved state and line map, and prepare's edge cases."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from grader.errors import HarnessError
from grader.intake import Origin, PreparedSubmission, SubmissionSource, prepare
from grader.catalogue.intake import INTAKE_MESSAGES
from grader.intake.model import LineRun
from grader.messages import msg
from intake_helpers import STUDENTS, copy_fixture, demo_assignment, probe


def test_every_message_has_both_languages_and_renders() -> None:
    import string
    for key, texts in INTAKE_MESSAGES.items():
        assert set(texts) == {"fr", "en"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in texts.values()]
        assert fields[0] == fields[1], key
        assert "{" not in msg(key, **{f: "x" for f in fields[0]}).render("fr"), key
    note = msg("intake_python2", file="tp_nn.py", line=12, construct="print statement")
    assert note.render("en") == "tp_nn.py: SyntaxError line 12: print statement — Python 2? The grader runs Python 3"
    assert note.render("fr").startswith("tp_nn.py : SyntaxError ligne 12 : print statement — du Python 2 ?")


def test_course_helpers_in_a_fresh_python(tmp_path: Path) -> None:
    from grader.intake import course_helpers
    shutil.copyfile(course_helpers.__file__, tmp_path / "tme5.py")
    result = probe(tmp_path, ["tme5"], """
import tme5, torch
d = tme5.CirclesData()
extra["shapes"] = [list(d.Xtrain.shape), list(d.Ytrain.shape), list(d.Xtest.shape), list(d.Xgrid.shape)]
extra["one_hot"] = bool((d.Ytrain.sum(1) == 1).all())
extra["balanced"] = d.Ytrain.sum(0).tolist()
extra["same"] = bool(torch.equal(d.Xtrain, tme5.CirclesData().Xtrain))
extra["tensor"] = isinstance(d.Xtrain, torch.Tensor) and d.Xtrain.dtype == torch.float32
d.plot_data(); d.plot_data_with_grid(torch.zeros(1600, 2), "t"); d.plot_loss(1.0, 2.0, 50.0, 60.0)
tme5.plot_data_with_grid(torch.zeros(1600, 2))
extra["recorded"] = d.loss_train
m = tme5.MNISTData()
extra["mnist"] = [list(m.Xtrain.shape), list(m.Ytest.shape), float(m.Xtrain.max())]
""")
    extra = result["__extra__"]
    assert "probe_error" not in extra, extra
    assert extra["shapes"] == [[200, 2], [200, 2], [200, 2], [1600, 2]]
    assert extra["one_hot"] and extra["balanced"] == [100.0, 100.0] and extra["same"] and extra["tensor"]
    assert extra["recorded"] == [1.0]
    assert extra["mnist"] == [[4000, 784], [1000, 10], 1.0]


def test_standins_fail_only_when_used(tmp_path: Path) -> None:
    from grader.intake import standin
    shutil.copyfile(standin.__file__, tmp_path / "_intake_missing.py")
    result = probe(tmp_path, [], """
import _intake_missing as m
ic = m.name("icecream", "ic")
extra["repr"] = repr(ic)
for what, call in [("call", lambda: ic(1)), ("attr", lambda: m.module("mltools").plot), ("add", lambda: ic + 1),
                   ("unrun", lambda: m.unrun("data", "tp.py, line 3").Xtrain),
                   ("star", lambda: m.star("softmax", "utils")(1)),
                   ("torch", lambda: __import__("torch").tensor(m.unrun("X", "x.py, line 1")))]:
    try:
        call()
        extra[what] = "no error"
    except BaseException as exc:
        extra[what] = type(exc).__name__ + ": " + str(exc)
""")
    extra = result["__extra__"]
    assert extra["repr"].startswith("<ic: not available")
    assert extra["call"].startswith("ModuleNotFoundError: the module 'icecream' is not available in the grader: "
                                    "ic(...) cannot be used")
    assert "mltools.plot cannot be used" in extra["attr"]
    assert extra["add"].startswith("ModuleNotFoundError")
    assert extra["unrun"].startswith("NameError: 'data' is set by top-level code (tp.py, line 3)")
    assert extra["star"].startswith("NameError: 'softmax' is not defined; it may come from 'from utils import *'")
    assert "top-level code" in extra["torch"]


def test_line_map_round_trip_and_lookup(tmp_path: Path) -> None:
    prepared = PreparedSubmission(
        SubmissionSource("s", tmp_path, "S T", "1", (msg("intake_symlink_skipped", file="x"),)), tmp_path,
        {"tp_nn.py": "TP3.ipynb"}, {"forward": {"forward": Origin("TP3.ipynb", 3, 14)}}, [msg("intake_empty_submission")],
        {"tp_nn_autograd.py": msg("intake_missing_file", file="tp_nn_autograd.py", found="-")},
        {"tp_nn.py": [LineRun(2, 3, "TP3.ipynb", 5, 14), LineRun(7, 2, "TP3.ipynb", 1, 15)]})
    again = PreparedSubmission.from_json(json.loads(json.dumps(prepared.to_json())))
    assert again.to_json() == prepared.to_json() and again.source.notes == prepared.source.notes
    assert again.origin_of_line("tp_nn.py", 1) is None
    assert again.origin_of_line("tp_nn.py", 3) == Origin("TP3.ipynb", 6, 14)
    assert again.origin_of_line("/somewhere/prepared/tp_nn.py", 8).describe() == "TP3.ipynb, cell 15, line 2"
    assert again.origin_of_line("tp_nn", 5) is None and again.origin_of_line("other.py", 3) is None
    assert Origin("circlesV2.py", 40).describe() == "circlesV2.py, line 40"


def test_traceback_lines_map_back_to_the_notebook(tmp_path: Path) -> None:
    """A line of a prepared module, reported by a traceback, is found in the student's cell."""
    prepared = prepare(SubmissionSource("m", STUDENTS / "multipart_notebook"), demo_assignment(tmp_path / "r"),
                       tmp_path / "p")
    text = (prepared.dir / "tp_nn_modules.py").read_text().split("\n")
    line = text.index("def sgd(model, eta):") + 2                  # "    with torch.no_grad():"
    origin = PreparedSubmission.load(prepared.dir).origin_of_line("tp_nn_modules.py", line)
    assert origin == Origin("TP3_4_NOM_Prenom.ipynb", 18, 12)


def test_prepare_copies_data_but_not_junk_links_or_huge_files(tmp_path: Path) -> None:
    student = copy_fixture("several_candidates", tmp_path)
    (student / "__pycache__").mkdir()
    (student / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (student / ".ipynb_checkpoints").mkdir()
    (student / ".ipynb_checkpoints" / "tp_nn-checkpoint.py").write_text("def forward(params, X):\n    return 1\n")
    (student / ".intake.json").write_text("{}")                   # a student cannot plant the intake's state
    os.symlink("/etc/passwd", student / "passwd")
    with open(student / "huge.bin", "wb") as f:
        f.truncate(51 << 20)
    prepared = prepare(SubmissionSource("s", student), demo_assignment(tmp_path / "r"), tmp_path / "p")
    names = sorted(p.relative_to(prepared.dir).as_posix() for p in prepared.dir.rglob("*"))
    assert "huge.bin" not in names and "passwd" not in names and not any("pycache" in n or "checkpoint" in n for n in names)
    assert "old/circles_v1.py" in names
    assert [n.params["file"] for n in prepared.notes if n.key == "intake_large_file_skipped"] == ["huge.bin"]
    assert json.loads((prepared.dir / ".intake.json").read_text())["source"]["student_id"] == "s"


def test_prepare_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    dest = tmp_path / "p"
    dest.mkdir()
    (dest / "precious.txt").write_text("x")
    with pytest.raises(HarnessError):
        prepare(SubmissionSource("s", STUDENTS / "latin1"), demo_assignment(tmp_path / "r"), dest)
    shutil.rmtree(dest)
    prepare(SubmissionSource("s", STUDENTS / "latin1"), demo_assignment(tmp_path / "r"), dest)
    prepare(SubmissionSource("s", STUDENTS / "latin1"), demo_assignment(tmp_path / "r"), dest)   # again: fine


def test_fatal_module_explains_itself_when_imported(tmp_path: Path) -> None:
    prepared = prepare(SubmissionSource("s", STUDENTS / "python2"), demo_assignment(tmp_path / "r"), tmp_path / "p")
    result = probe(prepared.dir, ["tp_nn"])
    assert result["tp_nn"]["error"].startswith("ImportError: tp_nn.py: SyntaxError line 5: print statement")


def test_student_module_in_a_subfolder_and_a_notebook_named_like_the_file(tmp_path: Path) -> None:
    student = tmp_path / "s"
    (student / "TP3").mkdir(parents=True)
    (student / "TP3" / "outils.py").write_text(
        "import torch\n\ndef softmax(x):\n    return torch.softmax(x, 1)\n\nprint('chargé')\nx = input()\n")
    (student / "TP3" / "tp_nn.py").write_text(
        "from outils import softmax\nimport torch\n\ndef forward(params, X):\n    return softmax(X), {}\n")
    prepared = prepare(SubmissionSource("s", student), demo_assignment(tmp_path / "r"), tmp_path / "p")
    assert prepared.modules["tp_nn.py"] == "TP3/tp_nn.py"
    result = probe(prepared.dir, ["tp_nn", "outils"], "import tp_nn, torch\nextra['y'] = tp_nn.forward({}, torch.zeros(1, 2))[0].tolist()")
    assert "error" not in result["tp_nn"], result
    assert result["__extra__"]["y"] == [[0.5, 0.5]]
    assert "outils.py" in (prepared.dir / "outils.py").read_text().split("\n")[0]


def test_notebook_broken_everywhere_is_fatal_with_the_syntax_reason(tmp_path: Path) -> None:
    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'def init_params(nx, nh, ny):\n    print "init"\n    return {}')],
        metadata={"kernelspec": {"name": "python2", "display_name": "Python 2"}})
    student = tmp_path / "s"
    student.mkdir()
    nbformat.write(nb, str(student / "tp_nn.ipynb"))
    prepared = prepare(SubmissionSource("s", student), demo_assignment(tmp_path / "r"), tmp_path / "p")
    assert prepared.fatal["tp_nn.py"].render("en") == \
        "tp_nn.ipynb, cell 0: SyntaxError line 2: print statement — Python 2? The grader runs Python 3"


def test_empty_file_is_fatal(tmp_path: Path) -> None:
    student = tmp_path / "s"
    student.mkdir()
    (student / "tp_nn.py").write_text("# TODO\n\n")
    prepared = prepare(SubmissionSource("s", student), demo_assignment(tmp_path / "r"), tmp_path / "p")
    assert prepared.fatal["tp_nn.py"].key == "intake_empty_file"


def test_names_are_checked_in_the_packages_sources_without_importing_them() -> None:
    """`from sklearn.svm import SVC` is seen in sklearn/svm/__init__.py: intake does not import
    sklearn in the grader's process for it (about 2 s the worker pays anyway); a name no source
    shows (`from sklearn.externals import joblib`) is still checked by importing, and missing."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from grader.intake.imports import module_available, module_has\n"
        "assert module_has('sklearn.svm', 'SVC') and module_has('torch.nn', 'functional')\n"
        "assert module_available('sklearn.svm') and module_available('torch.nn.functional')\n"
        "assert not any(m.split('.')[0] in ('sklearn', 'torch') for m in sys.modules), "
        "sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'torch'))[:5]\n"
        "assert not module_has('sklearn.externals', 'joblib') and not module_has('sklearn.svm', 'NoSuchSVC')\n"
        "assert not module_available('sklearn.no_such_module')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
