"""The pytest plugin that connects an assignment's tests to one student's jailed code.

Tests are plain pytest functions, marked with the question they grade:

    pytestmark = pytest.mark.question("forward")

    @pytest.mark.weight(2)
    @given(...)
    def test_forward_matches_reference(student, reference, ...):
        Yhat, outputs = student.forward(params, X)      # runs in the jailed worker
        expect_close(Yhat, reference.forward(params, X)[0], name="Yhat")

Fixtures: `student` (proxy to the question's module in a fresh worker), `reference` (the reference
module, imported here, in the trusted process; absent from student exports), `session` (the same
worker, for drivers and scripts), `source` (the prepared file as text, for static checks), `question`,
`assignment`, `submission`.

The plugin prints nothing: it records one `TestOutcome` per test, turning exceptions into feedback
messages (`CheckFailed`, `PartialCredit`, student exceptions, timeouts, dead workers), with the
smallest failing input Hypothesis found.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grader.assignment import Assignment, Question
from grader.checks.outcomes import CheckFailed, PartialCredit
from grader.errors import HarnessError, StudentError, StudentTimeout, WorkerDied
from grader.intake import PreparedSubmission
from grader.jail.sandbox import Limits
from grader.jail.session import Jail, JobSpec, Session
from grader.messages import Message, msg, text


@dataclass
class TestOutcome:
    nodeid: str
    question: str
    weight: float
    fraction: float  # 1 passed, 0 failed, in between: partial credit
    messages: list[Message] = field(default_factory=list)
    harness_error: bool = False
    public: bool = True
    seconds: float = 0.0  # time in the test's call phase (for the benchmark)

    def to_json(self) -> dict:
        return {"nodeid": self.nodeid, "question": self.question, "weight": self.weight,
                "fraction": self.fraction, "harness_error": self.harness_error, "public": self.public,
                "seconds": self.seconds, "messages": [m.to_json() for m in self.messages]}

    @classmethod
    def from_json(cls, data: dict) -> "TestOutcome":
        return cls(data["nodeid"], data["question"], float(data["weight"]), float(data["fraction"]),
                   [Message.from_json(m) for m in data["messages"]], bool(data["harness_error"]),
                   bool(data.get("public", True)), float(data.get("seconds", 0.0)))


class _NotGradable(Exception):
    """The question's file could not be taken in: the test scores 0 with intake's message."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(message.render("en"))


_REFERENCE_CACHE: dict[Path, Any] = {}


def load_reference(assignment: Assignment, module: str) -> Any:
    """Import the reference solution's module (trusted code, in this process), once per process."""
    path = assignment.reference_dir / f"{module}.py"
    if path in _REFERENCE_CACHE:
        return _REFERENCE_CACHE[path]
    if not path.is_file():
        raise HarnessError(f"no reference module {path}")
    spec = importlib.util.spec_from_file_location(f"_reference_{assignment.id}_{module}", path)
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    _REFERENCE_CACHE[path] = reference
    return reference


class GraderPlugin:
    def __init__(self, assignment: Assignment, submission: PreparedSubmission, jail: Jail,
                 hidden_paths: tuple[str, ...] = (), grading: bool = True, seed: int = 0) -> None:
        self.spec = assignment
        self.prepared = submission
        self.jail = jail
        self.hidden_paths = hidden_paths
        self.grading = grading
        self.seed = seed
        self.outcomes: dict[str, TestOutcome] = {}
        self.collection_errors: list[str] = []
        limits = assignment.limits
        self.limits = Limits(call_timeout=limits.call_timeout, cpu_seconds=limits.cpu_seconds,
                             memory_bytes=limits.memory_mb * 1024**2, threads=limits.threads)

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
    def assignment(self) -> Assignment:
        return self.spec

    @pytest.fixture
    def submission(self) -> PreparedSubmission:
        return self.prepared

    @pytest.fixture
    def session(self, request: pytest.FixtureRequest):
        question = self.question_of(request.node)
        fatal = self.prepared.fatal.get(question.file)
        if fatal is not None:
            raise _NotGradable(fatal)
        seed = int.from_bytes(hashlib.sha256(f"{self.seed}:{request.node.nodeid}".encode()).digest()[:4], "big")
        job = JobSpec(submission_dir=str(self.prepared.dir), limits=self.limits,
                      hidden_paths=self.hidden_paths, seed=seed)
        session = Session(self.jail, job)
        yield session
        session.close()

    @pytest.fixture
    def student(self, session: Session, request: pytest.FixtureRequest):
        question = self.question_of(request.node)
        module = session.module(question.module)
        if question.kind == "script":
            return module
        names = module.describe()
        for spec in question.functions:
            top = spec.name.split(".")[0]
            if top not in names:
                raise CheckFailed(msg("missing_function", function=spec.name, file=question.file))
            if names[top].get("stub"):
                raise CheckFailed(msg("stub_function", function=spec.name))
        return module

    @pytest.fixture
    def reference(self, request: pytest.FixtureRequest):
        question = self.question_of(request.node)
        return load_reference(self.spec, question.module)

    @pytest.fixture
    def source(self, request: pytest.FixtureRequest) -> str:
        """The text of the question's prepared file, for static checks (e.g. "no Python loop").

        Read here as text and parsed with `ast` at most: never executed in this process.
        """
        question = self.question_of(request.node)
        fatal = self.prepared.fatal.get(question.file)
        if fatal is not None:
            raise _NotGradable(fatal)
        path = Path(self.prepared.dir) / question.file
        return path.read_text(encoding="utf-8", errors="replace")

    # -- outcomes --------------------------------------------------------------------------------

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
                           seconds=float(getattr(report, "duration", 0.0)))
        if report.passed:
            return base
        if report.skipped:
            base.fraction = 0.0
            base.messages.append(msg("not_graded", reason=str(getattr(report, "longrepr", ""))[-300:]))
            return base
        base.fraction = 0.0
        exc = call.excinfo.value if call.excinfo else None
        if isinstance(exc, StudentError):
            self._to_original_lines(exc)
        name = _test_title(item)
        messages, harness = _explain(exc, call)
        if isinstance(exc, PartialCredit):
            base.fraction = exc.fraction
        if _about_the_whole_file(exc, messages):
            base.messages = list(messages)  # said once per question, not once per test
        else:
            base.messages = [msg("test_failed", test=name, reason=m) for m in messages]
        base.messages += _falsifying_example(exc, set(getattr(item, "fixturenames", ())))
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


