"""Writes the anchors' notebooks from tp_nn_checks.CHECKS and the reference solution of part 2.1:

    otter/tp_nn.ipynb                    Otter-Grader's master notebook (`otter assign` input)
    nbgrader/source/tp_nn/tp_nn.ipynb    nbgrader's source notebook (`nbgrader generate_assignment` input)

Both are committed; run this again after changing the checks (any python with nbformat):

    python benchmarks/anchors/make_notebooks.py
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
REFERENCE = ROOT / "assignments" / "tp_nn" / "reference" / "tp_nn.py"
sys.path.insert(0, str(HERE))

from tp_nn_checks import CHECKS  # noqa: E402

# The part-2.1 questions of assignments/tp_nn/assignment.toml: id -> (points, checks of CHECKS).
QUESTIONS = {
    "init_params": (2, ["check_init_shapes", "check_init_std"]),
    "forward": (4, ["check_forward_example", "check_forward_rows"]),
    "loss_accuracy": (3, ["check_loss_uniform", "check_accuracy"]),
    "backward": (5, ["check_backward_autograd", "check_backward_single"]),
    "sgd": (2, ["check_sgd"]),
    "train_circles": (4, ["check_training"]),
}
# nbgrader grades cell by cell: each question's points split over its checks (our suite's weights).
CELL_POINTS = {"check_init_shapes": 1, "check_init_std": 1, "check_forward_example": 2, "check_forward_rows": 2,
               "check_loss_uniform": 2, "check_accuracy": 1, "check_backward_autograd": 3,
               "check_backward_single": 2, "check_sgd": 2, "check_training": 4}
KERNEL = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
          "language_info": {"name": "python"}}


def reference_functions() -> dict[str, str]:
    """The source of each function of the reference solution, by name."""
    source = REFERENCE.read_text(encoding="utf-8")
    return {node.name: ast.get_source_segment(source, node)
            for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}


def check_call(name: str) -> str:
    args = dict((check.__name__, names) for check, names in CHECKS)[name]
    return f"from tp_nn_checks import {name}\n{name}({', '.join(args)})"


def otter_master() -> nbformat.NotebookNode:
    functions = reference_functions()
    cells = [new_raw_cell("# ASSIGNMENT CONFIG\nname: tp_nn\nfiles:\n  - tp_nn_checks.py\n"
                          "init_cell: false\nexport_cell: false\ncheck_all_cell: false\n"
                          "tests:\n  files: true\n  ok_format: true\n"),
             new_markdown_cell("# tp_nn, part 2.1: a one-hidden-layer network with a hand-written backward"),
             new_code_cell("import torch")]
    for question, (points, checks) in QUESTIONS.items():
        cells.append(new_raw_cell(f"# BEGIN QUESTION\nname: {question}\npoints: {points}"))
        cells.append(new_markdown_cell(f"**{question}**"))
        if question in functions:
            cells.append(new_code_cell(f"# BEGIN SOLUTION\n{functions[question]}\n# END SOLUTION"))
        cells.append(new_raw_cell("# BEGIN TESTS"))
        cells.extend(new_code_cell(check_call(name)) for name in checks)
        cells.append(new_raw_cell("# END TESTS"))
        cells.append(new_raw_cell("# END QUESTION"))
    return new_notebook(cells=cells, metadata=KERNEL)


def nbgrader_source() -> nbformat.NotebookNode:
    functions = reference_functions()
    solution = "import torch\n\n### BEGIN SOLUTION\n" + "\n\n\n".join(
        functions[q] for q in QUESTIONS if q in functions) + "\n### END SOLUTION"
    cells = [new_markdown_cell("# tp_nn, part 2.1: a one-hidden-layer network with a hand-written backward"),
             new_code_cell(solution, metadata={"nbgrader": {
                 "grade": False, "solution": True, "locked": False, "task": False, "grade_id": "tp_nn_code",
                 "schema_version": 3}})]
    for question, (_, checks) in QUESTIONS.items():
        for name in checks:
            cells.append(new_code_cell(check_call(name), metadata={"nbgrader": {
                "grade": True, "solution": False, "locked": True, "task": False, "grade_id": name,
                "points": CELL_POINTS[name], "schema_version": 3}}))
    return new_notebook(cells=cells, metadata=KERNEL)


def notebooks() -> dict[Path, nbformat.NotebookNode]:
    return {HERE / "otter" / "tp_nn.ipynb": otter_master(),
            HERE / "nbgrader" / "source" / "tp_nn" / "tp_nn.ipynb": nbgrader_source()}


def number_cells(notebook: nbformat.NotebookNode) -> None:
    """Fixed cell ids: the committed files change only when the checks or the reference do."""
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:02d}"


def main() -> None:
    assert sorted(sum((c for _, c in QUESTIONS.values()), [])) == sorted(c.__name__ for c, _ in CHECKS)
    for path, notebook in notebooks().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        number_cells(notebook)
        nbformat.write(notebook, path)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
