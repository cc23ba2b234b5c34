"""`grader gradescope`: the archive Gradescope builds its image from, and the results.json its
run_autograder writes, checked against Gradescope's documented fields ("Autograder
Specifications": score, execution_time, output, output_format, visibility, stdout_visibility,
tests[] with name, score, max_score, status, output, visibility).

run_autograder itself runs here, on a fake /autograder tree in a temporary folder
(GRADER_AUTOGRADER_ROOT), with this venv's python (GRADER_PYTHON) instead of setup.sh's."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from grader.report import gradescope

PROJECT = Path(__file__).resolve().parents[2]
TINY = PROJECT / "tests" / "fixtures" / "assignments" / "tiny_linear"

# The documented fields and values (anything else is rejected: a typo Gradescope would ignore).
TOP_FIELDS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
              "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
               "tags", "visibility", "extra_data"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
STATUSES = {"passed", "failed"}


def spec_problems(data: object) -> list[str]:
    """What in `data` is not a results.json as Gradescope documents it."""
    if not isinstance(data, dict):
        return ["not an object"]
    problems = [f"unknown field {k!r}" for k in set(data) - TOP_FIELDS]
    tests = data.get("tests", [])
    if not isinstance(tests, list):
        return problems + ["tests is not a list"]
    number = (int, float)
    if "score" in data and not isinstance(data["score"], number):
        problems.append("score is not a number")
    if "score" not in data and not all(isinstance(t, dict) and "score" in t for t in tests):
        problems.append("no score: neither at the top nor on every test")
    if "execution_time" in data and not isinstance(data["execution_time"], number):
        problems.append("execution_time is not a number")
    for key in ("output",):
        if key in data and not isinstance(data[key], str):
            problems.append(f"{key} is not a string")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data and data[key] not in FORMATS:
            problems.append(f"{key} {data[key]!r} is not a format")
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in VISIBILITIES:
            problems.append(f"{key} {data[key]!r} is not a visibility")
    for i, test in enumerate(tests):
        if not isinstance(test, dict):
            problems.append(f"tests[{i}] is not an object")
            continue
        problems += [f"tests[{i}]: unknown field {k!r}" for k in set(test) - TEST_FIELDS]
        if not isinstance(test.get("name"), str):
            problems.append(f"tests[{i}]: no name")
        if ("score" in test) != ("max_score" in test):
            problems.append(f"tests[{i}]: score without max_score or the reverse")
        for key in ("score", "max_score"):
            if key in test and not isinstance(test[key], number):
                problems.append(f"tests[{i}].{key} is not a number")
        if "status" in test and test["status"] not in STATUSES:
            problems.append(f"tests[{i}].status {test['status']!r}")
        if "visibility" in test and test["visibility"] not in VISIBILITIES:
            problems.append(f"tests[{i}].visibility {test['visibility']!r}")
        if "output_format" in test and test["output_format"] not in FORMATS:
            problems.append(f"tests[{i}].output_format {test['output_format']!r}")
        if "output" in test and not isinstance(test["output"], str):
            problems.append(f"tests[{i}].output is not a string")
    return problems


# --- the validator catches what it exists to catch -------------------------------------------

VALID = {"score": 1.0, "output": "", "visibility": "visible", "stdout_visibility": "hidden",
         "tests": [{"name": "q", "score": 1.0, "max_score": 2.0, "status": "failed", "output": "",
                    "visibility": "after_published"}]}


@pytest.mark.parametrize("broken", [
    {**VALID, "visibility": "private"},
    {**VALID, "stdout_visibility": "students"},
    {**VALID, "scores": 1.0},
    {**VALID, "output_format": "markdown"},
    {**VALID, "tests": [{**VALID["tests"][0], "status": "ok"}]},
    {**VALID, "tests": [{**VALID["tests"][0], "visibility": "after_release"}]},
    {**VALID, "tests": [{k: v for k, v in VALID["tests"][0].items() if k != "max_score"}]},
    {**VALID, "tests": [{**VALID["tests"][0], "max": 2.0}]},
    {k: v for k, v in VALID.items() if k != "score"} | {"tests": [{"name": "q", "status": "passed"}]},
])
def test_the_spec_check_rejects_what_gradescope_does_not_document(broken):
    assert spec_problems(VALID) == []
    assert spec_problems(broken)


# --- the conversion (no jail) -------------------------------------------------------------------

def question(score, max_score, tests, feedback, **extra) -> dict:
    return {"title": extra.pop("title", "Forward"), "score": score, "max_score": max_score, "bonus": False,
            "tests": tests, "feedback": feedback, **extra}


def report(questions: dict, lang: str = "en", **extra) -> dict:
    scored = [q for q in questions.values() if not q.get("skipped")]
    return {"schema": 1, "student": "submission", "assignment": "demo",
            "score": sum(q["score"] for q in scored),
            "max_score": sum(q["max_score"] for q in scored if not q["bonus"]),
            "questions": questions, "sources": {"demo.py": "TP1.ipynb"}, "notes": [],
            "harness_errors": [], "lang": lang, "grader_version": "0", **extra}


def test_hidden_detail_waits_for_publication_public_detail_shows_at_once():
    graded = report({"forward": question(1.5, 3, "3/5", ["backward: wrong sign", "forward: fine"]),
                     "loss": question(2, 2, "4/4", ["all checks passed"], title="Loss")})
    public = report({"forward": question(3, 3, "1/1", ["all checks passed"]),
                     "loss": question(2, 2, "1/1", ["all checks passed"], title="Loss")})
    data = gradescope.results(graded, public, execution_time=12.4)
    assert spec_problems(data) == []
    assert data["score"] == 3.5 and data["execution_time"] == 12
    by_name = {t["name"]: t for t in data["tests"]}
    visible = by_name["Forward — public checks"]
    assert visible["visibility"] == "visible" and visible["status"] == "passed"
    assert "score" not in visible and "max_score" not in visible   # would count twice
    graded_entry = by_name["Forward"]
    assert graded_entry["visibility"] == "after_published"
    assert (graded_entry["score"], graded_entry["max_score"], graded_entry["status"]) == (1.5, 3, "failed")
    assert "backward: wrong sign" in graded_entry["output"]
    assert "backward: wrong sign" not in visible["output"]
    # the points counted are the graded entries' and they add up to the total
    assert sum(t.get("score", 0) for t in data["tests"]) == data["score"]
    # what every student sees at once never holds the score
    assert "3.5" not in data["output"] and "1.5" not in data["output"]
    assert data["stdout_visibility"] == "hidden"


def test_a_question_without_public_tests_has_no_public_entry():
    graded = report({"forward": question(3, 3, "4/4", ["all checks passed"])})
    public = report({"forward": question(0, 3, "0/0", ["not graded: no test for this question was run"])})
    data = gradescope.results(graded, public)
    assert [t["name"] for t in data["tests"]] == ["Forward"]
    assert data["tests"][0]["visibility"] == "after_published"


def test_a_question_blocked_at_intake_says_why_at_once():
    reason = "demo.py could not be loaded: SyntaxError line 3"
    blocked = report({"forward": question(0, 3, "0/0", [reason])}, lang="fr")
    data = gradescope.results(blocked, blocked)
    assert spec_problems(data) == []
    assert data["score"] == 0
    assert [(t["visibility"], t["status"]) for t in data["tests"]] == [("visible", "failed")]
    assert reason in data["output"] and "Rien n'a pu être exécuté" in data["output"]   # the report's language


def test_bonus_and_not_graded_questions():
    graded = report({"svm": question(1, 1, "2/2", ["all checks passed"], title="SVM", bonus=True),
                     "cifar": question(0, 2, "0/1", ["not graded here: the data set cifar10 is not configured"],
                                       title="CIFAR", skipped=True)})
    graded["questions"]["svm"]["bonus"] = True
    data = gradescope.results(graded, None)
    assert spec_problems(data) == []
    by_name = {t["name"]: t for t in data["tests"]}
    assert by_name["SVM (bonus)"]["score"] == 1
    cifar = by_name["CIFAR"]
    assert cifar["max_score"] == 0 and "status" not in cifar and "not configured" in cifar["output"]


def test_a_grader_fault_is_not_the_students_and_its_text_is_for_the_instructor():
    faulty = report({"forward": question(0, 3, "2/3", ["grader error (not your fault)"])},
                    harness_errors=["tests/hidden/test_x.py::test_y: KeyError in grader/harness/runner.py"])
    data = gradescope.results(faulty, None)
    assert "not your fault" in data["output"] and "runner.py" not in data["output"]
    assert data["extra_data"]["harness_errors"]
    failed = gradescope.failure("HarnessError: assignment.toml: missing field 'id'", "en", "demo")
    assert spec_problems(failed) == [] and failed["score"] == 0
    assert "missing field" not in failed["output"] and "missing field" in failed["extra_data"]["error"]


# --- the archive --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "grader", "gradescope", str(TINY), str(out), "--lang", "en",
                           "--max-examples", "5"], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return out


def test_the_archive_holds_what_gradescope_needs_at_its_root(archive):
    with zipfile.ZipFile(archive) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        names = set(infos)
        for script in ("setup.sh", "run_autograder"):
            assert script in names, names                     # at the root, not in a folder
            assert (infos[script].external_attr >> 16) & 0o111, f"{script} is not executable"
            assert zf.read(script).startswith(b"#!/usr/bin/env bash\n")
        assert "grader/pipeline.py" in names and "grader/__main__.py" in names
        assert "assignments/tiny_linear/assignment.toml" in names
        assert "assignments/tiny_linear/tests/hidden/test_hidden_tiny_linear.py" in names
        assert "assignments/tiny_linear/reference/projet.py" in names
        assert not any("__pycache__" in n or n.endswith(".pyc") or "/mutants/" in n for n in names)
        requirements = zf.read("requirements.txt").decode()
        setup = zf.read("setup.sh").decode()
        run = zf.read("run_autograder").decode()
    for script in (setup, run):
        checked = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
        assert checked.returncode == 0, checked.stderr
    assert "requirements.txt" in setup and "venv" in setup
    assert "GRADER_AUTOGRADER_ROOT" in run and "GRADER_PYTHON" in run


def test_requirements_pin_every_dependency_at_this_venvs_version(archive):
    with zipfile.ZipFile(archive) as zf:
        lines = zf.read("requirements.txt").decode().splitlines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    pins: dict[str, list[Requirement]] = {}
    for line in lines:
        if line and not line.startswith(("#", "--")):
            requirement = Requirement(line)                    # parses as pip reads it
            assert str(requirement.specifier).startswith("=="), line
            pins.setdefault(requirement.name.lower(), []).append(requirement)
    declared = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["dependencies"]
    for text in declared:
        name = Requirement(text).name.lower()
        assert name in pins, f"{name} is not pinned"
        here = metadata.version(name)
        linux = [r for r in pins[name] if r.marker is None or r.marker.evaluate({"sys_platform": "linux"})]
        assert [str(r.specifier) for r in linux] == [f"=={here}"], (name, here, pins[name])
    # torch: the CPU build on Linux, from its index; the plain version where that index has none
    mac = [r for r in pins["torch"] if r.marker is not None and r.marker.evaluate({"sys_platform": "darwin"})]
    assert [str(r.specifier) for r in mac] == [f"=={metadata.version('torch').split('+')[0]}"]


def test_the_same_sources_give_the_same_archive(tmp_path):
    from grader import assignment as manifest
    from grader.gradescope import build_archive

    tiny = manifest.load(TINY)
    build_archive(tiny, tmp_path / "one.zip", lang="en")
    build_archive(tiny, tmp_path / "two.zip", lang="en")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    build_archive(tiny, tmp_path / "fr.zip", lang="fr")      # the check can tell archives apart
    assert (tmp_path / "fr.zip").read_bytes() != (tmp_path / "one.zip").read_bytes()


# --- run_autograder on a fake /autograder tree --------------------------------------------------

def fake_autograder(archive: Path, root: Path, submission: dict[str, str]) -> Path:
    """/autograder as Gradescope lays it out: source/ (the archive, modes kept), run_autograder
    copied next to it, submission/."""
    source = root / "source"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(source)
        for info in zf.infolist():
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                os.chmod(source / info.filename, mode)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    for name, text in submission.items():
        (root / "submission" / name).write_text(text, encoding="utf-8")
    return root


def run_autograder(root: Path, python: str = sys.executable) -> tuple[dict, subprocess.CompletedProcess]:
    env = dict(os.environ, GRADER_AUTOGRADER_ROOT=str(root), GRADER_PYTHON=python)
    env.pop("PYTHONPATH", None)
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True, text=True,
                          timeout=600)
    path = root / "results" / "results.json"
    assert path.is_file(), done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(path.read_text(encoding="utf-8")), done


REFERENCE = (TINY / "reference" / "projet.py").read_text(encoding="utf-8")


def test_a_correct_submission_gets_full_marks_its_detail_after_publication(archive, tmp_path):
    data, done = run_autograder(fake_autograder(archive, tmp_path / "autograder", {"projet.py": REFERENCE}))
    assert done.returncode == 0, done.stdout[-3000:]
    assert spec_problems(data) == []
    assert data["score"] == 3.0
    graded = [t for t in data["tests"] if "max_score" in t]
    assert [(t["score"], t["max_score"], t["status"], t["visibility"]) for t in graded] == \
        [(3.0, 3.0, "passed", "after_published")]
    public = [t for t in data["tests"] if "max_score" not in t]
    assert [(t["status"], t["visibility"]) for t in public] == [("passed", "visible")]
    assert "projet.py" in data["output"]


def test_a_bug_only_the_hidden_tests_see_loses_points_out_of_sight(archive, tmp_path):
    """The public test (shapes) passes; the hidden one finds the overwritten gradient."""
    buggy = REFERENCE.replace('self._gradient["W"] += input.T @ delta', 'self._gradient["W"] = input.T @ delta')
    assert buggy != REFERENCE
    data, _ = run_autograder(fake_autograder(archive, tmp_path / "autograder", {"projet.py": buggy}))
    assert spec_problems(data) == []
    assert 0 < data["score"] < 3.0
    public = [t for t in data["tests"] if "max_score" not in t]
    graded = [t for t in data["tests"] if "max_score" in t]
    assert [(t["status"], t["visibility"]) for t in public] == [("passed", "visible")]
    assert [(t["status"], t["visibility"]) for t in graded] == [("failed", "after_published")]
    assert graded[0]["score"] == data["score"]
    assert "gradient of W after two calls" in graded[0]["output"]
    assert "gradient of W" not in public[0]["output"] and "gradient of W" not in data["output"]


def test_a_submission_that_fails_intake_still_gets_a_valid_results_json(archive, tmp_path):
    root = fake_autograder(archive, tmp_path / "autograder", {"projet.py": "def forward(self, X:\n    return X\n"})
    data, done = run_autograder(root)
    assert done.returncode == 0
    assert spec_problems(data) == []
    assert data["score"] == 0
    assert all(t.get("score", 0) == 0 for t in data["tests"])
    assert "projet.py" in data["output"] and "line" in data["output"].lower()   # the reason, at once
    assert "Traceback" not in json.dumps(data)


def test_when_python_cannot_start_gradescope_still_gets_a_results_json(archive, tmp_path):
    root = fake_autograder(archive, tmp_path / "autograder", {"projet.py": REFERENCE})
    data, done = run_autograder(root, python=str(tmp_path / "no-such-python"))
    assert done.returncode != 0
    assert spec_problems(data) == [] and data["score"] == 0
    assert "not your fault" in data["output"]


def test_a_broken_assignment_is_a_grader_error_not_a_students_zero_without_reason(archive, tmp_path):
    root = fake_autograder(archive, tmp_path / "autograder", {"projet.py": REFERENCE})
    manifest = root / "source" / "assignments" / "tiny_linear" / "assignment.toml"
    manifest.write_text(manifest.read_text().replace('id = "tiny_linear"', 'id = "renamed"'))
    data, done = run_autograder(root)
    assert spec_problems(data) == [] and data["score"] == 0 and data["tests"] == []
    assert "not your fault" in data["output"]
    assert "differs from its folder" in data["extra_data"]["error"]
    assert "Traceback" in done.stdout                 # the instructor's log has it
    assert "Traceback" not in data["output"]
