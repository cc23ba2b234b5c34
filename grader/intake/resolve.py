"""Which of the student's files is the one a manifest file stands for.

Students rename files (circlesV2.py, TP3_4_NOM_Prenom.ipynb, "Ex grad intro (1).py"), hand in a
notebook instead of the .py, keep old versions beside the new one, or put everything in a
subfolder. The rules:

* names are compared loosely: case, accents, spaces, underscores, hyphens and dots do not count,
  nor copy suffixes ("(1)", " - Copie", "Copy of …", "Copie de …"); .py and .ipynb are
  interchangeable. FileSpec aliases are globs matched case-insensitively;
* a module file (graded function by function) is the file that defines the most of its graded
  functions — filled-in definitions with a compatible signature first, then any compatible
  signature, then the bare name; ties go to the best name match, then the most recently
  modified, then the name. A file named exactly like another manifest file is not a candidate;
* a script file (run whole) is found by its name first; only when no name matches is the file
  defining the most of its functions/variables used.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import Assignment, FileSpec
from grader.intake.choose import DefInfo, compatible, required_functions
from grader.intake.sources import SourceFile

RANK_EXACT_ROOT = 5      # "tp_nn.py" at the top of the submission
RANK_EXACT = 4           # "TP3/tp_nn.py"
RANK_LOOSE = 3           # "TP NN (1).ipynb"
RANK_ALIAS = 2           # a FileSpec alias glob: "circlesV2.py" for "circles*.py"
RANK_CONTAINS = 1        # the loose name inside the file's: "ex_grad_intro_DUPONT.py"
RANK_NONE = 0

_COPY_SUFFIX = re.compile(
    r"(\s*\(\d+\)|\s*-\s*cop(?:y|ie)(?:\s*\d+)?|[\s_]+cop(?:y|ie)(?:\s*\(?\d+\)?)?|\s*\[\d+\])$", re.IGNORECASE)
_COPY_PREFIX = re.compile(r"^(?:cop(?:y|ie)\s+(?:of|de)\s+)+", re.IGNORECASE)
SOURCE_SUFFIXES = (".py", ".ipynb")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def split_name(filename: str) -> tuple[str, str]:
    """(stem, extension), the extension lower-cased, only for .py/.ipynb."""
    lower = filename.lower()
    for suffix in SOURCE_SUFFIXES:
        if lower.endswith(suffix):
            return filename[: -len(suffix)], suffix
    return filename, ""


def loose_name(filename: str) -> str:
    """"Ex grad intro (1).py" -> "exgradintro"; "Copie de TP3_NOM.ipynb" -> "tp3nom"."""
    stem, _ = split_name(Path(filename).name)
    stem = stem.strip()
    previous = None
    while previous != stem:
        previous = stem
        stem = _COPY_PREFIX.sub("", _COPY_SUFFIX.sub("", stem)).strip()
    return re.sub(r"[^a-z0-9]", "", _fold(stem))


def name_rank(rel: str, spec: FileSpec) -> int:
    name = Path(rel).name
    if rel == spec.name:
        return RANK_EXACT_ROOT
    if name == spec.name:
        return RANK_EXACT
    if split_name(name)[1] and loose_name(name) == loose_name(spec.name):
        return RANK_LOOSE
    for alias in spec.aliases:
        if fnmatch.fnmatch(name.lower(), alias.lower()):
            return RANK_ALIAS
        alias_stem, alias_ext = split_name(alias)
        stem_pattern = re.sub(r"[^a-z0-9*?]", "", _fold(alias_stem))
        if split_name(name)[1] and (not alias_ext or alias_ext == split_name(name)[1]) \
                and fnmatch.fnmatch(loose_name(name), stem_pattern):
            return RANK_ALIAS
    wanted = loose_name(spec.name)
    if split_name(name)[1] and len(wanted) >= 5 and wanted in loose_name(name):
        return RANK_CONTAINS
    return RANK_NONE


@dataclass
class Candidate:
    source: SourceFile
    rank: int
    score: tuple[int, int, int]        # (filled compatible, compatible, by name)
    distinct: int = 0                  # compatible functions no other manifest file asks for as such

    def key(self) -> tuple:
        # Sorted ascending: best first.
        return (tuple(-s for s in self.score), -self.rank, -self.source.mtime, self.source.rel)

    def key_script(self) -> tuple:
        return (-self.rank, tuple(-s for s in self.score), -self.source.mtime, self.source.rel)


def distinct_functions(assignment: Assignment, spec: FileSpec) -> list:
    """The functions of `spec` that no other manifest file asks for with the same signature.

    init_params(nx, nh, ny) is asked by the 2.1 and 2.2 files alike: a notebook of part 2.1 only
    defines it, yet is not a hand-in of part 2.2. sgd(params, eta) is 2.2's own.
    """
    def key(f):
        return (f.name, tuple(p.lower() for p in f.params) if f.params is not None else None)
    others = {key(f) for other in assignment.files if other.name != spec.name
              for f in required_functions(assignment, other)}
    return [f for f in required_functions(assignment, spec) if key(f) not in others]


def distinct_score(assignment: Assignment, spec: FileSpec, definitions: dict[str, list[DefInfo]]) -> int:
    return sum(1 for f in distinct_functions(assignment, spec)
               if any(compatible(f, d) for d in definitions.get(f.name.split(".")[0], [])))


def module_score(assignment: Assignment, spec: FileSpec, definitions: dict[str, list[DefInfo]]) -> tuple[int, int, int]:
    filled = any_compatible = by_name = 0
    for function in required_functions(assignment, spec):
        infos = definitions.get(function.name.split(".")[0], [])
        if not infos:
            continue
        by_name += 1
        fitting = [d for d in infos if compatible(function, d)]
        if fitting:
            any_compatible += 1
            if any(not d.stub for d in fitting):
                filled += 1
    return (filled, any_compatible, by_name)


def script_score(assignment: Assignment, spec: FileSpec, source: SourceFile,
                 definitions: dict[str, list[DefInfo]]) -> tuple[int, int, int]:
    """Functions defined and variables assigned at top level, for a script handed in renamed.

    Variable names ("a", "loss") are too common to pick a file on their own: without a compatible
    graded function the score is zero, and only the file's name can make it the script.
    """
    wanted_vars: set[str] = set()
    for question in assignment.questions.values():
        if question.file == spec.name:
            wanted_vars.update(question.variables)
    assigned: set[str] = set()
    for block in source.parsed_blocks():
        for node in block.tree.body:  # type: ignore[union-attr]
            for target in getattr(node, "targets", [getattr(node, "target", None)]):
                if target is not None:
                    assigned.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    functions = module_score(assignment, spec, definitions)
    if functions[1] == 0:
        return (0, 0, 0)
    found_vars = len(wanted_vars & assigned)
    return (functions[0] + found_vars, functions[1] + found_vars, functions[2] + found_vars)


def exact_for_other(rel: str, spec: FileSpec, assignment: Assignment) -> bool:
    """The file is named (loosely) like another manifest file, better than like this one."""
    mine = name_rank(rel, spec)
    return any(other.name != spec.name and name_rank(rel, other) >= max(RANK_LOOSE, mine + 1)
               for other in assignment.files)


def rank_candidates(assignment: Assignment, spec: FileSpec, sources: list[SourceFile],
                    definitions: dict[str, dict[str, list[DefInfo]]]) -> list[Candidate]:
    """Candidates for `spec`, best first (empty: nothing in the submission can stand for it)."""
    out = []
    for source in sources:
        if exact_for_other(source.rel, spec, assignment):
            continue
        rank = name_rank(source.rel, spec)
        defs = definitions.get(source.rel, {})
        if spec.kind == "script":
            score = script_score(assignment, spec, source, defs)
        else:
            score = module_score(assignment, spec, defs)
        distinct = distinct_score(assignment, spec, defs)
        if rank == RANK_NONE:
            # Same-name functions with the wrong signature alone do not make a file a candidate,
            # nor do functions that another manifest file asks for just the same.
            if score[1] == 0 or (distinct_functions(assignment, spec) and distinct == 0):
                continue
        out.append(Candidate(source, rank, score, distinct))
    if spec.kind == "script":
        out.sort(key=Candidate.key_script)
    else:
        out.sort(key=Candidate.key)
    return out
