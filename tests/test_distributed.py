"""The Dask backend: the same reports, byte for byte, as the local pool; a Dask worker lost
mid-task is retried on another and the batch ends with every report."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from grader import assignment as assignment_model
from grader.options import Options
from grader.pipeline import run_batch

distributed = pytest.importorskip("dask.distributed")

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "assignments"


def _tiny_submissions(root: Path) -> Path:
    tiny = FIXTURES / "tiny_linear"
    (root / "ana").mkdir(parents=True)
    shutil.copy(tiny / "reference" / "projet.py", root / "ana" / "projet.py")
    (root / "blank").mkdir()
    shutil.copy(tiny / "starter" / "projet.py", root / "blank" / "projet.py")
    shutil.copytree(tiny / "mutants" / "folders" / "split_files", root / "split")
    return root


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and not p.name.startswith(".")}


def test_dask_reports_are_the_local_pools_byte_for_byte(tmp_path):
    a = assignment_model.load(FIXTURES / "tiny_linear")
    subs = _tiny_submissions(tmp_path / "subs")
    local = run_batch(a, subs, tmp_path / "local", Options(workers=2, max_examples=5))
    dask = run_batch(a, subs, tmp_path / "dask", Options(workers=2, max_examples=5, dask="local"))
    assert sorted(r.student for r in dask.reports) == sorted(r.student for r in local.reports) == ["ana", "blank", "split"]
    scores = {r.student: r.score for r in dask.reports}
    assert scores["ana"] == a.max_score and scores["blank"] == 0
    assert _files(tmp_path / "dask") == _files(tmp_path / "local")
    assert dask.confinement.get("applied")   # the Dask worker's jail said which layers it applied


def test_a_dask_worker_lost_mid_task_is_retried_elsewhere(tmp_path):
    a = assignment_model.load(FIXTURES / "pool_faults")
    root = tmp_path / "subs"
    for student in ("alice", "bob", "carol"):
        (root / student).mkdir(parents=True)
        (root / student / "mode.py").write_text('MODE = "pause"\n')
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        done = {}

        def grade() -> None:
            done["batch"] = run_batch(a, root, tmp_path / "out", Options(workers=2, dask=cluster.scheduler_address))

        thread = threading.Thread(target=grade)
        thread.start()
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and thread.is_alive():
            busy = [worker for worker, tasks in client.processing().items() if tasks]
            if busy:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                time.sleep(1.0)            # the task is in its 3-second pause
                os.kill(pid, signal.SIGKILL)
                killed = pid
            time.sleep(0.1)
        thread.join(timeout=300)
    assert killed is not None, "no Dask worker was ever busy"
    batch = done["batch"]
    reports = {r.student: r for r in batch.reports}
    assert set(reports) == {"alice", "bob", "carol"}
    assert all(r.score == 1 and not r.harness_errors for r in reports.values()), \
        {s: (r.score, r.harness_errors) for s, r in reports.items()}
