"""Imports a prepared module cannot satisfy in the grader, and what replaces them.

A student's file imports course helpers the grader does not ship (`from tme5 import CirclesData`),
their own tools (`import mltools`), or convenience packages (`from icecream import ic`). The
definitions must still load:

* a course helper module (one the student imports CirclesData / MNISTData / plot_data_with_grid
  from, or uses them through) is provided by copying `course_helpers.py` under the imported name,
  unless the submission has that module itself;
* any other module that is neither in the submission nor importable here
  (`importlib.util.find_spec`) is replaced by stand-ins that fail only when used, with a message
  naming the module (see standin.py); `from x import *` of such a module is dropped with a note;
* a name missing from an available module (`from sklearn.externals import joblib`) gets a
  stand-in too: the whole import would otherwise fail.

Each rewritten import stays on one line, mapped to the line of the original import.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grader.messages import Message, msg
from grader.intake import course_helpers, limits
from grader.intake.strip import Stmt
from grader.provided import WORKER_MODULES

STANDIN_MODULE = "_intake_missing"
_STANDIN = f'__import__("{STANDIN_MODULE}")'
HELPER_NAMES = frozenset(course_helpers.DETECT_NAMES)

_available: dict[str, bool] = {}
_has_name: dict[tuple[str, str], bool] = {}


@functools.cache
def _located(name: str) -> Path | None:
    """The file of module `name`, found on disk without importing anything: the top-level
    package's location (find_spec of a top-level name imports nothing), then its folders.
    find_spec("sklearn.svm") would import sklearn, about 2 s the worker pays again anyway."""
    parts = name.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if len(parts) == 1:
        return Path(spec.origin) if spec.origin and spec.has_location else None
    folders = [Path(p) for p in (spec.submodule_search_locations or [])]
    for part in parts[1:-1]:
        folders = [folder / part for folder in folders if (folder / part / "__init__.py").is_file()]
    for folder in folders:
        for candidate in (folder / parts[-1] / "__init__.py", folder / f"{parts[-1]}.py"):
            if candidate.is_file():
                return candidate
        if any(folder.glob(f"{parts[-1]}.*.so")) or any(folder.glob(f"{parts[-1]}.*.pyd")):
            return folder / parts[-1]
    return None


@functools.cache
def _top_level_names(path: Path) -> frozenset[str]:
    """Names a module's source binds at its top level (also inside if / try blocks), and its
    __all__; empty when the module cannot be read that way (compiled, star imports, lazy
    __getattr__): the caller then imports it to be sure."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return frozenset()
    names: set[str] = set()
    statements = list(tree.body)
    while statements:
        node = statements.pop()
        if isinstance(node, (ast.If, ast.Try)):
            statements += node.body + node.orelse + getattr(node, "finalbody", []) + \
                [s for handler in getattr(node, "handlers", []) for s in handler.body]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return frozenset()
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name == "__getattr__":
                return frozenset()
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    names.add(target.id)
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets) \
                    and isinstance(node.value, (ast.List, ast.Tuple)):
                names |= {e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return frozenset(names)


def module_available(name: str) -> bool:
    """Importable by the grader's Python (checked in this process, results cached)."""
    if name in _available:
        return _available[name]
    if name in WORKER_MODULES:
        return True
    root = name.split(".")[0]
    if name in sys.modules or (root in sys.stdlib_module_names and "." not in name) or _located(name):
        _available[name] = True
        return True
    try:
        with limits.uninterruptible():    # find_spec imports parent packages: never half-way
            found = importlib.util.find_spec(name) is not None
    except Exception:  # a parent package failing to import, a bad name…: not available
        found = False
    _available[name] = found
    return found


# Importing a module to look inside it runs its code in the grader's process: only done for the
# scientific stack students import names from (and for modules already imported), and only when
# the name is not seen in the module's source first. For any other module the name is assumed to
# be there (`import antigravity` opens a web browser…).
_IMPORTABLE_TO_CHECK = {"torch", "numpy", "scipy", "sklearn", "matplotlib", "pandas", "mlxtend", "math",
                        "collections", "itertools", "functools", "typing", "os", "random"}


def module_has(module: str, attr: str) -> bool:
    """`from module import attr` would work, as far as can be told without running unknown code."""
    key = (module, attr)
    if module in WORKER_MODULES:
        return attr in WORKER_MODULES[module]
    if key not in _has_name:
        if module not in sys.modules and module.split(".")[0] not in _IMPORTABLE_TO_CHECK:
            _has_name[key] = True
            return True
        located = None if module in sys.modules else _located(module)
        if located is not None and (attr in _top_level_names(located) or _located(f"{module}.{attr}")):
            _has_name[key] = True     # seen in its source: no need to import it here
            return True
        try:
            with limits.uninterruptible():
                imported = importlib.import_module(module)
            _has_name[key] = hasattr(imported, attr) or module_available(f"{module}.{attr}")
        except Exception:
            _has_name[key] = False
    return _has_name[key]


@dataclass
class ImportPlan:
    replacements: dict[int, list[str]] = field(default_factory=dict)   # id(stmt) -> new lines ([] drops)
    helper_modules: set[str] = field(default_factory=set)              # write course_helpers as these
    star_dropped: list[str] = field(default_factory=list)              # modules of dropped star imports
    standins: bool = False                                             # _intake_missing is needed
    notes: list[Message] = field(default_factory=list)


@dataclass
class Usage:
    """What the whole student file uses, to tell a course helper module from an unknown one."""

    names: set[str] = field(default_factory=set)                 # names loaded anywhere
    attributes: dict[str, set[str]] = field(default_factory=dict)  # name -> attributes read on it
    bound: set[str] = field(default_factory=set)                 # names an explicit import or def binds

    @classmethod
    def of(cls, trees: list[ast.AST]) -> "Usage":
        usage = cls()
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.Name):
                    usage.names.add(node.id)
                elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                    usage.attributes.setdefault(node.value.id, set()).add(node.attr)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    usage.bound.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    usage.bound.add(node.name)
        return usage

    def unbound(self) -> set[str]:
        """Names used but bound by nothing explicit: what a star import must be providing."""
        return self.names - self.bound


