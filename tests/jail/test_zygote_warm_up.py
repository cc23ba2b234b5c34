"""What the zygote pays once for all its workers: a frozen heap (a garbage collection in a worker
would otherwise copy every page holding one of the zygote's objects) and a first seeding."""

from __future__ import annotations

from grader.jail.session import Jail, JobSpec, Session


def test_workers_start_from_a_frozen_heap(tmp_path):
    (tmp_path / "m.py").write_text(
        "import gc, sys\n"
        "def frozen():\n"
        "    return gc.get_freeze_count()\n"
        "def collected_after_import():\n"
        "    gc.collect()\n"
        "    return gc.get_freeze_count()\n")
    with Jail.start() as jail:
        session = Session(jail, JobSpec(submission_dir=str(tmp_path)))
        try:
            module = session.module("m")
            # torch, numpy and matplotlib are far more than 10,000 objects
            assert module.frozen() > 10_000
            assert module.collected_after_import() > 10_000
        finally:
            session.close()
