"""Public self-checks for the numpy_nn project. They need no reference solution: each backward is
compared with finite differences of your own forward, and a few values are worked out by hand.

Run them with:  grader check numpy_nn <your folder>
"""

import numpy as np
import pytest

from grader.api import expect_close, fail, text
from numpy_nn_support import (CHAIN, Calls, chain_convention, LinearParams, as_array, close, credit, digits, gaussians,
                              gradient_by_update, linear_from_arrays, normal, numerical_gradient,
                              one_hot, shape_of)
import numpy_nn_drivers

TOL = dict(rtol=1e-5, atol=1e-7)


def _fd_input(module, X, delta):
    """d sum(forward(X) * delta) / dX by finite differences of your forward."""
    return numerical_gradient(lambda x: float(np.sum(as_array(module.forward(x)) * delta)), X)


# -- linear -------------------------------------------------------------------------------------------

@pytest.mark.question("linear")
def test_linear_small_example(student, question):
    """Linear(2, 3).forward on a small example worked out by hand
    fr: Linear(2, 3).forward sur un petit exemple calculé à la main"""
    lin = student.new("Linear", 2, 3)
    params = LinearParams.find(lin, 2, 3)
    W = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]])
    b = np.array([0.5, -0.5, 0.0])
    params.set(W, b)
    X = np.array([[1.0, 1.0], [0.0, 2.0]])
    expect_close(lin.forward(X), params.expected(X, W, b), name="Linear.forward(X)", **TOL)
    credit(question, [params.convention()])


@pytest.mark.question("linear")
def test_linear_backward_delta_matches_finite_differences(student, question):
    """Linear.backward_delta agrees with finite differences of your forward
    fr: Linear.backward_delta concorde avec les différences finies de votre forward"""
    lin, calls = student.new("Linear", 3, 5), Calls()
    X, delta = normal(1, 2, 3), normal(2, 2, 5)
    lin.forward(X)
    expect_close(calls.backward_delta(lin, X, delta), _fd_input(lin, X, delta),
                 name="Linear.backward_delta(X, delta)", **TOL)
    credit(question, [calls.note()])


@pytest.mark.question("linear")
def test_linear_two_calls_give_twice_the_gradient(student, question):
    """two calls of backward_update_gradient with the same batch accumulate twice its gradient
    fr: deux appels de backward_update_gradient sur le même batch accumulent deux fois son gradient"""
    lin, calls = student.new("Linear", 3, 5), Calls()
    params = LinearParams.find(lin, 3, 5)
    X, delta = normal(3, 4, 3), normal(4, 4, 5)
    lin.zero_grad()
    lin.forward(X)
    calls.backward_update_gradient(lin, X, delta)
    once = gradient_by_update(lin, params.read)
    lin.zero_grad()
    calls.backward_update_gradient(lin, X, delta)
    calls.backward_update_gradient(lin, X, delta)
    twice = gradient_by_update(lin, params.read)
    if close(twice[0], once[0]) and not close(once[0], np.zeros_like(once[0])):
        fail(text("two calls gave the gradient of one: backward_update_gradient must accumulate (+=)",
                  "deux appels ont donné le gradient d'un seul : backward_update_gradient doit accumuler (+=)"))
    expect_close(twice[0], 2 * once[0], name=text("the gradient of W after two calls", "le gradient de W après deux appels"), **TOL)
    credit(question, [params.convention(), calls.note()])


@pytest.mark.question("linear")
def test_mse_backward_matches_finite_differences(student):
    """MSELoss.backward agrees with finite differences of your forward
    fr: MSELoss.backward concorde avec les différences finies de votre forward"""
    mse = student.new("MSELoss")
    y, yhat = normal(5, 3, 2), normal(6, 3, 2)
    numeric = numerical_gradient(lambda z: float(np.sum(as_array(mse.forward(y, z)))), yhat)
    expect_close(mse.backward(y, yhat), numeric, name="MSELoss.backward(y, yhat)", **TOL)


# -- nonlinear ------------------------------------------------------------------------------------------

