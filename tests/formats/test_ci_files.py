"""The CI files `export-student` writes into a student's kit, tested by running their commands.

Both files are parsed (PyYAML); their commands run in a fresh export with this venv first on
PATH, so `python` is this venv's. The one install command (`pip install -r
requirements-grader.txt`) is the only one substituted: this venv is what it would install. The
check runs for real: on the starter it must fail the job (exit 1), on the reference copied in it
must pass (exit 0)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
TINY = PROJECT / "tests" / "fixtures" / "assignments" / "tiny_linear"
INSTALL = "python -m pip install -r requirements-grader.txt"


def export(tmp_path: Path, solved: bool) -> Path:
    kit = tmp_path / "repo"
    subprocess.run([sys.executable, "-m", "grader", "export-student", str(TINY), str(kit)], cwd=PROJECT,
                   check=True, capture_output=True, timeout=120)
    if solved:
        shutil.copy2(TINY / "reference" / "projet.py", kit / "starter" / "projet.py")
    return kit


def github_commands(kit: Path) -> list[str]:
    workflow = yaml.safe_load((kit / ".github" / "workflows" / "check.yml").read_text(encoding="utf-8"))
    assert set(workflow["on"]) >= {"push", "pull_request"}      # a quoted key: YAML 1.1 reads bare on as True
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    uses = [step["uses"].split("@")[0] for step in steps if "uses" in step]
    assert uses == ["actions/checkout", "actions/setup-python"]
    setup = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "3.11"            # a string: 3.10 would read as 3.1
    return [step["run"] for step in steps if "run" in step]


def gitlab_commands(kit: Path) -> list[str]:
    pipeline = yaml.safe_load((kit / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    jobs = [job for job in pipeline.values() if isinstance(job, dict) and "script" in job]
    assert len(jobs) == 1
    (job,) = jobs
    assert job["image"] == "python:3.11"
    assert job["artifacts"]["reports"]["junit"] == "grader-check.xml" and job["artifacts"]["when"] == "always"
    return list(job["script"])


def run(commands: list[str], kit: Path, **env: str) -> subprocess.CompletedProcess:
    """The commands in order, as the CI's shell would (stopping at the first that fails)."""
    installs = [c for c in commands if "pip install" in c]
    assert installs == [INSTALL], commands
    requirements = (kit / "requirements-grader.txt").read_text(encoding="utf-8")
    assert "torch==" in requirements and "pytest==" in requirements
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GITHUB_STEP_SUMMARY")}
    environment.update(env, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = None
    for command in commands:
        if command == INSTALL:
            continue                                   # this venv is what it installs
        done = subprocess.run(["bash", "-c", command], cwd=kit, env=environment, capture_output=True,
                              text=True, timeout=600)
        if done.returncode != 0:
            break
    assert done is not None, "no command besides the install"
    return done


@pytest.mark.parametrize("solved", [False, True], ids=["starter", "reference"])
def test_the_github_workflow_fails_on_the_starter_and_passes_on_a_solution(tmp_path, solved):
    kit = export(tmp_path, solved)
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    done = run(github_commands(kit), kit, GITHUB_STEP_SUMMARY=str(summary))
    assert done.returncode == (0 if solved else 1), done.stdout + done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("✓ linear" if solved else "✗ linear"), lines
    assert ("3 / 3" if solved else "0 / 3") in lines[0]
    assert len(lines) == 2                      # compact: one line per question, then the verdict
    markdown = summary.read_text(encoding="utf-8")
    assert markdown.startswith("earlier step\n")        # appended, never overwritten
    assert ("✅" if solved else "❌") in markdown and "|---|" in markdown


@pytest.mark.parametrize("solved", [False, True], ids=["starter", "reference"])
def test_the_gitlab_job_fails_on_the_starter_and_passes_with_a_test_report(tmp_path, solved):
    kit = export(tmp_path, solved)
    done = run(gitlab_commands(kit), kit)
    assert done.returncode == (0 if solved else 1), done.stdout + done.stderr[-3000:]
    root = ET.parse(kit / "grader-check.xml").getroot()
    (case,) = list(root.iter("testcase"))
    assert (case.find("failure") is None) == solved
    assert not (kit / "step_summary.md").exists()


def test_requirements_pin_what_is_installed_and_keep_what_is_not_as_declared(tmp_path):
    from grader.export import pinned_requirements
    from importlib import metadata

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "0"\ndependencies = ["rich>=13", '
        '"surely-not-installed-pkg>=1.2; sys_platform == \'linux\'"]\n', encoding="utf-8")
    lines = pinned_requirements(tmp_path).splitlines()
    assert f"rich=={metadata.version('rich')}" in lines
    assert f"pygments=={metadata.version('pygments')}".lower() in [line.lower() for line in lines]  # rich's own
    assert 'surely-not-installed-pkg>=1.2; sys_platform == "linux"' in lines
    assert not any(line.startswith("torch") for line in lines)      # only what the project needs


def test_a_question_not_graded_here_does_not_fail_the_job():
    from grader.report import ci
    from grader.report.model import StudentReport
    from grader.scoring import QuestionScore

    def q(qid, score, max_score, **extra):
        return QuestionScore(id=qid, title=qid, score=score, max_score=max_score, bonus=extra.pop("bonus", False),
                             **extra)

    done = StudentReport("s", "demo", {"mlp": q("mlp", 2, 2), "cifar": q("cifar", 0, 2, skipped=True),
                                       "svm": q("svm", 0, 1, bonus=True)})
    assert ci.complete(done)
    assert "– cifar" in ci.summary(done, "en") and "✗ svm" in ci.summary(done, "en")
    missing = StudentReport("s", "demo", {"mlp": q("mlp", 1.5, 2), "cifar": q("cifar", 0, 2, skipped=True)})
    assert not ci.complete(missing) and ci.to_complete(missing) == ["mlp"]
    assert "1 question(s) à compléter" in ci.summary(missing, "fr")
    assert "grader error" not in ci.summary(missing, "en")
    faulty = StudentReport("s", "demo", {"mlp": q("mlp", 0, 2)}, harness_errors=["test_public.py::test_mlp"])
    assert "grader error (not your fault): 1 check(s)" in ci.summary(faulty, "en")
