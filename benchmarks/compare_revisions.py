"""One grader command, timed in an earlier revision and in the working tree, runs alternating (a
measurement, never a test: nothing here asserts a time). On a shared machine whose speed drifts
from one minute to the next, alternating runs compare two versions where separate benchmark runs
cannot.

    python benchmarks/compare_revisions.py REV [--runs 7] -- grade tp_nn SUBMISSIONS --out DIR --force

REV is checked out in a temporary git worktree; both run with this interpreter (the project's
.venv), from their own folder, so each imports its own `grader`. Prints the median wall seconds
of each and their ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(folder: Path, command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", *command], cwd=folder,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     usage="%(prog)s REV [--runs N] -- GRADER ARGUMENTS...")
    parser.add_argument("revision")
    parser.add_argument("--runs", type=int, default=7)
    argv = sys.argv[1:]
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        parser.error("give the grader's arguments after --")
    args = parser.parse_args(argv[:argv.index("--")])
    command = argv[argv.index("--") + 1:]
    folder = Path(tempfile.mkdtemp(prefix="grader-revision-"))
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(folder), args.revision], cwd=ROOT, check=True)
    try:
        earlier, now = [], []
        for _ in range(args.runs):
            earlier.append(timed(folder, command))
            now.append(timed(ROOT, command))
        before, after = statistics.median(earlier), statistics.median(now)
        print(f"{args.revision}: {before:.2f} s   working tree: {after:.2f} s   ratio {after / before:.2f}"
              f"   (medians of {args.runs} alternating runs of `grader {' '.join(command)}`)")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, check=False)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
