"""Shared helpers of the amal_tp1 tests: data, strategies, and the checks of the lab.

Public (shipped to students with the public tests): nothing here is a solution. The expected
values are the handout's formulas (the mean over the batch of ||ŷ − y||², X W + b and their
derivatives), computed in the grader's process; the student's functions run in the worker.

The policy, question by question (see assignment.toml for the credit of each convention):

* mse: the value is sum((yhat − y)²) / q. Another reduction (mean over the q·p elements, the plain
  sum, one value per column, the unreduced (q, p) matrix) is a convention when its backward is the
  gradient of the student's own forward. A backward that is not is wrong, with the constant factor
  named when there is one ("your gradient is p × the gradient of your own forward").
* linear: X @ W + b; backward checked by hand for values and shapes (grad_b (p,): gradcheck
  through .apply cannot see a (q, p) grad_b, autograd sums it). W stored (p, d) with X @ W.T, or the
  arguments in the order (W, X, b), used consistently, are conventions. All in float64.
* gradcheck, descente, boston: scripts and a training function, observed through the probe of
  amal_tp1_drivers (what it reports is a claim: costs and test errors are recomputed here).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from hypothesis import given, settings, strategies as st

import amal_tp1_drivers as drivers
from grader.api import StudentError, expect_close, expect_shape, fail, partial, text

DTYPE = torch.float64          # gradcheck's dtype: every check of the Functions runs in float64
RTOL, ATOL = 1e-6, 1e-9

# -- data: Boston Housing ------------------------------------------------------------------------

TRAIN_SHARE = 0.8
SPLIT_SEED = 0


@functools.cache
def boston() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Boston Housing (mlxtend's copy, no download), a fixed 80 / 20 split, X and Y standardised
    with the training set's mean and standard deviation. Float32 (PyTorch's default dtype, the one
    students' parameters have): (Xtrain (404, 13), Ytrain (404, 1), Xtest (102, 13), Ytest (102, 1))."""
    from mlxtend.data import boston_housing_data

    X, y = boston_housing_data()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(X))
    n_train = int(TRAIN_SHARE * len(X))
    train, test = order[:n_train], order[n_train:]
    mean, std = X[train].mean(0), X[train].std(0)
    y_mean, y_std = y[train].mean(), y[train].std()
    Xs = torch.tensor((X - mean) / std, dtype=torch.float32)
    Ys = torch.tensor((y - y_mean) / y_std, dtype=torch.float32).reshape(-1, 1)
    return Xs[train], Ys[train], Xs[test], Ys[test]


def n_train() -> int:
    return int(boston()[0].shape[0])


def regimes() -> dict[str, tuple[int, int, float]]:
    """name -> (batch_size, n_epochs, eps): the three regimes of handout items 3 to 5."""
    return {"stochastic": (1, 5, 0.005), "mini-batch": (32, 40, 0.03), "batch": (n_train(), 200, 0.1)}


TEST_MSE_FACTOR = 1.5   # the student's test MSE may be up to 1.5 × the reference's (same budget)


def cost(X, W, b, Y) -> float:
    """The handout's cost, computed here in float64: sum over the batch of ||X W + b − Y||² / q."""
    X, W, b, Y = (torch.as_tensor(t).detach().to(DTYPE) for t in (X, W, b, Y))
    return float(((X @ W + b.reshape(-1) - Y) ** 2).sum() / X.shape[0])


# -- strategies ------------------------------------------------------------------------------------

def randn(shape, seed: int) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=DTYPE)


@st.composite
def mse_case(draw):
    """(yhat, y, g): float64 tensors (q, p) (q, p in 1..4) and a grad_output factor g != 1."""
    q, p = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**31 - 1))
    yhat, y = randn((q, p), seed), randn((q, p), seed + 1)
    return yhat, y, draw(st.sampled_from([0.5, 1.5, 2.0, 3.0]))


@st.composite
def linear_case(draw):
    """(X (q, d), W (d, p), b (p,), grad_output (q, p)), float64, q, d, p in 1..4."""
    q, d, p = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**31 - 1))
    return randn((q, d), seed), randn((d, p), seed + 1), randn((p,), seed + 2), randn((q, p), seed + 3)


