"""Shared fixtures of the harness's own tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader.jail.session import Jail

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def jail():
    with Jail.start() as running:
        yield running


@pytest.fixture
def make_submission(tmp_path):
    """Write {file name: source} into a fresh folder and return its path."""

    def make(files: dict[str, str]) -> Path:
        folder = tmp_path / "submission"
        folder.mkdir(exist_ok=True)
        for name, source in files.items():
            (folder / name).write_text(textwrap.dedent(source), encoding="utf-8")
        return folder

    return make
