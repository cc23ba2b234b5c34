"""Hypothesis for grading: the profile, and the smallest failing input read from its note."""

from __future__ import annotations

import re

from grader.messages import Message, msg

_FALSIFYING = re.compile(r"^(?:Falsifying example|Failing test case): \w+\((.*)\)\s*$", re.S)
_ARGUMENT = re.compile(r"^    (\w+)=")
# Hypothesis's own remarks after an argument ("  # or any other generated value"): not the input
_COMMENT = re.compile(r"\s+#\s[^'\"]*$")
FIXTURES = frozenset({"student", "reference", "reference_module", "session", "question", "assignment",
                      "submission", "source", "params", "per_student", "data_path"})


def falsifying_example(exc: BaseException | None, fixtures: frozenset[str] | set[str] = frozenset()) -> list[Message]:
    """The smallest failing input from Hypothesis's note, without the test's fixtures (which would
    show the grader's objects, and paths a student has no business seeing)."""
    for note in getattr(exc, "__notes__", None) or []:
        match = _FALSIFYING.match(note.strip())
        if not match:
            continue
        arguments: list[tuple[str, list[str]]] = []
        for line in match.group(1).splitlines():
            line = _COMMENT.sub("", line)
            start = _ARGUMENT.match(line)
            if start:
                arguments.append((start.group(1), [line.strip()]))
            elif arguments and line.strip():
                arguments[-1][1].append(line.strip())
        hidden = FIXTURES | set(fixtures)
        shown = " ".join(" ".join(parts).rstrip(",") for name, parts in arguments if name not in hidden)
        if shown:
            return [msg("falsifying_example", example=shown[:600])]
    return []


# Every phase but `explain`: after shrinking, it re-runs the failing test many times to mark which
# arguments could take any value, remarks the feedback never shows (falsifying_example drops them).
# It was more than half of the time spent on failing tests (tp_nn's mutants: 151 -> 68 s of calls).
PHASES = ("explicit", "reuse", "generate", "target", "shrink")


def hypothesis_profile(max_examples: int, derandomize: bool = True) -> None:
    """No database, no deadlines; derandomized (the same examples on every run) unless a run asks
    for a seed of its own (`validate --repeat` looks for false fails); failing examples shrunk to
    the smallest, but not explained."""
    from hypothesis import HealthCheck, Phase, settings

    name = f"grader-{max_examples}-{'fixed' if derandomize else 'seeded'}"
    settings.register_profile(
        name, max_examples=max_examples, derandomize=derandomize, database=None,
        deadline=None, print_blob=False, report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck), phases=[Phase[name] for name in PHASES],
    )
    settings.load_profile(name)
