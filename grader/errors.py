"""One hierarchy for what can go wrong, split by whose fault it is.

`SubmissionError` and its kin describe the student's code (they become feedback and cost points);
`HarnessError` is ours (it is reported as such and never silently scored as a student's 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class GraderError(Exception):
    """Base class of every error the grader raises on purpose."""


class HarnessError(GraderError):
    """A fault of the grader or its set-up, not of the submission."""


class SubmissionError(GraderError):
    """A submission cannot be taken in (no file, syntax error, nothing defined)."""


class StudentFault(GraderError):
    """Raised while running student code; tests let it propagate and it becomes feedback."""


@dataclass
class Frame:
    file: str
    line: int | None
    function: str
    code: str = ""


class StudentError(StudentFault):
    """Student code raised an exception (in the worker); carries only the student's frames."""

    def __init__(self, type_name: str, message: str, phase: str = "call",
                 frames: list[Frame] | None = None, syntax: dict | None = None) -> None:
        self.type_name = type_name
        self.message = message
        self.phase = phase
        self.frames = frames or []
        self.syntax = syntax or {}
        super().__init__(self.summary())

    @classmethod
    def from_wire(cls, info: dict) -> "StudentError":
        frames = []
        for raw in info.get("frames", [])[:8] if isinstance(info.get("frames"), list) else []:
            if isinstance(raw, dict):
                line = raw.get("line")
                frames.append(Frame(str(raw.get("file", "?"))[:200], line if isinstance(line, int) else None,
                                    str(raw.get("function", "?"))[:100], str(raw.get("code", ""))[:200]))
        syntax = {}
        if "line" in info:
            syntax = {"line": info.get("line") if isinstance(info.get("line"), int) else None,
                      "text": str(info.get("text", ""))[:200], "file": str(info.get("file", ""))[:200]}
        return cls(str(info.get("type", "Exception"))[:100], str(info.get("message", ""))[:4000],
                   str(info.get("phase", "call"))[:20], frames, syntax)

    def where(self) -> str:
        if self.frames:
            last = self.frames[-1]
            return f"{last.file} line {last.line}, in {last.function}"
        if self.syntax.get("line"):
            return f"{self.syntax.get('file') or 'your file'} line {self.syntax['line']}"
        return ""

    def summary(self) -> str:
        where = self.where()
        return f"{self.type_name}: {self.message}" + (f" ({where})" if where else "")


class StudentTimeout(StudentFault):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"timed out after {seconds:g} s")


class WorkerDied(StudentFault):
    """The worker process ended (os._exit, a crash, a signal) or broke the protocol."""
