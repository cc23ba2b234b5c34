"""Reports say where each graded function came from, and errors point at the student's own cell."""

from __future__ import annotations

from pathlib import Path

import nbformat

from grader import assignment as assignment_model
from grader.check import check
from grader.options import Options

PROJECT = Path(__file__).resolve().parent.parent
TP_NN = PROJECT / "assignments" / "tp_nn"
REFERENCE = (PROJECT / "assignments" / "tp_nn" / "reference" / "tp_nn.py").read_text()


def test_notebook_origins_and_error_lines(tmp_path):
    folder = tmp_path / "TP3_Martin"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook()
    broken_forward = REFERENCE.replace("def forward(params, X):\n",
                                       "def forward(params, X):\n    raise ValueError('not yet')\n")
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# TP 3-4\n## 2.1 Forward et backward manuels"),
        nbformat.v4.new_code_cell("!pip install torch\n%matplotlib inline"),
        nbformat.v4.new_code_cell(broken_forward),
    ]
    nbformat.write(notebook, folder / "TP3_4_Martin.ipynb")
    report, _ = check(assignment_model.load(TP_NN), folder, Options(include_hidden=False, lang="en", max_examples=3))
    forward = [m.render("en") for m in report.questions["forward"].feedback]
    assert any(line.startswith("graded: forward from TP3_4_Martin.ipynb, cell 2") for line in forward), forward
    assert any("ValueError: not yet (TP3_4_Martin.ipynb, cell 2 line" in line for line in forward), forward
    assert report.questions["init_params"].score == report.questions["init_params"].max_score
