"""The Dask backend: each submission is one task, graded on a Dask worker that keeps its own
zygote and scorer, for courses larger than one machine.

    grader grade tp_nn SUBMISSIONS --dask local                  # a LocalCluster of --workers processes
    grader grade tp_nn SUBMISSIONS --dask tcp://scheduler:8786   # an existing cluster (dask-jobqueue…)

Intake runs here, as in a local batch; a task carries the prepared submission as a tar archive (the
workers need the grader and the assignment folder installed at the same path, not the submissions)
and returns the scorer's answer line, JSON, which this process decodes and writes exactly as the
local pool does: the reports are the same bytes. On a Dask worker the scorer is a process of its
own, as in the local pool, so a scorer that dies is replaced and the student retried once; a Dask
worker lost mid-task is Dask's to retry elsewhere (its `allowed-failures`), and a task that still
fails becomes that student's report with the reason.
"""

from __future__ import annotations

import atexit
import io
import json
import selectors
import shutil
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

from grader import intake
from grader.assignment import Assignment
from grader.grading import report_without_tests
from grader.ids import report_stem
from grader.jail.session import Jail
from grader.options import Options
from grader.report.model import StudentReport


def grade_on_dask(assignment: Assignment, subs: list[intake.PreparedSubmission], options: Options,
                  finish: Callable[[StudentReport], None], batch) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    from grader.pipeline import batch_preload, report_from_answer, student_budget

    preload = batch_preload(assignment, subs)
    budget = student_budget(assignment, options)
    cluster = None
    if options.dask == "local":
        # One thread per worker: a scorer grades one submission at a time, and pytest's timeouts
        # need the scorer's main thread.
        cluster = LocalCluster(n_workers=max(1, options.workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(options.dask)
    try:
        futures, submitted = [], {}
        for sub in subs:
            future = client.submit(grade_remotely, str(assignment.root), sub.to_json(), _pack(sub.dir),
                                   options.to_json(), budget, preload, pure=False,
                                   key=f"grade-{report_stem(sub.source.student_id)}-{time.time_ns()}")
            futures.append(future)
            submitted[future.key] = sub
        for future in as_completed(futures):
            sub = submitted[future.key]
            try:
                answer = json.loads(future.result())
            except Exception as exc:  # the task failed on every worker Dask tried
                finish(report_without_tests(assignment, sub, f"the Dask task failed: {type(exc).__name__}: {exc}"))
                continue
            batch.confinement = answer.get("confinement") or batch.confinement
            finish(report_from_answer(assignment, sub, answer["answer"])[0])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# -- on a Dask worker ------------------------------------------------------------------------------

class _WorkerGrader:
    """This Dask worker's zygote and scorer, started by its first task and kept for the next."""

    def __init__(self, preload: list[str], assignment_root: str, options: Options) -> None:
        from grader.pipeline import ScorerPool

        self.preload = list(preload)
        self.jail = Jail.launch(preload=self.preload, beside=True)
        self.pool = ScorerPool(self.jail, 1, Path(assignment_root), options)
        self.jail.wait_ready()
        self.confinement = self.jail.probe()

    def answer(self, job: str, budget: float) -> str:
        """The scorer's answer line to `job`; a scorer that dies is replaced and asked once more."""
        from grader.pipeline import SCORER_DIED, overtime

        for _attempt in range(2):
            proc = self.pool.proc(0)
            proc.stdin.write(job)
            proc.stdin.flush()
            with selectors.DefaultSelector() as selector:
                selector.register(proc.stdout, selectors.EVENT_READ)
                if not selector.select(timeout=budget):
                    self.pool.kill(0)
                    return json.dumps({"harness_error": overtime(budget)})
            line = proc.stdout.readline()
            if line:
                return line
            self.pool.kill(0)
        return json.dumps({"harness_error": SCORER_DIED})

    def close(self) -> None:
        self.pool.close()
        self.jail.close()


_GRADER: _WorkerGrader | None = None
_LOCK = threading.Lock()


def grade_remotely(assignment_root: str, submission: dict, files: bytes, options: dict, budget: float,
                   preload: list[str]) -> str:
    """The task: one submission, on this Dask worker. Returns JSON text (never a pickled object)."""
    global _GRADER
    from grader.pipeline import scorer_job

    with _LOCK:  # a worker started with several threads still grades one submission at a time
        if _GRADER is None or not set(preload) <= set(_GRADER.preload):
            if _GRADER is not None:
                _GRADER.close()
            _GRADER = _WorkerGrader(preload, assignment_root, Options.from_json(options))
            atexit.register(_GRADER.close)
        folder = Path(tempfile.mkdtemp(prefix="grader-dask-"))
        try:
            _unpack(files, folder)
            local = dict(submission, dir=str(folder))
            line = _GRADER.answer(scorer_job(Path(assignment_root), local, Options.from_json(options)), budget)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return json.dumps({"answer": line, "confinement": _GRADER.confinement})


def _pack(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(folder, arcname=".")
    return buffer.getvalue()


def _unpack(data: bytes, folder: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(folder, filter="data")  # no links out, no absolute paths