def plan_imports(stmts: list[Stmt], provided: set[str], usage: Usage, file: str,
                 in_package: bool = False) -> ImportPlan:
    """Decide, for every kept top-level import statement, whether it stays, changes or goes.

    `in_package`: the module is prepared inside its package folder, where relative imports work
    as they are (elsewhere the prepared folder is flat and they become top-level imports)."""
    plan = ImportPlan()
    missing_noted: set[str] = set()

    def missing(module: str) -> None:
        if module not in missing_noted:
            missing_noted.add(module)
            plan.notes.append(msg("intake_missing_module", file=file, module=module))
        plan.standins = True

    def helper(module: str) -> bool:
        return "." not in module and module.isidentifier() and module not in provided

    for stmt in stmts:
        node = stmt.node
        if isinstance(node, ast.Import):
            kept: list[ast.alias] = []
            extra: list[str] = []
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root in provided or module_available(alias.name):
                    kept.append(alias)
                elif helper(alias.name) and (usage.attributes.get(alias.asname or root, set()) & HELPER_NAMES):
                    plan.helper_modules.add(alias.name)
                    kept.append(alias)
                elif alias.asname:
                    extra.append(f'{alias.asname} = {_STANDIN}.module("{alias.name}")')
                    missing(alias.name)
                elif root != alias.name and module_available(root):
                    kept.append(ast.alias(name=root))   # `import torch.nn.functionnal`: torch still binds
                    missing(alias.name)
                else:
                    extra.append(f'{root} = {_STANDIN}.module("{root}")')
                    missing(root)
            if extra or len(kept) != len(node.names):
                plan.replacements[id(stmt)] = _one_line(ast.Import(names=kept) if kept else None, extra)
            continue
        if not isinstance(node, ast.ImportFrom):
            continue
        relative = node.level > 0
        if relative and in_package:
            continue
        if relative and not node.module:
            # `from . import utils`: the prepared folder is flat, so these are top-level modules.
            lines = []
            for alias in node.names:
                if alias.name in provided:
                    lines.append(ast.unparse(ast.Import(names=[alias])))
                else:
                    lines.append(f'{alias.asname or alias.name} = {_STANDIN}.module("{alias.name}")')
                    missing(alias.name)
            plan.replacements[id(stmt)] = ["; ".join(lines)]
            continue
        module = node.module or ""
        root = module.split(".")[0]
        names = [a.name for a in node.names]
        if root in provided:
            if relative:   # `from .utils import f` in a flat folder is `from utils import f`
                plan.replacements[id(stmt)] = [ast.unparse(ast.ImportFrom(module=module, names=node.names, level=0))]
            continue
        kept_from: list[ast.alias] = []
        extra = []
        if module_available(module):
            for alias in node.names:
                if alias.name == "*" or module_has(module, alias.name):
                    kept_from.append(alias)
                else:
                    extra.append(f'{alias.asname or alias.name} = {_STANDIN}.name("{module}", "{alias.name}")')
                    missing(f"{module}.{alias.name}")
        elif helper(module) and (set(names) & HELPER_NAMES or ("*" in names and usage.unbound() & HELPER_NAMES)):
            plan.helper_modules.add(module)
            for alias in node.names:
                if alias.name == "*" or alias.name in course_helpers.__all__:
                    kept_from.append(alias)
                else:
                    extra.append(f'{alias.asname or alias.name} = {_STANDIN}.name("{module}", "{alias.name}")')
                    missing(module)
        else:
            for alias in node.names:
                if alias.name == "*":
                    plan.star_dropped.append(module)
                    plan.notes.append(msg("intake_star_import_dropped", file=file, module=module))
                else:
                    extra.append(f'{alias.asname or alias.name} = {_STANDIN}.name("{module}", "{alias.name}")')
                    missing(module)
        if extra or len(kept_from) != len(node.names) or relative:
            kept_node = ast.ImportFrom(module=module, names=kept_from, level=0) if kept_from else None
            plan.replacements[id(stmt)] = _one_line(kept_node, extra)
    return plan


def _one_line(kept: ast.stmt | None, extra: list[str]) -> list[str]:
    parts = ([ast.unparse(kept)] if kept is not None else []) + extra
    return ["; ".join(parts)] if parts else []


def packages_imported(folder: Path, max_files: int = 200) -> set[str]:
    """The top-level packages the prepared modules and scripts under `folder` import, anywhere in
    them (a function's own `import matplotlib.pyplot as plt` too): what the zygote may import once
    for all the workers. Files that do not parse, or are over the intake's size, say nothing."""
    found: set[str] = set()
    for path in sorted(folder.rglob("*.py"))[:max_files]:
        try:
            if path.stat().st_size > limits.MAX_PY_BYTES:
                continue
            tree = ast.parse(path.read_bytes())
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found
