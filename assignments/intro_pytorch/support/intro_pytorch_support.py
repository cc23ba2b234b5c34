"""Shared helpers of the intro_pytorch tests: data, strategies, the student's code in either form,
static and run-time checks. Public (shipped with the public tests): nothing here computes answers.

Two forms of hand-in. The handout's exercises 4.5, 5.5 and 5.6 are scripts to complete
("Ex grad intro.py", "Ex apprentissage de forme V1.py", "Ex Appr formes V2.py"); the starter also
offers them as functions of intro_pytorch.py. A question that accepts both (its manifest `file` is
the script, kind "script") is graded on the functions when intro_pytorch.py defines them (not the
starter's stubs), else on the script, run whole: the manifest declares both (`functions` and
`script`), the engine chooses the form (`student.form`).

Both forms are observed the same way: a probe in the worker (intro_pytorch_drivers.install)
records every backward pass — the loss, the autograd graph's operations, the parameters before and
their gradients after — and the tests check those records here, in the grader's process.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch
from hypothesis import strategies as st

import intro_pytorch_drivers
from grader.api import StudentError, expect_no_python_loop, fail, text

MODULE = "intro_pytorch"
MODULE_FILE = "intro_pytorch.py"
DRIVERS = intro_pytorch_drivers

# -- data ------------------------------------------------------------------------------------------

# 4.5: the four samples of "≠" (x, y, the reference answer).
NEQ_X = (4.0, 6.0, 1.0, 3.0)
NEQ_Y = (2.0, -3.0, 1.0, 3.0)
NEQ_REF = (1.0, 1.0, 0.0, 0.0)
NEQ_MAX_ITERATIONS = 100
NEQ_TOLERANCE = 0.01          # |f(x, y, a) − ref| on every sample once "converged"

# 5.5: the course's points (x, y) and categories 0 red, 1 green, 2 blue; the handout speaks of 10
# samples, the course's file has 9: the tenth, (0.2, -0.9), is one more blue point.
POINTS_5_5 = (((0.5, 0.4), 0), ((0.8, 0.3), 0), ((0.3, 0.8), 0),
              ((-0.4, 0.3), 1), ((-0.3, 0.7), 1), ((-0.7, 0.2), 1), ((-0.4, -0.5), 1),
              ((0.7, -0.4), 2), ((0.5, -0.6), 2), ((0.2, -0.9), 2))

# 5.6: the hidden sizes the handout asks to compare.
HIDDEN_SIZES = (10, 30, 100, 300, 500, 1000)
SPIRAL_SEED = 20240105
HELD_OUT_SEED = 20240106
SPIRAL_ACCURACY = 0.90        # on held-out points; 2 layers reach 97-100 %, a linear model about 52 %

# Time limits (seconds) for one training run in the worker; the reference needs well under 2 s.
NEQ_TIMEOUT = 20
CATEGORIES_TIMEOUT = 30
SPIRAL_TIMEOUT = 100       # a looped script of thousands of iterations is slow, not wrong


def neq_samples() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return (torch.tensor(NEQ_X), torch.tensor(NEQ_Y), torch.tensor(NEQ_REF))


def categories_points() -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.tensor([p for p, _ in POINTS_5_5], dtype=torch.float32)
    CAT = torch.tensor([c for _, c in POINTS_5_5], dtype=torch.int64)
    return X, CAT


def spiral(n_per_class: int = 30, seed: int = SPIRAL_SEED, classes: int = 3):
    """The course's spiral ("Ex Appr formes V2.py"): point i of arm k at radius i/N."""
    rng = random.Random(seed)
    points, cats = [], []
    for i in range(n_per_class):
        r = i / n_per_class
        for k in range(classes):
            t = (i * 4 / n_per_class) + (k * 4) + rng.uniform(0, 0.2)
            points.append((r * math.sin(t), r * math.cos(t)))
            cats.append(k)
    return torch.tensor(points, dtype=torch.float32), torch.tensor(cats, dtype=torch.int64)


def spiral_held_out(n: int = 300, seed: int = HELD_OUT_SEED, n_per_class: int = 30, classes: int = 3):
    """Fresh points of the same spiral, at radii between the training points'."""
    rng = np.random.default_rng(seed)
    points, cats = [], []
    for _ in range(n):
        k = int(rng.integers(classes))
        i = rng.uniform(0, n_per_class)
        r = i / n_per_class
        t = (i * 4 / n_per_class) + (k * 4) + rng.uniform(0, 0.2)
        points.append((r * math.sin(t), r * math.cos(t)))
        cats.append(k)
    return torch.tensor(points, dtype=torch.float32), torch.tensor(cats, dtype=torch.int64)


