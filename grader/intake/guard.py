"""One submission's intake under a time limit, with a report even when it fails.

    prepared = prepare_bounded(source, assignment, dest)          # never raises for a student's input
    if intake_failed(prepared):                                   # every manifest file is fatal
        problems.append(f"{source.student_id}: {failure_summary(prepared)}")

`prepare` parses untrusted files in the grader's process. Parsing is linear and sizes are capped
(limits.py), but a hostile or merely strange hand-in must still not stall or crash the batch:
`prepare_bounded` runs `prepare` under `limits.deadline(seconds)`, and when it times out or raises
(a RecursionError, a MemoryError, a UnicodeError, a bug of ours), or when discover could not take
the student's files in, it returns a PreparedSubmission whose `fatal` holds, for every manifest
file, an `intake_failed` message saying why (rendered into the student's report like any other
fatal reason), with the prepared modules raising ImportError and `.intake.json` saved as usual.

Only a HarnessError (the grader's own set-up, e.g. `dest` is a folder the intake did not make)
propagates. With `raise_on_failure=True`, a failed intake raises IntakeFailed instead of
returning; the PreparedSubmission is saved all the same and is `exc.prepared`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from grader.assignment import Assignment
from grader.errors import HarnessError
from grader.messages import Message, msg
from grader.intake import limits
from grader.intake.model import STATE_FILE, PreparedSubmission, SubmissionSource
from grader.intake.prepare import prepare

FAILED = "intake_failed"
DISCOVER_FAILED = "intake_discover_failed"       # a note discover leaves on a student it could not copy


class IntakeFailed(Exception):
    """The intake of a submission failed or timed out; `prepared` is the saved record saying so."""

    def __init__(self, prepared: PreparedSubmission, reason: Message) -> None:
        self.prepared = prepared
        self.reason = reason
        super().__init__(f"{prepared.source.student_id}: intake failed: {reason.render('en')}")


def prepare_bounded(source: SubmissionSource, assignment: Assignment, dest: Path,
                    seconds: float = limits.INTAKE_SECONDS, *, raise_on_failure: bool = False) -> PreparedSubmission:
    """`prepare`, in at most `seconds`; a failure gives a PreparedSubmission that says so (see above)."""
    dest = Path(dest)
    _check_dest(dest)
    reason: Message | None = None
    failed_discover = next((n for n in source.notes if n.key == DISCOVER_FAILED), None)
    if failed_discover is not None:
        reason = msg("intake_reason_error", error=str(failed_discover.params.get("error", "?")))
    else:
        try:
            with limits.deadline(seconds):
                return prepare(source, assignment, dest)
        except HarnessError:
            raise
        except limits.IntakeTimeout:
            reason = msg("intake_reason_timeout", seconds=f"{seconds:g}")
        except Exception as exc:   # RecursionError, MemoryError, UnicodeError, our own bug
            reason = msg("intake_reason_error", error=f"{type(exc).__name__}: {str(exc)[:200]}")
    prepared = failed_submission(source, assignment, dest, reason)
    if raise_on_failure:
        raise IntakeFailed(prepared, reason)
    return prepared


def intake_failed(prepared: PreparedSubmission) -> bool:
    """True when the intake itself failed (prepare_bounded's record), not a file of the student."""
    return bool(prepared.fatal) and all(m.key == FAILED for m in prepared.fatal.values())


def failure_summary(prepared: PreparedSubmission, lang: str = "en") -> str | None:
    """For the batch's list of problems: why the intake of this submission failed, else None."""
    if not intake_failed(prepared):
        return None
    reason = next(iter(prepared.fatal.values())).params.get("reason")
    shown = reason.render(lang) if isinstance(reason, Message) else str(reason)
    return f"intake failed: {shown}"


def failed_submission(source: SubmissionSource, assignment: Assignment, dest: Path,
                      reason: Message) -> PreparedSubmission:
    """The record of an intake that failed: every manifest file fatal with `intake_failed`."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)                 # ours: _check_dest ran before the intake started
    dest.mkdir(parents=True)
    clean = _printable_source(source)
    message = msg(FAILED, reason=_printable(reason))
    prepared = PreparedSubmission(clean, dest, {}, {}, list(clean.notes), {})
    text = message.render("en")
    for spec in assignment.files:
        prepared.fatal[spec.name] = message
        target = dest / spec.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"# The grader could not prepare {spec.name}: see {STATE_FILE}\n"
                          f"raise ImportError({text!r})\n", encoding="utf-8")
    prepared.save()
    return prepared


def _check_dest(dest: Path) -> None:
    """The same rule as prepare's, checked before starting: after a failure, dest is wiped."""
    if dest.exists() and (not dest.is_dir() or (any(dest.iterdir()) and not (dest / STATE_FILE).exists())):
        raise HarnessError(f"{dest} is not empty and was not made by the intake: refusing to overwrite it")


def _printable(value: Any) -> Any:
    """Lone surrogates (a name that was not UTF-8) cannot be written as UTF-8: U+FFFD instead."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if isinstance(value, Message):
        return Message(value.key, {k: _printable(v) for k, v in value.params.items()})
    return value


def _printable_source(source: SubmissionSource) -> SubmissionSource:
    return SubmissionSource(_printable(source.student_id), source.path, _printable(source.display_name),
                            _printable(source.moodle_id), tuple(_printable(n) for n in source.notes))
