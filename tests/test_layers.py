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
    {"grader.scoring"},
    {"grader.harness"},
    {"grader.report"},
    {"grader.grading"},
    {"grader.fingerprint"},
    {"grader.pipeline", "grader.scorer", "grader.check", "grader.validate", "grader.export"},
    {"grader.cli", "grader.__main__"},
]


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
            if imported.split(".")[0] != "grader" or imported == "grader":
                continue
            try:
                theirs = layer_of(imported)
            except AssertionError:
                continue    # `from grader.x import name`: the name is no module
            if theirs > own:
                problems.append(f"{name} imports {imported}")
    assert not problems, "\n".join(problems)


def test_scoring_and_reports_import_neither_pytest_nor_the_jail():
    for path in [GRADER / "scoring.py", *sorted((GRADER / "report").glob("*.py"))]:
        for imported in imports_of(path):
            assert not imported.startswith(("pytest", "grader.jail", "grader.harness")), (path, imported)


def test_a_layer_of_the_list_is_not_empty():
    names = {module_name(p) for p in GRADER.rglob("*.py")}
    for layer in LAYERS:
        assert any(layer_of(n) == LAYERS.index(layer) for n in names), layer
