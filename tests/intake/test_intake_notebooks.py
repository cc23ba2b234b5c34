"""Notebook cells to Python: IPython syntax neutralised line for line, headings, nbformat reading."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from grader.intake.notebooks import NotebookError, cell_to_python, comment_heading, markdown_headings, read_notebook
from grader.intake.sources import read_source
from intake_helpers import STUDENTS


def python(source: str, provides=lambda m: False) -> str:
    code = cell_to_python(source, provides)
    assert code.text.count("\n") == source.count("\n"), "the line count must not change"
    ast.parse(code.text)
    return code.text


def test_shell_and_line_magics_become_pass_keeping_indentation() -> None:
    text = python("!pip install torch\n%matplotlib inline\nif True:\n    !ls -la\n    x = 1\nfiles = !ls\ntorch.zeros?")
    lines = text.split("\n")
    assert lines[0] == "pass  # [intake] !pip install torch"
    assert lines[3] == "    pass  # [intake] !ls -la"
    assert lines[5].startswith("pass  #") and lines[6].startswith("pass  #")


def test_magic_continuation_lines_are_commented() -> None:
    text = python("!pip install \\\n    numpy \\\n    torch\nx = 1")
    assert text.split("\n")[1].startswith("# [intake]") and text.split("\n")[3] == "x = 1"


def test_magic_lookalikes_inside_strings_and_brackets_are_left_alone() -> None:
    source = 's = """\n!not a magic\n%nor this\n"""\nx = (1 +\n     2)\ny = 10 % 3\nz = x != y'
    assert python(source) == source


def test_run_becomes_star_import_when_the_submission_has_the_module() -> None:
    assert python("%run helpers.py", lambda m: m == "helpers") == "from helpers import *  # [intake] %run helpers.py"
    assert python("%run other.py", lambda m: m == "helpers").startswith("pass")


@pytest.mark.parametrize("magic", ["%%time", "%%capture out", "%%timeit -n 1"])
def test_python_cell_magics_keep_their_body(magic: str) -> None:
    text = python(f"{magic}\nx = 1\n!echo hi")
    assert text.split("\n")[1] == "x = 1" and text.split("\n")[2].startswith("pass")


@pytest.mark.parametrize("magic", ["%%bash", "%%html", "%%javascript", "%%sh", "%%latex"])
def test_other_cell_magics_are_commented_out(magic: str) -> None:
    text = python(f"{magic}\necho 'it''s not python'\nls")
    assert all(line.startswith("# [intake]") for line in text.split("\n"))


def test_writefile_cell_gives_the_file_back() -> None:
    code = cell_to_python("%%writefile -a utils.py\ndef f():\n    return 1\n")
    assert code.writefile == ("utils.py", "def f():\n    return 1\n")
    assert all(line.startswith("# [intake]") for line in code.text.split("\n"))


def test_markdown_headings() -> None:
    assert markdown_headings("# TP 3\ntext\n## 2.2 Simplification du *backward*\n**2.3 torch.nn**\nTitre\n===") == [
        (1, "TP 3"), (2, "2.2 Simplification du backward"), (2, "2.3 torch.nn"), (1, "Titre")]


def test_comment_headings() -> None:
    assert comment_heading("# 2.2 autograd") == (2, "2.2 autograd")
    assert comment_heading("#%% Partie 3") == (1, "Partie 3")
    assert comment_heading("# compute the loss") is None
    assert comment_heading("    # 2.2 indented is not a title") is None


def test_colab_fixture_reads_with_nbformat_despite_a_megabyte_output() -> None:
    path = STUDENTS / "colab_notebook" / "TP3_NOM.ipynb"
    assert path.stat().st_size > 1_000_000
    notebook = read_notebook(path)
    assert len(notebook.cells) == 12 and not notebook.python2
    source = read_source(path, "TP3_NOM.ipynb", provides=lambda m: m == "helpers")
    assert not source.broken_blocks(), [b.error for b in source.broken_blocks()]
    assert "mlp_utils.py" in source.writefiles
    forward = next(b for b in source.blocks if "def forward" in b.text)
    assert forward.cell == 7 and forward.heading_text(1) == "TP 3 - Réseaux de neurones / 2.1 Forward et backward manuels"


def test_unreadable_and_old_notebooks(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    with pytest.raises(NotebookError):
        read_notebook(bad)
    source = read_source(bad, "bad.ipynb")
    assert source.problem is not None and source.problem.key == "intake_notebook_unreadable"
    # nbformat 3 (worksheets) is converted, not refused
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""},
          "worksheets": [{"cells": [{"cell_type": "code", "input": "def f(x):\n    return x",
                                     "language": "python", "outputs": [], "metadata": {}}], "metadata": {}}]}
    old = tmp_path / "old.ipynb"
    old.write_text(json.dumps(v3))
    assert "def f" in read_source(old, "old.ipynb").blocks[0].text


def test_python2_kernel_is_noticed(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('print "x"')],
                                  metadata={"kernelspec": {"name": "python2", "display_name": "Python 2"}})
    path = tmp_path / "p2.ipynb"
    nbformat.write(nb, str(path))
    source = read_source(path, "p2.ipynb")
    assert source.python2_kernel and source.broken_blocks()
