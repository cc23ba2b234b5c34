"""notebook_check's pieces without a kernel: which code of the kernel's history is graded, which
assignment, which tests, and what the result says (a jail that cannot start, missing layers)."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from grader import notebook
from grader.harness.selection import keyword, question_tests
from grader.notebook import NotebookCheck, find_assignment, kernel_cells

PROJECT = Path(__file__).resolve().parents[2]
TP_NN = PROJECT / "assignments" / "tp_nn"


def _code(cells: list[str]) -> str:
    return "\n".join(cells)


def _defs(cells: list[str], name: str) -> list[ast.FunctionDef]:
    found = []
    for text in cells:
        if text.strip():
            found += [s for s in ast.parse(text).body if isinstance(s, ast.FunctionDef) and s.name == name]
    return found


# --- kernel_cells -------------------------------------------------------------------------------


def test_cell_n_is_in_n_and_every_cell_parses():
    history = ["", "import torch", "x = 1", "def f():\n    return x"]
    cells = kernel_cells(history).cells
    assert cells[1:] == history[1:]
    for text in cells:
        ast.parse(text)


def test_magics_and_shell_lines_are_not_code():
    history = ["", "%matplotlib inline\nimport torch", "!pip install mlxtend", "files = !ls\nn = 3",
               "%%bash\necho hi", "%time y = torch.zeros(2)"]
    cells = kernel_cells(history).cells
    for text in cells:
        tree = ast.parse(text)
        for stmt in tree.body:     # what is left of an IPython line is `pass` (or a comment)
            line = text.split("\n")[stmt.lineno - 1]
            assert not line.lstrip().startswith(("!", "%")) or isinstance(stmt, ast.Pass), line
    assert "import torch" in cells[1] and "n = 3" in cells[3]
    assert "echo hi" not in _code([l for c in cells for l in c.split("\n") if not l.lstrip().startswith("#")])


def test_the_check_calls_and_grader_imports_are_left_out():
    history = ["", "from grader import notebook_check as check\nimport torch",
               "def forward(params, X):\n    return X",
               "check('forward')",
               "import grader\nresult = grader.notebook_check('forward', lang='en')\nprint(result.score)",
               "def helper():\n    return check  # a definition that mentions it stays"]
    cells = kernel_cells(history, running=False).cells
    code = _code(cells)
    assert "import torch" in code and "def forward" in code and "def helper" in code
    assert "from grader" not in code and "import grader" not in code
    assert "check('forward')" not in code and "notebook_check(" not in code
    assert "print(result.score)" in code      # no check call in it: intake drops it as top-level code


def test_the_running_cell_stops_at_the_check():
    history = ["", "from grader import notebook_check",
               "def forward(params, X):\n    return X\nnotebook_check('forward')\ndef later():\n    return 1"]
    assert "def later" not in _code(kernel_cells(history, running=True).cells)
    assert "def forward" in _code(kernel_cells(history, running=True).cells)
    # an earlier cell (not running) was executed whole
    assert "def later" in _code(kernel_cells(history + ["x = 1"], running=True).cells)


def test_a_later_definition_replaces_an_earlier_one():
    history = ["", "def forward(params, X):\n    return 'first'",
               "def forward(parameters, X):\n    return 'second'",
               "class Linear:\n    a = 1", "class Linear:\n    a = 2"]
    cells = kernel_cells(history).cells
    kept = _defs(cells, "forward")
    assert len(kept) == 1 and "second" in ast.unparse(kept[0])
    assert cells[1].strip() == ""                   # In [1] is left as an empty cell: In [2] keeps its number
    assert "a = 2" in _code(cells) and "a = 1" not in _code(cells)


def test_a_function_of_another_arity_is_kept_for_intake_to_choose():
    history = ["", "def sgd(params, grads, eta):\n    return 1", "def sgd(params, eta):\n    return 2"]
    assert len(_defs(kernel_cells(history).cells, "sgd")) == 2


def test_a_cell_that_does_not_parse_is_left_out_with_a_note():
    history = ["", "def forward(params, X)\n    return X", "y = 2"]
    result = kernel_cells(history)
    assert result.cells[1] == "" and result.cells[2] == "y = 2"
    assert [n.params["cell"] for n in result.notes if n.key == "notebook_cell_unparsable"] == [1]


# --- the tests of one question ------------------------------------------------------------------


def test_the_public_tests_of_one_question_are_found_by_their_marker(tmp_path):
    names = question_tests([TP_NN / "tests" / "public"], {"forward"})
    assert names and all("forward" in n for n in names)
    assert "test_sgd_fixed_step" not in names
    assert keyword(names) == " or ".join(names)
    # the module's pytestmark, a class, and a marker whose question cannot be read statically
    (tmp_path / "test_a.py").write_text(
        "import pytest\npytestmark = pytest.mark.question('q1')\n\ndef test_one(student): pass\n\n"
        "@pytest.mark.question('q2')\nclass TestTwo:\n    def test_two(self): pass\n", encoding="utf-8")
    assert question_tests([tmp_path], {"q1"}) == ["test_one"] and question_tests([tmp_path], {"q2"}) == ["test_two"]
    (tmp_path / "test_b.py").write_text("import pytest\nQ = 'q1'\n@pytest.mark.question(Q)\ndef test_b(): pass\n",
                                        encoding="utf-8")
    assert question_tests([tmp_path], {"q1"}) is None      # then every test runs, none is left out
    with pytest.raises(ValueError):
        keyword([])                                  # an empty -k would select every test


# --- which assignment ---------------------------------------------------------------------------


def _kit(root: Path, *ids: str) -> Path:
    for assignment_id in ids:
        folder = root / "assignments" / assignment_id
        folder.mkdir(parents=True)
        text = (TP_NN / "assignment.toml").read_text(encoding="utf-8")
        (folder / "assignment.toml").write_text(text.replace('id = "tp_nn"', f'id = "{assignment_id}"'),
                                                encoding="utf-8")
    (root / "starter").mkdir(exist_ok=True)
    return root / "starter"


def test_the_assignment_of_the_kit_above_the_notebook(tmp_path, monkeypatch):
    monkeypatch.delenv(notebook.ENV_ASSIGNMENT, raising=False)
    monkeypatch.setattr(notebook, "_OWN_ASSIGNMENTS", tmp_path / "none")
    starter = _kit(tmp_path / "kit", "tp_nn")
    assert find_assignment(None, "forward", [starter]).root == tmp_path / "kit" / "assignments" / "tp_nn"
    # inside an assignment's own folder
    assert find_assignment(None, "forward", [TP_NN / "starter"]).root == TP_NN
    # an id, or the environment variable
    assert find_assignment("tp_nn", "forward", [starter]).id == "tp_nn"
    monkeypatch.setenv(notebook.ENV_ASSIGNMENT, str(TP_NN))
    assert find_assignment(None, "forward", [starter]).root == TP_NN


def test_several_or_no_assignments_is_said_not_guessed(tmp_path, monkeypatch):
    monkeypatch.delenv(notebook.ENV_ASSIGNMENT, raising=False)
    monkeypatch.setattr(notebook, "_OWN_ASSIGNMENTS", tmp_path / "none")
    starter = _kit(tmp_path / "kit", "tp_a", "tp_b")
    with pytest.raises(notebook._Problem) as several:
        find_assignment(None, "forward", [starter])
    assert several.value.message.key == "notebook_several_assignments"
    assert "tp_a, tp_b" in several.value.message.render("en")
    assert find_assignment("tp_b", "forward", [starter]).id == "tp_b"
    with pytest.raises(notebook._Problem) as unknown:
        find_assignment("tp_c", "forward", [starter])
    assert unknown.value.message.key == "notebook_unknown_assignment"
    (tmp_path / "empty").mkdir()
    with pytest.raises(notebook._Problem) as none:
        find_assignment(None, "forward", [tmp_path / "empty"])
    assert none.value.message.key == "notebook_no_assignment"


def test_an_unknown_question_is_said_with_the_list(monkeypatch):
    monkeypatch.setattr(notebook, "_history", lambda: pytest.fail("nothing is read for an unknown question"))
    result = notebook.notebook_check("forwrad", str(TP_NN), lang="en")
    assert not result.passed and not result.checked
    assert "forwrad" in result.problem and "forward" in result.problem


def test_outside_a_kernel_the_check_says_where_it_runs(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "IPython", None)
    result = notebook.notebook_check("forward", str(TP_NN), lang="en")
    assert not result.checked and "python -m grader check" in result.problem


# --- no jail, missing layers: said, never silently run -------------------------------------------


def test_without_fork_nothing_is_started_and_the_result_says_why(monkeypatch, tmp_path):
    monkeypatch.delattr(os, "fork")
    monkeypatch.setattr(notebook.subprocess, "Popen", lambda *a, **k: pytest.fail("a process was started"))
    monkeypatch.setattr(notebook, "_history", lambda: ["", "def forward(params, X):\n    return X"])
    result = notebook.notebook_check("forward", str(TP_NN), lang="en")
    assert not result.checked and not result.passed and result.score == 0
    assert "was not run" in result.problem and "jail" in result.problem
    assert "was not run" in result._repr_html_() and "was not run" in repr(result)


def test_a_missing_layer_is_listed_with_what_it_would_enforce():
    full = notebook._confinement_lines([], "en")
    assert full == [notebook.msg("notebook_full_jail").render("en")]
    degraded = notebook._confinement_lines(["landlock (kernel has none)", "odd layer (EPERM)"], "fr")
    assert len(degraded) == 3
    assert "liste blanche" in degraded[1] and "`landlock (kernel has none)`" in degraded[1]
    assert degraded[2] == "`odd layer (EPERM)`"     # an unknown layer is shown as it is, not dropped


def test_the_result_shows_student_text_escaped_and_knows_when_it_passed():
    result = NotebookCheck("forward", "tp_nn", lang="en", title="forward(params, X)", score=4, max_score=4,
                           checked=True, feedback=["got `<script>alert(1)</script>`"])
    assert result.passed and "4 / 4" in repr(result) and "4 / 4" in result._repr_markdown_()
    page = result._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert not NotebookCheck("forward", "tp_nn", score=3.5, max_score=4, checked=True).passed
    assert not NotebookCheck("forward", "tp_nn", score=4, max_score=4, checked=False).passed
    assert not NotebookCheck("forward", "tp_nn", score=4, max_score=4, checked=True, skipped=True).passed
