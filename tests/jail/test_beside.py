"""The scorers' template forked from the zygote once torch and the preloads are imported
(grader.jail.beside): one import for both, while the template holds the grader's environment and
no worker does."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest

from grader import assignment as assignment_model
from grader import pipeline
from grader.errors import HarnessError
from grader.jail.session import Jail
from grader.options import Options
from grader.pool import ScorerPool

PROJECT = Path(__file__).resolve().parent.parent.parent
ENVIRONMENT = PROJECT / "tests" / "fixtures" / "assignments" / "environment"
MARK = "GRADER_SUITE_ENVIRONMENT_MARK"


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as handle:
        return dict(line.split(":\t", 1) for line in handle.read().splitlines() if ":\t" in line)


def test_the_template_is_forked_from_the_zygote_in_a_session_of_its_own():
    with Jail.launch(preload=[], beside=True) as jail:
        pool = ScorerPool(jail, 1)
        try:
            template = pool.template.process.pid
            with open(f"/proc/{template}/cmdline", "rb") as handle:
                command = handle.read().split(b"\0")
            assert b"grader.jail.zygote" in command   # a fork of the zygote: torch not imported again
            assert int(_status(template)["PPid"]) != jail.process.pid   # the zygote never reaps it
            assert os.getsid(template) == template != os.getsid(jail.process.pid)
            pool.proc(0)   # its scorers serve
        finally:
            pool.close()
        assert pool.template.process.returncode is not None


def test_the_template_shares_the_batchs_preloads():
    """The preloads the submissions need are imported before the template is forked: its scorers
    run the reference, which needs them too, and import none of them again (curses: a library no
    part of the grader imports, whose C extension shows in the template's memory map)."""
    jail = Jail.launch(preload=None, beside=True)
    pool = ScorerPool(jail, 1)
    try:
        jail.preload(["curses"])
        pool.proc(0)
        with open(f"/proc/{pool.template.process.pid}/maps") as handle:
            assert "_curses" in handle.read()
    finally:
        pool.close()
        jail.close()


def test_a_template_never_used_ends_at_once_even_unborn():
    jail = Jail.launch(preload=None, beside=True)   # told nothing: the zygote waits after torch
    pool = ScorerPool(jail, 1)
    pool.close()
    jail.close()
    assert pool.template.process.returncode == -signal.SIGKILL


def test_the_scorer_holds_the_graders_environment_and_the_worker_none(tmp_path, monkeypatch):
    monkeypatch.setenv(MARK, "present")
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    (tmp_path / "subs" / "alice" / "probe.py").write_text((ENVIRONMENT / "reference" / "probe.py").read_text())
    batch = pipeline.run_batch(assignment_model.load(ENVIRONMENT), tmp_path / "subs", tmp_path / "out",
                               Options(workers=1, class_report=False))
    report = batch.reports[0]
    assert report.score == report.max_score == 1, [m.render("en") for q in report.questions.values()
                                                   for m in q.feedback]


def test_the_templates_socket_may_have_the_number_the_zygote_was_given():
    """The fd the template is passed keeps its number (as pass_fds), which may be the one its own
    socket had in the zygote (a grader with other fds open, such as a Dask worker)."""
    placeholder = os.open(os.devnull, os.O_RDONLY)
    jail = Jail.launch(preload=[], beside=True)
    os.close(placeholder)
    try:
        jail.wait_ready()   # exec'd: its command line is the zygote's
        with open(f"/proc/{jail.process.pid}/cmdline", "rb") as handle:
            zygote_fd = int(handle.read().split(b"\0")[-2])
        ours, theirs = socket.socketpair()   # the numbers the pool's socketpair is about to get
        predicted = theirs.fileno()
        ours.close()
        theirs.close()
        assert predicted == zygote_fd
        pool = ScorerPool(jail, 1)
        try:
            pool.proc(0)   # served: the template took its socket at the number it was given
        finally:
            pool.close()
    finally:
        jail.close()


@pytest.mark.timeout(60)   # the regression this catches hangs in wait_ready
def test_a_zygote_that_dies_is_seen_to_die_while_its_template_waits_to_be_told():
    """The forked process holds none of the zygote's pipes to the grader: the grader reads the
    end of the zygote's output when the zygote dies, not when the template ends."""
    jail = Jail.launch(preload=None, beside=True)
    beside = jail.take_beside()
    try:
        jail.preload([])   # the zygote forks it once the batch's preloads are imported
        assert beside.pid   # born, and waiting for what to run
        jail.process.kill()
        with pytest.raises(HarnessError, match="did not start"):
            jail.wait_ready(timeout=30)
        assert beside.poll() is None   # still there: only the zygote's end was seen
    finally:
        beside.kill()
        jail.close()
