"""The speed figures of the grader, as ratios to a fresh torch import, in one run (a measurement,
never a test: nothing here asserts a time).

    python benchmarks/speed.py [--runs 3] [--class-size 20] [--workers 2] [--skip-whole]

Prints, with the target each figure is read against:
- one student, tp_nn part 2.1, `grader grade` (--workers scorers, which share out its questions):
  wall seconds and × a torch import (target ≤ 2);
- `grader check tp_nn` on that student (all public tests): wall seconds (target ≤ 3 s);
- a class of N copies of part 2.1 on 2 workers: seconds per student and × a torch import (≤ 0.3);
- a class of N copies of the whole of tp_nn: seconds per student (≤ 1.2 s), and the share of
  worker-seconds outside the tests' own calls (≤ 25 %);
- the peak memory of the whole process tree of that 2-worker batch, as PSS (pages shared between
  the zygote and its forked workers counted once) and as summed RSS (≤ 600 MB);
- where one student's seconds go: interpreter and imports, intake, zygote, scorers, collection,
  workers, the tests' calls, the rest of the tests' time, reports.
Medians of --runs runs for the one-student figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_tree import grader_processes  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ALICE = ROOT / "submissions" / "tp_nn" / "alice_correct"


def wall(command: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def median_wall(command: list[str], runs: int) -> float:
    return statistics.median(wall(command) for _ in range(runs))


def _memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) in kB of one process; zeros for one that is gone or not ours to read."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def run_with_peak_memory(command: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak PSS MB, peak summed RSS MB) of `command` and all its descendants."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peaks = [0, 0]

    def sample() -> None:
        while proc.poll() is None:
            totals = [0, 0]
            for pid in grader_processes(proc.pid):
                pss, rss = _memory_kb(pid)
                totals[0] += pss
                totals[1] += rss
            peaks[0], peaks[1] = max(peaks[0], totals[0]), max(peaks[1], totals[1])
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    proc.wait()
    seconds = time.perf_counter() - started
    sampler.join()
    return seconds, peaks[0] / 1024, peaks[1] / 1024


def copies(folder: Path, count: int, files: list[Path]) -> Path:
    for i in range(count):
        student = folder / f"student{i:03d}"
        student.mkdir(parents=True)
        for file in files:
            shutil.copy(file, student / file.name)
    return folder


def grade_command(submissions: Path, out: Path, workers: int) -> list[str]:
    return [PYTHON, "-m", "grader", "grade", "tp_nn", str(submissions), "--out", str(out),
            "--workers", str(workers), "--force"]


def breakdown(submissions: Path, out: Path, workers: int) -> dict[str, float]:
    """One student graded in this process: where the seconds go, stage by stage (the scorers'
    phases summed over the scorers that shared the student out)."""
    sys.path.insert(0, str(ROOT))
    from grader import assignment as assignment_model
    from grader.options import Options
    from grader.pipeline import run_batch

    batch = run_batch(assignment_model.load(ROOT / "assignments" / "tp_nn"), submissions, out,
                      Options(workers=workers, force=True))
    t = batch.timings
    tests = t.get("setup", 0) + t.get("call", 0) + t.get("teardown", 0)
    return {
        "interpreter and imports (grader's CLI)": wall([PYTHON, "-c", "import grader.cli, grader.pipeline"]),
        "intake": t.get("intake", 0.0),
        "zygote (launch to ready)": t.get("zygote", 0.0),
        "scorers (launch to ready, beside the zygote; summed)": t.get("scorers", 0.0),
        "collection": t.get("collection", 0.0),
        "workers (fork, confine, hello)": t.get("workers", 0.0),
        "tests' calls (call phase, less workers started there)": t.get("call", 0.0),
        "tests' setup and teardown, less workers": max(0.0, tests - t.get("call", 0.0) - t.get("workers", 0.0)),
        "reports": t.get("reports", 0.0),
        "batch total (this process)": batch.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--class-size", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-whole", action="store_true", help="skip the class of whole-tp_nn copies")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="grader-speed-"))
    try:
        torch_import = median_wall([PYTHON, "-c", "import torch"], args.runs)
        one = copies(tmp / "one", 1, [ALICE / "tp_nn.py"])
        one_student = median_wall(grade_command(one, tmp / "out-one", args.workers), args.runs)
        check = median_wall([PYTHON, "-m", "grader", "check", "tp_nn", str(one / "student000")], args.runs)
        part = copies(tmp / "part", args.class_size, [ALICE / "tp_nn.py"])
        part_wall, part_pss, part_rss = run_with_peak_memory(grade_command(part, tmp / "out-part", args.workers))
        rows = [
            ("fresh `import torch`", f"{torch_import:.2f} s", "1.00 ×", ""),
            ("one student, part 2.1, `grader grade`", f"{one_student:.2f} s",
             f"{one_student / torch_import:.2f} ×", "≤ 2 ×"),
            ("`grader check tp_nn`, one student", f"{check:.2f} s", f"{check / torch_import:.2f} ×", "≤ 3 s"),
            (f"{args.class_size} students, part 2.1, {args.workers} workers, per student",
             f"{part_wall / args.class_size:.2f} s", f"{part_wall / args.class_size / torch_import:.2f} ×",
             "≤ 0.3 ×"),
            (f"peak memory, that {args.workers}-worker batch (PSS / summed RSS)",
             f"{part_pss:.0f} / {part_rss:.0f} MB", "", "≤ 600 MB"),
        ]
        if not args.skip_whole:
            whole = copies(tmp / "whole", args.class_size, sorted(ALICE.glob("*.py")))
            sys.path.insert(0, str(ROOT))
            from grader import assignment as assignment_model
            from grader.options import Options
            from grader.pipeline import run_batch

            started = time.perf_counter()
            batch = run_batch(assignment_model.load(ROOT / "assignments" / "tp_nn"), whole, tmp / "out-whole",
                              Options(workers=args.workers, force=True))
            whole_wall = time.perf_counter() - started
            busy = batch.timings.get("scorer") or whole_wall * args.workers
            outside = max(0.0, 1 - batch.test_seconds / busy)
            rows += [
                (f"{args.class_size} students, whole tp_nn, {args.workers} workers, per student",
                 f"{whole_wall / args.class_size:.2f} s", f"{whole_wall / args.class_size / torch_import:.2f} ×",
                 "≤ 1.2 s"),
                ("outside the tests' own calls, share of scorer-seconds", f"{outside:.0%}", "", "≤ 25 %"),
            ]
        print(f"load average before the breakdown: {os.getloadavg()[0]:.2f}")
        stages = breakdown(one, tmp / "out-breakdown", args.workers)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print("\n| figure | measured | ratio to a torch import | target |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\n| one student, part 2.1: stage | seconds |\n|---|---|")
    for stage, seconds in stages.items():
        print(f"| {stage} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
