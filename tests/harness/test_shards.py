"""One submission graded by several scorers at once (grader.harness.shards): every question runs
in exactly one of them, they share the submission's time budget, and the merged report is the
report the submission gets from one scorer alone."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest

from grader import assignment as assignment_model
from grader import intake, pipeline
from grader.grading import grade_one, merge_shards
from grader.harness.fixtures import PerStudent
from grader.harness.shards import Shard
from grader.jail.session import Budget, JobSpec, Session
from grader.options import Options

PROJECT = Path(__file__).resolve().parent.parent.parent
TP_NN = PROJECT / "assignments" / "tp_nn"
EXAMPLES = PROJECT / "submissions" / "tp_nn"
QUESTIONS = [f"q{i}" for i in range(40)] + ["2.1 a/b", "..", ""]


def _claim_all(folder: Path, answers) -> None:
    shard = Shard(folder)
    os.write(answers, json.dumps([q for q in QUESTIONS if shard.claim(q)]).encode())


def test_each_question_is_claimed_by_exactly_one_scorer(tmp_path):
    Shard.create(tmp_path / "shard")
    pipes = [os.pipe() for _ in range(3)]
    pids = []
    for read, write in pipes:
        pid = os.fork()
        if pid == 0:
            try:
                _claim_all(tmp_path / "shard", write)
            finally:
                os._exit(0)
        pids.append(pid)
        os.close(write)
    for pid in pids:
        os.waitpid(pid, 0)
    claims = []
    for read, _write in pipes:
        with os.fdopen(read, "rb") as handle:
            claims.append(json.loads(handle.read()))
    assert sorted(q for claimed in claims for q in claimed) == sorted(QUESTIONS)   # no gap, no twice

    here = Shard(tmp_path / "shard")
    assert not any(here.claim(q) for q in QUESTIONS)
    assert all(here.taken_elsewhere(q) for q in QUESTIONS)
    fresh = Shard.create(tmp_path / "another")
    assert fresh.claim("q1") and fresh.claim("q1") and fresh.mine == ["q1"]   # the owner keeps it
    assert not fresh.taken_elsewhere("q1")


def test_the_scorers_of_one_submission_spend_one_budget(tmp_path):
    Shard.create(tmp_path / "shard")
    first, second = Shard(tmp_path / "shard").budget(10), Shard(tmp_path / "shard").budget(10)
    Budget("test", 30, first).charge(6)
    assert second.remaining() == pytest.approx(4)
    pid = os.fork()
    if pid == 0:
        Budget("test", 30, Shard(tmp_path / "shard").budget(10)).charge(3)
        os._exit(0)
    os.waitpid(pid, 0)
    assert first.remaining() == pytest.approx(1) and first.exhausted() is None
    Budget("test", 30, second).charge(1)
    assert first.exhausted() is not None and first.exhausted().scope == "submission"


class _RecordingSession:
    """A Session stand-in: which worker the computation ran in."""

    def __init__(self) -> None:
        self.seed = "the test's own worker"
        self.isolated_seeds = []

    def isolated(self, seed):
        import contextlib

        @contextlib.contextmanager
        def fresh():
            own, self.seed = self.seed, seed
            self.isolated_seeds.append(seed)
            try:
                yield
            finally:
                self.seed = own
        return fresh()


def test_a_per_student_value_is_computed_in_a_worker_of_its_own_seeded_by_its_key():
    seen = {}
    for asking_test in ("first", "second"):
        cache = PerStudent(seed=0)
        cache.session = session = _RecordingSession()
        seen[asking_test] = cache.once("training", lambda: session.seed)
        assert session.seed == "the test's own worker"   # the test's worker again afterwards
    assert seen["first"] == seen["second"] != "the test's own worker"
    other = PerStudent(seed=0)
    other.session = _RecordingSession()
    assert other.once("layout", lambda: other.session.seed) != seen["first"]   # another key, another seed


def test_a_per_student_value_does_not_see_what_the_test_did_before(jail, make_submission, tmp_path):
    folder = make_submission({"counter.py": """
        calls = 0
        def bump():
            global calls
            calls += 1
            return calls
    """})
    (tmp_path / "counter_driver.py").write_text("def bump_by_name(code):\n    return code.function('bump')()\n")
    spec = importlib.util.spec_from_file_location("counter_driver", tmp_path / "counter_driver.py")
    driver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(driver)
    session = Session(jail, JobSpec(submission_dir=str(folder)))
    bump = session.module("counter").bump
    try:
        session.request("load", module="counter")   # the question's file, as `student` loads it
        assert [bump(), bump()] == [1, 2]
        cache = PerStudent(seed=0)
        cache.session = session
        # a fresh worker: its own first call, with the question's file loaded as in the test's worker
        assert cache.once("first call", lambda: session.run_driver(driver, "bump_by_name")) == 1
        assert bump() == 3   # the test's worker goes on where it was
    finally:
        session.close()


def _prepared(tmp_path: Path, example: str) -> intake.PreparedSubmission:
    folder = tmp_path / "subs" / example
    folder.mkdir(parents=True)
    shutil.copy(EXAMPLES / example / "tp_nn.py", folder / "tp_nn.py")
    sources, _problems = intake.discover(tmp_path / "subs", tmp_path / "extracted")
    assignment = assignment_model.load(TP_NN)
    return intake.prepare_bounded(sources[0], assignment, tmp_path / "prepared", seconds=30)


def _comparable(report) -> dict:
    data = report.to_json("en")
    data.pop("content_hash")
    return data


def test_a_submission_shared_out_between_scorers_gets_the_report_it_gets_alone(jail, tmp_path):
    assignment = assignment_model.load(TP_NN)
    prepared = _prepared(tmp_path, "bob_transposed")   # wrong in some questions, right in others
    options = Options(workers=2)
    alone = grade_one(assignment, prepared, jail, options)

    ahead = Shard.create(tmp_path / "shard")
    for question in ("forward", "backward", "train_circles"):
        ahead.claim(question)    # as if another scorer had reached them first
    rest = Shard(tmp_path / "shard")
    rest_report = grade_one(assignment, prepared, jail, options, shard=rest)
    ahead_report = grade_one(assignment, prepared, jail, options, shard=ahead)
    assert ahead.mine == ["forward", "backward", "train_circles"]
    assert set(rest.mine) == set(assignment.questions) - set(ahead.mine)
    assert ahead_report.questions["forward"].tests_total > 0
    assert rest_report.questions["forward"].tests_total == 0   # not run twice

    merged = merge_shards([(rest_report, rest.mine), (ahead_report, ahead.mine)])
    assert _comparable(merged) == _comparable(alone)
    assert alone.score < alone.max_score   # the comparison holds wrong answers, not only full marks
    # taking every question from one scorer would lose the others' work
    assert _comparable(merge_shards([(rest_report, list(assignment.questions))])) != _comparable(alone)


def test_a_batch_shares_a_lone_submission_between_its_scorers(tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    for example in ("alice_correct", "dave_summed_loss"):
        (subs / example).mkdir(parents=True)
        shutil.copy(EXAMPLES / example / "tp_nn.py", subs / example / "tp_nn.py")
    assignment = assignment_model.load(TP_NN)
    alone = pipeline.run_batch(assignment, subs, tmp_path / "alone", Options(workers=1, class_report=False))

    merged_parts = []
    original = pipeline.merge_shards

    def recording(parts):
        merged_parts.append(len(parts))
        return original(parts)

    monkeypatch.setattr(pipeline, "merge_shards", recording)
    shared = pipeline.run_batch(assignment, subs, tmp_path / "shared", Options(workers=4, class_report=False))
    assert max(merged_parts) >= 2    # four scorers, two submissions: each is shared out
    for example in ("alice_correct", "dave_summed_loss"):
        reports = [json.loads((out / f"{example}.json").read_text()) for out in (tmp_path / "alone", tmp_path / "shared")]
        for report in reports:
            report.pop("content_hash")
        assert reports[0] == reports[1]
    assert not shared.harness_errors and alone.reports[0].score != alone.reports[1].score


SLOW = "import time\n\n\ndef spend(seconds):\n    time.sleep(seconds)\n    return seconds\n"


def test_a_budget_spent_side_by_side_is_spent_again_by_one_scorer(tmp_path, monkeypatch):
    """Each question sleeps 2 s of a 3.5 s budget: alone, the second question runs out of it. Two
    scorers side by side would both finish; the submission is graded again by one scorer."""
    assignment = assignment_model.load(PROJECT / "tests" / "fixtures" / "assignments" / "shared_budget")
    (tmp_path / "subs" / "slow").mkdir(parents=True)
    (tmp_path / "subs" / "slow" / "spend.py").write_text(SLOW)
    alone = pipeline.run_batch(assignment, tmp_path / "subs", tmp_path / "alone", Options(workers=1, class_report=False))
    assert [q.score for q in alone.reports[0].questions.values()] == [1.0, 0.0]

    merged_parts = []
    original = pipeline.merge_shards
    monkeypatch.setattr(pipeline, "merge_shards", lambda parts: merged_parts.append(parts) or original(parts))
    shared = pipeline.run_batch(assignment, tmp_path / "subs", tmp_path / "shared", Options(workers=2, class_report=False))
    assert [len(parts) for parts in merged_parts] == [1]   # the side-by-side grading was not kept
    assert _comparable(shared.reports[0]) == _comparable(alone.reports[0])


@pytest.mark.parametrize("mode, error", [("die", "scorer process died"), ("slow", "longer than 4 s")])
def test_a_fault_on_a_shared_submission_stops_all_its_scorers(tmp_path, mode, error):
    faults = PROJECT / "tests" / "fixtures" / "assignments" / "pool_faults"
    (tmp_path / "subs" / "bob").mkdir(parents=True)
    (tmp_path / "subs" / "bob" / "mode.py").write_text(f'MODE = "{mode}"\n')
    batch = pipeline.run_batch(assignment_model.load(faults), tmp_path / "subs", tmp_path / "out",
                               Options(workers=2, student_timeout=4, class_report=False))
    [report] = batch.reports
    assert report.score == 0 and any(error in e for e in report.harness_errors)
    assert batch.seconds < 30
