"""Which top-level statements of a student's module the grader keeps.

Students put their training loop, `plt.show()` and `input()` at the top level of the file that
also defines the graded functions. Importing that file must not train a network, so an AST pass
keeps only what defines names:

* imports (also `try:` / `if` blocks made only of kept statements, e.g. an optional import);
* `def` and `class` (their bodies run only when called);
* constant assignments: `NAME = <static expression>`.

The constant rule (a judgment call, documented here because it decides what "training code" is):
an expression is static when it is made of literals, names already kept (imports, constants,
functions), attribute access on them (`torch.float32`, `np.pi`), operators, subscripts, f-strings,
lambdas, comprehensions over static iterables, and calls to a short list of cheap, deterministic
constructors with static arguments: builtins such as `range`, `list`, `dict`, `float`;
`torch.tensor` / `np.array` and their kin (`zeros`, `ones`, `eye`, `arange`, `linspace`, `full`);
`torch.device`, `torch.cuda.is_available`; `torch.nn.<Layer or Loss>(…)` (e.g. a global
`loss_fn = nn.CrossEntropyLoss()` used inside `loss_accuracy`); `math.*`; `os.path.*` and `Path`.
Anything else — reading data, building a data set, random draws, a training loop — is dropped and
counted in the "skipped N top-level statements" note. `if __name__ == "__main__":` blocks are
dropped silently: that is the right place for such code. Bare string expressions and `pass` are
dropped silently too.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

from grader.intake import limits
from grader.intake.sources import Block

KEEP_IMPORT = "import"
KEEP_DEF = "def"
KEEP_CONST = "const"
KEEP_BLOCK = "block"      # try / if made only of kept statements
DROP = "drop"
DROP_SILENT = "silent"    # if __name__ == "__main__", docstrings, pass
KEPT = (KEEP_IMPORT, KEEP_DEF, KEEP_CONST, KEEP_BLOCK)

BUILTIN_NAMES = frozenset(dir(builtins)) | {"__file__", "__name__", "__doc__"}

_SAFE_BUILTIN_CALLS = {
    "range", "list", "tuple", "dict", "set", "frozenset", "int", "float", "str", "bool", "complex",
    "slice", "len", "abs", "round", "min", "max", "sum", "sorted", "zip", "enumerate", "reversed",
    "pow", "divmod", "bytes", "object",
}
_ARRAY_CONSTRUCTORS = {
    "tensor", "Tensor", "FloatTensor", "LongTensor", "DoubleTensor", "IntTensor", "BoolTensor",
    "ByteTensor", "as_tensor", "array", "asarray", "zeros", "ones", "eye", "full", "arange",
    "linspace", "logspace", "empty", "identity", "float32", "float64", "int64", "int32", "dtype",
    "device", "sqrt", "exp", "log", "finfo", "iinfo", "get_default_dtype",
}
_PURE_QUERIES = {"is_available"}          # torch.cuda.is_available(), torch.backends.mps.is_available()


@dataclass
class Stmt:
    block: Block
    node: ast.stmt
    kind: str
    names: tuple[str, ...] = ()           # names the statement binds at module level
    start: int = 0                        # first line (decorators included), in the block
    end: int = 0
    shares_line: bool = False             # another top-level statement is on one of its lines

    @property
    def position(self) -> tuple[int, int]:
        return (self.block.order, self.start)

    @property
    def kept(self) -> bool:
        return self.kind in KEPT

    def source_lines(self) -> list[str]:
        """The statement's own text, line for line (the segment only when lines are shared)."""
        lines = self.block.lines()[self.start - 1:self.end]
        if not self.shares_line:
            return lines
        return _segment(self.block.lines(), self.node).split("\n")


@dataclass
class ImportInfo:
    aliases: dict[str, str] = field(default_factory=dict)   # bound name -> module dotted name


def classify_blocks(blocks: list[Block]) -> list[Stmt]:
    """Classify every top-level statement of parsed blocks, in order."""
    bound: set[str] = set(BUILTIN_NAMES)
    modules: dict[str, str] = {}
    out: list[Stmt] = []
    for block in blocks:
        if block.tree is None:
            continue
        stmts = []
        for node in block.tree.body:
            limits.check_deadline()
            start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            stmt = Stmt(block, node, DROP, (), start, node.end_lineno or node.lineno)
            stmt.kind, stmt.names = _classify(node, bound, modules)
            if stmt.kind in KEPT:
                bound.update(stmt.names)
            stmts.append(stmt)
        _mark_shared_lines(stmts)
        out.extend(stmts)
    return out


