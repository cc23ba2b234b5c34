"""Pick, for each graded function, the definition that belongs to a manifest file.

One notebook often holds a whole lab and redefines the same names part after part:
`sgd(params, grads, eta)` in 2.1, `sgd(params, eta)` in 2.2, `sgd(model, eta)` in 2.3. When the
manifest splits the lab into several files, each file must get its own version. The rules, in
order (each one only narrows the candidates left by the previous one):

1. signature: definitions callable with the manifest's parameters (same number of positional
   parameters, or thanks to defaults) beat the others; among those, the same parameter names
   (case-insensitive) beat a mere same count;
2. section: the markdown heading (or `# 2.2 …` comment title) in force above the definition
   names this file's part: a section number or keyword given by the manifest
   (`section = "2.2"` or `["2.2", "autograd"]` on the file's questions), or a word
   that only this file's name has (`autograd` in tp_nn_autograd.py). A definition under another
   file's heading is set aside;
3. a filled-in definition beats a starter stub (`raise NotImplementedError`, `pass`);
4. order: functions settled by rules 1-3 are anchors; an ambiguous one takes the candidate among
   the anchors (the last one there), else the closest one before them, else the closest after.
   With no anchor at all, the k-th file (manifest order) needing the name takes the k-th group.

Helpers the chosen definitions use (called by name) come along: `prepare` resolves them to the
definition in force at the place of the function that uses them.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from dataclasses import dataclass, field

from grader.assignment import Assignment, FileSpec, FunctionSpec
from grader.intake.sources import Block, SourceFile
from grader.intake.strip import Stmt
from grader.stubs import is_stub

TIER_EXACT = 3      # same parameter names
TIER_COUNT = 2      # same number of positional parameters
TIER_DEFAULTS = 1   # callable with that many arguments thanks to defaults / *args
TIER_NAME = 0       # same name only

# Applied to the text of blocks that do not parse (student text, see limits.py): linear, since each
# repetition is followed by a character it cannot match and `[^)]*\)?` never gives anything back;
# matches do not overlap, so a parameter list running to the end of the text is read once.
_DEF_LINE = re.compile(r"^(async\s+)?def\s+([A-Za-z_]\w*)\s*\(([^)]*)\)?", re.MULTILINE)
_CLASS_LINE = re.compile(r"^class\s+([A-Za-z_]\w*)", re.MULTILINE)


@dataclass
class DefInfo:
    name: str
    block: Block
    line: int                          # line of the `def` / `class` keyword, in the block
    params: tuple[str, ...]            # positional parameters
    n_required: int
    varargs: bool
    stub: bool
    stmt: Stmt | None = None           # None when the block does not parse
    methods: dict[str, "DefInfo"] = field(default_factory=dict)   # for classes

    @property
    def position(self) -> tuple[int, int]:
        return (self.block.order, self.line)

    @property
    def parsed(self) -> bool:
        return self.stmt is not None


def collect_definitions(source: SourceFile, stmts: list[Stmt]) -> dict[str, list[DefInfo]]:
    """Every top-level def/class of the source, in order; also those in unparsable blocks."""
    found: dict[str, list[DefInfo]] = {}
    for stmt in stmts:
        node = stmt.node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.setdefault(node.name, []).append(_from_node(node, stmt.block, stmt))
    for block in source.broken_blocks():
        for match in _DEF_LINE.finditer(block.text):
            line = block.text.count("\n", 0, match.start()) + 1
            raw = [p.strip() for p in (match.group(3) or "").split(",") if p.strip()]
            params = tuple(p.split("=")[0].split(":")[0].strip() for p in raw if not p.startswith("*"))
            required = sum(1 for p in raw if "=" not in p and not p.startswith("*"))
            info = DefInfo(match.group(2), block, line, params, required,
                           any(p.startswith("*") and not p.startswith("**") for p in raw), False)
            found.setdefault(info.name, []).append(info)
        for match in _CLASS_LINE.finditer(block.text):
            line = block.text.count("\n", 0, match.start()) + 1
            found.setdefault(match.group(1), []).append(DefInfo(match.group(1), block, line, (), 0, True, False))
    for infos in found.values():
        infos.sort(key=lambda d: d.position)
    return found


def _from_node(node: ast.AST, block: Block, stmt: Stmt | None, drop_first: bool = False) -> DefInfo:
    if isinstance(node, ast.ClassDef):
        methods = {}
        for child in node.body:
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in child.decorator_list)
                methods[child.name] = _from_node(child, block, None, drop_first=not static)
        init = methods.get("__init__")
        stub = bool(methods) and all(m.stub for m in methods.values())
        return DefInfo(node.name, block, node.lineno, init.params if init else (),
                       init.n_required if init else 0, init.varargs if init else False, stub, stmt, methods)
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    args = node.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    n_required = len(positional) - len(args.defaults)
    if drop_first and positional:
        positional = positional[1:]
        n_required = max(0, n_required - 1)
    return DefInfo(node.name, block, node.lineno, tuple(positional), n_required,
                   args.vararg is not None, is_stub(node), stmt)


def spec_target(spec: FunctionSpec, info: DefInfo) -> DefInfo | None:
    """The definition a spec's signature applies to: the method for "Class.method"."""
    parts = spec.name.split(".")
    if len(parts) == 1:
        return info
    target: DefInfo | None = info
    for part in parts[1:]:
        if target is None:
            return None
        target = target.methods.get(part)
    return target


