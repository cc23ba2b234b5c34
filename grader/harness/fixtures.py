"""The pytest plugin that connects an assignment's tests to one student's jailed code.

Tests are plain pytest functions, marked with the question they grade (see the README):

    pytestmark = pytest.mark.question("forward")

    @pytest.mark.weight(2)
    @given(...)
    def test_forward_matches_reference(student, reference, ...):
        Yhat, outputs = student.forward(params, X)      # runs in the jailed worker
        expect_close(Yhat, reference.forward(params, X)[0], name="Yhat")

The plugin prints nothing: it records one `TestOutcome` per test; `feedback.explain` turns the
exception that ended a test into messages.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from grader.assignment import Assignment, Question
from grader.checks.figures import CURRENT_FIGURES
from grader.checks.outcomes import CURRENT_NOTES, CheckFailed, PartialCredit, QuestionSkipped
from grader.errors import HarnessError, StudentError, StudentTimeout, WorkerDied
from grader.harness.feedback import NotGradable, explain, unwrap
from grader.harness.hypothesis_notes import falsifying_example
from grader.harness.shards import Shard
from grader.harness.student import Student, nothing_to_grade
from grader.harness.titles import split_title
from grader.intake import PreparedSubmission
from grader.jail.session import Budget, Jail, JobSpec, Session
from grader.messages import Message, msg, text
from grader.outcomes import TestOutcome

_REFERENCES: dict[Path, Any] = {}


def load_reference(assignment: Assignment, module: str) -> Any:
    """Import a module of the reference solution (trusted code, in this process), once per process."""
    path = assignment.reference_dir / f"{module}.py"
    if path in _REFERENCES:
        return _REFERENCES[path]
    if not path.is_file():
        raise HarnessError(f"no reference module {path}")
    spec = importlib.util.spec_from_file_location(f"_reference_{assignment.id}_{module}", path)
    reference = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))      # the reference's own modules import each other
    try:
        spec.loader.exec_module(reference)
    finally:
        sys.path.remove(str(path.parent))
    _REFERENCES[path] = reference
    return reference


def derived_seed(seed: int, name: str) -> int:
    """A worker's seed: the same for the same name (a test's node id, a per-student key) and run."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:4], "big")


