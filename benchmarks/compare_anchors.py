"""Side-by-side speed of this grader and two anchors, Otter-Grader 7 and nbgrader 0.9, on the same
correct tp_nn part 2.1 (a measurement, not a test).

    bash benchmarks/anchors/setup.sh                  # once: the anchors' venv, apart from .venv
    python benchmarks/compare_anchors.py [--runs 3] [--only ours] [--students 10]

Any python runs it: the three tools are called as subprocesses. For each tool, 1 student and N
students (copies of submissions/tp_nn/alice_correct/tp_nn.py), median of --runs runs: wall seconds
and the peak memory of the whole process tree (every 20 ms, the RSS and the PSS of every
descendant summed).
Otter and nbgrader run the 10 checks of benchmarks/anchors/tp_nn_checks.py, as an `otter assign`
autograder (`otter run`, one submission per process, --otter-jobs at a time) and as an nbgrader
course (`nbgrader autograde`, all students in one process); ours runs its full tp_nn suite with
`grader grade --workers 2 --force`. A fresh `python -c 'import torch'` is measured too and every
figure is also given as a ratio to it. Prints a Markdown table; --json FILE keeps the raw runs.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_tree import grader_processes  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = ROOT / "benchmarks" / "anchors"
SUBMISSION = ROOT / "submissions" / "tp_nn" / "alice_correct" / "tp_nn.py"
OURS_PYTHON = ROOT / ".venv" / "bin" / "python"
DEFAULT_VENV = os.environ.get("ANCHORS_VENV", "/tmp/grader-anchors-venv")
TOOLS = ("otter", "nbgrader", "ours")
PART_2_1 = ("init_params", "forward", "loss_accuracy", "backward", "sgd", "train_circles")
FULL_MARKS = 20.0  # the part-2.1 points, in all three tools
SAMPLE_SECONDS = 0.02
PAGE = os.sysconf("SC_PAGE_SIZE")


# -- the process tree's memory -----------------------------------------------------------------------

def _become_subreaper() -> None:
    """Orphans of a tool (a daemonised helper) are re-parented to this process rather than to init,
    so they stay in the tree that is measured."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _reap_orphans() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _pss(pid: int) -> int:
    """Proportional set size in bytes: a page shared by k processes counts 1/k in each."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def tree_memory(root: int) -> tuple[int, int]:
    """(RSS, PSS) bytes of all descendants of `root` (not `root` itself), with the processes a
    grader's zygote forks outside that tree (benchmarks/process_tree.py). Summed RSS counts a page
    shared between forked processes once per process; PSS once in all."""
    rss, pss = 0, 0
    for pid in grader_processes(root, include_root=False):
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                rss += int(f.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue  # exited between the two reads
        pss += _pss(pid)
    return rss, pss


class PeakSampler:
    """The peaks of tree_memory(this process) while the `with` block runs, sampled every 20 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            rss, pss = tree_memory(me)
            self.peak, self.peak_pss = max(self.peak, rss), max(self.peak_pss, pss)
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# -- one timed run -----------------------------------------------------------------------------------

@dataclass
class Job:
    """Commands to run, `jobs` at a time, for one timed measurement."""

    commands: list[list[str]]
    cwd: Path
    env: dict[str, str]
    jobs: int = 1


@dataclass
class Run:
    seconds: float
    peak_bytes: int      # summed RSS
    peak_pss: int = 0


class ToolFailed(RuntimeError):
    pass


def _run_one(command: list[str], job: Job, log: Path, timeout: float) -> None:
    with open(log, "ab") as out:
        out.write(("$ " + " ".join(command) + "\n").encode())
        out.flush()
        process = subprocess.Popen(command, cwd=job.cwd, env=job.env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            status = process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)  # the session this run started, and only it
            process.wait()
            raise ToolFailed(f"timed out after {timeout:.0f} s: {' '.join(command)}") from None
    if status != 0:
        raise ToolFailed(f"exit status {status}: {' '.join(command)}")


def measure(job: Job, log: Path, timeout: float) -> Run:
    with PeakSampler() as sampler:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=job.jobs) as pool:
            for future in [pool.submit(_run_one, command, job, log, timeout) for command in job.commands]:
                future.result()
        seconds = time.perf_counter() - started
    _reap_orphans()
    return Run(seconds, sampler.peak, sampler.peak_pss)


# -- the tools: preparation (not timed), the timed command, the check of the scores -------------------

