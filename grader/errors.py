"""One hierarchy for what can go wrong, split by whose fault it is.

`SubmissionError` and its kin describe the student's code (they become feedback and cost points);
`HarnessError` is ours (it is reported as such and never silently scored as a student's 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(value: Any, limit: int | None = None) -> str:
    """A string that any encoder accepts: what comes from a worker (or any untrusted source) is
    passed through this once, at the boundary. Non-strings become their str(); lone surrogates
    (JSON lets a peer send "\\ud800") become U+FFFD, which UTF-8 can write; `limit` truncates."""
    if not isinstance(value, str):
        try:
            value = str(value)
        except Exception:  # a hostile __str__; at the boundary only plain data arrives anyway
            value = f"<{type(value).__name__}>"
    if limit is not None:
        value = value[:limit]
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = _SURROGATES.sub("\ufffd", value)
    return value


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
    """Student code raised an exception (in the worker); carries only the student's frames.

    Every string it holds is clean (`clean_text`): a message a student made up cannot stop the
    writing of a report."""

    def __init__(self, type_name: str, message: str, phase: str = "call",
                 frames: list[Frame] | None = None, syntax: dict | None = None) -> None:
        self.type_name = clean_text(type_name, 100)
        self.message = clean_text(message)
        self.phase = clean_text(phase, 20)
        self.frames = frames or []
        self.syntax = syntax or {}
        super().__init__(self.summary())

    @classmethod
    def from_wire(cls, info: Any) -> "StudentError":
        """From the worker's {"type", "message", "phase", "frames", "line", "text", "file"}; any
        other shape or type a hostile worker sends gives a StudentError all the same."""
        if not isinstance(info, dict):
            info = {"type": "Exception", "message": clean_text(info, 4000)}
        frames = []
        raw_frames = info.get("frames")
        for raw in raw_frames[:8] if isinstance(raw_frames, list) else []:
            if isinstance(raw, dict):
                frames.append(Frame(clean_text(raw.get("file", "?"), 200), _line(raw.get("line")),
                                    clean_text(raw.get("function", "?"), 100),
                                    clean_text(raw.get("code", ""), 200)))
        syntax = {}
        if "line" in info:
            syntax = {"line": _line(info.get("line")), "text": clean_text(info.get("text", ""), 200),
                      "file": clean_text(info.get("file", ""), 200)}
        return cls(clean_text(info.get("type", "Exception"), 100), clean_text(info.get("message", ""), 4000),
                   clean_text(info.get("phase", "call"), 20), frames, syntax)

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


def _line(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9 else None


class StudentTimeout(StudentFault):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"timed out after {seconds:g} s")


class BudgetExhausted(StudentTimeout):
    """The student's code used up its time for one test or for the whole submission: what remains
    is not run (a submission that spins just under the per-call limit cannot take hours)."""

    def __init__(self, scope: str, seconds: float) -> None:
        self.scope = scope            # "test" or "submission"
        super().__init__(seconds)
        self.args = (f"time budget of the {scope} exhausted ({seconds:g} s)",)


class WorkerDied(StudentFault):
    """The worker process ended (os._exit, a crash, a signal) or broke the protocol."""
