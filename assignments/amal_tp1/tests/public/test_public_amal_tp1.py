"""Public self-checks of AMAL TP1 (no reference solution here): run them with

    grader check amal_tp1 <your folder>

They check small examples worked out by hand, that your backward agrees with gradcheck, that your
scripts run and what they do; the grading runs more thorough hidden tests.
"""

import math

import pytest
import torch

from amal_tp1_support import (DTYPE, as_tensor, boston, call, check_script_regimes, drivers, finite, gradcheck_records,
                              gradients, records_of, script_curves, sparkline)
from grader.api import expect_close, expect_shape, fail, text

# Self-checks for students (`grader check`): the grading counts the hidden tests only, which apply the
# conventions of the manifest (these small examples assume the skeleton's layout and reduction).
pytestmark = pytest.mark.self_check

YHAT = torch.tensor([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]], dtype=DTYPE)
Y = torch.tensor([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]], dtype=DTYPE)
# sum((YHAT − Y)²) / 3 = (1 + 1 + 4 + 9 + 1 + 4) / 3 = 20 / 3


@pytest.mark.question("mse")
def test_mse_small_example(student):
    """MSE on a 3 × 2 example worked by hand: 20 / 3, and its gradients for grad_output = 2
    fr: MSE sur un exemple 3 × 2 calculé à la main : 20 / 3, et ses gradients pour grad_output = 2"""
    MSE = student.cls("MSE")
    ctx = student.context()
    value = as_tensor(call("MSE.forward(ctx, yhat, y)", MSE.forward, ctx, YHAT, Y), "MSE.forward")
    expect_close(value.reshape(()) if value.numel() == 1 else value, torch.tensor(20 / 3, dtype=DTYPE),
                 name="MSE.forward(ctx, yhat, y) (sum((yhat − y)²) / q, q = 3)")
    g_yhat, g_y = gradients(call("MSE.backward(ctx, 2.0)", MSE.backward, ctx, torch.tensor(2.0, dtype=DTYPE)),
                            2, "MSE", "yhat, y")
    expected = 2.0 * 2 * (YHAT - Y) / 3
    expect_close(as_tensor(g_yhat, "grad_yhat"), expected, name=text("the gradient w.r.t. yhat (grad_output = 2)",
                                                                         "le gradient par rapport à yhat (grad_output = 2)"))
    expect_close(as_tensor(g_y, "grad_y"), -expected, name=text("the gradient w.r.t. y (grad_output = 2)",
                                                                       "le gradient par rapport à y (grad_output = 2)"))


@pytest.mark.question("mse")
def test_mse_gradcheck(student):
    """gradcheck(mse, (yhat, y)) in float64
    fr: gradcheck(mse, (yhat, y)) en float64"""
    result = student.gradcheck("MSE", YHAT, Y)
    if not result["passed"]:
        fail(text(f"gradcheck(mse, (yhat, y)) fails: {result['error']}",
                  f"gradcheck(mse, (yhat, y)) échoue : {result['error']}"))


X = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]], dtype=DTYPE)             # (q, d) = (2, 3)
W = torch.tensor([[1.0, 2.0, 0.0, 1.0], [0.0, 1.0, 1.0, -1.0], [2.0, 0.0, 1.0, 0.0]], dtype=DTYPE)  # (3, 4)
B = torch.tensor([0.5, -0.5, 1.0, 0.0], dtype=DTYPE)
G = torch.tensor([[1.0, 0.0, 2.0, -1.0], [0.5, 1.0, 0.0, 1.0]], dtype=DTYPE)


@pytest.mark.question("linear")
def test_linear_small_example(student):
    """Linear on X (2, 3), W (3, 4), b (4,): X @ W + b, and grad_X, grad_W, grad_b of the right shapes
    fr: Linear sur X (2, 3), W (3, 4), b (4,) : X @ W + b, et grad_X, grad_W, grad_b de la bonne forme"""
    Linear = student.cls("Linear")
    ctx = student.context()
    out = as_tensor(call("Linear.forward(ctx, X, W, b)", Linear.forward, ctx, X, W, B), "Linear.forward")
    expect_close(out, X @ W + B, name="Linear.forward(ctx, X, W, b)")
    gX, gW, gb = gradients(call("Linear.backward(ctx, grad_output)", Linear.backward, ctx, G), 3, "Linear",
                           "X, W, b")
    for value, shape, name in ((gX, (2, 3), "grad_X"), (gW, (3, 4), "grad_W"), (gb, (4,), "grad_b")):
        expect_shape(as_tensor(value, name), shape, name=name)
    expect_close(as_tensor(gX, "grad_X"), G @ W.T, name="grad_X")
    expect_close(as_tensor(gW, "grad_W"), X.T @ G, name="grad_W")
    expect_close(as_tensor(gb, "grad_b"), G.sum(0), name="grad_b")