def _copies(folder: Path, students: int, make) -> list[str]:
    names = [f"student{i:02d}" for i in range(students)]
    for name in names:
        make(folder, name)
    return names


def _env(venv: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if venv is not None:  # nbgrader calls `alembic`, Otter calls `jupyter`: the venv's own
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv)
    env.pop("PYTHONPATH", None)
    return env


def _prepare_run(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
    with open(log, "ab") as out:
        out.write(("$ " + " ".join(command) + "\n").encode())
        out.flush()
        if subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL).returncode != 0:
            raise ToolFailed(f"preparation failed: {' '.join(command)} (see {log})")


class Ours:
    name = "this grader"

    def __init__(self, work: Path, students: int, workers: int, root: Path) -> None:
        self.work, self.workers, self.root = work, workers, root
        self.sets = {}
        for n in (1, students):
            folder = work / f"subs{n}"

            def make(folder: Path, name: str) -> None:
                (folder / name).mkdir(parents=True)
                shutil.copy(SUBMISSION, folder / name / "tp_nn.py")

            self.sets[n] = (folder, _copies(folder, n, make))

    def job(self, n: int, run: int) -> Job:
        folder, _ = self.sets[n]
        out = self.work / f"out{n}_{run}"
        command = [str(OURS_PYTHON), "-m", "grader", "grade", "tp_nn", str(folder), "--out", str(out),
                   "--workers", str(self.workers), "--force"]
        # `python -m` puts the working folder first on sys.path: the grader package of `root` runs.
        return Job([command], self.root, _env())

    def check(self, n: int, run: int) -> None:
        _, names = self.sets[n]
        for name in names:
            report = json.loads((self.work / f"out{n}_{run}" / f"{name}.json").read_text(encoding="utf-8"))
            score = sum(report["questions"][q]["score"] for q in PART_2_1)
            if abs(score - FULL_MARKS) > 1e-9:
                raise ToolFailed(f"{name} scored {score:g} / {FULL_MARKS:g} on part 2.1")


class Otter:
    name = "Otter-Grader"

    def __init__(self, work: Path, students: int, venv: Path, jobs: int, log: Path) -> None:
        self.work, self.venv, self.jobs = work, venv, jobs
        assign = work / "assign"
        assign.mkdir(parents=True)
        shutil.copy(ANCHORS / "otter" / "tp_nn.ipynb", assign)
        shutil.copy(ANCHORS / "tp_nn_checks.py", assign)
        # `otter assign` also runs the checks against the reference solution of the master notebook.
        _prepare_run([str(venv / "bin" / "otter"), "assign", "tp_nn.ipynb", "dist"], assign, _env(venv), log)
        self.autograder = next((assign / "dist" / "autograder").glob("*.zip"))
        source = SUBMISSION.read_text(encoding="utf-8")
        # The submission notebook: alice's tp_nn.py as one code cell, named for the assignment.
        notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": "submission", "metadata": {},
                               "outputs": [], "source": source}],
                    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                                 "language_info": {"name": "python"}, "otter": {"assignment_name": "tp_nn"}},
                    "nbformat": 4, "nbformat_minor": 5}
        self.sets = {}
        for n in (1, students):
            folder = work / f"subs{n}"

            def make(folder: Path, name: str) -> None:
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{name}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")

            self.sets[n] = (folder, _copies(folder, n, make))

    def job(self, n: int, run: int) -> Job:
        folder, names = self.sets[n]
        commands = []
        for name in names:
            out = self.work / f"out{n}_{run}" / name
            out.mkdir(parents=True)
            commands.append([str(self.venv / "bin" / "otter"), "run", "-a", str(self.autograder), "-o", str(out),
                             "--no-logo", str(folder / f"{name}.ipynb")])
        return Job(commands, self.work, _env(self.venv), jobs=self.jobs)

    def check(self, n: int, run: int) -> None:
        for name in self.sets[n][1]:
            results = json.loads((self.work / f"out{n}_{run}" / name / "results.json").read_text(encoding="utf-8"))
            score = sum(t.get("score") or 0 for t in results["tests"] if t["name"] in PART_2_1)
            if abs(score - FULL_MARKS) > 1e-9:
                raise ToolFailed(f"{name} scored {score:g} / {FULL_MARKS:g}")


