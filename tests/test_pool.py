"""The scorer pool: a scorer that dies is replaced and the student retried once, a submission over
its time budget is stopped; both give a report with a harness error, and the batch goes on."""

from __future__ import annotations

from pathlib import Path

from grader import assignment as assignment_model
from grader.options import Options
from grader.pipeline import run_batch

FAULTS = Path(__file__).resolve().parent / "fixtures" / "assignments" / "pool_faults"


def submissions(tmp_path: Path, modes: dict[str, str]) -> Path:
    root = tmp_path / "subs"
    for student, mode in modes.items():
        (root / student).mkdir(parents=True)
        (root / student / "mode.py").write_text(f'MODE = "{mode}"\n')
    return root


def test_a_dying_scorer_costs_only_its_student(tmp_path):
    a = assignment_model.load(FAULTS)
    batch = run_batch(a, submissions(tmp_path, {"alice": "ok", "bob": "die", "carol": "ok"}), tmp_path / "out",
                      Options(workers=2))
    reports = {r.student: r for r in batch.reports}
    assert set(reports) == {"alice", "bob", "carol"}
    assert reports["alice"].score == 1 and reports["carol"].score == 1
    assert reports["bob"].score == 0
    assert any("scorer process died" in e for e in reports["bob"].harness_errors)


def test_a_submission_over_its_budget_is_stopped(tmp_path):
    a = assignment_model.load(FAULTS)
    batch = run_batch(a, submissions(tmp_path, {"dan": "slow", "eve": "ok"}), tmp_path / "out",
                      Options(workers=2, student_timeout=4))
    reports = {r.student: r for r in batch.reports}
    assert reports["eve"].score == 1
    assert any("longer than 4 s" in e for e in reports["dan"].harness_errors)
    assert batch.seconds < 25


def test_code_that_spins_just_under_the_call_limit_is_stopped_by_the_budget(tmp_path):
    """Each call sleeps 2 s (the call limit is 10 s): the test budget (6 s) ends each test, the
    submission's (15 s) the rest, and the feedback says so."""
    tiny = FAULTS.parent / "tiny_linear"
    folder = tmp_path / "subs" / "slow"
    folder.mkdir(parents=True)
    reference = (tiny / "reference" / "projet.py").read_text()
    (folder / "projet.py").write_text(reference.replace("    def forward(self, X):\n",
                                                        "    def forward(self, X):\n        __import__('time').sleep(2)\n"))
    batch = run_batch(assignment_model.load(tiny), tmp_path / "subs", tmp_path / "out", Options(workers=1))
    report = batch.reports[0]
    feedback = " ".join(m.render("en") for m in report.questions["linear"].feedback)
    assert report.score < report.max_score
    assert "used up the" in feedback
    assert batch.seconds < 60


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as handle:
        return int(handle.read().rsplit(")", 1)[1].split()[1])


def test_scorers_are_forked_from_one_template_and_a_lost_template_is_replaced():
    from grader.jail.session import Jail
    from grader.pool import ScorerPool

    with Jail.start() as jail:
        pool = ScorerPool(jail, 2, FAULTS, Options())
        try:
            template = pool.template.process.pid
            scorers = [pool.proc(slot) for slot in range(2)]
            pids = [_scorer_pid(pool, slot) for slot in range(2)]
            # forked, sharing the template's imports, not two interpreters importing torch again
            assert [_parent(pid) for pid in pids] == [template, template]
            pool.kill(0)
            pool.template.process.kill()
            pool.template.process.wait()
            replaced = pool.proc(0)   # a new template, and a scorer of it
            assert pool.template.process.pid != template
            assert _parent(_scorer_pid(pool, 0)) == pool.template.process.pid
            assert replaced is not scorers[0]
        finally:
            pool.close()


def _scorer_pid(pool, slot: int) -> int:
    # the pidfd the pool watches a scorer with names the scorer's pid
    with open(f"/proc/self/fdinfo/{pool.procs[slot]._pidfd}") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("Pid:"))
