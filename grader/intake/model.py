"""The intake's data: where a submission comes from, and what `prepare` made of it.

A `PreparedSubmission` is saved beside the prepared modules (`.intake.json`) so that a later stage
— the scorer, a report writer, another process — can map a line of a prepared module back to the
student's own file, notebook cell and line, without redoing the intake.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.messages import Message

STATE_FILE = ".intake.json"
STATE_VERSION = 1


@dataclass(frozen=True)
class SubmissionSource:
    student_id: str            # the folder name, exactly (Moodle: "Firstname_Lastname_12345"); files: report_stem(id)
    path: Path                 # folder holding the student's files (extracted when from an archive)
    display_name: str | None = None   # Moodle "Firstname Lastname"
    moodle_id: str | None = None      # Moodle participant id "12345"
    # What discover had to say about this student (a nested archive extracted, a symlink skipped…).
    # `prepare` copies these into the submission's notes. Not part of equality: two sources for the
    # same folder are the same source whatever was said about them.
    notes: tuple[Message, ...] = field(default=(), compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"student_id": self.student_id, "path": str(self.path),
                "display_name": self.display_name, "moodle_id": self.moodle_id,
                "notes": [n.to_json() for n in self.notes]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SubmissionSource":
        return cls(student_id=data["student_id"], path=Path(data["path"]),
                   display_name=data.get("display_name"), moodle_id=data.get("moodle_id"),
                   notes=tuple(Message.from_json(n) for n in data.get("notes", [])))


@dataclass(frozen=True)
class Origin:
    file: str                  # original file, relative to the submission folder
    line: int | None = None    # line in that file, or in the cell for notebooks
    cell: int | None = None    # notebook cell index (0-based, counting all cells)

    def describe(self) -> str:
        parts = [self.file]
        if self.cell is not None:
            parts.append(f"cell {self.cell}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "cell": self.cell}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Origin":
        return cls(str(data["file"]), data.get("line"), data.get("cell"))


@dataclass(frozen=True)
class LineRun:
    """`length` consecutive prepared lines from `start` come from consecutive original lines."""

    start: int                 # first prepared line (1-based)
    length: int
    file: str
    orig_start: int            # first original line (1-based; in the cell for notebooks)
    cell: int | None = None

    def to_json(self) -> list[Any]:
        return [self.start, self.length, self.file, self.orig_start, self.cell]

    @classmethod
    def from_json(cls, data: list[Any]) -> "LineRun":
        start, length, file, orig_start, cell = data
        return cls(int(start), int(length), str(file), int(orig_start), cell)


@dataclass
class PreparedSubmission:
    source: SubmissionSource
    dir: Path                                   # prepared folder
    modules: dict[str, str]                     # manifest file name ("tp_nn.py") -> original file used
    origins: dict[str, dict[str, Origin]]       # question id -> function name -> where it came from
    notes: list[Message]                        # feedback notes
    fatal: dict[str, Message]                   # manifest file name -> why it cannot be graded
    # prepared file name ("tp_nn.py", "utils.py") -> runs of lines, sorted by start
    line_map: dict[str, list[LineRun]] = field(default_factory=dict)
    # canonical class name -> {"module": importable name, "name": the student's name, "stub": bool,
    # "origin": Origin JSON}: the classes the manifest names, wherever the student defined them
    classes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def handed_in(self) -> set[str]:
        """The manifest files this submission has and intake could take in."""
        return set(self.modules) - set(self.fatal)

    def origin_of_line(self, module_file: str, line: int) -> Origin | None:
        """Where a line of a prepared module came from; None for lines the intake wrote itself."""
        runs = self.line_map.get(module_file)
        if not runs:
            # Tracebacks give paths; accept "…/dest/tp_nn.py" and the module name "tp_nn" too.
            name = Path(module_file).name
            runs = self.line_map.get(name) or self.line_map.get(name + ".py")
        if not runs:
            return None
        starts = [r.start for r in runs]
        i = bisect.bisect_right(starts, line) - 1
        if i < 0:
            return None
        run = runs[i]
        if line >= run.start + run.length:
            return None
        return Origin(run.file, run.orig_start + (line - run.start), run.cell)

    def ok(self, file: str) -> bool:
        """True when the manifest file `file` was prepared (it may still score 0)."""
        return file not in self.fatal

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "source": self.source.to_json(),
            "dir": str(self.dir),
            "modules": dict(self.modules),
            "origins": {q: {f: o.to_json() for f, o in fns.items()} for q, fns in self.origins.items()},
            "notes": [n.to_json() for n in self.notes],
            "fatal": {f: m.to_json() for f, m in self.fatal.items()},
            "line_map": {f: [r.to_json() for r in runs] for f, runs in self.line_map.items()},
            "classes": {c: dict(entry) for c, entry in self.classes.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "PreparedSubmission":
        return cls(
            source=SubmissionSource.from_json(data["source"]),
            dir=Path(data["dir"]),
            modules={str(k): str(v) for k, v in data.get("modules", {}).items()},
            origins={q: {f: Origin.from_json(o) for f, o in fns.items()}
                     for q, fns in data.get("origins", {}).items()},
            notes=[Message.from_json(n) for n in data.get("notes", [])],
            fatal={f: Message.from_json(m) for f, m in data.get("fatal", {}).items()},
            line_map={f: [LineRun.from_json(r) for r in runs]
                      for f, runs in data.get("line_map", {}).items()},
            classes={str(c): dict(entry) for c, entry in data.get("classes", {}).items()},
        )

    def save(self) -> Path:
        path = self.dir / STATE_FILE
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, prepared_dir: str | Path) -> "PreparedSubmission":
        """Read what `prepare` saved in `prepared_dir` (the folder may have been moved since)."""
        prepared_dir = Path(prepared_dir)
        data = json.loads((prepared_dir / STATE_FILE).read_text(encoding="utf-8"))
        prepared = cls.from_json(data)
        prepared.dir = prepared_dir
        return prepared
