"""The author API: the exported names are the documented ones, and a class-based assignment written
with it alone (tests/fixtures/assignments/tiny_linear, touching nothing under grader/) validates."""

from __future__ import annotations

import re
from pathlib import Path

import grader.api
from grader import assignment as assignment_model
from grader.validate import validate

PROJECT = Path(__file__).resolve().parents[1]
TINY = PROJECT / "tests" / "fixtures" / "assignments" / "tiny_linear"


def documented_names() -> set[str]:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The author API", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Za-z_]+)", section, re.M))


def test_exported_names_are_the_documented_ones():
    assert set(grader.api.__all__) == documented_names()
    for name in grader.api.__all__:
        assert hasattr(grader.api, name), name


def test_the_public_surface_stays_small():
    assert 15 <= len(grader.api.__all__) <= 25


def test_a_class_based_assignment_validates(capsys):
    """reference full, starter 0, a package variant with another class name and a transposed W
    full, and each mutant (gradient overwritten, wrong backward_delta, all zeros) caught."""
    ok = validate(assignment_model.load(TINY), workers=2, max_examples=5)
    table = capsys.readouterr().out
    assert ok, table
    assert "variant package_transposed" in table and "zeros" in table