class Nbgrader:
    name = "nbgrader"

    def __init__(self, work: Path, students: int, venv: Path, log: Path) -> None:
        self.work, self.venv = work, venv
        course = work / "course"
        shutil.copytree(ANCHORS / "nbgrader", course)
        shutil.copy(ANCHORS / "tp_nn_checks.py", course / "source" / "tp_nn")
        _prepare_run([str(venv / "bin" / "nbgrader"), "generate_assignment", "tp_nn"], course, _env(venv), log)
        release = json.loads((course / "release" / "tp_nn" / "tp_nn.ipynb").read_text(encoding="utf-8"))
        for cell in release["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "tp_nn_code":
                cell["source"] = SUBMISSION.read_text(encoding="utf-8")  # the student's answer
        self.templates = {}
        for n in (1, students):
            template = work / f"course{n}"
            shutil.copytree(course, template, ignore=shutil.ignore_patterns("submitted", "autograded"))

            def make(folder: Path, name: str) -> None:
                target = folder / "submitted" / name / "tp_nn"
                target.mkdir(parents=True)
                (target / "tp_nn.ipynb").write_text(json.dumps(release), encoding="utf-8")
                shutil.copy(course / "release" / "tp_nn" / "tp_nn_checks.py", target)

            self.templates[n] = (template, _copies(template, n, make))

    def job(self, n: int, run: int) -> Job:
        template, _ = self.templates[n]
        course = self.work / f"run{n}_{run}"
        shutil.copytree(template, course)  # a fresh gradebook for every run, outside the timing
        return Job([[str(self.venv / "bin" / "nbgrader"), "autograde", "tp_nn"]], course, _env(self.venv))

    def check(self, n: int, run: int) -> None:
        names = self.templates[n][1]
        with sqlite3.connect(self.work / f"run{n}_{run}" / "gradebook.db") as db:
            scores = dict(db.execute(
                "select sa.student_id, sum(g.auto_score) from grade g"
                " join submitted_notebook sn on g.notebook_id = sn.id"
                " join submitted_assignment sa on sn.assignment_id = sa.id group by sa.student_id").fetchall())
        for name in names:
            if abs((scores.get(name) or 0) - FULL_MARKS) > 1e-9:
                raise ToolFailed(f"{name} scored {scores.get(name)} / {FULL_MARKS:g}")


class ImportTorch:
    name = "`python -c 'import torch'`"

    def job(self, n: int, run: int) -> Job:
        return Job([[str(OURS_PYTHON), "-c", "import torch"]], ROOT, _env())

    def check(self, n: int, run: int) -> None:
        pass


# -- the table ----------------------------------------------------------------------------------------

@dataclass
class Figures:
    runs: dict[int, list[Run]] = field(default_factory=dict)
    error: str | None = None

    def seconds(self, n: int) -> float:
        return statistics.median(r.seconds for r in self.runs[n])

    def peak_mb(self, n: int) -> float:
        return statistics.median(r.peak_bytes for r in self.runs[n]) / 1e6

    def peak_pss_mb(self, n: int) -> float:
        return statistics.median(r.peak_pss for r in self.runs[n]) / 1e6


def _cell(value: float, unit: str, base: float, digits: int) -> str:
    return f"{value:.{digits}f} {unit} (×{value / base:.1f})"


def table(results: dict[str, Figures], names: dict[str, str], students: int, baseline: Figures) -> str:
    base_s, base_mb = baseline.seconds(1), baseline.peak_mb(1)
    lines = [f"| | 1 student | {students} students, per student | peak memory, 1 student (RSS / PSS) "
             f"| peak memory, {students} students (RSS / PSS) |", "|---|---|---|---|---|"]
    for key, figures in results.items():
        if figures.error is not None:
            lines.append(f"| {names[key]} | failed: {figures.error} | | | |")
            continue
        lines.append(f"| {names[key]} | {_cell(figures.seconds(1), 's', base_s, 1)} "
                     f"| {_cell(figures.seconds(students) / students, 's', base_s, 2)} "
                     f"| {_cell(figures.peak_mb(1), 'MB', base_mb, 0)} / {figures.peak_pss_mb(1):.0f} MB "
                     f"| {_cell(figures.peak_mb(students), 'MB', base_mb, 0)} / {figures.peak_pss_mb(students):.0f} MB |")
    lines.append(f"| {ImportTorch.name} | {_cell(base_s, 's', base_s, 2)} | "
                 f"| {_cell(base_mb, 'MB', base_mb, 0)} / {baseline.peak_pss_mb(1):.0f} MB | |")
    return "\n".join(lines)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--only", action="append", choices=TOOLS,
                        help="measure this tool only (repeatable); `import torch` is always measured")
    parser.add_argument("--students", type=int, default=10, help="copies of the submission in the batch")
    parser.add_argument("--workers", type=int, default=2, help="this grader's --workers")
    parser.add_argument("--otter-jobs", type=int, default=2, help="`otter run` processes at a time")
    parser.add_argument("--ours-root", type=Path, default=ROOT,
                        help="the checkout whose grader/ is measured (e.g. a `git archive HEAD` copy)")
    parser.add_argument("--venv", type=Path, default=Path(DEFAULT_VENV), help="the anchors' venv (setup.sh)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a run is killed")
    parser.add_argument("--json", type=Path, help="write every run's figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, reports)")
    args = parser.parse_args()
    tools = args.only or list(TOOLS)
    if {"otter", "nbgrader"} & set(tools) and not (args.venv / "bin" / "otter").exists():
        print(f"no anchors venv at {args.venv}: run  bash benchmarks/anchors/setup.sh  "
              f"(or pass --venv, or --only ours)", file=sys.stderr)
        return 2

    _become_subreaper()
    work = Path(tempfile.mkdtemp(prefix="compare-anchors-"))
    log = work / "log.txt"
    print(f"load average before: {_load()}  (2 shared cores: the figures are noisy)", flush=True)
    print(f"work folder: {work}, log: {log}", file=sys.stderr, flush=True)
    names = {"otter": f"Otter-Grader (`otter run`, {args.otter_jobs} at a time)",
             "nbgrader": "nbgrader (`nbgrader autograde`)",
             "ours": f"this grader (`grade --workers {args.workers}`"
                     + (")" if args.ours_root.resolve() == ROOT else f", {args.ours_root})")}
    setups = {"otter": lambda: Otter(work / "otter", args.students, args.venv, args.otter_jobs, log),
              "nbgrader": lambda: Nbgrader(work / "nbgrader", args.students, args.venv, log),
              "ours": lambda: Ours(work / "ours", args.students, args.workers, args.ours_root.resolve())}
    results: dict[str, Figures] = {}
    prepared = {}
    for key in tools:
        results[key] = Figures()
        try:
            prepared[key] = setups[key]()
        except (ToolFailed, OSError, StopIteration) as error:
            results[key].error = f"setup: {error}"
    baseline = Figures()
    torch_import = ImportTorch()
    measure(torch_import.job(1, 0), log, args.timeout)  # warm the page cache: every tool imports torch
    # Runs interleaved (every tool once, then again) so that a burst of load from other users of the
    # machine spreads over the tools rather than falling on one.
    for run in range(args.runs):
        baseline.runs.setdefault(1, []).append(measure(torch_import.job(1, run), log, args.timeout))
        for key, tool in prepared.items():
            for n in (1, args.students):
                if results[key].error is not None:
                    continue
                try:
                    figures = measure(tool.job(n, run), log, args.timeout)
                    tool.check(n, run)
                except (ToolFailed, OSError, KeyError, ValueError) as error:
                    results[key].error = f"{n} students, run {run + 1}: {error} (see {log})"
                    continue
                results[key].runs.setdefault(n, []).append(figures)
                print(f"  run {run + 1}/{args.runs}  {key:9s} {n:3d} students  {figures.seconds:7.1f} s  "
                      f"{figures.peak_bytes / 1e6:6.0f} MB RSS  {figures.peak_pss / 1e6:6.0f} MB PSS",
                      file=sys.stderr, flush=True)
    print(f"load average after: {_load()}")
    print()
    print(f"tp_nn part 2.1, the same correct submission; medians of {args.runs}; wall seconds; peak memory = "
          f"RSS summed over the tool's whole process tree, sampled every 20 ms (pages shared between forked "
          f"processes count once per process; the ratio is of RSS), then PSS (a page shared by k processes "
          f"counts 1/k in each); (×r) = ratio to a fresh `python -c 'import torch'`.")
    print()
    print(table(results, names, args.students, baseline))
    if args.json:
        raw = {key: {"error": f.error, "runs": {n: [vars(r) for r in rs] for n, rs in f.runs.items()}}
               for key, f in {**results, "import_torch": baseline}.items()}
        args.json.write_text(json.dumps(raw, indent=1), encoding="utf-8")
    if args.keep or any(f.error for f in results.values()):
        print(f"\nwork folder kept: {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if any(f.error for f in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