def _segment(lines: list[str], node: ast.AST) -> str:
    """ast.get_source_segment on the block's lines, without splitting the whole text per call
    (which made a file of many `a = 1; b = 2` lines quadratic). Offsets are UTF-8 byte columns."""
    end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
    if end_line is None or end_col is None:
        return ""
    first, col = node.lineno - 1, node.col_offset      # type: ignore[attr-defined]
    last = end_line - 1
    if not (0 <= first <= last < len(lines)):
        return ""
    if first == last:
        return lines[first].encode()[col:end_col].decode(errors="replace")
    head = lines[first].encode()[col:].decode(errors="replace")
    tail = lines[last].encode()[:end_col].decode(errors="replace")
    return "\n".join([head] + lines[first + 1:last] + [tail])


def _mark_shared_lines(stmts: list[Stmt]) -> None:
    for a, b in zip(stmts, stmts[1:]):
        if b.start <= a.end:
            a.shares_line = b.shares_line = True


def _classify(node: ast.stmt, bound: set[str], modules: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        names = import_bindings(node)
        for name, module in names.items():
            modules[name] = module
        return KEEP_IMPORT, tuple(n for n in names if n != "*")
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return KEEP_DEF, (node.name,)
    if isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
        return DROP_SILENT, ()
    if is_main_guard(node):
        return DROP_SILENT, ()
    if isinstance(node, ast.Assign):
        targets = [_target_names(t) for t in node.targets]
        if all(t is not None for t in targets) and Static(bound, modules).check(node.value):
            return KEEP_CONST, tuple(n for t in targets for n in t)  # type: ignore[union-attr]
        return DROP, bound_names(node)
    if isinstance(node, ast.AnnAssign):
        names = _target_names(node.target)
        if names is not None and (node.value is None or Static(bound, modules).check(node.value)):
            return KEEP_CONST, tuple(names)
        return DROP, bound_names(node)
    if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))) or isinstance(node, ast.If):
        if isinstance(node, ast.If) and not Static(bound, modules).check(node.test):
            return DROP, bound_names(node)
        inner = list(_inner_statements(node))
        local_bound = set(bound)
        names: list[str] = []
        for child in inner:
            kind, child_names = _classify(child, local_bound, modules)
            if kind not in KEPT and kind != DROP_SILENT:
                return DROP, bound_names(node)
            local_bound.update(child_names)
            names.extend(child_names)
        for handler in getattr(node, "handlers", []):
            if handler.type is not None and not Static(bound, modules).check(handler.type):
                return DROP, bound_names(node)
        return KEEP_BLOCK, tuple(dict.fromkeys(names))
    return DROP, bound_names(node)


def _inner_statements(node: ast.stmt):
    yield from node.body  # type: ignore[attr-defined]
    for handler in getattr(node, "handlers", []):
        yield from handler.body
    yield from getattr(node, "orelse", [])
    yield from getattr(node, "finalbody", [])


def is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(consts) == 1


def import_bindings(node: ast.Import | ast.ImportFrom) -> dict[str, str]:
    """Bound name -> module (for `from m import n`: "m.n"); "*" for star imports."""
    out = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                out[alias.asname] = alias.name
            else:
                root = alias.name.split(".")[0]
                out[root] = root
    else:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                out["*"] = module
            else:
                out[alias.asname or alias.name] = f"{module}.{alias.name}"
    return out


def _target_names(target: ast.expr) -> list[str] | None:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        names: list[str] = []
        for elt in target.elts:
            inner = _target_names(elt.value if isinstance(elt, ast.Starred) else elt)
            if inner is None:
                return None
            names.extend(inner)
        return names
    return None


_NEW_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def bound_names(node: ast.stmt) -> tuple[str, ...]:
    """Names a statement binds at module level (not inside functions, lambdas, comprehensions).

    An explicit stack, in the order a recursive visitor would go: an expression can be nested
    deeper than Python's own stack (`x = 1 + 1 + …` thousands of times parses)."""
    names: list[str] = []
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Name):
            if isinstance(current.ctx, (ast.Store, ast.Del)):
                names.append(current.id)
            continue
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(current.name)
            continue
        if isinstance(current, _NEW_SCOPES):
            continue
        if isinstance(current, (ast.Import, ast.ImportFrom)):
            names.extend(n for n in import_bindings(current) if n != "*")
            continue
        if isinstance(current, ast.ExceptHandler) and current.name:
            names.append(current.name)
        stack.extend(reversed(list(ast.iter_child_nodes(current))))
    return tuple(dict.fromkeys(names))


