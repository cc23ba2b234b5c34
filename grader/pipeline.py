"""One page: intake -> jail -> tests -> scoring -> reports, for a whole batch.

    run_batch(assignment, submissions_path, out_dir, options)

Each submission is prepared (intake, in this process: parsing only, never executing), then graded
by a pool of scorer processes that share one zygote (a scorer with no submission left to start
takes questions of one still being graded: grader.harness.shards); the reports are written as
results arrive, and the gradebook is rebuilt from the reports on disk at the end. A submission that cannot be
prepared gets a report with its reason and zeros; a scorer that dies is replaced and the
submission retried once; the batch always goes on.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import selectors
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from grader.assignment import Assignment
from grader.fingerprint import content_hash, kept_report
from grader.grading import merge_shards, nothing_to_run, report_without_tests
from grader.harness.shards import Shard
from grader.jail.session import Jail, preload_for_imports
from grader.options import Options
from grader.pool import ScorerPool
from grader.report import gradebook, markdown
from grader.ids import report_stem
from grader.report.model import StudentReport, write_atomically, write_json

if TYPE_CHECKING:
    from grader import intake


INTAKE_SECONDS = 30.0   # parsing one student's files in the trusted process (guard.prepare_bounded)


@dataclass
class BatchResult:
    reports: list[StudentReport] = field(default_factory=list)
    gradebook: Path | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Where the seconds went, for the benchmark: this process's stages (intake, zygote, scorers,
    # reports) and the scorers' phases summed over submissions (grader.outcomes.RunResult.phases).
    timings: dict[str, float] = field(default_factory=dict)
    confinement: dict = field(default_factory=dict)  # layers applied to workers: "applied", "skipped"
    kept: list[str] = field(default_factory=list)  # students whose up-to-date report was kept

    @property
    def test_seconds(self) -> float:
        """Summed over tests: time inside the tests' call phase."""
        return self.timings.get("call", 0.0)

    def add_time(self, stage: str, seconds: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + seconds

    @property
    def harness_errors(self) -> int:
        return sum(1 for r in self.reports if r.harness_errors)


def write_report(report: StudentReport, out_dir: Path, lang: str) -> dict:
    """The student's .json and .md; returns the JSON written."""
    stem = report_stem(report.student)
    data = report.to_json(lang)
    write_json(out_dir / f"{stem}.json", data)
    write_atomically(out_dir / f"{stem}.md", markdown.render(report, lang))
    return data


@dataclass
class _Started:
    """The zygote and the scorers' template, started before intake: the zygote imports torch and
    forks the template, which imports pytest and the tests, while this process imports the
    parsers and reads the submissions."""

    jail: Jail
    pool: ScorerPool
    launched: float
    closed: bool = False

    @classmethod
    def now(cls, assignment: Assignment, options: Options) -> "_Started":
        launched = time.perf_counter()
        # what the submissions need is said once they are read; the template shares torch's import
        jail = Jail.launch(preload=None, beside=True)
        return cls(jail, ScorerPool(jail, 1, assignment.root, options), launched)

    def close(self, batch: BatchResult) -> None:
        if not self.closed:
            self.closed = True
            self.pool.close()
            batch.add_time("scorers", self.pool.start_seconds)
            self.jail.close()


def run_batch(assignment: Assignment, submissions: Path, out_dir: Path, options: Options = Options(),
              progress: Callable[[int, int, str], None] | None = None) -> BatchResult:
    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    batch = BatchResult()
    ahead = None if options.dask else _Started.now(assignment, options)
    work = Path(tempfile.mkdtemp(prefix="grader-intake-"))
    try:
        from grader import intake   # imported while the zygote and the scorers' template start

        intake_started = time.perf_counter()
        sources, problems = intake.discover(submissions, work / "extracted")
        batch.problems += [p.render(options.lang) for p in problems]
        prepared: list[intake.PreparedSubmission] = []
        for source in sources:
            # Bounded (time, sizes): a submission whose intake fails still gets a report saying so.
            sub = intake.prepare_bounded(source, assignment, work / "prepared" / report_stem(source.student_id),
                                         seconds=INTAKE_SECONDS)
            if intake.intake_failed(sub):
                batch.problems.append(f"{source.student_id}: {intake.failure_summary(sub)}")
            prepared.append(sub)
        total_count = len(prepared)
        done = 0
        batch.add_time("intake", time.perf_counter() - intake_started)

        hashes = {sub.source.student_id: content_hash(assignment, sub.source.path, options, sub.source.student_id)
                  for sub in prepared}
        stems = [report_stem(sub.source.student_id) for sub in prepared]

        html = None
        if options.class_report:
            # matplotlib is imported in a thread while the first student is graded; each student's
            # page is drawn as the report arrives, while the scorers grade the next ones.
            from grader.report import html
            threading.Thread(target=html.warm_up, name="matplotlib-import", daemon=True).start()
        drawn: set[str] = set()

        def finish(report: StudentReport) -> None:
            nonlocal done
            for stage, seconds in report.timings.items():
                batch.add_time(stage, seconds)
            report.content_hash = hashes.get(report.student, "")
            writing = time.perf_counter()
            data = write_report(report, out_dir, options.lang)
            if html is not None:
                stem = report_stem(report.student)
                html.write_student_page(out_dir, stem, data)
                drawn.add(stem)
            batch.add_time("reports", time.perf_counter() - writing)
            batch.reports.append(report)
            done += 1
            if progress:
                progress(done, total_count, report.student)

        gradable = []
        for sub in prepared:
            sid = sub.source.student_id
            if not options.force and kept_report(out_dir / f"{report_stem(sid)}.json", hashes[sid]) is not None:
                batch.kept.append(sid)   # finished earlier from the same content: not regraded
                done += 1
                continue
            if nothing_to_run(assignment, sub):
                # the report carries intake's reasons
                finish(report_without_tests(assignment, sub, only=options.questions_for(sid)))
            else:
                gradable.append(sub)
        if gradable and options.dask:
            from grader.distributed import grade_on_dask  # Dask is imported only for a Dask run

            grade_on_dask(assignment, gradable, options, finish, batch)
        elif gradable:
            _grade_all(assignment, gradable, options, finish, batch, ahead)
        if ahead is not None:
            ahead.close(batch)   # before the class page is drawn: their memory is not needed any more
        writing = time.perf_counter()
        batch.gradebook = gradebook.build(out_dir, list(assignment.questions), stems)
        if html is not None:
            html.build(out_dir, list(assignment.questions), stems, drawn)
        batch.add_time("reports", time.perf_counter() - writing)
    finally:
        if ahead is not None:
            ahead.close(batch)
        shutil.rmtree(work, ignore_errors=True)
    batch.seconds = time.monotonic() - started
    return batch


def student_budget(assignment: Assignment, options: Options) -> float:
    """Wall-clock seconds after which a scorer is taken to be stuck and killed."""
    if options.student_timeout:
        return options.student_timeout
    # Student code is stopped after submission_seconds (harness.fixtures); the rest is the
    # grader's own work, a few times that at the most.
    return 3 * assignment.limits.submission_seconds + 120


SCORER_DIED = "the scorer process died"


def overtime(budget: float) -> str:
    return f"grading took longer than {budget:.0f} s and was stopped"


def batch_preload(assignment: Assignment, subs: list[intake.PreparedSubmission]) -> list[str]:
    """What the zygote preloads for these submissions: what the files they hand in need, and
    what they import (pyplot)."""
    from grader.intake import packages_imported

    modules = assignment.preload_for(set().union(*(sub.handed_in for sub in subs)))
    imported = set().union(*(packages_imported(sub.dir) for sub in subs))
    return modules + [m for m in preload_for_imports(imported) if m not in modules]


def scorer_job(assignment_root: Path, submission: dict, options: Options, shard: Path | None = None) -> str:
    """The line a scorer reads (grader.scorer)."""
    job = {"assignment": str(assignment_root), "submission": submission, "options": options.to_json()}
    if shard is not None:
        job["shard"] = str(shard)
    return json.dumps(job) + "\n"


def report_from_answer(assignment: Assignment, sub: intake.PreparedSubmission,
                       line: str) -> tuple[StudentReport, list[str] | None]:
    """A scorer's answer line -> its report and the questions it claimed (None: it graded none,
    its report says why). Decoded as JSON, never unpickled."""
    answer = json.loads(line)
    if "report" in answer:
        claimed = answer.get("claimed")
        return StudentReport.from_wire(answer["report"]), [str(q) for q in claimed] if isinstance(claimed, list) else None
    return report_without_tests(assignment, sub, str(answer.get("harness_error"))), None


@dataclass
class _Grading:
    """One submission being graded, by one scorer or several (grader.harness.shards): a scorer
    with nothing queued joins one that no scorer has finished yet, and takes the questions still
    free. The report is made once every scorer on it has answered."""

    sub: intake.PreparedSubmission
    shard: Path
    alone: bool = False   # graded again by one scorer: its budget ran out with several
    slots: set[int] = field(default_factory=set)
    parts: list[tuple[StudentReport, list[str] | None]] = field(default_factory=list)

    @property
    def joinable(self) -> bool:
        # a scorer that has answered has walked every test: each question is taken
        return not self.parts and not self.alone

    def spent_all_together(self, seconds: float) -> bool:
        """Several scorers spent the whole budget: one alone would have stopped sooner."""
        return len(self.parts) > 1 and Shard(self.shard).spent() >= seconds


def _grade_all(assignment: Assignment, subs: list, options: Options, finish, batch: BatchResult,
               started: _Started) -> None:
    jail, pool = started.jail, started.pool
    jail.preload(batch_preload(assignment, subs))
    # Scorers beyond one per submission share out a submission's questions.
    pool.grow(min(options.workers, len(subs) * max(1, len(assignment.questions))))
    queue = list(subs)
    attempts: dict[str, int] = {}
    grading: dict[str, _Grading] = {}
    busy: dict[int, tuple[_Grading, float]] = {}
    selector = selectors.DefaultSelector()
    budget = student_budget(assignment, options)
    shards = Path(tempfile.mkdtemp(prefix="grader-shards-"))
    folders = itertools.count()
    alone: set[str] = set()

    def stop(job: _Grading) -> None:
        """Kill every scorer still on `job`."""
        for slot in sorted(job.slots):
            busy.pop(slot, None)
            selector.unregister(pool.procs[slot].stdout)
            pool.kill(slot)
        job.slots.clear()
        grading.pop(job.sub.source.student_id, None)

    def next_job(slot: int) -> _Grading | None:
        if queue:
            sub = queue.pop(0)
            sid = sub.source.student_id
            folder = shards / f"{report_stem(sid)}-{next(folders)}"
            grading[sid] = _Grading(sub, folder, alone=sid in alone)
            Shard.create(folder)
            return grading[sid]
        joinable = [job for job in grading.values() if job.joinable and slot not in job.slots]
        return min(joinable, key=lambda job: len(job.slots)) if joinable else None

    try:
        jail.wait_ready()
        batch.add_time("zygote", time.perf_counter() - started.launched)
        batch.confinement = jail.probe()
        # The scorers learn how many of them share the machine: with a core to spare (one
        # student), each starts its next test's worker ahead (harness.fixtures, prefetch).
        options = dataclasses.replace(options, workers=pool.size)
        while queue or busy:
            for slot in range(pool.size):
                if slot in busy:
                    continue
                job = next_job(slot)
                if job is None:
                    continue
                try:
                    proc = pool.proc(slot)
                    proc.stdin.write(scorer_job(assignment.root, job.sub.to_json(), options, job.shard))
                    proc.stdin.flush()
                except (OSError, RuntimeError) as exc:
                    pool.kill(slot)
                    if job.slots:
                        continue   # joining one being graded: its scorers go on without this one
                    stop(job)
                    _retry_or_fail(assignment, job.sub, attempts, queue, finish, f"scorer failed to start: {exc}")
                    continue
                job.slots.add(slot)
                busy[slot] = (job, time.monotonic() + budget)
                selector.register(proc.stdout, selectors.EVENT_READ, slot)
            for key, _ in selector.select(timeout=1.0):
                slot = key.data
                if slot not in busy:
                    continue   # stopped with another scorer of its submission in this round
                job, _deadline = busy[slot]
                line = key.fileobj.readline()
                if not line:
                    stop(job)
                    _retry_or_fail(assignment, job.sub, attempts, queue, finish, SCORER_DIED)
                    continue
                busy.pop(slot)
                selector.unregister(key.fileobj)
                job.slots.discard(slot)
                job.parts.append(report_from_answer(assignment, job.sub, line))
                if not job.slots:
                    sid = job.sub.source.student_id
                    grading.pop(sid, None)
                    if job.spent_all_together(assignment.limits.submission_seconds):
                        alone.add(sid)
                        queue.insert(0, job.sub)
                    else:
                        finish(merge_shards(job.parts))
            now = time.monotonic()
            for slot, (job, deadline) in list(busy.items()):
                if slot in busy and now > deadline:
                    stop(job)
                    finish(report_without_tests(assignment, job.sub, overtime(budget)))
    finally:
        selector.close()
        shutil.rmtree(shards, ignore_errors=True)


def _retry_or_fail(assignment: Assignment, sub: intake.PreparedSubmission, attempts: dict, queue: list,
                   finish: Callable[[StudentReport], None], reason: str) -> None:
    sid = sub.source.student_id
    attempts[sid] = attempts.get(sid, 0) + 1
    if attempts[sid] < 2:
        queue.append(sub)
    else:
        finish(report_without_tests(assignment, sub, reason))
