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

The real work first (issue 16.3): before any of that, a module file's candidates are ordered by
the graded functions they fill in *usably* — in code Python 3 parses (a .py with a syntax error,
typically Python 2 `print "x"`, cannot be imported at all; a notebook's broken cells are skipped)
and not left as the starter's stubs. A Jupyter checkpoint copy (`.ipynb_checkpoints/`, read under
the name of the file it copies) is never preferred to a real file that fills in a graded
function, but is graded when it is the only one that does (with a note). `explain_choice` gives
the notes: which file was graded, and each file passed over with its reason.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import Assignment, FileSpec
from grader.messages import Message, msg
from grader.intake.choose import DefInfo, compatible, required_functions
from grader.intake.diagnose import syntax_message
from grader.intake.sources import SourceFile, checkpoint_original

RANK_EXACT_ROOT = 5      # "tp_nn.py" at the top of the submission
RANK_EXACT = 4           # "TP3/tp_nn.py"
RANK_LOOSE = 3           # "TP NN (1).ipynb"
RANK_ALIAS = 2           # a FileSpec alias glob: "circlesV2.py" for "circles*.py"
RANK_CONTAINS = 1        # the loose name inside the file's: "ex_grad_intro_DUPONT.py"
RANK_NONE = 0

# Searched at every position of a file name: no alternative may start with a repetition (a run of
# spaces would be rescanned from each of its positions); the spaces before a suffix are stripped
# afterwards, and punctuation does not count in a loose name anyway.
_COPY_SUFFIX = re.compile(
    r"(\(\d+\)|-\s*cop(?:y|ie)(?:\s*\d+)?|[\s_]cop(?:y|ie)(?:\s*\(?\d+\)?)?|\[\d+\])$", re.IGNORECASE)
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
    usable: tuple[int, int] = (0, 0)   # (filled compatible, compatible) in code that will import

    @property
    def checkpoint(self) -> bool:
        return self.source.checkpoint

    def key(self) -> tuple:
        # Sorted ascending: best first. Filling in a graded function usably comes first, then a
        # real file before a checkpoint copy, then the counts, the name, the date.
        return (self.usable[0] == 0, self.checkpoint, -self.usable[0], -self.score[0], -self.usable[1],
                -self.score[1], -self.score[2], -self.rank, -self.source.mtime, self.source.rel)

    def key_script(self) -> tuple:
        return (not self.source.importable(), self.checkpoint, -self.rank, tuple(-s for s in self.score),
                -self.source.mtime, self.source.rel)


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


def usable_score(assignment: Assignment, spec: FileSpec, source: SourceFile,
                 definitions: dict[str, list[DefInfo]]) -> tuple[int, int]:
    """(filled compatible, compatible) graded functions defined in code that will import: parsed
    definitions of a readable notebook or of a .py that parses as a whole."""
    if not source.importable():
        return (0, 0)
    parsed = {name: [d for d in infos if d.parsed] for name, infos in definitions.items()}
    filled, compatible_count, _ = module_score(assignment, spec, parsed)
    return (filled, compatible_count)


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
        if spec.name in question.files:
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
        # A checkpoint copy is named after the file it copies: TP3-checkpoint.ipynb as TP3.ipynb.
        named = checkpoint_original(source.rel) if source.checkpoint else source.rel
        if exact_for_other(named, spec, assignment):
            continue
        rank = name_rank(named, spec)
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
        usable = usable_score(assignment, spec, source, defs) if spec.kind != "script" else (0, 0)
        out.append(Candidate(source, rank, score, distinct, usable))
    if spec.kind == "script":
        out.sort(key=Candidate.key_script)
    else:
        out.sort(key=Candidate.key)
    return out


MAX_PASSED_OVER_NOTES = 10


def explain_choice(spec: FileSpec, candidates: list[Candidate]) -> list[Message]:
    """The notes on the file graded for `spec` (candidates as rank_candidates gives them): which
    one, the others that could have been and why each was passed over."""
    if not candidates:
        return []
    chosen = candidates[0]
    others = [c for c in candidates[1:] if c.score[2] > 0 or c.rank > 0]
    notes: list[Message] = []
    if others:
        notes.append(msg("intake_file_chosen", file=spec.name, used=chosen.source.rel,
                         others=", ".join(c.source.rel for c in others)))
    elif chosen.source.rel != spec.name:
        notes.append(msg("intake_file_renamed", file=spec.name, used=chosen.source.rel))
    if chosen.checkpoint:
        notes.append(msg("intake_checkpoint_used", file=spec.name, used=chosen.source.rel))
    for other in others[:MAX_PASSED_OVER_NOTES]:
        notes.append(msg("intake_file_passed_over", file=spec.name, other=other.source.rel,
                         reason=passed_over_reason(spec, other, chosen)))
    return notes


def passed_over_reason(spec: FileSpec, other: Candidate, chosen: Candidate) -> Message:
    source = other.source
    if source.problem is not None:
        return msg("intake_reason_unreadable")
    if source.kind == "py" and source.broken_blocks():
        why = syntax_message(source.broken_blocks()[0], python2_hint=True)
        if why.key == "intake_python2":
            return msg("intake_reason_python2", line=why.params["line"], construct=why.params["construct"])
        return msg("intake_reason_syntax", line=why.params.get("line", "?"))
    if spec.kind == "script":
        return msg("intake_reason_tie", used=chosen.source.rel)
    if other.checkpoint and not chosen.checkpoint and chosen.usable[0] > 0:
        return msg("intake_reason_checkpoint", used=chosen.source.rel)
    if other.usable[0] == 0 and other.usable[1] > 0:
        return msg("intake_reason_stubs")
    if other.usable[0] < chosen.usable[0]:
        return msg("intake_reason_fewer", count=other.usable[0], best=chosen.usable[0], used=chosen.source.rel)
    return msg("intake_reason_tie", used=chosen.source.rel)
