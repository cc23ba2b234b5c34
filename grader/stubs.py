"""The one rule for "this is still the starter's stub", used by intake (on the student's text) and by
the worker (on the code it loaded): a body that is only a docstring and `pass`, `...`,
`raise NotImplementedError` or `return None`. A class is a stub when every method it defines is.
"""

from __future__ import annotations

import ast
import textwrap

__all__ = ["is_stub", "is_stub_class", "is_stub_source"]


def _is_stub_statement(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value is Ellipsis:
        return True
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    if isinstance(stmt, ast.Return):
        return stmt.value is None or (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)
    return False


def is_stub(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """The function's body does nothing but stand in for the answer."""
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return all(_is_stub_statement(stmt) for stmt in body)


def is_stub_class(node: ast.ClassDef) -> bool:
    """Every method the class defines is a stub (a class with no method is not one: it may inherit)."""
    methods = [child for child in node.body if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
               and child.name != "__init__"]
    return bool(methods) and all(is_stub(m) for m in methods)


def is_stub_source(source: str) -> bool:
    """The same rule on the text of one definition (`inspect.getsource` of a function or class)."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return False
    if not tree.body:
        return False
    node = tree.body[0]
    if isinstance(node, ast.ClassDef):
        return is_stub_class(node)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return is_stub(node)
    return False
