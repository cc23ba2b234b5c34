"""How a check tells the plugin what happened: fail with feedback, or give partial credit.

Checks raise these exceptions; the pytest plugin turns them into an outcome with messages. They
are deliberately not AssertionError subclasses, so that a bare `assert` in a test (our bug, or a
simple author shortcut) is reported as a plain failure without a student-facing message.
"""

from __future__ import annotations

import contextvars

from grader.messages import Message

# The notes of the test running now (set by the pytest plugin for each test).
CURRENT_NOTES: contextvars.ContextVar[list | None] = contextvars.ContextVar("grader_notes", default=None)

__student_facing__ = True  # exceptions raised here are about a student's value (harness.feedback)


class CheckFailed(Exception):
    """The student's result is wrong; `messages` say why, in catalogue form."""

    def __init__(self, *messages: Message) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(m.render("en") for m in messages))


class PartialCredit(Exception):
    """Accepted with a deduction: the test earns `fraction` of its weight."""

    def __init__(self, fraction: float, *messages: Message) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be within [0, 1]")
        self.fraction = fraction
        self.messages = list(messages)
        super().__init__(f"partial credit {fraction:.2f}: " + "; ".join(m.render("en") for m in messages))


def fail(*messages: Message) -> None:
    raise CheckFailed(*messages)


class QuestionSkipped(Exception):
    """The question cannot be graded here (e.g. its data set is not configured): "not graded",
    excluded from the maximum, never a silent 0."""

    def __init__(self, *messages: Message) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(m.render("en") for m in messages))


def partial(fraction: float, *messages: Message) -> None:
    """Accept with a deduction: the test earns `fraction` of its weight (a manifest credit share)."""
    raise PartialCredit(fraction, *messages)


def skip_question(*messages: Message) -> None:
    raise QuestionSkipped(*messages)


def note(*messages: Message) -> None:
    """Say something in the report whatever the test's result (a curve's summary, a convention
    the student used that costs nothing)."""
    notes = CURRENT_NOTES.get()
    if notes is not None:
        notes.extend(messages)
