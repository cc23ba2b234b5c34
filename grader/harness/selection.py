"""Which tests grade which question, read from the test files without importing them.

    names = question_tests([assignment.public_tests], {"forward"})   # ["test_forward_fixed_example", ...]
    select = keyword(names)                                    # for run_tests(select=...): pytest -k

A self-check of one question (a notebook's `notebook_check("forward")`) runs that question's tests
only. pytest's `-k` selects by name and `-m` by marker name, neither by a marker's argument, so the
`@pytest.mark.question("forward")` of each test is read here from the files' syntax: on the test
function, its class, or the module's `pytestmark`. A test whose question cannot be read this way
(a marker built at run time) makes `question_tests` give None: the caller then runs every test rather
than risk leaving one out. `-k` matches substrings, so a selection may also run a test of another
question whose name contains a selected one's: the caller keeps the selected questions' results.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Collection, Iterable


def question_tests(folders: Iterable[Path], questions: Collection[str]) -> list[str] | None:
    """The names of the test functions marked with one of `questions`, in file order; None when
    some test's question cannot be read from the files (then every test must run)."""
    wanted = set(questions)
    names: list[str] = []
    for folder in folders:
        files = sorted(Path(folder).rglob("test_*.py")) + sorted(Path(folder).rglob("*_test.py"))
        for path in files:
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, ValueError):
                return None          # pytest will report it; nothing can be selected from it
            found = _tests_in(tree)
            if found is None:
                return None
            names += [name for name, question in found if question in wanted and name not in names]
    return names


def keyword(names: list[str]) -> str:
    """The `-k` expression that runs these tests (and any whose name contains one of them)."""
    if not names:
        raise ValueError("no test to select: an empty -k would select every test")
    return " or ".join(names)


def _tests_in(tree: ast.Module) -> list[tuple[str, str]] | None:
    """(test name, question) for each test of a module; None when a question cannot be read."""
    module_question: str | None = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark"
                                                for t in node.targets):
            marks = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            module_question = _question_of(marks, module_question)
    found: list[tuple[str, str]] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            found.append((node.name, _question_of(node.decorator_list, module_question)))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            class_question = _question_of(node.decorator_list, module_question)
            for method in node.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) and method.name.startswith("test"):
                    found.append((method.name, _question_of(method.decorator_list, class_question)))
    if any(question in (None, _UNREADABLE) for _, question in found):
        return None
    return found  # type: ignore[return-value]


_UNREADABLE = "\0unreadable"     # a question marker whose argument is no string literal


def _question_of(marks: list[ast.expr], outer: str | None) -> str | None:
    """The question a `pytest.mark.question("id")` (or `mark.question("id")`) among `marks` names,
    else `outer` (the class's or the module's: pytest's closest marker); _UNREADABLE when the
    marker's argument is not a literal."""
    for mark in marks:
        if isinstance(mark, ast.Call) and isinstance(mark.func, ast.Attribute) and mark.func.attr == "question" \
                and _is_mark(mark.func.value):
            if mark.args and isinstance(mark.args[0], ast.Constant) and isinstance(mark.args[0].value, str):
                return mark.args[0].value
            return _UNREADABLE
    return outer


def _is_mark(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "mark") or (isinstance(node, ast.Name)
                                                                         and node.id == "mark")