def _test_title(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None)
    if doc:
        return doc.strip().splitlines()[0].rstrip(".")
    return item.name.removeprefix("test_").replace("_", " ")


def _explain(exc: BaseException | None, call: pytest.CallInfo) -> tuple[list[Message], bool]:
    """Feedback for an exception that ended a test, and whether it is the grader's fault."""
    if isinstance(exc, (CheckFailed, PartialCredit)):
        return exc.messages or [text("wrong result", "résultat incorrect")], False
    if isinstance(exc, _NotGradable):
        return [exc.message], False
    if isinstance(exc, StudentTimeout):
        return [msg("student_timeout", function="your code", seconds=exc.seconds)], False
    if isinstance(exc, WorkerDied):
        return [msg("worker_died", function="the test", reason=str(exc))], False
    if isinstance(exc, StudentError):
        if exc.phase == "import":
            return [msg("import_failed", file=exc.syntax.get("file") or "your file", error=exc.summary())], False
        return [msg("student_exception", function=_student_function(exc), error=exc.summary())], False
    if isinstance(exc, HarnessError):
        return [msg("harness_error", error=str(exc))], True
    if exc is None:
        return [text("failed", "échec")], False
    if _raised_in_grader(call):
        return [msg("harness_error", error=f"{type(exc).__name__}: {exc}"[:500])], True
    # An exception in the test body itself: the student's result could not be used as the handout
    # says (wrong number of return values, wrong type...). The student sees our one-line cause,
    # never a traceback of the grader's code.
    detail = f"{type(exc).__name__}: {exc}".strip()
    return [text(f"the value your code returned could not be used ({detail[:300]})",
                 f"la valeur renvoyée par votre code est inutilisable ({detail[:300]})")], False


_WHOLE_FILE_KEYS = {"missing_function", "stub_function", "import_failed"}


def _about_the_whole_file(exc: BaseException | None, messages: list[Message]) -> bool:
    return isinstance(exc, _NotGradable) or (bool(messages) and all(m.key in _WHOLE_FILE_KEYS for m in messages))


def _student_function(exc: StudentError) -> str:
    if exc.frames:
        return exc.frames[0].function
    return "your code"


def _raised_in_grader(call: pytest.CallInfo) -> bool:
    """True when the innermost frame is in the grader package (a bug of ours, not the student's)."""
    tb = call.excinfo.tb if call.excinfo else None
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    if last is None:
        return False
    grader_root = str(Path(__file__).resolve().parent)
    return last.startswith(grader_root) and "/checks/" not in last and "/jail/" not in last


_FALSIFYING = re.compile(r"^(?:Falsifying example|Failing test case): \w+\((.*)\)\s*$", re.S)
_ARGUMENT = re.compile(r"^    (\w+)=")
_FIXTURES = {"student", "reference", "session", "question", "assignment", "submission"}


def _falsifying_example(exc: BaseException | None, fixtures: set[str] = frozenset()) -> list[Message]:
    """The smallest failing input from Hypothesis's note, without the test's fixtures (which would
    show the grader's objects, and paths a student has no business seeing)."""
    for note in getattr(exc, "__notes__", None) or []:
        match = _FALSIFYING.match(note.strip())
        if not match:
            continue
        arguments: list[tuple[str, list[str]]] = []
        for line in match.group(1).splitlines():
            start = _ARGUMENT.match(line)
            if start:
                arguments.append((start.group(1), [line.strip()]))
            elif arguments and line.strip():
                arguments[-1][1].append(line.strip())
        hidden = _FIXTURES | set(fixtures)
        shown = " ".join(" ".join(parts).rstrip(",") for name, parts in arguments if name not in hidden)
        if shown:
            return [msg("falsifying_example", example=shown[:600])]
    return []


def hypothesis_profile(max_examples: int, derandomize: bool = True) -> None:
    """Hypothesis for grading: no database, no deadlines; derandomized (the same examples on every
    run) unless a run asks for a seed of its own (`validate --repeat` looks for false fails)."""
    from hypothesis import HealthCheck, settings

    name = f"grader-{max_examples}-{'fixed' if derandomize else 'seeded'}"
    settings.register_profile(
        name, max_examples=max_examples, derandomize=derandomize, database=None,
        deadline=None, print_blob=False, report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )
    settings.load_profile(name)


def support_path(assignment: Assignment) -> None:
    """Make an assignment's support modules (strategies, data, drivers) importable by its tests."""
    path = str(assignment.root / "support")
    if Path(path).is_dir() and path not in sys.path:
        sys.path.insert(0, path)
