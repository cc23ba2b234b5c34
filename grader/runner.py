"""Run an assignment's tests on one prepared submission, in this (trusted) process.

The student's code is only ever reached through the jail; this process holds the reference, the
hidden tests and the scores.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.assignment import Assignment
from grader.intake import PreparedSubmission
from grader.jail.session import Jail
from grader.plugin import GraderPlugin, TestOutcome, hypothesis_profile, support_path


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


def hidden_paths(assignment: Assignment) -> tuple[str, ...]:
    """Folders a worker must never see: references, hidden tests, mutants, other assignments."""
    project = assignment.root.parent.parent
    candidates = [assignment.reference_dir.parent, assignment.root.parent, project / "submissions",
                  project / "reports", project / ".git", project / "tests"]
    return tuple(str(p) for p in candidates if p.is_dir())


def run_tests(assignment: Assignment, submission: PreparedSubmission, jail: Jail, *,
              include_hidden: bool = True, max_examples: int = 20,
              select: str | None = None, seed: int | None = None) -> RunResult:
    """Run the public (and hidden) tests on `submission`; return one outcome per test.

    With `seed`, Hypothesis draws other examples and workers get other seeds (a robustness run);
    without, every run is the same run.
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        # The scorer's tensors are tiny: extra intra-op threads only fight the pool for cores
        # (measured: a finite-difference check 10x slower with 2 threads on 2 busy cores).
        torch.set_num_threads(1)
    hypothesis_profile(max_examples, derandomize=seed is None)
    support_path(assignment)
    plugin = GraderPlugin(assignment, submission, jail, hidden_paths(assignment), grading=include_hidden,
                          seed=seed or 0)
    paths = [str(assignment.public_tests)]
    if include_hidden and assignment.hidden_tests.is_dir():
        paths.append(str(assignment.hidden_tests))
    args = [*paths, "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:randomly",
            "--import-mode=importlib", f"--rootdir={assignment.root}", "-c", os.devnull,
            f"--timeout={assignment.limits.test_timeout:g}", "-o", "timeout_method=signal",
            "-W", "ignore::DeprecationWarning"]
    if select:
        args += ["-k", select]
    if seed is not None:
        args.append(f"--hypothesis-seed={seed}")
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        exit_code = pytest.main(args, plugins=[plugin])
    errors = list(plugin.collection_errors)
    if exit_code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        errors.append(f"pytest exited with {exit_code!r}: {sink.getvalue()[-2000:]}")
    return RunResult(list(plugin.outcomes.values()), errors, int(exit_code))