class PerStudent:
    """Values computed once per submission (a training run several tests look at), errors included.

    The student's code that `compute` calls runs in a fresh worker of its own, seeded from `key`:
    the value does not depend on which test asked first, nor on what that test did before (the
    scorer that computes it may be any of those grading the submission, grader.harness.shards).
    `compute` builds what it needs: a handle made earlier in the test is not in that worker."""

    CACHED_ERRORS = (CheckFailed, PartialCredit, StudentError, StudentTimeout, WorkerDied, NotGradable)

    def __init__(self, seed: int = 0) -> None:
        self._values: dict[Any, tuple[bool, Any]] = {}
        self._seed = seed
        self.session: Session | None = None   # the current test's, set by the `session` fixture

    def once(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self._values:
            seed = derived_seed(self._seed, f"once:{key!r}")
            try:
                if self.session is None:
                    self._values[key] = (True, compute())
                else:
                    with self.session.isolated(seed):
                        self._values[key] = (True, compute())
            except self.CACHED_ERRORS as exc:
                self._values[key] = (False, exc)
        ok, value = self._values[key]
        if not ok:
            raise value
        return value


class GraderPlugin:
    def __init__(self, assignment: Assignment, submission: PreparedSubmission, jail: Jail,
                 hidden_paths: tuple[str, ...] = (), grading: bool = True, seed: int = 0,
                 call_timeout: float | None = None, data: dict[str, str] | None = None,
                 prefetch: bool = False, shard: Shard | None = None) -> None:
        self.spec = assignment
        self.shard = shard    # with other scorers on the same submission: the questions are shared out
        self.prefetch = prefetch  # start the next test's worker while this one runs (a core to spare)
        self.prepared = submission
        self.jail = jail
        self.hidden_paths = hidden_paths
        self.grading = grading
        self.seed = seed
        self.data = dict(data or {})
        self.outcomes: dict[str, TestOutcome] = {}
        self.collection_errors: list[str] = []
        self.limits = assignment.limits.jail(call_timeout)
        self.per_student_cache = PerStudent(seed)
        seconds = assignment.limits.submission_seconds
        self.budget = shard.budget(seconds) if shard is not None else Budget("submission", seconds)
        self.notes: dict[str, list] = {}     # nodeid -> messages said whatever the test's result
        self.figures: dict[str, list] = {}   # nodeid -> figures recorded (`figure`), likewise

    # -- collection ------------------------------------------------------------------------------

    def question_of(self, item: pytest.Item) -> Question:
        marker = item.get_closest_marker("question")
        if marker is None or not marker.args:
            raise HarnessError(f"{item.nodeid}: no @pytest.mark.question(...)")
        qid = marker.args[0]
        if qid not in self.spec.questions:
            raise HarnessError(f"{item.nodeid}: question {qid!r} is not in the manifest")
        return self.spec.questions[qid]

    @pytest.hookimpl
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "question(id): the manifest question a test grades")
        config.addinivalue_line("markers", "weight(w): the test's weight within its question")
        config.addinivalue_line("markers", "uses(*names): the functions/classes this test needs (default: "
                                "all the question lists); a missing one fails this test only")
        config.addinivalue_line("markers", "incidental: a property (shape, no mutation, dtype) that "
                                "counts only when the question's core tests pass")
        config.addinivalue_line("markers", "self_check: a public test that relies on several of the "
                                "student's functions at once; run by `check`, not counted by `grade` "
                                "(where hidden tests grade each question on its own)")

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if not self.grading:
            return
        kept = [item for item in items if item.get_closest_marker("self_check") is None]
        deselected = [item for item in items if item.get_closest_marker("self_check") is not None]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = kept

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")

    # -- fixtures --------------------------------------------------------------------------------

    @pytest.fixture
    def question(self, request: pytest.FixtureRequest) -> Question:
        return self.question_of(request.node)

    @pytest.fixture
    def params(self, request: pytest.FixtureRequest) -> dict:
        return dict(self.question_of(request.node).params)

    @pytest.fixture
    def assignment(self) -> Assignment:
        return self.spec

    @pytest.fixture
    def submission(self) -> PreparedSubmission:
        return self.prepared

    @pytest.fixture
    def per_student(self) -> PerStudent:
        return self.per_student_cache

    @pytest.fixture
    def data_path(self) -> Callable[..., Path | None]:
        """data_path(name): the instructor's `--data name=PATH`, or None; with required=True a
        missing setting skips the question ("not graded here", out of the maximum)."""
        def find(name: str, required: bool = False) -> Path | None:
            spec = self.spec.data.get(name)
            if spec is None:
                raise HarnessError(f"data set {name!r} is not declared in [data] of the manifest")
            value = self.data.get(name)
            if not value and required:
                raise QuestionSkipped(msg("data_not_configured", name=name, description=spec.description or name))
            return Path(value) if value else None
        return find

    def _job(self, item: pytest.Item) -> JobSpec:
        """The worker a test gets: the same for the same test of the same submission."""
        return JobSpec(submission_dir=str(self.prepared.dir), limits=self.limits,
                       hidden_paths=self.hidden_paths, seed=derived_seed(self.seed, item.nodeid))

    def _needs_worker(self, item: pytest.Item) -> bool:
        """Whether the test will start a worker: it uses one, and its question's files are here."""
        if "session" not in getattr(item, "fixturenames", ()):
            return False
        try:
            question = self.question_of(item)
        except HarnessError:
            return False
        return any(f not in self.prepared.fatal for f in question.files)

    @pytest.fixture
    def session(self, request: pytest.FixtureRequest):
        question = self.question_of(request.node)
        blocking = [self.prepared.fatal[f] for f in question.files if f in self.prepared.fatal]
        if blocking and len(blocking) == len(question.files):
            if len(question.forms) > 1:
                raise CheckFailed(nothing_to_grade(question), *blocking)
            raise NotGradable(blocking[0])
        session = Session(self.jail, self._job(request.node), Budget("test", self.spec.limits.test_seconds, self.budget))
        if question.classes and "student" not in request.fixturenames:
            # a test that drives the student's classes through a driver only: the same gate
            Student(session, question, self.spec, self.prepared.fatal, self.prepared.classes).require()
        self.per_student_cache.session = session
        yield session
        self.per_student_cache.session = None
        session.close()

    @pytest.fixture
    def student(self, session: Session, request: pytest.FixtureRequest) -> Student:
        question = self.question_of(request.node)
        uses = request.node.get_closest_marker("uses")
        student = Student(session, question, self.spec, self.prepared.fatal, self.prepared.classes,
                          tuple(uses.args) if uses else None).require()
        if student.form == "function":
            for function in question.functions:
                alias = student.used_alias(function.name)
                if alias is not None:
                    self.notes.setdefault(request.node.nodeid, []).append(
                        msg("graded_under_alias", function=function.name, alias=alias))
        return student

    @pytest.fixture
    def reference(self, request: pytest.FixtureRequest):
        return load_reference(self.spec, self.question_of(request.node).module)

    @pytest.fixture
    def reference_module(self) -> Callable[[str], Any]:
        return lambda name: load_reference(self.spec, name)

    @pytest.fixture
    def source(self, request: pytest.FixtureRequest) -> str:
        """The text of the question's prepared file, for static checks (e.g. "no Python loop").

        Read here as text and parsed with `ast` at most: never executed in this process.
        """
        question = self.question_of(request.node)
        fatal = self.prepared.fatal.get(question.file)
        if fatal is not None:
            raise NotGradable(fatal)
        path = Path(self.prepared.dir) / question.file
        return path.read_text(encoding="utf-8", errors="replace")

    # -- outcomes --------------------------------------------------------------------------------

    def _claim_key(self, item: pytest.Item) -> str:
        try:
            return self.question_of(item).id
        except HarnessError:
            return f"item {item.nodeid}"   # reported as a harness error by whichever scorer runs it

    @pytest.hookimpl(tryfirst=True, specname="pytest_runtest_protocol")
    def pytest_runtest_protocol_claimed_only(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
        if self.shard is None or self.shard.claim(self._claim_key(item)):
            return None
        # Another scorer grades this question: nothing is run or reported here. What the test run
        # before kept for this one (its module's and class's fixtures) is torn down now if the next
        # test does not need it, as pytest would after running it.
        try:
            item.session._setupstate.teardown_exact(nextitem)
        except Exception:
            pass   # a fixture's finaliser (the tests' code, not the student's): the run goes on
        return True

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        if self.prefetch and nextitem is not None and self._needs_worker(nextitem) and \
                (self.shard is None or not self.shard.taken_elsewhere(self._claim_key(nextitem))):
            self.jail.prefetch(self._job(nextitem))
        token = CURRENT_NOTES.set(self.notes.setdefault(item.nodeid, []))
        figures = CURRENT_FIGURES.set(self.figures.setdefault(item.nodeid, []))
        try:
            yield
        finally:
            CURRENT_FIGURES.reset(figures)
            CURRENT_NOTES.reset(token)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if report.when == "teardown" and item.nodeid in self.outcomes:
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.outcomes[item.nodeid] = self._outcome(item, call, report)

    def _outcome(self, item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> TestOutcome:
        try:
            question = self.question_of(item)
        except HarnessError as exc:
            return TestOutcome(item.nodeid, "?", 0.0, 0.0, [msg("harness_error", error=str(exc))], True)
        weight_marker = item.get_closest_marker("weight")
        weight = float(weight_marker.args[0]) if weight_marker else 1.0
        public = "/public/" in str(item.path).replace("\\", "/")
        base = TestOutcome(item.nodeid, question.id, weight, 1.0, public=public,
                           seconds=float(getattr(report, "duration", 0.0)),
                           incidental=item.get_closest_marker("incidental") is not None,
                           figures=list(self.figures.get(item.nodeid, [])))
        notes = self.notes.get(item.nodeid, [])
        if report.passed:
            base.messages = list(notes)
            return base
        base.fraction = 0.0
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr or "")
            skip = msg("not_graded", reason=str(reason).removeprefix("Skipped: ")[-300:])
            base.messages = [*notes, msg("test_failed", test=_test_title(item), reason=skip)]
            return base
        raw = call.excinfo.value if call.excinfo else None
        exc = unwrap(raw)
        if isinstance(exc, StudentError):
            self._to_original_lines(exc)
        messages, harness = explain(exc, call.excinfo.tb if call.excinfo and exc is raw else exc.__traceback__)
        if isinstance(exc, PartialCredit):
            base.fraction = exc.fraction
        if isinstance(exc, QuestionSkipped):
            base.skipped = True
            base.messages = [msg("question_skipped", reason=m) for m in messages]
            return base
        # Every reason keeps its test's title: grader.summary says a reason shared by several
        # tests (a missing function, a stub) once, and names the failing tests in the report's language.
        base.messages = [msg("test_failed", test=_test_title(item), reason=m) for m in messages]
        base.messages += falsifying_example(raw, set(getattr(item, "fixturenames", ())))
        base.messages[:0] = notes
        base.harness_error = harness
        return base

    def _to_original_lines(self, exc: StudentError) -> None:
        """Point the student's frames at their own file, cell and line, not at the prepared module."""
        for frame in exc.frames:
            if frame.line is None:
                continue
            origin = self.prepared.origin_of_line(frame.file, frame.line)
            if origin is not None:
                frame.file = origin.file if origin.cell is None else f"{origin.file}, cell {origin.cell}"
                frame.line = origin.line
        exc.args = (exc.summary(),)


def _test_title(item: pytest.Item) -> Message:
    """The test's title in both languages (grader.harness.titles: the docstring's first paragraph,
    English then `fr: ...`); without a docstring, its name."""
    english, french = split_title(getattr(getattr(item, "function", None), "__doc__", None))
    if not english:
        english = item.name.removeprefix("test_").replace("_", " ")
    french = french or english
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.id:
        # a parametrized test: one title per parameter ("… [Reseau2]"), so the report tells them apart
        english, french = f"{english} [{callspec.id}]", f"{french} [{callspec.id}]"
    return text(english, french)