def pixel_grid(step: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """The course's XXXX, YYYY: a 200 × 200 grid of [-1, 1[² (np.meshgrid)."""
    return np.meshgrid(np.arange(-1, 1, step), np.arange(-1, 1, step))


def neq_right(a: float, tolerance: float = NEQ_TOLERANCE) -> bool:
    """min(a·|x − y|, 1) within `tolerance` of the reference answer on the four samples."""
    return all(abs(min(a * abs(x - y), 1.0) - r) <= tolerance for x, y, r in zip(NEQ_X, NEQ_Y, NEQ_REF))


def neq_classifies(a: float) -> bool:
    return all((min(a * abs(x - y), 1.0) > 0.5) == (r > 0.5) for x, y, r in zip(NEQ_X, NEQ_Y, NEQ_REF))


# -- strategies ------------------------------------------------------------------------------------

@functools.cache   # called inside draws: one strategy per shape, its properties worked out once
def tensors(shape: tuple[int, ...], bound: float = 3.0, dtype=torch.float32) -> st.SearchStrategy:
    """Tensors of `shape` with finite values in [-bound, bound]."""
    count = math.prod(shape)
    elements = st.floats(-bound, bound, allow_nan=False, allow_subnormal=False, width=32)
    return st.lists(elements, min_size=count, max_size=count).map(
        lambda values: torch.tensor(values, dtype=dtype).reshape(shape))


dims = st.integers(1, 5)


@st.composite
def shape_pairs(draw):
    """Pairs of shapes (dimensions >= 1): half derived from one result shape, so compatible."""
    if draw(st.booleans()):
        result = draw(st.lists(dims, min_size=0, max_size=4))
        def operand():
            rank = draw(st.integers(0, len(result)))
            tail = result[len(result) - rank:]
            return tuple(1 if draw(st.booleans()) else d for d in tail)
        return operand(), operand()
    return (tuple(draw(st.lists(dims, max_size=4))), tuple(draw(st.lists(dims, max_size=4))))


@st.composite
def linear_layers(draw, sizes: tuple[int, ...], bound: float = 2.0):
    """[(weight (out, in), bias (out,)), ...] for consecutive sizes, e.g. (1, 3, 1)."""
    return [(draw(tensors((n_out, n_in), bound)), draw(tensors((n_out,), bound)))
            for n_in, n_out in zip(sizes, sizes[1:])]


# -- the student's code in either form ------------------------------------------------------------

@dataclass
class Work:
    """One test's access to the student's code, in its form (the engine's `student.form`): the
    functions of intro_pytorch.py, or the question's script run whole; both observed by the probe."""

    student: object
    session: object
    per_student: object
    submission: object
    question: object

    @property
    def module(self):
        return self.student

    @property
    def script(self) -> str | None:
        """The question's script (its manifest name in the prepared folder), when it is graded."""
        return self.question.script if self.student.form == "script" else None

    def form(self) -> str:
        return self.student.form

    def has(self, *functions: str) -> bool:
        return all(self.student.has(f) for f in functions)

    def function_source(self) -> str:
        """The prepared intro_pytorch.py, as text (parsed at most, never run here)."""
        path = self.submission.dir / MODULE_FILE
        return path.read_text(encoding="utf-8", errors="replace")

    # -- running, with the probe ------------------------------------------------------------------

    def install_probe(self) -> None:
        self.session.run_driver(DRIVERS, "install", timeout=10)

    def collect(self) -> "Record":
        return Record.of(self.session.run_driver(DRIVERS, "collect", timeout=30))

    def run_function(self, function: str, *args, timeout: float):
        """(what function(*args) returns, the probe's record)."""
        self.install_probe()
        result = getattr(self.student, function).with_timeout(timeout)(*args)
        return result, self.collect()

    def run_script(self, variables: list[str], timeout: float):
        """(the variables the script left, the probe's record)."""
        self.install_probe()
        values = self.student.run_script(variables, timeout=timeout)
        return values, self.collect()

    def once(self, key: tuple, compute):
        """compute() once per submission (a training that several tests look at), errors included."""
        return self.per_student.once(key, compute)

    def trained_parameters(self, function: str, args: tuple, timeout: float) -> tuple[list, "Record"]:
        """The parameters a training left: the model's (function's result, or the script's `model`
        variable), else the leaves its backward passes updated. Run once per submission."""
        form = self.form()
        key = ("train", form, function if form == "function" else self.script)
        return self.once(key, lambda: self._trained_parameters(form, function, args, timeout))

    def _trained_parameters(self, form: str, function: str, args: tuple, timeout: float):
        if form == "function":
            self.install_probe()
            params = self.session.run_driver(DRIVERS, "parameters_of", function, *args, timeout=timeout)
            record = self.collect()
        else:
            values, record = self.run_script(["model"], timeout)
            params = None
            model = values.get("model")
            if model is not None and hasattr(model, "remote_type"):
                try:
                    params = model.state_dict()
                except StudentError:
                    params = None
        tensors_ = [v for v in (params or {}).values() if isinstance(v, torch.Tensor)]
        if not tensors_:
            tensors_ = list(record.final)
        return tensors_, record


@pytest.fixture
def work(student, session, per_student, submission, question) -> Work:
    """The student's code for one test (tests import this fixture)."""
    return Work(student, session, per_student, submission, question)


def expect_no_loop(work: Work, function: str, allow_outer: bool = False, what_en: str = "",
                   what_fr: str = "") -> None:
    """Fail, saying where, if `function` (or a helper it calls) loops in Python."""
    expect_no_python_loop(work.function_source(), function, allow_outer=allow_outer,
                          submission=work.submission, file=MODULE_FILE,
                          why=text(what_en, what_fr) if what_en else None)


# -- the probe's record ----------------------------------------------------------------------------

@dataclass
class Record:
    """What the probe saw: backward passes, their losses, graphs, small parameters, final leaves."""

    calls: int = 0
    losses: list[float] = field(default_factory=list)
    graphs: list[dict] = field(default_factory=list)
    steps: list[list[dict]] = field(default_factory=list)
    final: list = field(default_factory=list)

    @classmethod
    def of(cls, data) -> "Record":
        if not isinstance(data, dict):
            return cls()
        return cls(int(data.get("calls", 0)), [float(x) for x in data.get("losses", [])],
                   list(data.get("graphs", [])), list(data.get("steps", [])),
                   [t for t in data.get("final", []) if isinstance(t, torch.Tensor)])

    def repeated_operations(self, samples: int) -> dict[str, int]:
        """Operations of the first pass's graph that appear once per sample or more."""
        if not self.graphs:
            return {}
        return {name: count for name, count in self.graphs[0].items() if count >= samples}


@dataclass
class Iteration:
    a: float
    loss: float
    grad: float | None
    passes: int


def scalar_leaf_iterations(record: Record) -> list[Iteration]:
    """The training of one number `a`, iteration by iteration.

    The leaf is the one-number leaf present in most passes. A student may call backward once per
    sample and update a once per iteration: consecutive passes with the same a form an iteration
    (its loss the sum of theirs, its gradient a.grad after the last one).
    """
    counts: dict[int, int] = {}
    for step in record.steps:
        for leaf in step:
            if isinstance(leaf.get("value"), torch.Tensor) and leaf["value"].numel() == 1:
                counts[leaf["leaf"]] = counts.get(leaf["leaf"], 0) + 1
    if not counts:
        return []
    passes = []
    for index, step in enumerate(record.steps):
        # a kept from pass to pass (or, if the student makes a new leaf each time, this pass's one)
        candidates = [leaf for leaf in step if leaf["leaf"] in counts]
        if not candidates:
            continue
        leaf = max(candidates, key=lambda c: (counts[c["leaf"]], -c["leaf"]))
        grad = leaf.get("grad")
        loss = record.losses[index] if index < len(record.losses) else float("nan")
        passes.append((float(leaf["value"].reshape(-1)[0]), loss,
                       None if not isinstance(grad, torch.Tensor) else float(grad.reshape(-1)[0])))
    if not passes:
        return []
    per = 1
    while per < len(passes) and passes[per][0] == passes[0][0]:
        per += 1
    if per == len(passes):
        per = 1              # a never changes: one iteration per pass
    iterations = []
    for start in range(0, len(passes), per):
        chunk = passes[start:start + per]
        iterations.append(Iteration(chunk[0][0], sum(p[1] for p in chunk), chunk[-1][2], len(chunk)))
    return iterations


def final_a(value) -> float | None:
    """The final a: a one-number tensor or number (a function may return (a, history))."""
    if isinstance(value, (tuple, list)) and value:
        value = value[0]
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.reshape(-1)[0])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1:
        return float(value.reshape(-1)[0])
    return None


