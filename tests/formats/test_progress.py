"""The batch's progress: rich's bar on a terminal, plain lines otherwise, through the
`progress(done, total, student)` callback run_batch calls."""

from __future__ import annotations

import io
import re

from grader.cli import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_bar_with_counts_elapsed_time_and_the_student():
    stream = Terminal()
    with Progress(stream) as progress:
        for done, student in enumerate(["alice", "bob", "carol"], start=1):
            progress(done, 3, student)
    out = stream.getvalue()
    assert "\x1b[" in out                                  # drawn (and redrawn) in place
    assert "3/3" in out and "carol" in out
    assert re.search(r"\d+:\d\d:\d\d", out)                # elapsed / time left
    assert "graded 1/3" not in out


def test_elsewhere_one_plain_line_per_submission():
    stream = io.StringIO()
    progress = Progress(stream)
    progress(1, 2, "alice")
    progress(2, 2, "bob")
    lines = stream.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == ["graded 1/2: alice", "graded 2/2: bob"]
    assert "\x1b" not in stream.getvalue() and "\r" not in stream.getvalue()


def test_kept_reports_count_in_the_total():
    """run_batch counts kept reports in `done` without a call: the bar picks the count up."""
    stream = Terminal()
    with Progress(stream) as progress:
        progress(3, 4, "dave")                            # three kept, then dave graded
        progress(4, 4, "erin")
    assert "4/4" in stream.getvalue()