@pytest.mark.question("nonlinear")
@pytest.mark.parametrize("name", ["TanH", "Sigmoide"])
def test_activation_backward_matches_finite_differences(student, question, name):
    """backward_delta of TanH and Sigmoide agrees with finite differences of your forward
    fr: le backward_delta de TanH et de Sigmoide concorde avec les différences finies de votre forward"""
    module, calls = student.new(name), Calls()
    X, delta = normal(7, 3, 4, scale=2.0), normal(8, 3, 4)
    module.forward(X)
    expect_close(calls.backward_delta(module, X, delta), _fd_input(module, X, delta),
                 name=f"{name}.backward_delta(X, delta)", **TOL)
    credit(question, [calls.note()])


# -- sequential ------------------------------------------------------------------------------------------

@pytest.mark.question("sequential")
@pytest.mark.self_check   # uses your Linear, TanH, Sigmoide and MSELoss too: grading isolates Sequentiel and Optim
def test_your_classes_learn_four_gaussians(student, session):
    """Sequentiel(Linear(2, 8), TanH, Linear(8, 1), Sigmoide) + MSELoss + Optim learns the checkerboard
    fr: Sequentiel(Linear(2, 8), TanH, Linear(8, 1), Sigmoide) + MSELoss + Optim apprend le damier"""
    X, Y = gaussians(200, seed=2)
    result = session.run_driver(numpy_nn_drivers, "student_gaussians", X, Y, 8, 0.05, 30, 20, timeout=60)
    first = linear_from_arrays(result["layers"][0], 2, 8, result["hidden"], X)
    if first is None:
        fail(text("could not read the first Linear's W and b", "impossible de lire W et b du premier Linear"))
    accuracy = float(np.mean((as_array(result["output"]) > 0.5) == (Y > 0.5)))
    if accuracy < 0.9:
        fail(text(f"accuracy {accuracy:.0%} after training, 90 % expected",
                  f"précision {accuracy:.0%} après apprentissage, 90 % attendus"))


@pytest.mark.question("sequential")
def test_optim_step_moves_every_linear(student, session):
    """one Optim.step over a two-layer network changes the parameters of both Linear
    fr: un Optim.step sur un réseau à deux couches modifie les paramètres des deux Linear"""
    weights = [(normal(1, 2, 3), normal(2, 3)), (normal(3, 3, 1), normal(4, 1))]
    batch = [(normal(5, 4, 2), normal(6, 4, 1))]
    result = session.run_driver(numpy_nn_drivers, "optim_steps", weights, batch, 0.1)
    for i, ((W, b), (W1, b1)) in enumerate(zip(weights, result["snapshots"][0])):
        if close(W, W1, rtol=0, atol=1e-12):
            fail(text(f"Optim.step did not move the W of Linear number {i + 1}",
                      f"Optim.step n'a pas modifié le W du Linear numéro {i + 1}"))


# -- multiclass -----------------------------------------------------------------------------------------

@pytest.mark.question("multiclass")
def test_softmax_rows_sum_to_one_and_backward_matches_finite_differences(student, question):
    """Softmax: rows sum to 1; backward_delta agrees with finite differences of your forward
    fr: Softmax : les lignes somment à 1 ; backward_delta concorde avec les différences finies de votre forward"""
    sm, calls = student.new("Softmax"), Calls()
    Z, delta = normal(9, 3, 4), normal(10, 3, 4)
    out = as_array(sm.forward(Z))
    expect_close(out.sum(axis=1), np.ones(3), name=text("the sum of each row of Softmax.forward(Z)",
                                                      "Softmax.forward(Z).sum(axis=1) (somme de chaque ligne)"), **TOL)
    got = calls.backward_delta(sm, Z, delta)
    numeric = _fd_input(sm, Z, delta)
    s = out
    if close(got, s * (1 - s) * delta):
        fail(text("Softmax.backward_delta uses only the diagonal of the Jacobian (s (1 - s) delta)",
                  "Softmax.backward_delta n'utilise que la diagonale de la jacobienne (s (1 - s) delta)"))
    if close(got, delta) and chain_convention(student, Z, np.array([0, 1, 3])):
        credit(question, [("chain_exact", CHAIN)])
    expect_close(got, numeric, name="Softmax.backward_delta(Z, delta)", **TOL)
    credit(question, [calls.note()])