def converged_at(iterations: list[Iteration], a_end: float | None) -> int | None:
    """The number of iterations (updates) after which a was right, None if never."""
    for k, iteration in enumerate(iterations):
        if neq_right(iteration.a):
            return k
    if a_end is not None and neq_right(a_end):
        return len(iterations)
    return None


def neq_training(work: Work, function: str, timeout: float = NEQ_TIMEOUT):
    """Run the ≠ training in its form, once per submission: (final a, iterations, record, form).

    One script answers both neq and neq_vectorized: it runs once for both."""
    form = work.form()
    key = ("neq", form, function if form == "function" else work.script)
    a, iterations, record = work.once(key, lambda: _neq_training(work, form, function, timeout))
    expect_trained_by_backward(record, iterations, function if form == "function" else f"« {work.script} »")
    return a, iterations, record, form


def _neq_training(work: Work, form: str, function: str, timeout: float):
    if form == "function":
        result, record = work.run_function(function, *neq_samples(), timeout=timeout)
        a = final_a(result)
        if a is None:
            fail(text(f"{function} must return the final a (a tensor of one number), got "
                      f"{type(result).__name__}",
                      f"{function} doit renvoyer le a final (un tenseur d'un nombre), pas "
                      f"{type(result).__name__}"))
    else:
        values, record = work.run_script(["a"], timeout)
        a = final_a(values.get("a"))
        if a is None:
            fail(text(f"after running « {work.script} », there is no variable a holding one number",
                      f"après l'exécution de « {work.script} », aucune variable a ne contient un nombre"))
    return a, scalar_leaf_iterations(record), record


