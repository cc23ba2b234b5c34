"""`grader export-student`: what a student receives, and nothing more.

The kit holds the grader package (to run `grader check`), the assignment's manifest, starter,
public tests and support modules. Never the reference, the hidden tests or the mutants: the
harness's tests check the kit file by file.

A student's repository made from the kit runs the public checks in CI: `requirements-grader.txt`
(the grader's dependencies pinned to the versions of the environment that exported the kit,
`pinned_requirements`), `.github/workflows/check.yml` and `.gitlab-ci.yml`, which install it and
run `grader check ASSIGNMENT starter/ --ci`.
"""

from __future__ import annotations

import importlib.metadata as metadata
import shutil
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from grader.assignment import Assignment

_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")

STUDENT_README = """# {title}

Your files are in `starter/` — complete them, keeping the names of files and functions.

Check your work (public tests only; the final grade also uses hidden tests):

    pip install -r requirements-grader.txt     # once: torch (CPU), pytest, hypothesis...
    python -m grader check {id} starter/

(`pip install -e .` works too.) `grader check` exits with status 0 when every regular question
passes its public checks. Pushed to GitHub or GitLab, this folder runs them on every push:
`.github/workflows/check.yml` and `.gitlab-ci.yml` install the requirements and run
`python -m grader check {id} starter/ --ci` (one line per question, ✓ or ✗; on GitHub the
feedback is the run's summary, on GitLab the questions appear as a test report).
"""

# Wheels whose local version label names the index that serves them (torch's CPU build).
LOCAL_INDEXES = {"cpu": "https://download.pytorch.org/whl/cpu"}
REQUIREMENTS = "requirements-grader.txt"
CI_PYTHON = "3.11"

GITHUB_WORKFLOW = """# The public checks of {id} on every push (written by `grader export-student`).
name: grader check
"on": [push, pull_request, workflow_dispatch]
jobs:
  check:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{python}"
          cache: pip
          cache-dependency-path: {requirements}
      - name: Install the grader
        run: python -m pip install -r {requirements}
      - name: Public checks
        run: python -m grader check {id} starter/ --ci
"""

GITLAB_CI = """# The public checks of {id} on every push (written by `grader export-student`).
grader-check:
  image: python:{python}
  variables:
    PIP_CACHE_DIR: "$CI_PROJECT_DIR/.cache/pip"
  cache:
    paths: [.cache/pip]
  script:
    - python -m pip install -r {requirements}
    - python -m grader check {id} starter/ --ci --junit grader-check.xml
  artifacts:
    when: always
    reports:
      junit: grader-check.xml
"""


def _project_dependencies(project: Path) -> list[str]:
    """The grader's runtime dependencies: pyproject.toml's, else the installed distribution's."""
    pyproject = project / "pyproject.toml"
    if pyproject.is_file():
        return list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])
    requires = metadata.requires("dl-grader") or []
    return [r for r in requires if "extra ==" not in r]


def pinned_requirements(project: Path | None = None) -> str:
    """A requirements file pinning the grader's dependencies and everything they pull in, at the
    versions installed here (what the test suite ran with), for the machines that run the grader
    elsewhere: a student's CI, Gradescope's image.

    A dependency with an environment marker keeps it, and so do the packages only it pulls in; a
    version with a local label (torch's `+cpu`) gets its index and a line without the label for the
    platforms that index does not serve (macOS wheels of torch are the plain version). A
    dependency not installed here (its marker is false on this machine: pyseccomp on macOS) is
    written as the project declares it, unpinned, so the machines it is for still get it."""
    project = project or Path(__file__).resolve().parent.parent
    pins: dict[str, dict] = {}
    unpinned: dict[str, str] = {}
    done: set[tuple[str, str]] = set()
    roots = [Requirement(text) for text in _project_dependencies(project)]
    # Unconditional roots first: a package one of them needs is needed everywhere.
    for root in sorted(roots, key=lambda r: r.marker is not None):
        pending = [root]
        while pending:
            requirement = pending.pop()
            key = canonicalize_name(requirement.name)
            try:
                dist = metadata.distribution(requirement.name)
            except metadata.PackageNotFoundError:
                if key not in pins:     # a package's own extras markers mean nothing at the top
                    unpinned[key] = str(requirement) if requirement is root else \
                        f"{requirement.name}{_extras(requirement.extras)}{requirement.specifier}"
                continue
            unpinned.pop(key, None)
            pin = pins.setdefault(key, {"name": dist.metadata["Name"], "version": dist.version, "extras": set(),
                                        "marker": str(root.marker) if root.marker else None})
            pin["extras"] |= set(requirement.extras) if key == canonicalize_name(root.name) else set()
            for extra in ("", *sorted(requirement.extras)):
                if (key, extra) in done:
                    continue
                done.add((key, extra))
                for text in dist.requires or []:
                    child = Requirement(text)
                    if child.marker is None or child.marker.evaluate({"extra": extra}):
                        pending.append(child)
    return _requirements_text(pins, unpinned)


