"""An assignment is one folder of data: `assignments/<id>/`.

    assignment.toml     the manifest (below)
    reference/          the reference solution, one file per manifest file (never sent to a worker,
                        never exported)
    starter/            what students receive
    tests/public/       tests students may run · tests/hidden/: the grading tests
    support/            modules the tests import (strategies, data, drivers)
    mutants/            mutants.toml, variants.toml, folders/ (see grader.validate)

This module reads the manifest into frozen dataclasses and validates it early, with messages that
name the file and the field. Everything else in the grader takes an `Assignment`.

Manifest (TOML):

    id = "tp_nn"
    title = "..."
    handout = "000_12c9383546a065f4.txt"      # optional, informative
    preload = ["torch._dynamo"]                 # modules the zygote imports once, before forking

    [limits]                                    # optional; see AssignmentLimits
    call_timeout = 10                           # seconds per call into student code
    test_timeout = 120                          # seconds per test
    test_seconds = 60                           # student code's seconds in one test
    submission_seconds = 180                    # student code's seconds in the whole submission
    memory_mb = 3072

    [classes]                                   # canonical class name -> other accepted names,
    Sigmoide = ["Sigmoid"]                      # looked up in every file of a submission

    [functions]                                 # a graded function under another name: the
    sgd = ["sgd_step"]                          # instructor gives credit without editing the code

    [data.cifar10]                              # a data set the instructor points the grader at
    description = "CIFAR-10 Python batches"     # (`grader grade --data cifar10=PATH`)

    [[files]]
    name = "tp_nn.py"                           # module name students hand in
    aliases = ["circles*.py", "TP3*.ipynb"]     # other names intake accepts (glob, case-insensitive)
    kind = "module"                             # or "script": the file is run whole
    preload = ["sklearn.svm"]                   # preloaded only when a submission has this file

    [questions.forward]
    title = "forward(params, X)"                # the report's title, in French (the labs' language)
    title_en = "forward(params, X)"             # the same in English, for `--lang en`
    points = 3
    file = "tp_nn.py"                           # where the question's code is expected
    functions = ["forward(params, X)"]          # functions graded, with their signature
    classes = ["Linear"]                        # classes graded (canonical names)
    script = "Ex grad intro.py"                 # the question may be answered by this script
    variables = ["a"]                           # what the script must leave
    section = ["2.2", "autograd"]               # intake hint: the notebook heading of the question
    bonus = false                               # bonus points are not in max_score

    [questions.forward.credit]                  # conventions credited in part: name -> share kept
    summed_loss = 0.5

    [questions.forward.params]                  # free parameters of the tests
    threshold = 0.9
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import HarnessError
from grader.limits import Limits

_SIGNATURE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\((.*)\))?\s*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
    preload: tuple[str, ...] = ()  # what the zygote imports when a submission has this file

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
    classes: tuple[str, ...] = ()
    script: str | None = None
    variables: tuple[str, ...] = ()
    section: tuple[str, ...] = ()
    bonus: bool = False
    credit: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    title_en: str = ""   # the English title ("" when the manifest gives none: `title` then)

    def title_in(self, lang: str) -> str:
        """The question's title in a report's language."""
        return self.title_en if lang == "en" and self.title_en else self.title

    @property
    def module(self) -> str:
        return Path(self.file).stem

    @property
    def forms(self) -> tuple[str, ...]:
        """How the question may be answered: by functions/classes, by a script, or either."""
        if self.script is None:
            return ("function",)
        if self.script == self.file or not (self.functions or self.classes):
            return ("script",)
        return ("function", "script")

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for f in (self.file, self.script) if f))


@dataclass(frozen=True)
class DataSpec:
    name: str
    description: str = ""


@dataclass(frozen=True)
class AssignmentLimits:
    call_timeout: float = 10.0         # one call into student code (the worker is killed past it)
    test_timeout: float = 120.0        # one test, wall clock (pytest-timeout)
    test_seconds: float = 60.0         # student code's time in one test: past it the test stops
    submission_seconds: float = 180.0  # student code's time for the whole submission
    memory_mb: int = 3072
    cpu_seconds: int = 600
    threads: int = 1
    processes: int = 64                # tasks (threads) per worker
    disk_mb: int = 512                 # the worker's job folder

    def jail(self, call_timeout: float | None = None):
        """The worker's limits: the one place they are converted."""
        return Limits(call_timeout=call_timeout or self.call_timeout, cpu_seconds=self.cpu_seconds,
                      memory_bytes=self.memory_mb * 1024**2, threads=self.threads,
                      processes=self.processes, disk_bytes=self.disk_mb * 1024**2)


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    root: Path
    files: tuple[FileSpec, ...]
    questions: dict[str, Question]
    limits: AssignmentLimits
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    function_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    data: dict[str, DataSpec] = field(default_factory=dict)
    preload: tuple[str, ...] = ()
    handout: str = ""
    reference_override: Path | None = None

    @property
    def reference_dir(self) -> Path:
        return self.reference_override or self.root / "reference"

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
    def support_dir(self) -> Path:
        return self.root / "support"

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions.values() if not q.bonus)

    def file(self, name: str) -> FileSpec:
        for spec in self.files:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def preload_for(self, handed_in: set[str] | frozenset[str]) -> list[str]:
        """What the zygote imports for a batch whose submissions hold the files `handed_in`:
        the assignment's own list, and each handed-in file's (a student who did part 2.1 only
        does not wait for the SVM library that part 2.6 needs)."""
        modules = list(self.preload)
        for spec in self.files:
            if spec.name in handed_in:
                modules += [m for m in spec.preload if m not in modules]
        return modules

    def questions_for(self, file_name: str) -> list[Question]:
        """The questions answered in `file_name` (as their file or as their script)."""
        return [q for q in self.questions.values() if file_name in q.files]

    def function_names(self, canonical: str) -> tuple[str, ...]:
        """The names a graded function may have: the handout's first, then the accepted aliases."""
        return (canonical, *[a for a in self.function_aliases.get(canonical, ()) if a != canonical])

    def class_names(self, canonical: str) -> tuple[str, ...]:
        """The names a class may have in a submission: canonical first, then the aliases."""
        return (canonical, *[a for a in self.classes.get(canonical, ()) if a != canonical])


