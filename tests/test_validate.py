"""Every assignment validates: reference full marks, starter 0, variants full marks, each mutant
caught on the questions it names, with its diagnosis. Named questions only (`--named-only`): that a
mutant loses nothing elsewhere is `make validate`'s and `make robustness`'s full validation."""

from pathlib import Path

import pytest

from grader import assignment as assignment_model
from grader.validate import load_mutants, validate

ASSIGNMENTS = sorted(p.parent for p in (Path(__file__).resolve().parent.parent / "assignments").glob("*/assignment.toml"))


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("root", ASSIGNMENTS, ids=lambda p: p.name)
def test_assignment_validates(root, capsys):
    assignment = assignment_model.load(root)
    assert len(load_mutants(assignment)) >= 15
    ok = validate(assignment, lang="en", workers=2, named_only=True)
    table = capsys.readouterr().out
    print(table)
    assert ok, table