# Fixed cases checked before the drawn ones: every size different, so that a reduction or a
# transposition cannot pass for another.
MSE_PROBE = (randn((3, 4), 11), randn((3, 4), 12), 1.5)
LINEAR_PROBE = (randn((2, 3), 21), randn((3, 4), 22), randn((4,), 23), randn((2, 4), 24))


def examples(check, share: float = 1.0):
    """Run the inner Hypothesis check `check` (a function of one drawn case) with `share` of the
    run's examples, no shrinking beyond the default: the failing case names only drawn values."""
    count = max(3, int(settings.default.max_examples * share))
    return settings(max_examples=count, deadline=None)(check)


# -- small helpers -------------------------------------------------------------------------------

# Where a check runs, in English and French: the tail of its messages and of its values' names.
YOUR_CONTEXT = ("with your Context", "avec votre Context")
GRADER_CONTEXT = ("with the grader's Context", "avec le Context du correcteur")


def _both(words) -> tuple[str, str]:
    """(English, French) of a description: a plain string is the same in both (code, names)."""
    return (words, words) if isinstance(words, str) else (words[0], words[1])


def as_tensor(value, name) -> torch.Tensor:
    """`name`: a string, or (English, French) when it holds words."""
    if isinstance(value, torch.Tensor):
        return value.detach().to(DTYPE)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return torch.tensor(float(value), dtype=DTYPE)
    en, fr = _both(name)
    fail(text(f"{en} must be a tensor, got {type(value).__name__}",
              f"{fr} doit être un tenseur, pas {type(value).__name__}"))


def close(a, b, rtol: float = RTOL, atol: float = ATOL) -> bool:
    a, b = torch.as_tensor(a).to(DTYPE), torch.as_tensor(b).to(DTYPE)
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=rtol, atol=atol))


def shape_of(t) -> tuple:
    return tuple(torch.as_tensor(t).shape)


def call(describe, function, *args):
    """Call the student's code; an exception becomes feedback naming the call (`describe`: a
    string, or (English, French))."""
    try:
        return function(*args)
    except StudentError as exc:
        en, fr = _both(describe)
        fail(text(f"{en} raised {exc.summary()}", f"{fr} a levé {exc.summary()}"))


def gradients(result, count: int, function: str, inputs: str):
    """backward's result as a tuple of `count` values, or fail naming what it must return."""
    if isinstance(result, (tuple, list)) and len(result) == count:
        return tuple(result)
    got_en, got_fr = (f"{len(result)} values", f"{len(result)} valeurs") if isinstance(result, (tuple, list)) \
        else (type(result).__name__, type(result).__name__)
    fail(text(f"{function}.backward must return {count} gradients, one per input of forward ({inputs}), got {got_en}",
              f"{function}.backward doit renvoyer {count} gradients, un par entrée de forward ({inputs}), pas {got_fr}"))


