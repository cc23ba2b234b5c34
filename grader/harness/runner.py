"""Run an assignment's tests on one prepared submission, in this (trusted) process.

The student's code is only ever reached through the jail; this process holds the reference, the
hidden tests and the scores.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from pathlib import Path

import pytest

from grader.assignment import Assignment
from grader.harness.fixtures import GraderPlugin
from grader.harness.hypothesis_notes import hypothesis_profile
from grader.harness.shards import Shard
from grader.intake import PreparedSubmission
from grader.jail.session import Jail
from grader.options import Options
from grader.outcomes import RunResult


def hidden_paths(assignment: Assignment) -> tuple[str, ...]:
    """Folders a worker must never see: references, hidden tests, mutants, other assignments."""
    project = assignment.root.parent.parent
    candidates = [assignment.reference_dir, assignment.root.parent, project / "submissions",
                  project / "reports", project / ".git", project / "tests"]
    return tuple(str(p) for p in candidates if p.is_dir())


def support_path(assignment: Assignment) -> None:
    """Make an assignment's support modules (strategies, data, drivers) importable by its tests."""
    path = str(assignment.support_dir)
    if assignment.support_dir.is_dir() and path not in sys.path:
        sys.path.insert(0, path)


# What a grading run does without: assertion rewriting (the tests state their checks with the author
# API, never a bare assert) and the plugins that end each session with full garbage collections.
_LEAN = ("--assert=plain", "-p", "no:logging", "-p", "no:unraisableexception", "-p", "no:threadexception",
         "-p", "no:faulthandler", "-p", "no:doctest", "-p", "no:pastebin", "-p", "no:junitxml")


class _Phases:
    """Seconds per phase of the run, for the benchmark's breakdown."""

    def __init__(self) -> None:
        self.seconds = {"collection": 0.0, "setup": 0.0, "call": 0.0, "teardown": 0.0}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_collection(self, session: pytest.Session):
        started = time.perf_counter()
        yield
        self.seconds["collection"] += time.perf_counter() - started

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.when] += float(getattr(report, "duration", 0.0))


class _PlainTracebacks:
    """Failures are explained from their exceptions (harness.feedback), never from pytest's text of
    them: the cheapest style keeps pytest from reading and parsing source for every failed test."""

    @staticmethod
    def pytest_configure(config: pytest.Config) -> None:
        config.option.tbstyle = "native"


def _pytest_args(assignment: Assignment, include_hidden: bool) -> list[str]:
    paths = [str(assignment.public_tests)]
    if include_hidden and assignment.hidden_tests.is_dir():
        paths.append(str(assignment.hidden_tests))
    return [*paths, "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:randomly",
            "--import-mode=importlib", f"--rootdir={assignment.root}", "-c", os.devnull,
            f"--timeout={assignment.limits.test_timeout:g}", "-o", "timeout_method=signal",
            "-W", "ignore::DeprecationWarning", *_LEAN]


# A test's own @settings(...) copies the profile loaded when its module is imported: the modules
# pytest keeps between runs hold the profile they were imported under (assignment root -> it).
_IMPORTED_UNDER: dict[str, tuple[int, bool]] = {}


def _load_profile(assignment: Assignment, options: Options) -> None:
    profile = (options.max_examples, options.seed is None)
    hypothesis_profile(*profile)
    root = str(assignment.root)
    if _IMPORTED_UNDER.get(root, profile) != profile:
        for name, module in list(sys.modules.items()):
            if Path(getattr(module, "__file__", None) or "/").is_relative_to(assignment.root):
                del sys.modules[name]   # imported again by this run, under this profile
    _IMPORTED_UNDER[root] = profile


def collect_ahead(assignment: Assignment, options: Options = Options()) -> None:
    """Import the assignment's test modules, and what they import (torch, the support modules),
    before the first submission: a scorer does it while the zygote starts, under the batch's
    Hypothesis profile. pytest keeps the modules it imported, so a later run collects them again
    in milliseconds. Anything that goes wrong here is left for the real run to report."""
    _load_profile(assignment, options)
    support_path(assignment)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            pytest.main([*_pytest_args(assignment, include_hidden=True), "--collect-only"])
    except Exception:
        pass


def run_tests(assignment: Assignment, submission: PreparedSubmission, jail: Jail, options: Options = Options(),
              select: str | None = None, shard: Shard | None = None) -> RunResult:
    """Run the public (and, unless `options.include_hidden` is off, hidden) tests on `submission`.

    With `options.seed`, Hypothesis draws other examples and workers get other seeds (a robustness
    run); without, every run is the same run. With a `shard`, only the questions this process
    claims run (other scorers grade the rest of the submission).
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        # The scorer's tensors are tiny: extra intra-op threads only fight the pool for cores
        # (measured: a finite-difference check 10x slower with 2 threads on 2 busy cores).
        torch.set_num_threads(1)
    _load_profile(assignment, options)
    support_path(assignment)
    plugin = GraderPlugin(assignment, submission, jail, hidden_paths(assignment), grading=options.include_hidden,
                          seed=options.seed or 0, call_timeout=options.call_timeout, data=options.data,
                          prefetch=(os.cpu_count() or 1) > options.workers, shard=shard)
    args = _pytest_args(assignment, options.include_hidden)
    if select:
        args += ["-k", select]
    if options.seed is not None:
        args.append(f"--hypothesis-seed={options.seed}")
    sink = io.StringIO()
    phases = _Phases()
    spawned_before = jail.spawn_seconds
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        exit_code = pytest.main(args, plugins=[plugin, phases, _PlainTracebacks()])
    jail.discard_prefetched()
    phases.seconds["workers"] = jail.spawn_seconds - spawned_before
    errors = list(plugin.collection_errors)
    if exit_code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        errors.append(f"pytest exited with {exit_code!r}: {sink.getvalue()[-2000:]}")
    return RunResult(list(plugin.outcomes.values()), errors, int(exit_code), phases.seconds)