def _requirements_text(pins: dict[str, dict], unpinned: dict[str, str]) -> str:
    lines, indexes = [], []
    for key in sorted(pins):
        pin = pins[key]
        extras = _extras(pin["extras"])
        public, _, local = pin["version"].partition("+")
        if local and local in LOCAL_INDEXES:
            if LOCAL_INDEXES[local] not in indexes:
                indexes.append(LOCAL_INDEXES[local])
            lines.append(_line(f"{pin['name']}{extras}=={pin['version']}", pin["marker"], 'sys_platform == "linux"'))
            lines.append(_line(f"{pin['name']}{extras}=={public}", pin["marker"], 'sys_platform != "linux"'))
        else:
            lines.append(_line(f"{pin['name']}{extras}=={public}", pin["marker"]))
    if unpinned:
        lines += ["# not installed where this file was written: as the project declares them",
                  *(unpinned[key] for key in sorted(unpinned))]
    head = ["# The grader's dependencies at the versions it was tested with (grader.export.pinned_requirements).",
            *[f"--extra-index-url {index}" for index in indexes]]
    return "\n".join(head + lines) + "\n"


def _extras(extras: set[str]) -> str:
    return f"[{','.join(sorted(extras))}]" if extras else ""


def _line(requirement: str, *markers: str | None) -> str:
    parts = [f"({m})" if " or " in m else m for m in markers if m]
    marker = " and ".join(parts)
    if marker:
        Marker(marker)   # a marker we could not combine is a bug here, not on the student's CI
    return f"{requirement} ; {marker}" if marker else requirement


def export_student(assignment: Assignment, dest: Path) -> list[Path]:
    grader_src = Path(__file__).resolve().parent
    project = grader_src.parent
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(grader_src, dest / "grader", ignore=_SKIP, dirs_exist_ok=True)
    target = dest / "assignments" / assignment.id
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(assignment.root / "assignment.toml", target / "assignment.toml")
    for part in ("starter", "support"):
        if (assignment.root / part).is_dir():
            shutil.copytree(assignment.root / part, target / part, ignore=_SKIP, dirs_exist_ok=True)
    shutil.copytree(assignment.public_tests, target / "tests" / "public", ignore=_SKIP, dirs_exist_ok=True)
    if (project / "pyproject.toml").is_file():
        shutil.copy2(project / "pyproject.toml", dest / "pyproject.toml")
    shutil.copytree(assignment.starter_dir, dest / "starter", ignore=_SKIP, dirs_exist_ok=True)
    (dest / "README.md").write_text(STUDENT_README.format(title=assignment.title, id=assignment.id),
                                    encoding="utf-8")
    (dest / REQUIREMENTS).write_text(pinned_requirements(project), encoding="utf-8")
    fields = {"id": assignment.id, "python": CI_PYTHON, "requirements": REQUIREMENTS}
    (dest / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (dest / ".github" / "workflows" / "check.yml").write_text(GITHUB_WORKFLOW.format(**fields), encoding="utf-8")
    (dest / ".gitlab-ci.yml").write_text(GITLAB_CI.format(**fields), encoding="utf-8")
    return sorted(p for p in dest.rglob("*") if p.is_file())
