"""Assemble a prepared module from chosen statements, with a line map back to the student's file.

The prepared module holds, in this order: the student's imports (hoisted: in a notebook an import
in cell 10 is usually needed by a function of cell 3, which only worked because cells ran in
order), stand-ins for globals set by dropped code, then the kept definitions in the student's own
order. Each name is defined once: a graded function gets the definition `choose` picked, a name a
kept definition uses gets the definition in force where that user was defined (what the student's
notebook ran with), any other name the one in force at the last graded function.
"""

from __future__ import annotations

import ast
import symtable
from dataclasses import dataclass, field

from grader.messages import Message, msg
from grader.intake.imports import STANDIN_MODULE, ImportPlan, Usage, module_has, plan_imports
from grader.intake.model import LineRun
from grader.intake.sources import SourceFile
from grader.intake.strip import BUILTIN_NAMES, DROP, KEEP_IMPORT, KEPT, Stmt
from grader.intake import course_helpers

_STANDIN = f'__import__("{STANDIN_MODULE}")'


class ModuleText:
    """Lines being written, and where each came from."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.runs: list[LineRun] = []

    def generated(self, *lines: str) -> None:
        self.lines.extend(lines)

    def mapped(self, lines: list[str], file: str, orig_start: int, cell: int | None) -> None:
        if not lines:
            return
        self.runs.append(LineRun(len(self.lines) + 1, len(lines), file, orig_start, cell))
        self.lines.extend(lines)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


@dataclass
class BuiltModule:
    text: str
    runs: list[LineRun]
    notes: list[Message] = field(default_factory=list)
    helper_modules: set[str] = field(default_factory=set)
    imported_roots: set[str] = field(default_factory=set)   # top-level modules the module imports
    standins: bool = False


def _loaded_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def select_statements(stmts: list[Stmt], graded: dict[str, Stmt]) -> list[Stmt]:
    """The kept statements that go into the module: one definition per name (see module doc)."""
    index: dict[str, list[Stmt]] = {}
    for stmt in stmts:
        if stmt.kind in KEPT and stmt.kind != KEEP_IMPORT:
            for name in stmt.names:
                index.setdefault(name, []).append(stmt)
    selected: dict[str, Stmt] = dict(graded)
    work = list(graded.values())
    while work:
        user = work.pop()
        for name in sorted(_loaded_names(user.node)):
            if name in selected or name not in index:
                continue
            defs = index[name]
            before = [s for s in defs if s.position < user.position]
            pick = before[-1] if before else defs[0]
            selected[name] = pick
            work.append(pick)
    end = max((s.position for s in graded.values()), default=None)
    for name, defs in index.items():
        if name in selected:
            continue
        upto = [s for s in defs if end is None or s.position <= end]
        selected[name] = upto[-1] if upto else defs[0]
    chosen: dict[int, Stmt] = {id(s): s for s in selected.values()}
    return sorted(chosen.values(), key=lambda s: s.position)


def build_module(source: SourceFile, stmts: list[Stmt], graded: dict[str, Stmt], provided: set[str],
                 header: str, in_package: bool = False) -> BuiltModule:
    """The prepared text of a module-kind file built from `source`."""
    body = select_statements(stmts, graded)
    imports = _unique_imports([s for s in stmts if s.kind == KEEP_IMPORT])
    trees = [b.tree for b in source.parsed_blocks() if b.tree is not None]
    plan = plan_imports(imports, provided, Usage.of(trees), source.rel, in_package=in_package)

    futures = [s for s in imports if isinstance(s.node, ast.ImportFrom) and s.node.module == "__future__"]
    ordered_imports = futures + [s for s in imports if s not in futures]

    def assemble(standins: list[str]) -> ModuleText:
        out = ModuleText()
        out.generated(header)
        for stmt in ordered_imports:
            _emit(out, stmt, plan.replacements.get(id(stmt)))
        out.generated(*standins)
        for stmt in body:
            if isinstance(stmt.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.generated("", "")     # PEP 8 spacing: the file is read by people too
            _emit(out, stmt, None)
        return out

    out = assemble([])
    built = BuiltModule(out.text(), out.runs, list(plan.notes), set(plan.helper_modules),
                        _imported_roots(imports), plan.standins)
    # Globals the kept code uses but only dropped code sets: stand-ins that say so when used.
    lines = _unrun_standins(out.text(), stmts, plan, provided, source.rel, built)
    if lines:
        out = assemble(lines)
        built.text, built.runs, built.standins = out.text(), out.runs, True
    return built


def _unique_imports(imports: list[Stmt]) -> list[Stmt]:
    seen: set[str] = set()
    out = []
    for stmt in imports:
        key = ast.dump(stmt.node)
        if key not in seen:
            seen.add(key)
            out.append(stmt)
    return out


def _imported_roots(imports: list[Stmt]) -> set[str]:
    roots = set()
    for stmt in imports:
        node = stmt.node
        if isinstance(node, ast.Import):
            roots.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            roots.update(a.name for a in node.names)      # `from . import utils`
    return roots


def _emit(out: ModuleText, stmt: Stmt, replacement: list[str] | None) -> None:
    block = stmt.block
    start = stmt.start + block.line_offset
    if replacement is None:
        out.mapped(stmt.source_lines(), block.file, start, block.cell)
    elif replacement:
        out.mapped(replacement, block.file, start, block.cell)


def undefined_globals(text: str) -> set[str]:
    """Global names the module's code reads but nothing in the module binds."""
    try:
        table = symtable.symtable(text, "<prepared>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):   # too deep for the compiler
        return set()
    bound = {s.get_name() for s in table.get_symbols()
             if s.is_assigned() or s.is_imported() or s.is_namespace()}
    used: set[str] = set()

    tables = [table]          # iterative: `lambda: lambda: …` may nest deeper than Python's stack
    while tables:
        t = tables.pop()
        for symbol in t.get_symbols():
            if symbol.is_referenced() and (t.get_type() == "module" or symbol.is_global()):
                used.add(symbol.get_name())
        tables.extend(t.get_children())
    return used - bound - set(BUILTIN_NAMES)


def _unrun_standins(text: str, stmts: list[Stmt], plan: ImportPlan, provided: set[str], file: str,
                    built: BuiltModule) -> list[str]:
    missing = undefined_globals(text)
    if not missing:
        return []
    star_sources = _kept_star_modules(text)
    dropped: dict[str, Stmt] = {}
    for stmt in stmts:
        if stmt.kind == DROP:
            for name in stmt.names:
                dropped.setdefault(name, stmt)
    lines, unrun = [], []
    for name in sorted(missing):
        if any(_star_may_provide(m, name, provided) for m in star_sources):
            continue
        if name in dropped:
            where = dropped[name].block.origin(dropped[name].start).describe()
            lines.append(f'{name} = {_STANDIN}.unrun("{name}", {where!r})')
            unrun.append(name)
        elif plan.star_dropped:
            lines.append(f'{name} = {_STANDIN}.star("{name}", "{plan.star_dropped[0]}")')
    if unrun:
        built.notes.append(msg("intake_unrun_globals", file=file, names=", ".join(unrun)))
    if lines:
        lines.insert(0, "# [intake] names set only by code the grader does not run; they fail when used")
    return lines


def _kept_star_modules(text: str) -> list[str]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [n.module or "" for n in tree.body
            if isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names)]


def _star_may_provide(module: str, name: str, provided: set[str]) -> bool:
    root = module.split(".")[0]
    if root in provided:
        return True          # the student's own module: it may well define it
    if name in course_helpers.__all__:
        return True
    return module_has(module, name)
