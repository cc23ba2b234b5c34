"""How a check tells the plugin what happened: fail with feedback, or give partial credit.

Checks raise these exceptions; the pytest plugin turns them into an outcome with messages. They
are deliberately not AssertionError subclasses, so that a bare `assert` in a test (our bug, or a
simple author shortcut) is reported as a plain failure without a student-facing message.
"""

from __future__ import annotations

from grader.messages import Message


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