@pytest.mark.question("linear")
def test_linear_gradcheck(student):
    """gradcheck(linear, (X, W, b)) in float64
    fr: gradcheck(linear, (X, W, b)) en float64"""
    result = student.gradcheck("Linear", X, W, B)
    if not result["passed"]:
        fail(text(f"gradcheck(linear, (X, W, b)) fails: {result['error']}",
                  f"gradcheck(linear, (X, W, b)) échoue : {result['error']}"))


@pytest.mark.question("gradcheck")
def test_gradcheck_script(session, student):
    """tp1_gradcheck.py runs gradcheck on mse and on linear, float64 inputs, and both pass
    fr: tp1_gradcheck.py lance gradcheck sur mse et sur linear, avec des entrées float64, et les deux réussissent"""
    records = gradcheck_records(session, student)
    for name in ("MSE", "Linear"):
        found = records_of(records, name)
        if not found:
            fail(text(f"the script never runs gradcheck on your {name}", f"le script ne lance jamais gradcheck sur "
                                                                        f"votre {name}"))
        for record in found:
            if any(dt != "float64" for dt in record["dtypes"]):
                fail(text(f"gradcheck of {name}: inputs {record['dtypes']}, float64 needed",
                          f"gradcheck de {name} : entrées {record['dtypes']}, float64 nécessaire"))
            if not record["passed"]:
                fail(text(f"gradcheck of {name} fails: {record['error']}", f"gradcheck de {name} échoue : "
                                                                          f"{record['error']}"))


@pytest.mark.question("descente")
def test_descente_script_logs_a_decreasing_loss(session, student):
    """tp1_descente.py runs and the loss it logs with add_scalar decreases
    fr: tp1_descente.py s'exécute et la loss qu'il enregistre avec add_scalar diminue"""
    session.run_driver(drivers, "install_probe")
    student.run_script()
    probe = session.run_driver(drivers, "collect")
    if not probe["calls"]["Linear.backward"]["manual"] or not probe["calls"]["MSE.backward"]["manual"]:
        fail(text("the loop does not call MSE.backward and Linear.backward by hand",
                  "la boucle n'appelle pas MSE.backward et Linear.backward à la main"))
    values = []
    for item in session.scalars():
        try:
            values.append(float(torch.as_tensor(item["value"]).double().sum()))
        except (TypeError, ValueError, RuntimeError):
            pass
    if len(values) < 2 or not finite(values) or not values[-1] < values[0]:
        fail(text(f"the logged loss does not decrease: {sparkline(values) or 'nothing logged'}",
                  f"la loss enregistrée ne diminue pas : {sparkline(values) or 'rien enregistré'}"))


@pytest.mark.question("boston")
def test_boston_batch_descent(session, student):
    """descente(...) in batch mode (all examples, 50 epochs) returns W (13, 1), b (1,) and losses that decrease
    (a Boston script instead: its three descents run and log their curves)
    fr: descente(...) en mode batch (tous les exemples, 50 époques) renvoie W (13, 1), b (1,) et des coûts qui
    diminuent (un script Boston à la place : ses trois descentes s'exécutent et enregistrent leurs courbes)"""
    if getattr(student, "form", "function") == "script":
        session.run_driver(drivers, "install_probe", keep_values=False)
        student.run_script()
        probe = session.run_driver(drivers, "collect")
        check_script_regimes({"batches": {int(k): int(v) for k, v in probe["backward_batches"].items()}})
        curves = {tag: v for tag, v in script_curves(session.scalars()).items() if len(v) >= 2}
        if len(curves) < 2:
            fail(text("a training and a test curve are asked for (writer.add_scalar)",
                      "une courbe d'apprentissage et une de test sont demandées (writer.add_scalar)"))
        return
    data = boston()
    n = data[0].shape[0]
    run = session.run_driver(drivers, "boston_runs", data, [(n, 50, 0.1)])[0]
    out = run["returned"]
    if not isinstance(out, (list, tuple)) or len(out) != 4:
        fail(text("descente must return (W, b, train_losses, test_losses)",
                  "descente doit renvoyer (W, b, train_losses, test_losses)"))
    W, b, train, test = out
    expect_shape(as_tensor(W, "W"), (13, 1), name="W")
    expect_shape(as_tensor(b, "b"), (1,), name="b")
    if run["updates"] != 50:
        fail(text(f"{run['updates']} updates in batch mode over 50 epochs, 50 expected (one per epoch)",
                  f"{run['updates']} mises à jour en mode batch sur 50 époques, 50 attendues (une par époque)"))
    train = [float(v) for v in train]
    if len(train) != 50 or not finite(train) or not train[-1] < train[0] or math.isnan(float(test[-1])):
        fail(text(f"the training loss must decrease over the 50 epochs: {sparkline(train)}",
                  f"le coût d'apprentissage doit diminuer sur les 50 époques : {sparkline(train)}"))
