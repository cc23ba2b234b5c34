"""Shared fixtures of the harness's own tests."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from grader.jail.session import Jail

PROJECT = Path(__file__).resolve().parent.parent


def pytest_collection_finish(session: pytest.Session) -> None:
    """The suite's own torch computations (a reference trained in the test process to compare
    with: test_tp_nn_training_stability) run on one thread, as a scorer's do (grader.harness.runner):
    with both cores busy, a second thread only spins. Measured on that module with both cores
    loaded: 145 -> 37 CPU seconds."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


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


# `make test` runs the suite in two processes (pytest-xdist). A module's tests go to one process,
# so that a module-scoped fixture (a graded batch, a notebook kernel) is built once; the tests of
# these modules are long and independent, each a unit of its own, so that two run side by side.
INDEPENDENT_MODULES = ("tests/test_validate.py",)


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its module, or the test itself in INDEPENDENT_MODULES
    (benchmarks/suite_timeline.py reports the suite's time by these units)."""
    module = nodeid.split("::", 1)[0]
    return nodeid if module in INDEPENDENT_MODULES else module


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    config.option.loadscopereorder = False   # hand units out in collection order: slow ones first
    return ByModule(config, log)


def pytest_collection_modifyitems(config, items):
    """The tests marked `slow` (validations, batches graded end to end) first: under xdist they are
    handed out first, and the short ones fill both processes at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
