"""A question's feedback as a student reads it: a one-line verdict, the distinct causes, the
smallest failing input, the tests that failed; capped, whatever the number of tests.

    verdict   "1 test sur 5 réussi — Yhat : softmax calculé sur la mauvaise dimension"
    causes    what the failing tests said, each said once (by message identity: key + params, not
              rendered text, so it holds in every language), "(3 tests)" when several tests but
              not all said it; causes that name a reason (diagnoses, an author's sentence, an
              exception) first, then the statements that a value is wrong ("X est faux pour 6 des
              6 éléments"), each with its test's largest error or both values abridged
    input     the shortest of the failing inputs Hypothesis found, once, with its test's title
    tests     the titles of the failing tests, in the report's language
    notes     what tests said whatever their result (a convention used, a curve), once each

The harness records a failing test's reasons as `test_failed(test=<title>, reason=<message>)`
and its failing input as `falsifying_example`; any other message of an outcome is a note. Pure:
no I/O, no pytest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.catalogue.checks import DETAILS, STATEMENTS
from grader.messages import Message, msg, text
from grader.outcomes import TestOutcome

MAX_CAUSES = 6   # cause lines shown; the others are counted ("… et 4 autres remarques")
MAX_NOTES = 6    # note lines shown, likewise
MAX_TITLES = 5   # failing tests named, then "and N more"

_SPECIFIC, _STATEMENT, _DETAIL = 0, 1, 2


def _rank(message: Message) -> int:
    if message.key in STATEMENTS:
        return _STATEMENT
    if message.key in DETAILS:
        return _DETAIL
    return _SPECIFIC


@dataclass
class _Cause:
    message: Message
    order: tuple[int, int]              # (section, first appearance): what is shown first
    tests: set[str] = field(default_factory=set)


@dataclass
class Summary:
    verdict: Message | None
    lines: list[Message]


def _clauses(messages: list[Message]) -> Message:
    """Messages said on one line, "; " between them."""
    line = messages[-1]
    for message in reversed(messages[:-1]):
        line = msg("clauses", first=message, second=line)
    return line


def _test_lines(reasons: list[Message]) -> tuple[list[Message], list[Message]]:
    """A failing test's reasons -> (its specific causes, its statement lines with their details)."""
    specific = [m for m in reasons if _rank(m) == _SPECIFIC]
    statements = [m for m in reasons if _rank(m) == _STATEMENT]
    details = [m for m in reasons if _rank(m) == _DETAIL]
    # The largest error already holds both values where they differ most; the abridged values
    # matter only without it (a shape or type mismatch).
    largest = [m for m in details if m.key == "largest_error"]
    shown = largest or details
    if statements:
        return specific, [_clauses([statements[0], *shown]), *statements[1:]]
    if shown and specific:
        return [_clauses([specific[0], *shown]), *specific[1:]], []
    return specific + shown, []


def _count(passed: int, partial: int, total: int) -> Message:
    if total == 1 and passed == 0 and partial == 0:
        count = msg("only_test_failed")
    elif passed == 0:
        count = msg("tests_none_passed", total=total)
    elif passed == 1:
        count = msg("tests_one_passed", total=total)
    else:
        count = msg("tests_some_passed", passed=passed, total=total)
    return msg("tests_in_part", count=count, partial=partial) if partial else count


def _capped(lines: list[Message], cap: int) -> list[Message]:
    """At most `cap` lines and one saying how many were left out (never one line hidden behind a
    line saying so)."""
    if len(lines) <= cap + 1:
        return lines
    return lines[:cap] + [msg("more_remarks", count=len(lines) - cap)]


def summarize(results: list[TestOutcome], all_passed: bool) -> Summary:
    """The verdict and the lines of one question's feedback from its tests' outcomes."""
    causes: dict[str, _Cause] = {}
    titles: dict[str, Message] = {}
    examples: list[tuple[int, int, str, Message]] = []
    notes: dict[str, Message] = {}
    failing = [r for r in results if r.fraction < 1.0]

    def add(message: Message, section: int, nodeid: str) -> None:
        cause = causes.setdefault(message.identity(), _Cause(message, (section, len(causes))))
        cause.tests.add(nodeid)

    for result in results:
        reasons: list[Message] = []
        for message in result.messages:
            if message.key == "test_failed":
                title, reason = message.params.get("test"), message.params.get("reason")
                if isinstance(title, Message):
                    titles.setdefault(result.nodeid, title)
                reasons.append(reason if isinstance(reason, Message) else text(str(reason)))
            elif message.key == "falsifying_example":
                example = str(message.params.get("example", ""))
                examples.append((len(example), len(examples), result.nodeid, message))
            else:
                notes.setdefault(message.identity(), message)
        if not reasons:
            continue
        specific, statements = _test_lines(reasons)
        for message in specific:
            add(message, 0, result.nodeid)
        # a statement explains more where no diagnosis said why
        for message in statements:
            add(message, 2 if specific else 1, result.nodeid)

    ordered = sorted(causes.values(), key=lambda c: c.order)
    # "(3 tests)" where several tests but not every failing one said it (said by all, it is the
    # verdict's cause, and the verdict counts the tests)
    lines = _capped([msg("cause_in_tests", cause=c.message, count=len(c.tests))
                     if 1 < len(c.tests) < len(failing) else c.message for c in ordered], MAX_CAUSES)
    if examples and failing:
        _, _, nodeid, example = min(examples, key=lambda e: (e[0], e[1]))
        title = titles.get(nodeid)
        lines.append(msg("smallest_failing_input", test=msg("quoted", text=title),
                         example=example.params.get("example", "")) if title is not None else example)
    failed_titles = list({t.identity(): t for t in (titles[r.nodeid] for r in failing if r.nodeid in titles)}
                         .values())
    if failed_titles:
        quoted = [msg("quoted", text=t) for t in failed_titles[:MAX_TITLES]]
        more = len(failed_titles) - MAX_TITLES
        lines.append(msg("failed_tests_and_more", tests=quoted, more=more) if more > 0
                     else msg("failed_tests", tests=quoted))
    lines += _capped(list(notes.values()), MAX_NOTES)

    if all_passed:
        verdict: Message | None = msg("all_passed")
    elif not results:
        verdict = None
    else:
        passed = sum(1 for r in results if r.fraction == 1.0)
        partial = sum(1 for r in results if 0.0 < r.fraction < 1.0)
        count = _count(passed, partial, len(results))
        verdict = msg("verdict", count=count, cause=ordered[0].message) if ordered else count
    return Summary(verdict, lines)
