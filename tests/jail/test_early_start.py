"""What the zygote preloads, and when: started before the submissions are read
(Jail.launch(preload=None)), it imports numpy and torch at once, and what the submissions need
(pyplot where a file imports matplotlib) once it is told; a run with nothing to grade waits neither
for it nor for a scorer started ahead."""

from __future__ import annotations

import signal
import types
from pathlib import Path

from grader import assignment as assignment_model
from grader.jail.session import Jail, JobSpec, Session
from grader.limits import Limits
from grader.options import Options
from grader.pipeline import ScorerPool, batch_preload, run_batch

PROJECT = Path(__file__).resolve().parent.parent.parent
TINY = PROJECT / "tests" / "fixtures" / "assignments" / "tiny_linear"
# Imported by none of numpy, torch, matplotlib or the worker: in a worker only if preloaded.
MARKER = "colorsys"


def test_what_the_zygote_is_told_later_is_preloaded_for_every_worker(tmp_path):
    (tmp_path / "m.py").write_text(f"import sys\ndef preloaded():\n    return {MARKER!r} in sys.modules\n")
    with Jail.launch(preload=None) as jail:
        jail.preload([MARKER])
        jail.wait_ready()
        session = Session(jail, JobSpec(submission_dir=str(tmp_path)))
        try:
            assert session.module("m").preloaded() is True
        finally:
            session.close()


def test_a_zygote_never_told_what_to_preload_is_killed_not_waited_for():
    jail = Jail.launch(preload=None)
    jail.close()   # while it imports torch: waiting would cost the import
    assert jail.process.returncode == -signal.SIGKILL


def test_scorers_still_starting_are_killed_at_close():
    jail = Jail.launch(preload=None)
    pool = ScorerPool(jail, 1, TINY, Options())
    template = pool.template.process   # what imports pytest and the tests, for the scorers it forks
    pool.close()
    jail.close()
    assert template.returncode == -signal.SIGKILL


def test_a_batch_whose_reports_are_all_kept_ends_without_grading(tmp_path):
    assignment = assignment_model.load(TINY)
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    for file in (TINY / "reference").glob("*.py"):
        (subs / "alice" / file.name).write_text(file.read_text())
    first = run_batch(assignment, subs, tmp_path / "out", Options(workers=1))
    assert [r.student for r in first.reports] == ["alice"]
    again = run_batch(assignment, subs, tmp_path / "out", Options(workers=1))
    assert again.kept == ["alice"] and again.reports == []   # the zygote and scorer started ahead: closed


def test_pyplot_is_preloaded_only_for_a_batch_whose_files_import_matplotlib(tmp_path):
    assignment = assignment_model.load(TINY)
    plots, plain = tmp_path / "plots", tmp_path / "plain"
    plots.mkdir()
    plain.mkdir()
    # imported inside a function, as students do: still seen, and its pause must not sleep
    (plots / "m.py").write_text("def draw():\n    import matplotlib.pyplot as plt\n    plt.plot([0, 1])\n"
                                "    plt.pause(30)\n    plt.show()\n    return 'drawn'\n")
    (plain / "m.py").write_text("import torch\nfrom . import helpers\n")
    submission = lambda folder: types.SimpleNamespace(handed_in=set(), dir=folder)  # noqa: E731
    assert "matplotlib.pyplot" not in batch_preload(assignment, [submission(plain)])
    preload = batch_preload(assignment, [submission(plain), submission(plots)])
    assert "matplotlib.pyplot" in preload
    with Jail.start(preload=preload) as jail:
        session = Session(jail, JobSpec(submission_dir=str(plots), limits=Limits(call_timeout=10)))
        try:
            assert session.module("m").draw() == "drawn"   # a real pause would time out
        finally:
            session.close()