def signature_tier(spec: FunctionSpec, info: DefInfo) -> int:
    target = spec_target(spec, info)
    if target is None:
        return TIER_NAME
    if spec.params is None:
        return TIER_EXACT
    wanted = [p.lower() for p in spec.params]
    have = [p.lower() for p in target.params]
    if have == wanted:
        return TIER_EXACT
    if len(have) == len(wanted):
        return TIER_COUNT
    if target.n_required <= len(wanted) and (len(wanted) <= len(have) or target.varargs):
        return TIER_DEFAULTS
    return TIER_NAME


def compatible(spec: FunctionSpec, info: DefInfo) -> bool:
    return signature_tier(spec, info) >= TIER_DEFAULTS


# --- sections -------------------------------------------------------------------------------------

def fold(text: str) -> str:
    """Lower case, no accents: headings are typed by hand."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def hint_matches(heading: str, hint: str) -> bool:
    heading, hint = fold(heading), fold(hint).strip()
    if not hint:
        return False
    if re.fullmatch(r"\d+(\.\d+)*", hint):
        return re.search(rf"(?<![\d.]){re.escape(hint)}(?!\d)", heading) is not None
    return re.search(rf"(?<![a-z0-9]){re.escape(hint)}(?![a-z0-9])", heading) is not None


def _name_tokens(name: str) -> set[str]:
    stem = name.rsplit(".", 1)[0]
    return {t for t in re.split(r"[^a-z0-9]+", fold(stem)) if len(t) >= 3 and not t.isdigit()}


def section_hints(assignment: Assignment) -> dict[str, list[str]]:
    """Manifest file -> words and section numbers that mark its part of a multi-part notebook."""
    modules = [f for f in assignment.files if f.kind == "module"]
    hints: dict[str, list[str]] = {}
    for spec in assignment.files:
        words: list[str] = []
        for question in assignment.questions.values():
            if question.file != spec.name:
                continue
            words.extend(question.section)
        others = set().union(*(_name_tokens(f.name) for f in modules if f.name != spec.name)) \
            if len(modules) > 1 else set()
        if len(modules) > 1:
            words.extend(sorted(_name_tokens(spec.name) - others))
        hints[spec.name] = list(dict.fromkeys(words))
    return hints


def required_functions(assignment: Assignment, spec: FileSpec) -> list[FunctionSpec]:
    """The functions the questions on `spec` grade, first signature kept for a repeated name."""
    seen: dict[str, FunctionSpec] = {}
    for question in assignment.questions.values():
        if question.file != spec.name:
            continue
        for function in question.functions:
            seen.setdefault(function.name, function)
    return list(seen.values())


# --- choosing -------------------------------------------------------------------------------------

@dataclass
class Choice:
    spec: FunctionSpec
    chosen: DefInfo | None
    candidates: list[DefInfo]          # every definition of the name in the source
    tier: int = TIER_NAME


def choose(definitions: dict[str, list[DefInfo]], assignment: Assignment, file: FileSpec) -> dict[str, Choice]:
    """For each function graded in `file`, the definition of `definitions` that belongs to it."""
    hints = section_hints(assignment)
    my_hints = hints.get(file.name, [])
    module_files = [f.name for f in assignment.files if f.kind == file.kind]
    narrowed: dict[str, list[DefInfo]] = {}
    choices: dict[str, Choice] = {}
    for spec in required_functions(assignment, file):
        top = spec.name.split(".")[0]
        candidates = list(definitions.get(top, []))
        choices[spec.name] = Choice(spec, None, candidates)
        if not candidates:
            continue
        # 1. signature
        tiers = {id(c): signature_tier(spec, c) for c in candidates}
        best = max(tiers.values())
        if best >= TIER_DEFAULTS:
            pool = [c for c in candidates if tiers[id(c)] >= TIER_DEFAULTS]
        else:
            pool = candidates
        exact = [c for c in pool if tiers[id(c)] == TIER_EXACT]
        pool = exact or pool
        # 2. section
        rivals = [f for f in module_files if f != file.name and
                  any(fs.name == spec.name for fs in required_functions(assignment, assignment.file(f)))]
        mine = [c for c in pool if any(hint_matches(c.block.heading_text(c.line), h) for h in my_hints)]
        if mine:
            pool = mine
        else:
            theirs = [c for c in pool if any(hint_matches(c.block.heading_text(c.line), h)
                                             for f in rivals for h in hints.get(f, []))]
            pool = [c for c in pool if c not in theirs] or pool
        # 3. filled in beats a stub; parsed beats a definition in a broken cell
        pool = [c for c in pool if c.parsed] or pool
        pool = [c for c in pool if not c.stub] or pool
        narrowed[spec.name] = pool
        choices[spec.name].tier = max(tiers[id(c)] for c in pool)
    # 4. order
    anchors = [pool[0].position for pool in narrowed.values() if len(pool) == 1]
    for name, pool in narrowed.items():
        if len(pool) == 1:
            choices[name].chosen = pool[0]
        elif anchors:
            choices[name].chosen = _nearest(pool, min(anchors), max(anchors))
        else:
            choices[name].chosen = _by_rank(pool, assignment, file, name)
    return choices


def _nearest(pool: list[DefInfo], lo: tuple[int, int], hi: tuple[int, int]) -> DefInfo:
    inside = [c for c in pool if lo <= c.position <= hi]
    if inside:
        return inside[-1]
    before = [c for c in pool if c.position < lo]
    if before:
        return before[-1]
    return pool[0]


def _by_rank(pool: list[DefInfo], assignment: Assignment, file: FileSpec, name: str) -> DefInfo:
    """No anchor: split the candidates in order among the files that need this name."""
    needing = [f.name for f in assignment.files if f.kind == file.kind and
               any(fs.name == name for fs in required_functions(assignment, f))]
    k = max(1, len(needing))
    r = needing.index(file.name) if file.name in needing else 0
    m = len(pool)
    if m <= k:
        return pool[min(r, m - 1)]
    # array_split: the first (m % k) groups get one more; each file takes the last of its group
    size, extra = divmod(m, k)
    end = (r + 1) * size + min(r + 1, extra)
    return pool[end - 1]
