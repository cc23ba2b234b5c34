"""Public self-checks for tp_nn part 2.1. They need no reference solution.

Run them with:  grader check tp_nn <your folder>
"""

import math

import pytest
import torch
from hypothesis import given, settings

from grader.api import (expect_close, expect_gradient_close, expect_keys, expect_shape, expect_tuple, fail,
                        numerical_gradient, text)
from tp_nn_support import (CIRCLES_SIZES, OUTPUT_KEYS, PARAM_KEYS, accuracy, circles, circles_start,
                           detect_layout, network)


@pytest.mark.question("init_params")
@pytest.mark.incidental
def test_init_params_returns_the_four_parameters(student):
    """init_params returns Wh, bh, Wy, by with the handout's shapes
    fr: init_params renvoie Wh, bh, Wy, by aux tailles de l'énoncé"""
    params = expect_keys(student.init_params(2, 5, 3), PARAM_KEYS, name="init_params(2, 5, 3)")
    layout = detect_layout(student, nx=2, nh=5, ny=3)
    expected = layout.to_student({"Wh": torch.zeros(5, 2), "bh": torch.zeros(5), "Wy": torch.zeros(3, 5),
                                  "by": torch.zeros(3)})
    for key in PARAM_KEYS:
        expect_shape(params[key], tuple(expected[key].shape), name=f"params[{key!r}]")


@pytest.mark.question("forward")
@pytest.mark.incidental
def test_forward_shapes_and_probabilities(student):
    """forward returns (Yhat, outputs) with rows of Yhat summing to 1
    fr: forward renvoie (Yhat, outputs), chaque ligne de Yhat sommant à 1"""
    torch.manual_seed(0)
    params = {"Wh": torch.randn(4, 2), "bh": torch.randn(4), "Wy": torch.randn(3, 4), "by": torch.randn(3)}
    layout = detect_layout(student)
    Yhat, outputs = expect_tuple(student.forward(layout.to_student(params), layout.cast(torch.randn(6, 2))), 2,
                                 name="forward(params, X)")
    expect_shape(Yhat, (6, 3), name="Yhat")
    expect_close(Yhat.sum(dim=1), torch.ones(6), name=text("the sum of each row of Yhat",
                                                          "Yhat.sum(dim=1) (somme de chaque ligne de Yhat)"))
    expect_keys(outputs, OUTPUT_KEYS, name="outputs")


@pytest.mark.question("forward")
def test_forward_fixed_example(student):
    """forward on a small example computed by hand
    fr: forward sur un petit exemple calculé à la main"""
    params = {"Wh": torch.tensor([[1.0, -1.0]]), "bh": torch.tensor([0.5]),
              "Wy": torch.tensor([[2.0], [-1.0]]), "by": torch.tensor([0.0, 0.25])}
    layout = detect_layout(student, nx=2, nh=1, ny=2)
    X = torch.tensor([[1.0, 1.0], [0.0, 2.0]])
    Yhat, _ = student.forward(layout.to_student(params), layout.cast(X))
    h = torch.tanh(torch.tensor([0.5, -1.5]))
    expected = torch.softmax(torch.stack([2 * h, -h + 0.25], dim=1), dim=1)
    expect_close(Yhat, expected, name="Yhat")


@pytest.mark.question("loss_accuracy")
def test_loss_of_uniform_prediction_is_log_of_classes(student):
    """a uniform prediction costs log(ny) and a perfect one has accuracy 1
    fr: une prédiction uniforme coûte log(ny) et une prédiction parfaite a une précision de 1"""
    Y = torch.eye(4)
    L, acc = student.loss_accuracy(torch.full((4, 4), 0.25), Y)
    expect_close(L, math.log(4), name="L")
    L, acc = student.loss_accuracy(Y * 0.97 + 0.01, Y)
    expect_close(acc, 1.0, name="acc")


@pytest.mark.question("backward")
@pytest.mark.self_check  # relies on your forward too: grading uses the reference's forward instead
@settings(max_examples=5)
@given(network(max_n=4, dtype=torch.float64))
def test_backward_matches_finite_differences_of_your_forward(student, case):
    """backward agrees with finite differences of your own forward and loss
    fr: backward concorde avec les différences finies de votre propre forward et de votre loss"""
    size, params, X, Y = case
    layout = detect_layout(student)
    student_params = layout.to_student(params)
    _, outputs = student.forward(student_params, X)
    grads = student.backward(student_params, outputs, Y)

    def loss(p):
        Yhat, _ = student.forward(p, X)
        L, _ = student.loss_accuracy(Yhat, Y)
        return L

    numeric = numerical_gradient(loss, student_params)
    expect_gradient_close(grads, numeric, name="grads", context={"batch_size": size.n})


@pytest.mark.question("sgd")
def test_sgd_fixed_step(student):
    """one step of sgd with eta = 0.5
    fr: un pas de sgd avec eta = 0.5"""
    params = {"Wh": torch.ones(2, 2), "bh": torch.zeros(2), "Wy": torch.ones(1, 2), "by": torch.zeros(1)}
    grads = {"Wh": torch.full((2, 2), 2.0), "bh": torch.ones(2), "Wy": torch.full((1, 2), -2.0),
             "by": torch.ones(1)}
    result, (after, _, _) = student.sgd.observe(params, grads, 0.5)
    updated = result if isinstance(result, dict) else after
    expect_close({k: updated[k] for k in PARAM_KEYS},
                 {"Wh": torch.zeros(2, 2), "bh": torch.full((2,), -0.5), "Wy": torch.full((1, 2), 2.0),
                  "by": torch.full((1,), -0.5)}, name="params")


@pytest.mark.question("train_circles")
@pytest.mark.self_check  # measured with your own forward; grading measures with the reference's
def test_training_on_circles_learns(session, student):
    """the handout's training loop with your functions learns Circles (measured with your forward)
    fr: la boucle d'apprentissage de l'énoncé, avec vos fonctions, apprend Circles (mesuré avec votre forward)"""
    import tp_nn_drivers

    Xtrain, Ytrain, Xtest, Ytest = circles()
    layout = detect_layout(student, *CIRCLES_SIZES)
    start = layout.to_student(circles_start(0))
    params = session.run_driver(tp_nn_drivers, "train_circles", Xtrain, Ytrain, start, timeout=30)
    Yhat, _ = student.forward(params, layout.cast(Xtest))
    acc = accuracy(Yhat, Ytest)
    if acc < 0.9:
        fail(text(f"test accuracy {acc:.1%} after training, 90 % expected",
                      f"précision en test {acc:.1%} après apprentissage, 90 % attendus"))
