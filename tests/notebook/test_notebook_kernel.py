"""notebook_check in a real Jupyter kernel (nbconvert's ExecutePreprocessor, ipykernel): the
current definitions of the kernel are graded in the jail, and the output says so.

One kernel, one notebook: a wrong forward (softmax over dim 0) is checked, then redefined
correctly in a later cell and checked again, the second time under the Otter-like name `check`
with the assignment taken from GRADER_ASSIGNMENT. The public tests of forward only.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")
from nbconvert.preprocessors import ExecutePreprocessor  # noqa: E402

PROJECT = Path(__file__).resolve().parents[2]

FORWARD = '''def forward(params, X):
    htilde = X @ params["Wh"].T + params["bh"]
    h = torch.tanh(htilde)
    ytilde = h @ params["Wy"].T + params["by"]
    Yhat = torch.softmax(ytilde, dim={dim})
    return Yhat, {{"X": X, "htilde": htilde, "h": h, "ytilde": ytilde, "yhat": Yhat}}
'''

CELLS = [
    "%matplotlib inline\nimport torch\nfrom grader import notebook_check",
    "!echo a shell line the check must not run",
    FORWARD.format(dim=0),
    "print('top-level code: left out by intake')\nnotebook_check('forward', 'tp_nn', lang='en')",
    FORWARD.format(dim=1),
    "from grader import notebook_check as check\ncheck('forward', lang='en')",
    "import sys\nsorted(m for m in ('pytest', 'hypothesis', 'tp_nn_support', 'grader.check') if m in sys.modules)",
]


def _kernel_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """"python3" when registered; else one installed for this interpreter in a temporary JUPYTER_PATH."""
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" in KernelSpecManager().find_kernel_specs():
        return "python3"
    prefix = tmp_path / "jupyter"
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix), "--name", "python3"],
                   check=True, capture_output=True, timeout=120)
    monkeypatch.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
    return "python3"


def _output(cell) -> dict:
    shown = [o for o in cell.outputs if o.get("output_type") == "execute_result"]
    assert len(shown) == 1, cell.outputs
    return shown[0]["data"]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("notebook")
    monkeypatch = pytest.MonkeyPatch()
    try:
        name = _kernel_name(tmp_path, monkeypatch)
        monkeypatch.setenv("GRADER_ASSIGNMENT", "tp_nn")
        monkeypatch.setenv("PYTHONPATH", str(PROJECT))
        work = tmp_path / "work"          # no kit above it: the assignment comes from its id
        work.mkdir()
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
        ExecutePreprocessor(timeout=240, kernel_name=name).preprocess(notebook, {"metadata": {"path": str(work)}})
    finally:
        monkeypatch.undo()
    return notebook


def test_a_wrong_forward_loses_the_points_with_the_diagnosis(executed):
    data = _output(executed.cells[3])
    text = data["text/plain"]
    assert text.startswith("forward(params, X): 0 / 4 — not yet"), text
    assert "wrong dimension" in text and "dim=1" in text            # the diagnosis, not just a zero
    assert "cell 3" in text                                         # where: In [3] of this kernel
    for mime in ("text/html", "text/markdown"):
        assert "0 / 4" in data[mime] and "wrong dimension" in data[mime]


def test_the_current_definition_is_graded_after_a_redefinition(executed):
    data = _output(executed.cells[5])
    text = data["text/plain"]
    assert text.startswith("forward(params, X): 4 / 4 — passed"), text
    assert "cell 5" in text and "cell 3" not in text                # the later cell's definition
    assert "4 / 4" in data["text/html"] and "4 / 4" in data["text/markdown"]


def test_the_output_says_where_the_code_ran(executed):
    for index in (3, 5):
        text = _output(executed.cells[index])["text/plain"]
        assert "Jail:" in text and "grader's jail" in text
        # what the jail reports for this machine, and nothing that ran in the kernel
        assert "every confinement layer applied" in text or "does not provide every layer" in text


def test_the_kernel_itself_ran_no_grading(executed):
    # pytest, the tests and their support were imported by the check's own process, not the kernel
    assert _output(executed.cells[6])["text/plain"] == "[]"
