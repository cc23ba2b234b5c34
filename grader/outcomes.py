"""What running one submission's tests produced: one outcome per test. Plain data, JSON both ways.

These records cross the pool's process boundary (scorer -> batch) and are the only input of
`grader.scoring`, so they sit at the bottom of the package: nothing here imports pytest or the jail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.messages import Message


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

    __test__ = False           # not a pytest test class, whatever its name

    def to_json(self) -> dict:
        return {"nodeid": self.nodeid, "question": self.question, "weight": self.weight,
                "fraction": self.fraction, "harness_error": self.harness_error, "public": self.public,
                "seconds": self.seconds, "incidental": self.incidental, "skipped": self.skipped,
                "messages": [m.to_json() for m in self.messages]}

    @classmethod
    def from_json(cls, data: dict) -> "TestOutcome":
        return cls(str(data["nodeid"]), str(data["question"]), float(data["weight"]), float(data["fraction"]),
                   [Message.from_json(m) for m in data["messages"]], bool(data["harness_error"]),
                   bool(data.get("public", True)), float(data.get("seconds", 0.0)),
                   bool(data.get("incidental", False)), bool(data.get("skipped", False)))


@dataclass
class RunResult:
    outcomes: list[TestOutcome]
    collection_errors: list[str] = field(default_factory=list)
    exit_code: int = 0

    def to_json(self) -> dict:
        return {"outcomes": [o.to_json() for o in self.outcomes],
                "collection_errors": self.collection_errors, "exit_code": self.exit_code}

    @classmethod
    def from_json(cls, data: dict) -> "RunResult":
        return cls([TestOutcome.from_json(o) for o in data["outcomes"]],
                   list(data.get("collection_errors", [])), int(data.get("exit_code", 0)))
