"""The per-student report: a stable, versioned contract (documented in the README).

    {"schema": 1, "student", "assignment", "score", "max_score",
     "questions": {"<id>": {"score", "max_score", "feedback": [str, ...], "bonus", "tests": "3/4"}},
     "student_name", "moodle_id", "sources": {...}, "notes": [str], "harness_errors": [str],
     "lang", "grader_version"}

The first five keys and each question's score / max_score / feedback are the contract; the others
are additions that consumers may ignore.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import __version__
from grader.messages import Message
from grader.scoring import QuestionScore, total

SCHEMA = 1


@dataclass
class StudentReport:
    student: str
    assignment: str
    questions: dict[str, QuestionScore]
    notes: list[Message] = field(default_factory=list)
    student_name: str | None = None
    moodle_id: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    harness_errors: list[str] = field(default_factory=list)
    test_seconds: float = 0.0   # time inside the tests' call phases (for the benchmark; not reported)

    @property
    def score(self) -> float:
        return total(self.questions)[0]

    @property
    def max_score(self) -> float:
        return total(self.questions)[1]

    def to_json(self, lang: str) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "student": self.student,
            "assignment": self.assignment,
            "score": self.score,
            "max_score": self.max_score,
            "questions": {
                qid: {"title": q.title, "score": q.score, "max_score": q.max_score, "bonus": q.bonus,
                      "tests": f"{q.tests_passed}/{q.tests_total}",
                      "feedback": [m.render(lang) for m in q.feedback],
                      **({"skipped": True} if q.skipped else {})}
                for qid, q in self.questions.items()
            },
            "student_name": self.student_name,
            "moodle_id": self.moodle_id,
            "sources": self.sources,
            "notes": [m.render(lang) for m in self.notes],
            "harness_errors": self.harness_errors,
            "lang": lang,
            "grader_version": __version__,
        }


    def to_wire(self) -> dict[str, Any]:
        """Everything, messages unrendered: how a scorer hands a finished report to the batch."""
        return {"student": self.student, "assignment": self.assignment,
                "questions": {qid: q.to_json() for qid, q in self.questions.items()},
                "notes": [m.to_json() for m in self.notes], "student_name": self.student_name,
                "moodle_id": self.moodle_id, "sources": dict(self.sources),
                "harness_errors": list(self.harness_errors), "test_seconds": self.test_seconds}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "StudentReport":
        return cls(str(data["student"]), str(data["assignment"]),
                   {qid: QuestionScore.from_json(q) for qid, q in data["questions"].items()},
                   [Message.from_json(m) for m in data.get("notes", [])], data.get("student_name"),
                   data.get("moodle_id"), dict(data.get("sources", {})), list(data.get("harness_errors", [])),
                   float(data.get("test_seconds", 0.0)))


def write_atomically(path: Path, content: str) -> None:
    """Write through a temporary file and rename: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json(path: Path, data: dict) -> None:
    write_atomically(path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


# --- report file names ----------------------------------------------------------------------------
# The student id is kept exactly in the report (`student`); the report's file name is
# `report_stem(id)` + ".json" / ".md": the id itself when that is a safe name on every filesystem
# (ext4, APFS, NTFS, FAT…), else a reversible percent-encoding of it. Distinct ids never share a
# stem; two ids whose stems differ only in case or Unicode normalization would share a file on
# Windows or macOS — `grader.intake.discover` refuses such a batch (`report_key` is what it compares).

REPORT_STEM_MAX_BYTES = 120          # + ".json" and write_atomically's ".<name>.XXXXXXXX.tmp" < 255
_HASH_MARK = "~"                     # only in stems of ids too long to keep whole; never verbatim
_HASH_CHARS = 20                     # hex digits of sha256(id): 80 bits
_VERBATIM_PUNCTUATION = frozenset("_-.+@=,() ")
_WINDOWS_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
                             | {f"{d}{n}" for d in ("COM", "LPT") for n in "0123456789¹²³"})


def _verbatim(char: str, first: bool, last: bool) -> bool:
    if char.isalnum():
        return char.isascii() or char.isprintable()
    if char not in _VERBATIM_PUNCTUATION:
        return False
    if char == "." and first:
        return False                 # hidden file, "." and ".."
    if char in ". " and last:
        return False                 # Windows drops a trailing dot or space
    return not (char == " " and first)


def _escape(char: str) -> str:
    return "".join(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass"))


def report_stem(student_id: str) -> str:
    """The file name (without extension) of `student_id`'s report.

    The id itself when every character is a letter or digit (any script) or one of `_-.+@=,()`
    and space — except a leading dot or space, a trailing dot or space — and it is no Windows
    device name (CON, NUL, COM1…); otherwise those characters are percent-encoded (`%2F`, `%25`
    for `%` itself, UTF-8 bytes), which `student_id_from_stem` reverses. Never empty, never with
    `/`, `\\`, NUL or control characters. An id whose stem would be longer than
    REPORT_STEM_MAX_BYTES keeps its beginning and gets `~` and 20 hex digits of its SHA-256: still
    distinct, no longer reversible (the report's `student` field has the id).
    """
    n = len(student_id)
    parts = [c if _verbatim(c, i == 0, i == n - 1) else _escape(c) for i, c in enumerate(student_id)]
    base = student_id.split(".")[0].rstrip(" ").upper()
    if base in _WINDOWS_DEVICES and parts:
        parts[0] = _escape(student_id[0])
    stem = "".join(parts)
    if stem and len(stem.encode("utf-8")) <= REPORT_STEM_MAX_BYTES:
        return stem
    import hashlib
    digest = hashlib.sha256(student_id.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    room = REPORT_STEM_MAX_BYTES - len(_HASH_MARK) - _HASH_CHARS
    kept, used = [], 0
    for part in parts:               # whole characters and whole escapes only
        size = len(part.encode("utf-8"))
        if used + size > room:
            break
        kept.append(part)
        used += size
    return "".join(kept) + _HASH_MARK + digest


def student_id_from_stem(stem: str) -> str | None:
    """The id `report_stem` made `stem` from; None for a shortened (hashed) or foreign stem."""
    if _HASH_MARK in stem or not stem:
        return None
    data = bytearray()
    i = 0
    while i < len(stem):
        if stem[i] == "%":
            try:
                data.append(int(stem[i + 1:i + 3], 16))
            except ValueError:
                return None
            if len(stem[i + 1:i + 3]) != 2:
                return None
            i += 3
        else:
            data += stem[i].encode("utf-8")
            i += 1
    try:
        student_id = bytes(data).decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None
    return student_id if report_stem(student_id) == stem else None


def report_key(student_id: str) -> str:
    """What two report file names are compared by on the most forgiving filesystems (case and
    Unicode normalization ignored, as on Windows and macOS)."""
    import unicodedata
    return unicodedata.normalize("NFC", report_stem(student_id)).casefold()
