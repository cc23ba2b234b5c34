"""What running one submission's tests produced: one outcome per test. Plain data, JSON both ways.

These records cross the pool's process boundary (scorer -> batch) and are the only input of
`grader.scoring`, so they sit at the bottom of the package: nothing here imports pytest or the jail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from grader.messages import Message

TITLE_CHARS = 200   # a rendered figure title or label is cut there (its params may hold student text)
LABEL_CHARS = 80


@dataclass(frozen=True)
class Figure:
    """A measurement to draw in the HTML report: `kind` "curve", "regions" or "images", its title
    and its data, a JSON-safe tree of numbers, lists, strings and None whose texts (axis, series and
    row labels) are Messages, rendered in the report's language. `grader.checks.figures` builds and
    bounds them (the author API's `figure`); the report's JSON holds `render(lang)`."""

    kind: str
    title: Message
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"kind": self.kind, "title": self.title.to_json(), "data": _encode(self.data)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Figure":
        return cls(str(data["kind"]), Message.from_json(data["title"]), _decode(data.get("data", {})))

    def render(self, lang: str) -> dict:
        """The figure as the report's JSON holds it: {"kind", "title", **data}, texts rendered."""
        return {"kind": self.kind, "title": self.title.render(lang)[:TITLE_CHARS], **_render(self.data, lang)}


def _encode(value: Any) -> Any:
    if isinstance(value, Message):
        return {"message": value.to_json()}
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, Mapping):
        if set(value) == {"message"}:
            return Message.from_json(value["message"])
        return {str(k): _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _render(value: Any, lang: str) -> Any:
    if isinstance(value, Message):
        return value.render(lang)[:LABEL_CHARS]
    if isinstance(value, Mapping):
        return {str(k): _render(v, lang) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_render(v, lang) for v in value]
    return value


@dataclass
class TestOutcome:
    nodeid: str
    question: str
    weight: float
    fraction: float  # 1 passed, 0 failed, in between: partial credit
    messages: list[Message] = field(default_factory=list)
    harness_error: bool = False
    public: bool = True
    seconds: float = 0.0       # time in the test's call phase (for the benchmark)
    incidental: bool = False   # counts only when the question's core tests pass (grader.scoring)
    skipped: bool = False      # the question cannot be graded here (its data set is not configured)
    figures: list[Figure] = field(default_factory=list)  # measurements to draw, whatever the result

    __test__ = False           # not a pytest test class, whatever its name

    def to_json(self) -> dict:
        return {"nodeid": self.nodeid, "question": self.question, "weight": self.weight,
                "fraction": self.fraction, "harness_error": self.harness_error, "public": self.public,
                "seconds": self.seconds, "incidental": self.incidental, "skipped": self.skipped,
                "messages": [m.to_json() for m in self.messages],
                "figures": [f.to_json() for f in self.figures]}

    @classmethod
    def from_json(cls, data: dict) -> "TestOutcome":
        return cls(str(data["nodeid"]), str(data["question"]), float(data["weight"]), float(data["fraction"]),
                   [Message.from_json(m) for m in data["messages"]], bool(data["harness_error"]),
                   bool(data.get("public", True)), float(data.get("seconds", 0.0)),
                   bool(data.get("incidental", False)), bool(data.get("skipped", False)),
                   [Figure.from_json(f) for f in data.get("figures", [])])


@dataclass
class RunResult:
    outcomes: list[TestOutcome]
    collection_errors: list[str] = field(default_factory=list)
    exit_code: int = 0
    # seconds per phase of the run: collection, setup, call, teardown (summed over tests), and
    # workers (starting jailed workers, inside setup and call): what the benchmark breaks down
    phases: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"outcomes": [o.to_json() for o in self.outcomes],
                "collection_errors": self.collection_errors, "exit_code": self.exit_code,
                "phases": dict(self.phases)}

    @classmethod
    def from_json(cls, data: dict) -> "RunResult":
        return cls([TestOutcome.from_json(o) for o in data["outcomes"]],
                   list(data.get("collection_errors", [])), int(data.get("exit_code", 0)),
                   {str(k): float(v) for k, v in data.get("phases", {}).items()})