class Static:
    """Is an expression static (see the module docstring)? `bound`: names already kept."""

    def __init__(self, bound: set[str], modules: dict[str, str]) -> None:
        self.bound = bound
        self.modules = modules

    def check(self, node: ast.AST, local: frozenset[str] = frozenset()) -> bool:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            return False
        try:
            return bool(method(node, local))
        except RecursionError:
            # Nested deeper than Python's stack (the parser accepts `1+1+…` thousands deep):
            # not static, whatever it is.
            return False

    def _all(self, nodes, local) -> bool:
        return all(n is None or self.check(n, local) for n in nodes)

    def _Constant(self, node, local):
        return True

    def _Name(self, node, local):
        return node.id in local or node.id in self.bound

    def _Attribute(self, node, local):
        return self.check(node.value, local)

    def _Subscript(self, node, local):
        return self.check(node.value, local) and self.check(node.slice, local)

    def _Slice(self, node, local):
        return self._all([node.lower, node.upper, node.step], local)

    def _Index(self, node, local):  # Python < 3.9 trees
        return self.check(node.value, local)

    def _Tuple(self, node, local):
        return self._all(node.elts, local)

    _List = _Set = _Tuple

    def _Starred(self, node, local):
        return self.check(node.value, local)

    def _Dict(self, node, local):
        return self._all(node.keys, local) and self._all(node.values, local)

    def _UnaryOp(self, node, local):
        return self.check(node.operand, local)

    def _BinOp(self, node, local):
        return self.check(node.left, local) and self.check(node.right, local)

    def _BoolOp(self, node, local):
        return self._all(node.values, local)

    def _Compare(self, node, local):
        return self.check(node.left, local) and self._all(node.comparators, local)

    def _IfExp(self, node, local):
        return self._all([node.test, node.body, node.orelse], local)

    def _JoinedStr(self, node, local):
        return self._all(node.values, local)

    def _FormattedValue(self, node, local):
        return self.check(node.value, local) and self._all([node.format_spec], local)

    def _Lambda(self, node, local):
        # The body runs only when called; defaults are evaluated now.
        return self._all(node.args.defaults + [d for d in node.args.kw_defaults if d], local)

    def _comprehension(self, node, local):
        inner = set(local)
        for gen in node.generators:
            if not self.check(gen.iter, frozenset(inner)):
                return False
            inner.update(_store_names(gen.target))
            if not self._all(gen.ifs, frozenset(inner)):
                return False
        return frozenset(inner)

    def _ListComp(self, node, local):
        inner = self._comprehension(node, local)
        return inner is not False and self.check(node.elt, inner)

    _SetComp = _GeneratorExp = _ListComp

    def _DictComp(self, node, local):
        inner = self._comprehension(node, local)
        return inner is not False and self.check(node.key, inner) and self.check(node.value, inner)

    def _Call(self, node, local):
        if not self._safe_callee(node.func, local):
            return False
        return self._all(node.args, local) and self._all([k.value for k in node.keywords], local)

    def _safe_callee(self, func: ast.expr, local) -> bool:
        dotted = _dotted(func)
        if dotted is None:
            return False
        parts = dotted.split(".")
        root = parts[0]
        if root in local:
            return False
        if len(parts) == 1 and root not in self.modules:
            return root in _SAFE_BUILTIN_CALLS and root in BUILTIN_NAMES
        if root not in self.bound:
            return False
        module = self.modules.get(root, "")
        full = ".".join([module] + parts[1:]) if module else dotted
        top = full.split(".")[0]
        last = parts[-1]
        if top in ("torch", "numpy"):
            if last in _ARRAY_CONSTRUCTORS or last in _PURE_QUERIES:
                return True
            # torch.nn.Linear(2, 10), nn.CrossEntropyLoss(): building a layer or a loss is cheap.
            return (".nn." in f".{full}." and last[:1].isupper()) or full.startswith("torch.nn.")
        if top == "math":
            return True
        if full.startswith(("os.path.", "pathlib.Path", "posixpath.")):
            return True
        return False


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _store_names(target: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
