"""Static checks on the student's source text (parsed with `ast`, never executed here)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.checks.outcomes import CheckFailed
from grader.messages import msg

__student_facing__ = True

_LOOPS = {ast.For: "for", ast.AsyncFor: "for", ast.While: "while", ast.ListComp: "comprehension",
          ast.SetComp: "comprehension", ast.DictComp: "comprehension", ast.GeneratorExp: "generator expression"}


@dataclass(frozen=True)
class Loop:
    line: int           # in the prepared file
    kind: str
    function: str


def _definitions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node      # the last definition wins, as at run time
    return found


def python_loops(source: str, function: str, allow_outer: bool = False) -> list[Loop]:
    """Loops and comprehensions in `function` and in the module's functions it calls.

    allow_outer: the loops directly in the function's body are allowed (the loop over iterations of
    a training); what runs inside them is checked.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    defs = _definitions(tree)
    found: list[Loop] = []
    visited: set[str] = {function}

    def scan(node: ast.AST, owner: str) -> None:
        for child in ast.walk(node):
            if type(child) in _LOOPS:
                found.append(Loop(child.lineno, _LOOPS[type(child)], owner))
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Name):
                callee = child.func.id
                if callee in defs and callee not in visited:
                    visited.add(callee)
                    scan(defs[callee], callee)

    def outer(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, (ast.For, ast.AsyncFor, ast.While)):
                for inner in statement.body + statement.orelse:
                    scan(inner, function)
            elif isinstance(statement, (ast.If, ast.With, ast.Try)):
                outer(getattr(statement, "body", []) + getattr(statement, "orelse", [])
                      + getattr(statement, "finalbody", [])
                      + [s for h in getattr(statement, "handlers", []) for s in h.body])
            else:
                scan(statement, function)

    target = defs.get(function)
    if target is None:
        return []
    if allow_outer:
        outer(target.body)
    else:
        for statement in target.body:
            scan(statement, function)
    return found


def expect_no_python_loop(source: str, function: str, *, allow_outer: bool = False, submission=None,
                          file: str = "", why=None) -> None:
    """Fail, saying where, if `function` (or a module function it calls) loops in Python.

    `submission` and `file` map the prepared line back to the student's cell and line; `why` (a
    Message) says what the handout asks instead."""
    loops = python_loops(source, function, allow_outer)
    if not loops:
        return
    first = loops[0]
    origin = submission.origin_of_line(file, first.line) if submission is not None and file else None
    where = origin.describe() if origin is not None else f"{file or 'line'} {first.line}".strip()
    inside = "" if first.function == function else f" ({first.function} ← {function})"
    messages = [msg("python_loop", function=function, kind=first.kind, where=where, inside=inside)]
    if why is not None:
        messages.append(why)
    raise CheckFailed(*messages)
