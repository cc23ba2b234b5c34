"""Reports say where each graded function came from, and errors point at the student's own cell."""

from __future__ import annotations

from pathlib import Path

import nbformat

import json
import subprocess
import sys

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
    # `grader check` in its own process, as a student runs it (a pytest run nested in this one
    # shares its SIGALRM timer with the suite's own timeout).
    done = subprocess.run([sys.executable, "-m", "grader", "check", "tp_nn", str(folder), "--json", "--lang", "en",
                           "--max-examples", "3"], capture_output=True, text=True, cwd=PROJECT, timeout=600)
    report = json.loads(done.stdout)
    forward = report["questions"]["forward"]["feedback"]
    assert any(line.startswith("graded: forward from TP3_4_Martin.ipynb, cell 2") for line in forward), forward
    assert any("ValueError: not yet (TP3_4_Martin.ipynb, cell 2 line" in line for line in forward), forward
    assert report["questions"]["init_params"]["score"] == report["questions"]["init_params"]["max_score"]