def factor_name(k: float, sizes: dict[str, int]) -> str | None:
    """k named when it is a size (q, p, q·p or their inverse), else a plain constant (2, ½, −1...),
    else a constant times a size; None when it is none of these."""
    def same(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-6 * max(1.0, abs(a))

    simple = dict(sizes)
    names = list(sizes)
    for i, n in enumerate(names):
        for m in names[i + 1:]:
            simple[f"{n}·{m}"] = sizes[n] * sizes[m]
    for name, value in simple.items():
        if same(k, value):
            return name
        if same(k, 1 / value):
            return f"1/{name}"
    for name, value in (("2", 2.0), ("½", 0.5), ("-1", -1.0), ("-2", -2.0), ("4", 4.0), ("¼", 0.25)):
        if same(k, value):
            return name
    for name, value in simple.items():
        for c, label in ((2.0, "2·{}"), (0.5, "{}/2")):
            if same(k, c * value):
                return label.format(name)
            if same(k, c / value):
                return label.format(f"(1/{name})")
    return None


def constant_factor(got: torch.Tensor, expected: torch.Tensor) -> float | None:
    """k when got = k × expected (element by element, expected not zero), else None."""
    if got.shape != expected.shape or float(expected.abs().max()) < 1e-9:
        return None
    k = float((got * expected).sum() / (expected * expected).sum())
    return k if close(got, k * expected, rtol=1e-6, atol=1e-9) and abs(k - 1) > 1e-6 else None


def describe_factor(k: float, sizes: dict[str, int]) -> str:
    name = factor_name(k, sizes)
    shown = f"{name}" if name else f"{k:.4g}"
    if name and name not in ("2", "½", "-1", "-2", "4", "¼"):
        shown += f" (= {k:.4g})"
    return shown


# -- MSE -------------------------------------------------------------------------------------------

# Reductions of the squared errors (yhat − y)² other than the handout's, accepted as conventions
# when the backward is the gradient of the same forward: name -> (value, vjp w.r.t. yhat given G).
def _reductions(d: torch.Tensor):
    q, p = d.shape
    sq = d ** 2
    return {
        "canonical": (sq.sum() / q, lambda G: 2 * d * G / q),
        "mean_all": (sq.mean(), lambda G: 2 * d * G / (q * p)),
        "sum": (sq.sum(), lambda G: 2 * d * G),
        "per_column": (sq.mean(0), lambda G: 2 * d * G.reshape(1, -1) / q),
        "per_column_sum": (sq.sum(0), lambda G: 2 * d * G.reshape(1, -1)),
        "unreduced": (sq, lambda G: 2 * d * G),
    }


CONVENTION_CREDIT_KEY = {"mean_all": "mean_all", "sum": "sum", "per_column": "per_column",
                         "per_column_sum": "per_column", "unreduced": "unreduced"}

CONVENTION_TEXT = {
    "mean_all": text("MSE is the mean over all q·p elements ((yhat − y)².mean(), torch's MSELoss): the handout's "
                     "cost is the mean over the batch of the squared norms, sum((yhat − y)²) / q — a convention, "
                     "partly credited since your backward is its gradient",
                     "MSE est la moyenne sur les q·p éléments ((yhat − y)².mean(), le MSELoss de torch) : le coût "
                     "de l'énoncé est la moyenne sur le batch des normes au carré, sum((yhat − y)²) / q — une "
                     "convention, créditée en partie puisque votre backward en est le gradient"),
    "sum": text("MSE is the plain sum of the squared errors (no division by the batch size q): the handout's cost "
                "is the mean over the batch, sum((yhat − y)²) / q — a convention, partly credited since your "
                "backward is its gradient",
                "MSE est la somme des erreurs au carré (sans diviser par la taille q du batch) : le coût de "
                "l'énoncé est la moyenne sur le batch, sum((yhat − y)²) / q — une convention, créditée en partie "
                "puisque votre backward en est le gradient"),
    "per_column": text("MSE returns one value per output column (a vector of shape (p,)), not a scalar cost: "
                       "the handout's cost is sum((yhat − y)²) / q — a convention, partly credited since your "
                       "backward is its gradient",
                       "MSE renvoie une valeur par colonne de sortie (un vecteur de forme (p,)), pas un coût "
                       "scalaire : le coût de l'énoncé est sum((yhat − y)²) / q — une convention, créditée en "
                       "partie puisque votre backward en est le gradient"),
    "unreduced": text("MSE returns the unreduced (q, p) matrix of squared errors, not a scalar cost: the handout's "
                      "cost is sum((yhat − y)²) / q — a convention, partly credited since your backward is its "
                      "gradient",
                      "MSE renvoie la matrice (q, p) des erreurs au carré, non réduite, pas un coût scalaire : le "
                      "coût de l'énoncé est sum((yhat − y)²) / q — une convention, créditée en partie puisque "
                      "votre backward en est le gradient"),
}
CONVENTION_TEXT["per_column_sum"] = CONVENTION_TEXT["per_column"]


def mse_kind(value: torch.Tensor, yhat: torch.Tensor, y: torch.Tensor) -> str | None:
    """Which reduction `value` is (the handout's first), or None."""
    d = yhat - y
    for kind, (expected, _) in _reductions(d).items():
        if value.numel() == 1 and expected.numel() == 1:
            if close(value.reshape(()), expected.reshape(())):
                return kind
        elif close(value, expected):
            return kind
    return None


def explain_mse_value(value: torch.Tensor, yhat: torch.Tensor, y: torch.Tensor) -> None:
    """Fail, naming the usual wrong costs; else with the comparison's own diagnosis."""
    d = yhat - y
    q, p = d.shape
    norm = d.norm()
    en = f"MSE.forward(ctx, yhat, y) with yhat, y of shape {(q, p)}"
    fr = f"MSE.forward(ctx, yhat, y) avec yhat, y de forme {(q, p)}"
    if value.numel() == 1:
        v = value.reshape(())
        for expected in (norm / q, norm, norm / (q * p)):
            if close(v, expected) and not close(v, (d ** 2).sum() / q):
                fail(text(f"{en} is the norm ||yhat − y||, not squared: the handout's mse is ||ŷ − y||², "
                          f"averaged over the batch: sum((yhat − y)²) / q",
                          f"{fr} est la norme ||yhat − y||, pas son carré : la mse de l'énoncé est ||ŷ − y||², "
                          f"moyennée sur le batch : sum((yhat − y)²) / q"))
        if close(v, d.abs().sum() / q) or close(v, d.abs().mean()):
            fail(text(f"{en} is the mean absolute error: the handout's mse squares the errors",
                      f"{fr} est l'erreur absolue moyenne : la mse de l'énoncé met les erreurs au carré"))
        if close(v, (d ** 2).sum() / (2 * q)):
            fail(text(f"{en} is half the handout's cost (a ½ factor): mse(ŷ, y) = ||ŷ − y||², no ½",
                      f"{fr} vaut la moitié du coût de l'énoncé (un facteur ½) : mse(ŷ, y) = ||ŷ − y||², sans ½"))
        if close(v, -(d ** 2).sum() / q):
            fail(text(f"{en} has the wrong sign: a cost is positive",
                      f"{fr} a le mauvais signe : un coût est positif"))
    expect_close(value, (d ** 2).sum() / q, name=text(en, fr))


def mse_forward(MSE, ctx, yhat, y, where: tuple[str, str]) -> torch.Tensor:
    """`where`: YOUR_CONTEXT or GRADER_CONTEXT."""
    out = call((f"MSE.forward(ctx, yhat, y) {where[0]}", f"MSE.forward(ctx, yhat, y) {where[1]}"),
               MSE.forward, ctx, yhat, y)
    return as_tensor(out, "MSE.forward(ctx, yhat, y)")


def grad_output_for(value: torch.Tensor, g: float, seed: int = 5) -> torch.Tensor:
    """The grad_output given to backward: g (a 0-d tensor) for a scalar cost, else a tensor of
    the output's shape with values around g."""
    if value.numel() == 1 and value.dim() <= 1:
        return torch.tensor(g, dtype=DTYPE).reshape(value.shape)
    return g + 0.25 * randn(value.shape, seed)


def numeric_vjp(forward, x: torch.Tensor, G: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Central differences of <G, forward(x)> (forward runs remotely: small tensors only)."""
    grad = torch.zeros_like(x)
    flat = grad.view(-1)
    for i in range(x.numel()):
        plus, minus = x.clone(), x.clone()
        plus.view(-1)[i] += eps
        minus.view(-1)[i] -= eps
        flat[i] = float(((forward(plus) - forward(minus)) * G).sum() / (2 * eps))
    return grad


def check_mse_backward(MSE, ctx_factory, yhat, y, g, where: tuple[str, str]):
    """Forward then backward with a context from ctx_factory(): the backward must be the gradient
    of the student's own forward (whatever its reduction), times grad_output. Returns the kind."""
    q, p = yhat.shape
    ctx = ctx_factory()
    value = mse_forward(MSE, ctx, yhat, y, where)
    kind = mse_kind(value, yhat, y)
    G = grad_output_for(value, g)
    result = call((f"MSE.backward(ctx, grad_output) {where[0]}", f"MSE.backward(ctx, grad_output) {where[1]}"),
                  MSE.backward, ctx, G)
    g_yhat, g_y = gradients(result, 2, "MSE", "yhat, y")
    if kind is not None:
        own_yhat = _reductions(yhat - y)[kind][1](G)
        own_y = -own_yhat
    else:  # a cost that is no reduction of (yhat − y)²: its gradient by finite differences
        def f_yhat(t):
            return mse_forward(MSE, ctx_factory(), t, y, where)

        def f_y(t):
            return mse_forward(MSE, ctx_factory(), yhat, t, where)

        own_yhat, own_y = numeric_vjp(f_yhat, yhat, G), numeric_vjp(f_y, y, G)
    if g_y is None:
        fail(text(f"MSE.backward returns None as the gradient w.r.t. y {where[0]}: the skeleton asks for both "
                  f"partial derivatives (gradcheck checks y too)",
                  f"MSE.backward renvoie None comme gradient par rapport à y {where[1]} : le squelette demande les deux "
                  f"dérivées partielles (gradcheck vérifie y aussi)"))
    g_yhat = as_tensor(g_yhat, ("the gradient w.r.t. yhat", "le gradient par rapport à yhat"))
    g_y = as_tensor(g_y, ("the gradient w.r.t. y", "le gradient par rapport à y"))
    if close(g_yhat, own_yhat) and close(g_y, own_y):
        return kind
    sizes = {"q": q, "p": p}
    if close(g_yhat, own_y) and close(g_y, own_yhat):
        fail(text(f"MSE.backward returns the gradients in the wrong order {where[0]}: (grad w.r.t. yhat, grad w.r.t. "
                  f"y), the order of forward's inputs",
                  f"MSE.backward renvoie les gradients dans le mauvais ordre {where[1]} : (gradient par rapport à yhat, "
                  f"par rapport à y), l'ordre des entrées de forward"))
    ones = torch.ones_like(G)
    if kind is not None:
        own_ones = _reductions(yhat - y)[kind][1](ones)
        if close(g_yhat, own_ones) and not close(own_ones, own_yhat):
            fail(text(f"MSE.backward ignores grad_output {where[0]}: the gradient of the cost must be multiplied by "
                      f"grad_output (the derivative of what comes after MSE, chain rule)",
                      f"MSE.backward ignore grad_output {where[1]} : le gradient du coût doit être multiplié par "
                      f"grad_output (la dérivée de ce qui suit MSE, dérivation chaînée)"))
    k = constant_factor(g_yhat, own_yhat)
    if k is not None:
        shown = describe_factor(k, sizes)
        fail(text(f"MSE.backward is not the gradient of your own forward {where[0]}: your gradient is {shown} × the "
                  f"gradient of your own forward (q = {q} examples, p = {p} outputs); forward and backward must use "
                  f"the same reduction",
                  f"MSE.backward n'est pas le gradient de votre propre forward {where[1]} : votre gradient vaut {shown} × "
                  f"le gradient de votre propre forward (q = {q} exemples, p = {p} sorties) ; forward et backward "
                  f"doivent utiliser la même réduction"))
    expect_close(g_yhat, own_yhat, name=text(f"MSE.backward's gradient w.r.t. yhat {where[0]} (the gradient of your "
                                             f"own forward times grad_output)",
                                             f"le gradient de MSE.backward par rapport à yhat {where[1]} (le gradient "
                                             f"de votre propre forward multiplié par grad_output)"))
    expect_close(g_y, own_y, name=text(f"MSE.backward's gradient w.r.t. y {where[0]}",
                                       f"le gradient de MSE.backward par rapport à y {where[1]}"))
    return kind


# -- Linear ----------------------------------------------------------------------------------------

# How the student's Linear takes its arguments: the handout's (X, W (d, p), b), W stored (p, d)
# with X @ W.T, or W first.
LAYOUTS = ("canonical", "w_transposed", "wxb", "wxb_transposed")
LAYOUT_CREDIT_KEY = {"canonical": None, "w_transposed": "w_transposed", "wxb": "argument_order",
                     "wxb_transposed": "argument_order"}
LAYOUT_TEXT = {
    "w_transposed": text("Linear stores W as (p, d) and computes X @ W.T + b, consistently (the handout's formula "
                         "x Wᵀ + b; the skeleton's W is (d, p)): accepted",
                         "Linear stocke W en (p, d) et calcule X @ W.T + b, de façon cohérente (la formule de "
                         "l'énoncé x Wᵀ + b ; le W du squelette est (d, p)) : accepté"),
    "wxb": text("Linear takes its arguments in the order (W, X, b), consistently: the skeleton's order is "
                "forward(ctx, X, W, b) — a convention, partly credited",
                "Linear prend ses arguments dans l'ordre (W, X, b), de façon cohérente : l'ordre du squelette est "
                "forward(ctx, X, W, b) — une convention, créditée en partie"),
}
LAYOUT_TEXT["wxb_transposed"] = LAYOUT_TEXT["wxb"]


def layout_args(layout: str, X, W, b) -> tuple:
    Wl = W.T.contiguous() if layout in ("w_transposed", "wxb_transposed") else W
    return (Wl, X, b) if layout.startswith("wxb") else (X, Wl, b)


def canonical_grads(layout: str, grads: tuple) -> tuple:
    """The student's (grad per input, in its order) as (grad_X, grad_W in (d, p) if it can be, grad_b)."""
    gX, gW, gb = (grads[1], grads[0], grads[2]) if layout.startswith("wxb") else grads
    if layout in ("w_transposed", "wxb_transposed") and isinstance(gW, torch.Tensor) and gW.dim() == 2:
        gW = gW.T
    return gX, gW, gb


def detect_layout(student, session) -> str:
    """The first layout whose forward gives X W + b on LINEAR_PROBE (sizes all different)."""
    X, W, b, _ = LINEAR_PROBE
    Linear = student.cls("Linear")
    for ctx_factory in (student.context, session.grader_context):
        for layout in LAYOUTS:
            try:
                out = Linear.forward(ctx_factory(), *layout_args(layout, X, W, b))
            except StudentError:
                continue
            if isinstance(out, torch.Tensor) and close(out, X @ W + b):
                return layout
    return "canonical"


def linear_value_check(Linear, ctx, layout, X, W, b, where: tuple[str, str]) -> None:
    q, d = X.shape
    p = W.shape[1]
    en = f"Linear.forward {where[0]} with X {(q, d)}, W {(d, p)}, b {(p,)}"
    fr = f"Linear.forward {where[1]} avec X {(q, d)}, W {(d, p)}, b {(p,)}"
    out = as_tensor(call((f"Linear.forward {where[0]}", f"Linear.forward {where[1]}"), Linear.forward, ctx,
                         *layout_args(layout, X, W, b)), "Linear.forward")
    expected = X @ W + b
    if close(out, expected):
        return
    if close(out, X @ W):
        fail(text(f"{en} forgets the bias: X @ W + b expected", f"{fr} oublie le biais : X @ W + b attendu"))
    if close(out, X @ W - b):
        fail(text(f"{en} subtracts b: X @ W + b expected", f"{fr} soustrait b : X @ W + b attendu"))
    expect_close(out, expected, name=text(en, fr))


def linear_backward_check(Linear, ctx_factory, layout, X, W, b, G, where: tuple[str, str]) -> None:
    q, d = X.shape
    p = W.shape[1]
    ctx = ctx_factory()
    call((f"Linear.forward {where[0]}", f"Linear.forward {where[1]}"), Linear.forward, ctx,
         *layout_args(layout, X, W, b))
    result = call((f"Linear.backward(ctx, grad_output) {where[0]}", f"Linear.backward(ctx, grad_output) {where[1]}"),
                  Linear.backward, ctx, G)
    raw = gradients(result, 3, "Linear", "X, W, b")
    expected = (G @ W.T, X.T @ G, G.sum(0))
    names = ("grad_X", "grad_W", "grad_b")
    shapes = ((q, d), (d, p), (p,))
    if any(g is None for g in raw):
        missing = [names[i] for i, g in enumerate(canonical_grads(layout, raw)) if g is None]
        fail(text(f"Linear.backward returns None for {', '.join(missing)} {where[0]}: the gradients w.r.t. X, W and "
                  f"b are all asked for", f"Linear.backward renvoie None pour {', '.join(missing)} {where[1]} : les "
                  f"gradients par rapport à X, W et b sont tous demandés"))
    raw = tuple(as_tensor(g, names[i]) for i, g in enumerate(raw))
    gX, gW, gb = canonical_grads(layout, raw)
    got = (gX, gW, gb)
    # returned in another order than forward's inputs
    if not all(close(g, e) for g, e in zip(got, expected)):
        import itertools

        for perm in itertools.permutations(range(3)):
            if perm != (0, 1, 2) and all(close(got[perm[i]], expected[i]) for i in range(3)):
                fail(text(f"Linear.backward returns the gradients in the wrong order {where[0]}: backward returns one "
                          f"gradient per input of forward, in the same order (grad_X, grad_W, grad_b)",
                          f"Linear.backward renvoie les gradients dans le mauvais ordre {where[1]} : backward renvoie un "
                          f"gradient par entrée de forward, dans le même ordre (grad_X, grad_W, grad_b)"))
    if shape_of(gb) != (p,):
        if shape_of(gb) in ((q, p), (1, p)):
            if shape_of(gb) == (1, p):
                what_en, what_fr = "summed with keepdim=True", "sommé avec keepdim=True"
            elif close(gb, G):
                what_en, what_fr = "grad_output itself, not summed", "grad_output lui-même, non sommé"
            else:
                what_en, what_fr = "not summed over the batch", "non sommé sur le batch"
            fail(text(f"grad_b has shape {shape_of(gb)} ({what_en}) {where[0]}, b has shape ({p},): the gradient w.r.t. b "
                      f"must have b's shape, grad_output summed over the batch (dim 0). gradcheck through "
                      f"linear = Linear.apply hides this bug: autograd silently sums a gradient that can be expanded "
                      f"to its input's shape, so gradcheck passes; called by hand (your descente), b takes the "
                      f"wrong shape",
                      f"grad_b a la forme {shape_of(gb)} ({what_fr}) {where[1]}, b a la forme ({p},) : le gradient par "
                      f"rapport à b doit avoir la forme de b, grad_output sommé sur le batch (dim 0). gradcheck via "
                      f"linear = Linear.apply cache ce bug : autograd somme sans rien dire un gradient qui peut "
                      f"s'étendre à la forme de son entrée, donc gradcheck passe ; appelé à la main (votre "
                      f"descente), b prend une mauvaise forme"))
        expect_shape(gb, (p,), name=text(f"grad_b {where[0]}", f"grad_b {where[1]}"))
    if shape_of(gW) != (d, p):
        if shape_of(gW) == (p, d) and d != p:
            fail(text(f"grad_W has shape {(p, d)} {where[0]}, W has shape {(d, p)}: grad_W = X.T @ grad_output",
                      f"grad_W a la forme {(p, d)} {where[1]}, W a la forme {(d, p)} : grad_W = X.T @ grad_output"))
        expect_shape(gW, (d, p), name=text(f"grad_W {where[0]}", f"grad_W {where[1]}"))
    expect_shape(gX, (q, d), name=text(f"grad_X {where[0]}", f"grad_X {where[1]}"))
    ones = torch.ones_like(G)
    for i in range(3):
        if not close(got[i], expected[i]):
            without = (ones @ W.T, X.T @ ones, ones.sum(0))[i]
            if close(got[i], without) and not close(without, expected[i]):
                fail(text(f"{names[i]} ignores grad_output {where[0]}: the chain rule multiplies by grad_output "
                          f"(the gradient of the cost w.r.t. the output of Linear)",
                          f"{names[i]} ignore grad_output {where[1]} : la dérivation chaînée multiplie par grad_output "
                          f"(le gradient du coût par rapport à la sortie de Linear)"))
            sizes = {"q": q}
            k = constant_factor(got[i], expected[i])
            if k is not None:
                fail(text(f"{names[i]} is {describe_factor(k, sizes)} × the gradient of X @ W + b {where[0]} "
                          f"(q = {q} examples): a reduction belongs to the cost (MSE), not to Linear",
                          f"{names[i]} vaut {describe_factor(k, sizes)} × le gradient de X @ W + b {where[1]} "
                          f"(q = {q} exemples) : la réduction appartient au coût (MSE), pas à Linear"))
            expect_close(got[i], expected[i], name=text(f"{names[i]} {where[0]}", f"{names[i]} {where[1]}"))


# -- gradcheck script ------------------------------------------------------------------------------

def class_names(session) -> dict[str, str]:
    """The student's names of MSE and Linear (as intake found them) -> the canonical names."""
    try:
        found = session.classes()
    except Exception:
        return {}
    return {str(entry.get("name", canonical)): canonical for canonical, entry in found.items()
            if canonical in drivers.FUNCTIONS and isinstance(entry, dict)}


def gradcheck_records(session, student) -> list[dict]:
    """Run the gradcheck script with the probe; the gradcheck calls it made."""
    session.run_driver(drivers, "install_gradcheck_probe", names=class_names(session))
    try:
        student.run_script()
    except StudentError as exc:
        records = session.run_driver(drivers, "collect")["gradchecks"]
        fail(text(f"the gradcheck script stopped with {exc.summary()} (after {len(records)} gradcheck call(s))",
                  f"le script de gradcheck s'est arrêté sur {exc.summary()} (après {len(records)} appel(s) de "
                  f"gradcheck)"))
    return session.run_driver(drivers, "collect")["gradchecks"]


def records_of(records: list[dict], function: str) -> list[dict]:
    return [r for r in records if function in r["functions"]]


# -- descente script -------------------------------------------------------------------------------

def changed_shapes(first: dict, last: dict) -> list[tuple[tuple, tuple]]:
    """The (first, last) shapes of the arguments of Linear.forward that changed during the run."""
    pairs = []
    for a, b in zip(first["args"], last["args"]):
        if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.numel() != b.numel():
            pairs.append((tuple(a.shape), tuple(b.shape)))
    return pairs


def linear_parts(record: dict):
    """(X, W in (d, p), b) from the arguments of a Linear.forward call, whatever the layout: the
    pair whose product (with b) gives the recorded output, or the first that multiplies."""
    tensors = [a for a in record["args"] if isinstance(a, torch.Tensor)]
    if len(tensors) != 3:
        return None
    import itertools

    out = record.get("out")
    candidates = []
    for i, j, k in itertools.permutations(range(3)):
        A, B, c = tensors[i].to(DTYPE), tensors[j].to(DTYPE), tensors[k].to(DTYPE)
        if A.dim() != 2 or B.dim() != 2:
            continue
        for Wc in (B, B.T):
            if A.shape[1] == Wc.shape[0] and c.numel() == Wc.shape[1]:
                candidates.append((A, Wc, c.reshape(-1)))
    for X, W, b in candidates:
        if isinstance(out, torch.Tensor) and close(X @ W + b, out, rtol=1e-4, atol=1e-4):
            return X, W, b
    return candidates[0] if candidates else None


def mse_target(record: dict):
    args = [a for a in record["args"] if isinstance(a, torch.Tensor)]
    if len(args) < 2:
        return None
    return args[1] if record.get("yhat_first", True) else args[0]


def sparkline(values: list[float]) -> str:
    """A curve in one line of text (the report is Markdown): ▁▂▃▄▅▆▇█, first and last values."""
    values = [v for v in values if math.isfinite(v)]
    if len(values) < 2:
        return " ".join(f"{v:.3g}" for v in values)
    if len(values) > 40:
        step = len(values) / 40
        values = [values[int(i * step)] for i in range(40)] + [values[-1]]
    lo, hi = min(values), max(values)
    bars = "▁▂▃▄▅▆▇█"
    line = "".join(bars[min(7, int((v - lo) / (hi - lo) * 8)) if hi > lo else 0] for v in values)
    return f"{values[0]:.4g} {line} {values[-1]:.4g}"


def finite(values) -> bool:
    return all(math.isfinite(float(v)) for v in values)


def floats(values) -> list[float] | None:
    """A list of numbers (floats, 0-d or 1-element tensors) as floats, or None."""
    if isinstance(values, torch.Tensor):
        values = values.detach().reshape(-1).tolist()
    if not isinstance(values, (list, tuple)):
        return None
    out = []
    for v in values:
        if isinstance(v, torch.Tensor) and v.numel() == 1:
            v = float(v)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        out.append(float(v))
    return out


# -- Boston as a script ----------------------------------------------------------------------------

def check_script_regimes(run: dict) -> None:
    """A script's three regimes, seen in the batch sizes of Linear.backward's calls."""
    sizes = sorted(q for q, count in run["batches"].items() if count >= 2)
    if not sizes:
        fail(text("the Boston script never calls Linear.backward (by hand or through autograd): the descents must "
                  "use your Functions", "le script Boston n'appelle jamais Linear.backward (à la main ou via "
                  "autograd) : les descentes doivent utiliser vos Functions"))
    missing = []
    if 1 not in sizes:
        missing.append(("stochastic (one example per update)", "stochastique (un exemple par mise à jour)"))
    if not any(1 < q < sizes[-1] for q in sizes):
        missing.append(("mini-batch", "mini-batch"))
    if sizes[-1] < 100:
        missing.append(("batch (the whole training set per update)", "batch (tout l'ensemble d'apprentissage par "
                                                                      "mise à jour)"))
    if missing:
        fail(text(f"the Boston script's updates use batches of {sizes} examples: missing the "
                  f"{' and '.join(m[0] for m in missing)} descent",
                  f"les mises à jour du script Boston utilisent des batchs de {sizes} exemples : il manque la "
                  f"descente {' et '.join(m[1] for m in missing)}"))


def script_curves(scalars) -> dict[str, list[float]]:
    curves: dict[str, list[float]] = {}
    for item in scalars:
        try:
            curves.setdefault(str(item["tag"]), []).append(float(torch.as_tensor(item["value"]).double().sum()))
        except (TypeError, ValueError, RuntimeError):
            continue
    return curves
