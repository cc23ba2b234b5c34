"""Workers started ahead for the next test: the one taken is the one started, and one that is not
taken is discarded without costing the scorer its zygote connection."""

from __future__ import annotations

import pytest

from grader.jail.session import Jail, JobSpec, Session


@pytest.fixture(scope="module")
def jail():
    with Jail.start() as started:
        yield started


def _job(tmp_path, seed: int) -> JobSpec:
    (tmp_path / "m.py").write_text("def f(x):\n    return 2 * x\n")
    return JobSpec(submission_dir=str(tmp_path), seed=seed)


def test_spawn_takes_the_prefetched_worker(jail, tmp_path):
    job = _job(tmp_path, 1)
    jail.prefetch(job)
    pid = jail._prefetched[job].pid
    worker = jail.spawn(job)
    assert worker.pid == pid and not jail._prefetched
    worker.kill()


def test_discarded_prefetches_leave_the_zygote_serving(jail, tmp_path):
    # Three started ahead, the oldest dropped at once (before it may have read its request: the
    # zygote would then take the scorer's socket for hung up), the others at the end of a run.
    jobs = [_job(tmp_path, seed) for seed in (11, 12, 13)]
    for job in jobs:
        jail.prefetch(job)
    assert list(jail._prefetched) == jobs[1:]
    jail.discard_prefetched()
    assert not jail._prefetched
    for seed in range(20, 25):   # dropped the moment it is forked
        jail.prefetch(_job(tmp_path, seed))
        jail.discard_prefetched()
    session = Session(jail, _job(tmp_path, 14))
    try:
        assert session.module("m").f(21) == 42
    finally:
        session.close()


def test_a_prefetched_worker_keeps_its_own_seed(jail, tmp_path):
    (tmp_path / "r.py").write_text("import random\ndef draw():\n    return random.random()\n")
    values = []
    for prefetched in (False, True):
        job = JobSpec(submission_dir=str(tmp_path), seed=5)
        if prefetched:
            jail.prefetch(job)
        session = Session(jail, job)
        try:
            values.append(session.module("r").draw())
        finally:
            session.close()
    assert values[0] == values[1]
