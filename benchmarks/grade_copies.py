"""Grade N copies of a correct submission and print the figures (a measurement, not a test).

    python benchmarks/grade_copies.py [--copies 8] [--workers 2] [--assignment tp_nn]
                                      [--submission submissions/tp_nn/alice_correct]

Prints the wall time, seconds per submission, and the share of worker-seconds spent outside the
tests' own call phase (process start-up, torch imports, intake, collection, reports).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import assignment as assignment_model  # noqa: E402
from grader.options import Options  # noqa: E402
from grader.pipeline import run_batch  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--assignment", default="tp_nn")
    parser.add_argument("--submission", default=str(ROOT / "submissions/tp_nn/alice_correct"))
    args = parser.parse_args()
    assignment = assignment_model.load(ROOT / "assignments" / args.assignment)
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs"
        for i in range(args.copies):
            shutil.copytree(args.submission, subs / f"copy{i:03d}")
        started = time.perf_counter()
        batch = run_batch(assignment, subs, Path(tmp) / "out", Options(workers=args.workers))
        wall = time.perf_counter() - started
    scores = sorted({r.score for r in batch.reports})
    busy = wall * min(args.workers, args.copies)
    print(f"assignment            {assignment.id}")
    print(f"copies / workers      {args.copies} / {args.workers}")
    print(f"scores                {scores} (max {assignment.max_score:g})")
    print(f"wall time             {wall:.1f} s")
    print(f"seconds / submission  {wall / args.copies:.2f} s")
    print(f"tests' call phases    {batch.test_seconds:.1f} s summed")
    print(f"outside tests' calls  {max(0.0, 1 - batch.test_seconds / busy):.0%} of worker-seconds")


if __name__ == "__main__":
    main()
