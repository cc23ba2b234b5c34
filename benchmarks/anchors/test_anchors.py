"""Checks of the speed comparison's own parts (not in `make test`: the benchmark is not the grader).

    .venv/bin/python -m pytest benchmarks/anchors/test_anchors.py -q -p no:cacheprovider

Each of the 10 anchor checks passes on the reference solution and fails on the one bug it exists to
catch; the committed notebooks are those make_notebooks.py writes; the process-tree memory counts a
child's memory and nothing outside the tree.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import compare_anchors  # noqa: E402
import make_notebooks  # noqa: E402
import tp_nn_checks  # noqa: E402


def _reference() -> types.ModuleType:
    # The trusted reference solution (never a student's code) is what every check must accept.
    spec = importlib.util.spec_from_file_location("tp_nn_reference", ROOT / "assignments/tp_nn/reference/tp_nn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REFERENCE = _reference()


def _call(check, functions: dict) -> None:
    names = dict((c.__name__, args) for c, args in tp_nn_checks.CHECKS)[check.__name__]
    check(*(functions[name] for name in names))


def _functions(**overrides) -> dict:
    functions = {name: getattr(REFERENCE, name) for name in ("init_params", "forward", "loss_accuracy", "backward", "sgd")}
    functions.update(overrides)
    return functions


@pytest.mark.parametrize("check", [c for c, _ in tp_nn_checks.CHECKS], ids=lambda c: c.__name__)
def test_every_check_accepts_the_reference(check):
    torch.manual_seed(0)
    _call(check, _functions())


def _transposed_init(nx, nh, ny):
    params = REFERENCE.init_params(nx, nh, ny)
    return {**params, "Wh": params["Wh"].T}


def _std_1_init(nx, nh, ny):
    return {k: v / 0.3 for k, v in REFERENCE.init_params(nx, nh, ny).items()}


def _softmax_dim0_forward(params, X):
    yhat, outputs = REFERENCE.forward(params, X)
    yhat = torch.softmax(outputs["ytilde"], dim=0)
    return yhat, {**outputs, "yhat": yhat}


def _logits_forward(params, X):
    _, outputs = REFERENCE.forward(params, X)
    return outputs["ytilde"], outputs


def _summed_loss(Yhat, Y):
    L, acc = REFERENCE.loss_accuracy(Yhat, Y)
    return L * Y.shape[0], acc


def _percent_accuracy(Yhat, Y):
    L, acc = REFERENCE.loss_accuracy(Yhat, Y)
    return L, acc * 100


def _summed_backward(params, outputs, Y):
    return {k: v * Y.shape[0] for k, v in REFERENCE.backward(params, outputs, Y).items()}


def _wrong_tanh_backward(params, outputs, Y):
    # tanh' written 1 - h instead of 1 - h**2: wrong for any batch, even of one example
    grad_ytilde = (outputs["yhat"] - Y) / Y.shape[0]
    grad_htilde = (grad_ytilde @ params["Wy"]) * (1 - outputs["h"])
    return REFERENCE.backward(params, outputs, Y) | {"Wh": grad_htilde.T @ outputs["X"], "bh": grad_htilde.sum(dim=0)}


def _ascending_sgd(params, grads, eta):
    return {k: params[k] + eta * grads[k] for k in params}


def _frozen_sgd(params, grads, eta):
    return dict(params)


# Each check, and the bug it exists to catch (our suite's mutants of part 2.1 have the same ones).
BUGS = [
    ("check_init_shapes", {"init_params": _transposed_init}),
    ("check_init_std", {"init_params": _std_1_init}),
    ("check_forward_example", {"forward": _softmax_dim0_forward}),
    ("check_forward_rows", {"forward": _logits_forward}),
    ("check_loss_uniform", {"loss_accuracy": _summed_loss}),
    ("check_accuracy", {"loss_accuracy": _percent_accuracy}),
    ("check_backward_autograd", {"backward": _summed_backward}),
    ("check_backward_single", {"backward": _wrong_tanh_backward}),
    ("check_sgd", {"sgd": _ascending_sgd}),
    ("check_training", {"sgd": _frozen_sgd}),
]


@pytest.mark.parametrize("name, bug", BUGS, ids=[name for name, _ in BUGS])
def test_every_check_catches_its_bug(name, bug):
    torch.manual_seed(0)
    with pytest.raises(AssertionError):
        _call(getattr(tp_nn_checks, name), _functions(**bug))


def test_the_bugs_cover_every_check():
    assert sorted(name for name, _ in BUGS) == sorted(c.__name__ for c, _ in tp_nn_checks.CHECKS)


def test_the_committed_notebooks_are_up_to_date():
    # Stale notebooks would make the anchors run other checks than tp_nn_checks.CHECKS.
    for path, expected in make_notebooks.notebooks().items():
        make_notebooks.number_cells(expected)
        assert nbformat.read(path, as_version=4) == expected, f"run make_notebooks.py: {path} is stale"


def test_every_check_is_in_both_notebooks():
    names = {c.__name__ for c, _ in tp_nn_checks.CHECKS}
    for path in make_notebooks.notebooks():
        text = path.read_text(encoding="utf-8")
        assert all(f"{name}(" in text for name in names), path


def test_tree_rss_counts_a_child_and_its_own_child():
    # A grandchild holding 200 MB: counted from this process, not counted from the child's sibling.
    code = ("import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', "
            "'import sys; b = bytearray(200_000_000); b[::4096] = b\"x\" * len(b[::4096]); print(1, flush=True); sys.stdin.read()'], "
            "stdin=subprocess.PIPE, stdout=subprocess.PIPE); p.stdout.readline(); print(1, flush=True); sys.stdin.read()")
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        child.stdout.readline()
        assert compare_anchors.tree_rss(os.getpid()) >= 200_000_000
        assert compare_anchors.tree_rss(child.pid) >= 200_000_000  # the grandchild alone
        sibling = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
        try:
            assert compare_anchors.tree_rss(sibling.pid) < 200_000_000
        finally:
            sibling.communicate(b"")
    finally:
        child.communicate(b"")
