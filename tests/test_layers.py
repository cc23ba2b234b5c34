"""The package's layout is its pipeline: a module imports only modules of its own layer or below.

Layers, bottom to top. A module may import its own layer (within a sub-package) and lower ones,
lazily or not; `scoring` and `report` import neither pytest nor the jail.
"""

from __future__ import annotations

import ast
from pathlib import Path

GRADER = Path(__file__).resolve().parents[1] / "grader"

LAYERS = [
    {"grader", "grader.errors", "grader.messages", "grader.outcomes", "grader.options", "grader.stubs",
     "grader.provided", "grader.limits", "grader.catalogue", "grader.ids"},
    {"grader.assignment"},
    {"grader.intake"},
    {"grader.jail"},
    {"grader.checks", "grader.api"},
    {"grader.scoring", "grader.summary"},
    {"grader.harness"},
    {"grader.report"},
    {"grader.grading"},
    {"grader.fingerprint"},
    {"grader.pipeline", "grader.pool", "grader.distributed", "grader.scorer", "grader.check", "grader.validate", "grader.export",
     "grader.gradescope", "grader.notebook"},
    {"grader.cli", "grader.__main__"},
]


# The package's lazy exports (`from grader import notebook_check`): imported inside the package's
# __getattr__ on first use, never by `import grader` (test_lazy_exports_stay_lazy).
LAZY_EXPORTS = {("grader", "grader.notebook"), ("grader", "grader.notebook.notebook_check")}


def layer_of(module: str) -> int:
    parts = module.split(".")
    if module == "grader":
        return 0
    for length in range(len(parts), 1, -1):
        prefix = ".".join(parts[:length])
        for index, layer in enumerate(LAYERS):
            if prefix in layer:
                return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def module_name(path: Path) -> str:
    rel = path.relative_to(GRADER.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names]
    return found


def test_no_module_imports_one_above_it():
    problems = []
    for path in sorted(GRADER.rglob("*.py")):
        name = module_name(path)
        own = layer_of(name)
        for imported in imports_of(path):
            if imported.split(".")[0] != "grader" or imported == "grader" or (name, imported) in LAZY_EXPORTS:
                continue
            try:
                theirs = layer_of(imported)
            except AssertionError:
                continue    # `from grader.x import name`: the name is no module
            if theirs > own:
                problems.append(f"{name} imports {imported}")
    assert not problems, "\n".join(problems)


def test_scoring_and_reports_import_neither_pytest_nor_the_jail():
    for path in [GRADER / "scoring.py", GRADER / "summary.py", *sorted((GRADER / "report").glob("*.py"))]:
        for imported in imports_of(path):
            assert not imported.startswith(("pytest", "grader.jail", "grader.harness")), (path, imported)


def test_a_layer_of_the_list_is_not_empty():
    names = {module_name(p) for p in GRADER.rglob("*.py")}
    for layer in LAYERS:
        assert any(layer_of(n) == LAYERS.index(layer) for n in names), layer


def test_lazy_exports_stay_lazy():
    """`import grader` loads none of what a lazy export needs; the export itself works."""
    import subprocess
    import sys

    code = ("import sys, grader; heavy = [m for m in ('grader.notebook', 'grader.check', 'torch', 'pytest', "
            "'nbformat') if m in sys.modules]; assert not heavy, heavy; "
            "from grader import notebook_check; assert callable(notebook_check); "
            "assert 'grader.notebook' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=GRADER.parent, timeout=60)


def test_no_module_imports_matplotlib_at_import():
    """matplotlib is imported inside the functions that draw (grader.report.plots, the course
    helpers run in the jail), never when a module is imported: the CLI and the pipeline stay fast."""
    problems = []
    for path in sorted(GRADER.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for n in ast.walk(f)}
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "matplotlib" for n in names) and id(node) not in inside:
                problems.append(f"{module_name(path)} line {node.lineno}")
    assert not problems, problems