def expect_trained_by_backward(record: Record, iterations: list[Iteration], who: str) -> None:
    if record.calls == 0:
        fail(text(f"{who} never calls backward(): the gradient must come from PyTorch "
                  "(ErrTot.backward(), then a.grad)",
                  f"{who} n'appelle jamais backward() : le gradient doit être calculé par PyTorch "
                  "(ErrTot.backward(), puis a.grad)"))
    if not iterations:
        fail(text("the backward passes never reach a parameter of one number: a must be a tensor "
                  "with requires_grad = True, used in the error",
                  "les passes backward n'atteignent aucun paramètre d'un seul nombre : a doit être un "
                  "tenseur avec requires_grad = True, utilisé dans l'erreur"))


# -- trained models ---------------------------------------------------------------------------------

def shapes_of(params: list) -> str:
    return ", ".join(str(tuple(p.shape)) for p in params) or "none"


def _one(params: list, shape: tuple[int, ...]):
    found = [p for p in params if tuple(p.shape) == shape]
    return found[0] if len(found) == 1 else None


def find_linear_2_3(params: list):
    """(W (3, 2), b (3,)) of a Linear(2, 3), or None (also when there are two of either).

    `params` may hold other tensors (inputs with requires_grad, seen by the probe): only shapes
    that could belong to the model count."""
    W, b = _one(params, (3, 2)), _one(params, (3,))
    if W is None or b is None:
        return None
    return W.double(), b.double()


def find_two_layers(params: list):
    """(W1 (h, 2), b1 (h,), W2 (3, h), b2 (3,)) of Linear(2, h) + Linear(h, 3), or None."""
    found = []
    for W1 in params:
        if W1.dim() != 2 or W1.shape[1] != 2 or W1.shape[0] == 3:
            continue
        h = W1.shape[0]
        b1, W2, b2 = _one(params, (h,)), _one(params, (3, h)), _one(params, (3,))
        if b1 is not None and W2 is not None and b2 is not None:
            found.append((W1.double(), b1.double(), W2.double(), b2.double()))
    return found[0] if len(found) == 1 else None


def accuracy(scores: torch.Tensor, cats: torch.Tensor) -> float:
    return float((scores.argmax(dim=1) == cats).double().mean())