@pytest.mark.question("multiclass")
def test_celogsoftmax_of_uniform_scores_is_log_classes(student):
    """CElogSoftMax of equal scores is log(number of classes); its backward matches finite differences
    fr: CElogSoftMax de scores égaux vaut log(nombre de classes) ; son backward concorde avec les différences finies"""
    loss = student.new("CElogSoftMax")
    Y = one_hot(np.array([0, 2, 1]), 4)
    value = as_array(loss.forward(Y, np.zeros((3, 4))))
    if not (close(value, np.full(3, np.log(4))) or close(value, np.log(4))):
        fail(text(f"CElogSoftMax of equal scores over 4 classes should be log(4) = {np.log(4):.4f}, got {value}",
                  f"CElogSoftMax de scores égaux sur 4 classes doit valoir log(4) = {np.log(4):.4f}, obtenu {value}"))
    Z = normal(11, 3, 4)
    numeric = numerical_gradient(lambda z: float(np.sum(as_array(loss.forward(Y, z)))), Z)
    expect_close(loss.backward(Y, Z), numeric, name="CElogSoftMax.backward(y, z)", **TOL)


# -- autoencoder -----------------------------------------------------------------------------------------

@pytest.mark.question("autoencoder")
def test_bce_backward_matches_finite_differences(student):
    """BCELoss.backward agrees with finite differences of your forward
    fr: BCELoss.backward concorde avec les différences finies de votre forward"""
    loss = student.new("BCELoss")
    r = np.random.default_rng(12)
    y, yhat = r.uniform(0, 1, (3, 4)), r.uniform(0.1, 0.9, (3, 4))
    numeric = numerical_gradient(lambda z: float(np.sum(as_array(loss.forward(y, z)))), yhat)
    expect_close(loss.backward(y, yhat), numeric, name="BCELoss.backward(y, yhat)", **TOL)


# -- conv1d ------------------------------------------------------------------------------------------------

@pytest.mark.question("conv1d")
def test_conv1d_output_shape(student):
    """Conv1D(3, 2, 4, stride=2) on (batch 2, length 9, 2 channels) gives (2, 4, 4)
    fr: Conv1D(3, 2, 4, stride=2) sur (batch 2, longueur 9, 2 canaux) donne (2, 4, 4)"""
    conv = student.new("Conv1D", 3, 2, 4, 2)
    out = conv.forward(normal(13, 2, 9, 2))
    if shape_of(out) != (2, 4, 4):
        fail(text(f"Conv1D output of shape {shape_of(out)}, (2, 4, 4) expected: (9 - 3) // 2 + 1 = 4 positions",
                  f"sortie de Conv1D de taille {shape_of(out)}, (2, 4, 4) attendu : (9 - 3) // 2 + 1 = 4 positions"))


@pytest.mark.question("conv1d")
def test_conv1d_backward_delta_matches_finite_differences(student, question):
    """Conv1D.backward_delta agrees with finite differences of your forward (stride 2, 2 channels)
    fr: Conv1D.backward_delta concorde avec les différences finies de votre forward (stride 2, 2 canaux)"""
    conv, calls = student.new("Conv1D", 3, 2, 2, 2), Calls()
    X = normal(14, 1, 7, 2)
    out = as_array(conv.forward(X))
    delta = normal(15, *out.shape)
    expect_close(calls.backward_delta(conv, X, delta), _fd_input(conv, X, delta),
                 name="Conv1D.backward_delta(X, delta)", **TOL)
    credit(question, [calls.note()])


@pytest.mark.question("conv1d")
def test_maxpool_small_example(student):
    """MaxPool1D(2, 2) on a small example worked out by hand
    fr: MaxPool1D(2, 2) sur un petit exemple calculé à la main"""
    X = np.array([[[1.0], [3.0], [2.0], [0.0], [5.0]]])
    pool = student.new("MaxPool1D", 2, 2)
    expect_close(pool.forward(X), np.array([[[3.0], [2.0]]]), name="MaxPool1D(2, 2).forward(X)", **TOL)
