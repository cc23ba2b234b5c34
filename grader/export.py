"""`grader export-student`: what a student receives, and nothing more.

The kit holds the grader package (to run `grader check`), the assignment's manifest, starter,
public tests and support modules. Never the reference, the hidden tests or the mutants: the
harness's tests check the kit file by file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.assignment import Assignment

_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")

STUDENT_README = """# {title}

Your files are in `starter/` — complete them, keeping the names of files and functions.

Check your work (public tests only; the final grade also uses hidden tests):

    pip install -e .            # once: torch, pytest, hypothesis...
    python -m grader check {id} starter/

`grader check` exits with status 0 when every public check passes, so it can run in CI.
"""


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
    return sorted(p for p in dest.rglob("*") if p.is_file())