def _require(data: dict, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise HarnessError(f"{where}: missing field {key!r}")
    value = data[key]
    if not isinstance(value, kind):
        raise HarnessError(f"{where}: field {key!r} should be {getattr(kind, '__name__', kind)}")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HarnessError(f"{where}: should be a string or a list of strings")
    return tuple(value)


_QUESTION_FIELDS = {"title", "title_en", "points", "file", "functions", "classes", "script", "variables", "section",
                    "bonus", "credit", "params"}


def _question(qid: str, raw: dict, files: dict[str, FileSpec], classes: dict, where: str) -> Question:
    spot = f"{where}: questions.{qid}"
    unknown = set(raw) - _QUESTION_FIELDS
    if unknown:
        hint = " (the question's form is its `script`; credit shares go in [credit])" \
            if unknown & {"kind", "conventions"} else ""
        if any(name.startswith("title") or name.endswith("title") for name in unknown):
            hint = " (a question has `title`, in French, and `title_en`, its English title)"
        raise HarnessError(f"{spot}: unknown field(s) {', '.join(sorted(unknown))}{hint}")
    file = _require(raw, "file", str, spot)
    if file not in files:
        raise HarnessError(f"{spot}: file {file!r} is not declared in [[files]]")
    script = raw.get("script")
    if script is None and files[file].kind == "script":
        script = file  # a question on a script file is answered by running it
    if script is not None and (script not in files or files[script].kind != "script"):
        raise HarnessError(f"{spot}: script {script!r} is not a [[files]] entry of kind 'script'")
    points = _require(raw, "points", (int, float), spot)
    if points < 0:
        raise HarnessError(f"{spot}: points must not be negative")
    try:
        functions = tuple(FunctionSpec.parse(f) for f in raw.get("functions", []))
    except ValueError as exc:
        raise HarnessError(f"{spot}: {exc}") from None
    question_classes = _strings(raw.get("classes", []), f"{spot}.classes")
    for name in question_classes:
        if not _IDENTIFIER.match(name):
            raise HarnessError(f"{spot}: class {name!r} is not a Python name")
    for key in ("title", "title_en"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise HarnessError(f"{spot}: {key} must be a non-empty string")
    credit = raw.get("credit", {})
    if not isinstance(credit, dict) or not all(isinstance(v, (int, float)) and 0 <= v <= 1
                                               for v in credit.values()):
        raise HarnessError(f"{spot}.credit: shares must be numbers between 0 and 1")
    return Question(
        id=qid, title=raw.get("title", qid), points=float(points), file=file, functions=functions,
        classes=question_classes, script=script, variables=_strings(raw.get("variables", []), spot),
        section=_strings(raw.get("section", []), f"{spot}.section"), bonus=bool(raw.get("bonus", False)),
        credit={k: float(v) for k, v in credit.items()}, params=dict(raw.get("params", {})),
        title_en=raw.get("title_en", ""),
    )


def load(root: str | os.PathLike, reference_dir: str | os.PathLike | None = None) -> Assignment:
    """Read and validate `root/assignment.toml` (`reference_dir`: another reference, for tests)."""
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
    files: dict[str, FileSpec] = {}
    for i, raw in enumerate(_require(data, "files", list, where)):
        spot = f"{where}: files[{i}]"
        kind = raw.get("kind", "module")
        if kind not in ("module", "script"):
            raise HarnessError(f"{spot}: kind must be 'module' or 'script'")
        name = _require(raw, "name", str, spot)
        files[name] = FileSpec(name=name, aliases=_strings(raw.get("aliases", []), spot), kind=kind,
                               preload=_strings(raw.get("preload", []), f"{spot}: preload"))
    classes = {}
    for canonical, aliases in data.get("classes", {}).items():
        if not _IDENTIFIER.match(canonical):
            raise HarnessError(f"{where}: [classes]: {canonical!r} is not a Python name")
        classes[canonical] = _strings(aliases, f"{where}: classes.{canonical}")
    function_aliases = {}
    for canonical, aliases in data.get("functions", {}).items():
        if not _IDENTIFIER.match(canonical):
            raise HarnessError(f"{where}: [functions]: {canonical!r} is not a Python name")
        function_aliases[canonical] = _strings(aliases, f"{where}: functions.{canonical}")
    questions = {qid: _question(qid, raw, files, classes, where)
                 for qid, raw in _require(data, "questions", dict, where).items()}
    datasets = {name: DataSpec(name, str(raw.get("description", ""))) for name, raw in data.get("data", {}).items()}
    try:
        limits = AssignmentLimits(**data.get("limits", {}))
    except TypeError as exc:
        raise HarnessError(f"{where}: [limits]: {exc}") from None
    return Assignment(
        id=assignment_id, title=data.get("title", assignment_id), root=root, files=tuple(files.values()),
        questions=questions, limits=limits, classes=classes, function_aliases=function_aliases, data=datasets,
        preload=_strings(data.get("preload", []), f"{where}: preload"), handout=data.get("handout", ""),
        reference_override=Path(reference_dir).resolve() if reference_dir else None,
    )
