"""Where the suite's wall time goes under xdist: which process ran which unit, when (a measurement,
never a test).

    GRADER_TIMELINE=/tmp/timeline.jsonl PYTHONPATH=benchmarks \
        .venv/bin/python -m pytest tests -q -p no:cacheprovider -n 2 -p suite_timeline
    python benchmarks/suite_timeline.py /tmp/timeline.jsonl [--min-seconds 8]

As a pytest plugin, each test process appends one JSON line per test (process, nodeid, start, end)
to GRADER_TIMELINE. As a script, it prints, per process, its units (a module, or one validation)
that took at least --min-seconds, when each started and ended, and when the process ran out of
work: two processes that end far apart mean the schedule, not the tests, sets the suite's time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent

_started: dict[str, float] = {}


def pytest_runtest_logstart(nodeid: str, location: tuple) -> None:
    _started[nodeid] = time.time()


def pytest_runtest_logfinish(nodeid: str, location: tuple) -> None:
    process = os.environ.get("PYTEST_XDIST_WORKER")
    path = os.environ.get("GRADER_TIMELINE")
    if process is None or path is None or nodeid not in _started:
        return   # the controller also sees every report: only the processes that ran the test write
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"process": process, "test": nodeid, "start": _started.pop(nodeid),
                                 "end": time.time()}) + "\n")


def _unit_of() -> Callable[[str], str]:
    """The suite's own rule for its units of work (tests/conftest.py), not a copy of it."""
    spec = importlib.util.spec_from_file_location("suite_conftest", ROOT / "tests" / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    return conftest.unit_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("timeline", type=Path)
    parser.add_argument("--min-seconds", type=float, default=8.0)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.timeline.read_text(encoding="utf-8").splitlines() if line]
    if not rows:
        raise SystemExit(f"{args.timeline}: no test recorded")
    origin = min(row["start"] for row in rows)
    sys.path.insert(0, str(ROOT))   # the conftest imports the grader
    unit_of = _unit_of()
    ends = {}
    for process in sorted({row["process"] for row in rows}):
        own = sorted((row for row in rows if row["process"] == process), key=lambda row: row["start"])
        spans: list[list] = []
        for row in own:
            unit = unit_of(row["test"])
            if spans and spans[-1][0] == unit:
                spans[-1][2] = row["end"]
            else:
                spans.append([unit, row["start"], row["end"]])
        busy = sum(row["end"] - row["start"] for row in own)
        ends[process] = own[-1]["end"] - origin
        print(f"{process}: {len(own)} tests, busy {busy:.0f} s, out of work at {ends[process]:.0f} s")
        for unit, start, end in spans:
            if end - start >= args.min_seconds:
                print(f"  {start - origin:6.0f} – {end - origin:6.0f} s  {end - start:5.0f} s  {unit}")
    print(f"the processes ran out of work {max(ends.values()) - min(ends.values()):.0f} s apart")


if __name__ == "__main__":
    main()
