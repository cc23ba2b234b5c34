"""One submission graded by several scorers at once, a question each at a time.

    shard = Shard.create(folder)     # the batch: once per submission and attempt
    shard = Shard(folder)            # each scorer grading it (the folder comes in its job)
    shard.claim("forward")           # True in exactly one scorer: that one runs the question
    shard.budget(seconds)            # the submission's budget, charged by every scorer
    shard.spent()                    # the seconds they spent in all (the batch, at the end)

Every scorer walks the same tests in the same order and runs those of the questions it claims
first, so a question never runs twice and a free core takes the next question as soon as it is
free. A question's score depends on its own tests only (grader.scoring), and a test's worker and
examples depend on its own node id only (fixtures._job, Hypothesis's derandomisation): a report
is the same whichever scorer ran which question. The budget is the exception: scorers side by
side spend it side by side, where one scorer alone would have stopped the last questions; so a
submission whose scorers spent all of it together is graded again by one scorer
(pipeline._grade_all), and the report is the one it gets alone. The folder lives in the batch's
own temporary folder, never in a jail.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import struct
from pathlib import Path

from grader.jail.session import Budget

_SPENT = struct.Struct("<d")


class Shard:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.mine: list[str] = []          # the questions this scorer claimed, in order
        self._elsewhere: set[str] = set()
        self._budget_fd: int | None = None

    @classmethod
    def create(cls, folder: Path) -> "Shard":
        folder.mkdir(parents=True)
        (folder / "spent").write_bytes(_SPENT.pack(0.0))
        return cls(folder)

    def _marker(self, question: str) -> Path:
        # question ids are the manifest's keys: hashed, so any id is one plain file name
        return self.folder / ("q-" + hashlib.sha256(question.encode()).hexdigest()[:24])

    def claim(self, question: str) -> bool:
        """Whether this scorer runs `question`: the first to ask gets it, and keeps it."""
        if question in self.mine:
            return True
        if question in self._elsewhere:
            return False
        try:
            os.mkdir(self._marker(question))
        except FileExistsError:
            self._elsewhere.add(question)
            return False
        self.mine.append(question)
        return True

    def taken_elsewhere(self, question: str) -> bool:
        """Whether another scorer has `question` (without claiming it)."""
        return question in self._elsewhere or (question not in self.mine and self._marker(question).exists())

    def budget(self, seconds: float) -> Budget:
        if self._budget_fd is None:
            self._budget_fd = os.open(self.folder / "spent", os.O_RDWR | os.O_CLOEXEC)
        return SharedBudget("submission", seconds, self._budget_fd)

    def spent(self) -> float:
        fd = os.open(self.folder / "spent", os.O_RDONLY | os.O_CLOEXEC)
        try:
            return _read_spent(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        if self._budget_fd is not None:
            os.close(self._budget_fd)
            self._budget_fd = None


class SharedBudget(Budget):
    """A Budget whose seconds spent are kept in a file every scorer of the submission charges."""

    def __init__(self, scope: str, seconds: float, fd: int) -> None:
        # Budget's own counter is not used: `spent` reads the file
        self.scope, self.seconds, self.parent, self._fd = scope, float(seconds), None, fd

    @property
    def spent(self) -> float:
        return _read_spent(self._fd)

    def charge(self, seconds: float) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            spent = _SPENT.unpack(os.pread(self._fd, _SPENT.size, 0))[0]
            os.pwrite(self._fd, _SPENT.pack(spent + seconds), 0)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def _read_spent(fd: int) -> float:
    fcntl.flock(fd, fcntl.LOCK_SH)   # never half of a charge being written
    try:
        return _SPENT.unpack(os.pread(fd, _SPENT.size, 0))[0]
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
