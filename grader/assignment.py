"""An assignment is data: `assignments/<id>/assignment.toml`, its tests, its starter, its mutants.

This module reads the manifest into frozen dataclasses and validates it early, with messages that
name the file and the field. Everything else in the grader takes an `Assignment`.

Manifest (TOML):

    id = "tp_nn"
    title = "..."
    handout = "000_12c9383546a065f4.txt"      # optional, informative
    preload = ["sklearn.svm"]                   # modules every worker imports before forking

    [limits]                                    # optional; defaults in grader.jail.sandbox.Limits
    call_timeout = 10                           # seconds per call into student code
    test_timeout = 120                          # seconds per test (pytest-timeout)
    memory_mb = 3072

    [[files]]
    name = "tp_nn.py"                           # module name students hand in
    aliases = ["circles*.py", "TP3*.ipynb"]     # other names intake accepts (glob, case-insensitive)

    [questions.forward]
    title = "forward(params, X)"
    points = 3
    file = "tp_nn.py"
    functions = ["forward(params, X)"]          # what the question grades, with its signature
    bonus = false                               # bonus points are not in max_score
    kind = "function"                           # or "script": the file is run whole
    variables = []                              # for scripts: the variables it must leave
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import HarnessError

_SIGNATURE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\((.*)\))?\s*$")


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    params: tuple[str, ...] | None  # None: any signature

    @classmethod
    def parse(cls, text: str) -> "FunctionSpec":
        match = _SIGNATURE.match(text)
        if not match:
            raise ValueError(f"not a function signature: {text!r}")
        name, params = match.groups()
        if params is None:
            return cls(name, None)
        return cls(name, tuple(p.strip() for p in params.split(",") if p.strip()))


@dataclass(frozen=True)
class FileSpec:
    name: str
    aliases: tuple[str, ...] = ()
    kind: str = "module"  # "module": definitions are kept; "script": run whole

    @property
    def module(self) -> str:
        return Path(self.name).stem


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    points: float
    file: str
    functions: tuple[FunctionSpec, ...] = ()
    bonus: bool = False
    kind: str = "function"
    variables: tuple[str, ...] = ()
    conventions: dict[str, Any] = field(default_factory=dict)

    @property
    def module(self) -> str:
        return Path(self.file).stem


@dataclass(frozen=True)
class AssignmentLimits:
    call_timeout: float = 10.0
    test_timeout: float = 120.0
    memory_mb: int = 3072
    cpu_seconds: int = 600
    threads: int = 1


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    root: Path
    reference_dir: Path
    files: tuple[FileSpec, ...]
    questions: dict[str, Question]
    limits: AssignmentLimits
    preload: tuple[str, ...] = ()
    handout: str = ""

    @property
    def public_tests(self) -> Path:
        return self.root / "tests" / "public"

    @property
    def hidden_tests(self) -> Path:
        return self.root / "tests" / "hidden"

    @property
    def starter_dir(self) -> Path:
        return self.root / "starter"

    @property
    def mutants_dir(self) -> Path:
        return self.root / "mutants"

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions.values() if not q.bonus)

    def file(self, name: str) -> FileSpec:
        for spec in self.files:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def question_for_module(self, module: str) -> list[Question]:
        return [q for q in self.questions.values() if q.module == module]


def _require(data: dict, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise HarnessError(f"{where}: missing field {key!r}")
    value = data[key]
    if not isinstance(value, kind):
        raise HarnessError(f"{where}: field {key!r} should be {getattr(kind, '__name__', kind)}")
    return value


def load(root: str | os.PathLike, reference_root: str | os.PathLike | None = None) -> Assignment:
    """Read and validate `root/assignment.toml`."""
    root = Path(root).resolve()
    manifest = root / "assignment.toml"
    where = str(manifest)
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HarnessError(f"{where}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise HarnessError(f"{where}: {exc}") from None
    assignment_id = _require(data, "id", str, where)
    if assignment_id != root.name:
        raise HarnessError(f"{where}: id {assignment_id!r} differs from its folder {root.name!r}")
    files = []
    for i, raw in enumerate(_require(data, "files", list, where)):
        spot = f"{where}: files[{i}]"
        files.append(FileSpec(name=_require(raw, "name", str, spot),
                              aliases=tuple(raw.get("aliases", [])),
                              kind=raw.get("kind", "module")))
    file_names = {f.name for f in files}
    questions = {}
    for qid, raw in _require(data, "questions", dict, where).items():
        spot = f"{where}: questions.{qid}"
        file = _require(raw, "file", str, spot)
        if file not in file_names:
            raise HarnessError(f"{spot}: file {file!r} is not declared in [[files]]")
        points = _require(raw, "points", (int, float), spot)
        if points < 0:
            raise HarnessError(f"{spot}: points must not be negative")
        try:
            functions = tuple(FunctionSpec.parse(f) for f in raw.get("functions", []))
        except ValueError as exc:
            raise HarnessError(f"{spot}: {exc}") from None
        kind = raw.get("kind", "function")
        if kind not in ("function", "script"):
            raise HarnessError(f"{spot}: kind must be 'function' or 'script'")
        questions[qid] = Question(
            id=qid, title=raw.get("title", qid), points=float(points), file=file,
            functions=functions, bonus=bool(raw.get("bonus", False)), kind=kind,
            variables=tuple(raw.get("variables", [])), conventions=dict(raw.get("conventions", {})),
        )
    limits_raw = data.get("limits", {})
    try:
        limits = AssignmentLimits(**limits_raw)
    except TypeError as exc:
        raise HarnessError(f"{where}: [limits]: {exc}") from None
    reference_root = Path(reference_root) if reference_root else root.parent.parent / "reference"
    return Assignment(
        id=assignment_id, title=data.get("title", assignment_id), root=root,
        reference_dir=(reference_root / assignment_id).resolve(), files=tuple(files),
        questions=questions, limits=limits, preload=tuple(data.get("preload", [])),
        handout=data.get("handout", ""),
    )


def discover(assignments_root: str | os.PathLike) -> list[Assignment]:
    root = Path(assignments_root)
    return [load(p.parent) for p in sorted(root.glob("*/assignment.toml"))]
