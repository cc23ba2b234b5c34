"""A scorer imports the assignment's tests before its first student (grader.harness.runner
.collect_ahead): the modules pytest imported then are the ones the first run uses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
TINY = PROJECT / "tests" / "fixtures" / "assignments" / "tiny_linear"
TP_NN = PROJECT / "assignments" / "tp_nn"

PROBE = """
import json, sys
from grader import assignment
from grader.harness.runner import collect_ahead
before = "torch" in sys.modules
collect_ahead(assignment.load(sys.argv[1]))
loaded = sorted(getattr(m, "__file__", None) or "" for m in list(sys.modules.values()))
print(json.dumps({"torch_before": before, "torch_after": "torch" in sys.modules, "files": loaded}))
"""


def _probe(root: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, str(root)], capture_output=True, text=True,
                          cwd=PROJECT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_tests_and_what_they_import_are_loaded_before_the_first_student():
    found = _probe(TP_NN)
    assert not found["torch_before"] and found["torch_after"]
    for test_file in [*TP_NN.glob("tests/public/*.py"), *TP_NN.glob("tests/hidden/*.py")]:
        assert str(test_file) in found["files"], test_file.name


def test_an_assignment_whose_tests_do_not_use_torch_does_not_load_it():
    found = _probe(TINY)
    assert not found["torch_after"]
    assert str(TINY / "tests" / "public" / "test_public_tiny_linear.py") in found["files"]


SETTINGS_PROBE = """
import json, sys
from grader import assignment
from grader.harness import runner
from grader.options import Options
tiny = assignment.load(sys.argv[1])
runner.collect_ahead(tiny, Options(max_examples=7))
def hidden():
    return [m for m in list(sys.modules.values())
            if (getattr(m, "__file__", None) or "").endswith("test_hidden_tiny_linear.py")]
[module] = hidden()
seen = [module.test_forward._hypothesis_internal_use_settings.max_examples]
runner._load_profile(tiny, Options(max_examples=7))
seen.append(len(hidden()))     # same profile: the imported tests are kept
runner._load_profile(tiny, Options(max_examples=9))
seen.append(len(hidden()))     # another one: dropped, to be imported under it
print(json.dumps(seen))
"""


def test_tests_imported_ahead_run_under_the_batch_profile():
    done = subprocess.run([sys.executable, "-c", SETTINGS_PROBE, str(TINY)], capture_output=True, text=True,
                          cwd=PROJECT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [7, 1, 0]
