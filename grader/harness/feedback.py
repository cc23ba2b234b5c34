"""The policy: an exception that ended a test -> the student's feedback, and whose fault it is.

Student faults (a wrong value, an exception in their code, a timeout, a dead worker) become
feedback and cost points. An exception raised by the grader's own code is ours: it is reported as
a harness error, never silently as the student's 0, and the student sees no traceback of it.
Grader modules that handle the student's values (checks, the jail's proxies) declare
`__student_facing__ = True`: an exception they let through is about the student's value.
"""

from __future__ import annotations

import types
from pathlib import Path

from grader.checks.outcomes import CheckFailed, PartialCredit, QuestionSkipped
from grader.errors import BudgetExhausted, HarnessError, StudentError, StudentTimeout, WorkerDied
from grader.messages import Message, msg, text

GRADER_ROOT = str(Path(__file__).resolve().parent.parent)


class NotGradable(Exception):
    """The question's file could not be taken in: the test scores 0 with intake's message."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(message.render("en"))


_KNOWN = (CheckFailed, PartialCredit, QuestionSkipped, NotGradable, StudentTimeout, WorkerDied, StudentError,
          HarnessError)


def unwrap(exc: BaseException | None) -> BaseException | None:
    """The exception that matters inside a group (Hypothesis's FlakyFailure when the student's
    code fails only after earlier examples, e.g. once its time budget is spent)."""
    seen = 0
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions and seen < 10:
        inner = [e for e in exc.exceptions if isinstance(unwrap(e), _KNOWN)]
        exc = unwrap(inner[0]) if inner else exc.exceptions[0]
        seen += 1
    return exc


def explain(exc: BaseException | None, tb: types.TracebackType | None = None) -> tuple[list[Message], bool]:
    """Feedback for an exception that ended a test, and whether it is the grader's fault."""
    if isinstance(exc, BaseExceptionGroup):
        exc = unwrap(exc)
        tb = exc.__traceback__ if exc is not None else None
    if isinstance(exc, (CheckFailed, PartialCredit, QuestionSkipped)):
        return exc.messages or [text("wrong result", "résultat incorrect")], False
    if isinstance(exc, NotGradable):
        return [exc.message], False
    if isinstance(exc, BudgetExhausted):
        scope = text("test", "test") if exc.scope == "test" else text("submission", "rendu")
        return [msg("budget_exhausted", scope=scope, seconds=exc.seconds)], False
    if isinstance(exc, StudentTimeout):
        return [msg("student_timeout", function=text("your code", "votre code"), seconds=exc.seconds)], False
    if isinstance(exc, WorkerDied):
        return [msg("worker_died", function=text("the test", "le test"), reason=str(exc))], False
    if isinstance(exc, StudentError):
        if exc.phase == "import":
            return [msg("import_failed", file=exc.syntax.get("file") or text("your file", "votre fichier"),
                        error=exc.summary())], False
        return [msg("student_exception", function=exc.frames[0].function if exc.frames else "code",
                    error=exc.summary())], False
    if isinstance(exc, HarnessError):
        return [msg("harness_error", error=str(exc))], True
    if exc is None:
        return [text("failed", "échec")], False
    if raised_in_grader(tb if tb is not None else exc.__traceback__):
        return [msg("harness_error", error=f"{type(exc).__name__}: {exc}"[:500])], True
    # An exception in the test body itself: the student's result could not be used as the handout
    # says (wrong number of return values, wrong type...). The student sees our one-line cause,
    # never a traceback of the grader's code.
    detail = f"{type(exc).__name__}: {exc}".strip()
    return [text(f"the value your code returned could not be used ({detail[:300]})",
                 f"la valeur renvoyée par votre code est inutilisable ({detail[:300]})")], False


def raised_in_grader(tb: types.TracebackType | None) -> bool:
    """True when the innermost frame is grader code that does not handle student values (our bug)."""
    last = None
    while tb is not None:
        last = tb.tb_frame
        tb = tb.tb_next
    if last is None:
        return False
    if not last.f_code.co_filename.startswith(GRADER_ROOT):
        return False
    return not last.f_globals.get("__student_facing__", False)
