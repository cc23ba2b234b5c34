"""Public self-checks for tp_nn parts 2.2 to 2.6. They need no reference solution.

Run them with:  grader check tp_nn <your folder>
"""

import math

import pytest
import torch

from grader.api import expect_close, expect_shape, fail, text
from tp_nn_torch_support import (MNIST_TIMEOUT, check_autograd_params, check_autograd_steps, circles_numpy,
                                 expect_module, fraction_correct, is_probability_rows, mnist, model_roles,
                                 run_driver, short_type, to_state, torch_hints, unpack)

# -- 2.2 autograd ----------------------------------------------------------------------------------


@pytest.mark.question("autograd")
def test_autograd_init_params_are_leaves_that_require_grad(session, student):
    """init_params returns Wh, bh, Wy, by: leaf tensors with requires_grad=True
    fr: init_params renvoie Wh, bh, Wy, by : des tenseurs feuilles avec requires_grad=True"""
    info = run_driver(session, "tp_nn_autograd", "autograd_probe", 2, 5, 3)
    check_autograd_params(info, 2, 5, 3)


@pytest.mark.question("autograd")
def test_autograd_sgd_two_steps(session, student):
    """two steps of sgd(params, eta) after L.backward(), with L = ||p||^2 / 2 (so that grad = p)
    fr: deux pas de sgd(params, eta) après L.backward(), avec L = ||p||^2 / 2 (donc grad = p)"""
    params = {"Wh": torch.tensor([[1.0, -2.0]]), "bh": torch.tensor([0.5]),
              "Wy": torch.tensor([[4.0], [-1.0]]), "by": torch.tensor([0.0, 2.0])}
    zeros = {k: torch.zeros_like(v) for k, v in params.items()}
    with torch_hints():
        records = run_driver(session, "tp_nn_autograd", "autograd_steps", params, [zeros, zeros], 0.25)
    # grad = p at each step, so p <- 0.75 p, twice (with gradients reset in between).
    expected = [{k: v * 0.75 for k, v in params.items()}, {k: v * 0.75**2 for k, v in params.items()}]
    check_autograd_steps(records, expected, 0.25)


# -- 2.3 torch.nn ----------------------------------------------------------------------------------


@pytest.mark.question("nn_model")
def test_init_model_returns_a_model_that_computes_the_logits(student):
    """init_model(nx, nh, ny) returns (model, loss); the model computes ytilde (no softmax) on a small example
    fr: init_model(nx, nh, ny) renvoie (model, loss) ; le modèle calcule ytilde (sans softmax) sur un petit exemple"""
    model, _ = unpack(student.init_model(2, 1, 3), 2, "init_model", "(model, loss)")
    expect_module(model, "init_model")
    roles = model_roles(model, 2, 1, 3, "init_model")
    params = {"Wh": torch.tensor([[1.0, -1.0]]), "bh": torch.tensor([0.5]),
              "Wy": torch.tensor([[2.0], [-1.0], [0.0]]), "by": torch.tensor([0.0, 0.25, -0.5])}
    model.load_state_dict(to_state(roles, params))
    out = model(torch.tensor([[1.0, 1.0], [0.0, 2.0]]))
    expect_shape(out, (2, 3), name="model(X)")
    h = torch.tanh(torch.tensor([0.5, -1.5]))
    expected = torch.stack([2 * h, -h + 0.25, torch.full((2,), -0.5)], dim=1)
    if is_probability_rows(out) and not is_probability_rows(expected):
        fail(text("the model's output rows are probabilities: the model ends with a softmax, but "
                  "CrossEntropyLoss applies it itself (the handout warns): the model stops at ytilde",
                  "les lignes de la sortie du modèle sont des probabilités : le modèle finit par un softmax, "
                  "or CrossEntropyLoss l'applique elle-même (l'énoncé le signale) : le modèle s'arrête à ytilde"))
    expect_close(out, expected, name="model(X)")


@pytest.mark.question("nn_model")
def test_loss_accuracy_fixed_example(session, student):
    """loss_accuracy(loss, Yhat, Y) on given logits: cross-entropy and accuracy, with the loss it receives
    fr: loss_accuracy(loss, Yhat, Y) sur des logits donnés : entropie croisée et précision, avec la loss qu'elle
    reçoit"""
    _, loss = unpack(student.init_model(2, 5, 3), 2, "init_model", "(model, loss)")
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 3.0, 0.5]])
    labels = [0, 2, 1]
    Y = torch.eye(3)[labels]
    L, acc = unpack(student.loss_accuracy(loss, logits, Y), 2, "loss_accuracy", "(L, acc)")
    rows = logits.tolist()
    expected_L = sum(math.log(sum(math.exp(v) for v in row)) - row[c] for row, c in zip(rows, labels)) / 3
    expect_close(L, expected_L, name=text(f"L (with the {short_type(loss)} returned by init_model)",
                                          f"L (avec la {short_type(loss)} renvoyée par init_model)"))
    expect_close(acc, 2 / 3, name="acc")
    # the loss it is given, whatever it is: here the sum over the batch instead of the mean
    summed = run_driver(session, "tp_nn_modules", "make_loss", "CrossEntropyLoss", reduction="sum")
    L, _ = unpack(student.loss_accuracy(summed, logits, Y), 2, "loss_accuracy", "(L, acc)")
    if math.isclose(float(torch.as_tensor(L).reshape(-1)[0]), expected_L, rel_tol=1e-4):
        fail(text("loss_accuracy does not use the loss it is given: L = loss(Yhat, Y)",
                  "loss_accuracy n'utilise pas la loss qu'elle reçoit : L = loss(Yhat, Y)"))
    expect_close(L, 3 * expected_L, name=text("L with loss = CrossEntropyLoss(reduction='sum')",
                                                "L avec loss = CrossEntropyLoss(reduction='sum')"))


@pytest.mark.question("nn_model")
def test_sgd_updates_every_parameter_and_zeroes_gradients(session, student):
    """sgd(model, eta) on the handout's example model: p <- p - eta * p.grad, then gradients reset
    fr: sgd(model, eta) sur le modèle d'exemple de l'énoncé : p <- p - eta * p.grad, puis gradients remis à zéro"""
    layers = [(torch.ones(2, 2), torch.zeros(2), torch.full((2, 2), 2.0), torch.ones(2)),
              (torch.ones(1, 2), torch.zeros(1), torch.full((1, 2), -2.0), torch.ones(1))]
    with torch_hints():
        values, grads = run_driver(session, "tp_nn_modules", "modules_sgd", layers, 0.5)
    expected = {"0.weight": torch.zeros(2, 2), "0.bias": torch.full((2,), -0.5),
                "2.weight": torch.full((1, 2), 2.0), "2.bias": torch.full((1,), -0.5)}
    expect_close(values, expected, name=text("the model's parameters after sgd", "les paramètres du modèle après sgd"))
    kept = [name for name, g in grads.items() if g is not None and bool((g != 0).any())]
    if kept:
        fail(text(f"the gradients of {kept} were not reset after the update (model.zero_grad())",
                  f"les gradients de {kept} n'ont pas été remis à zéro après la mise à jour (model.zero_grad())"))


# -- 2.4 torch.optim ---------------------------------------------------------------------------------


@pytest.mark.question("optim")
def test_init_model_returns_an_sgd_optimizer_that_trains(session, student):
    """init_model(nx, nh, ny, eta) returns (model, loss, optim), optim = SGD(all parameters, lr=eta); 3 steps lower the loss
    fr: init_model(nx, nh, ny, eta) renvoie (model, loss, optim), optim = SGD(tous les paramètres, lr=eta) ; 3 pas
    font baisser la loss"""
    info = run_driver(session, "tp_nn_optim", "optim_probe", 3, 7, 4, 0.05)
    if info.get("returned") != "triple":
        fail(text(f"init_model must return (model, loss, optim), got {info.get('length') or info.get('returned')}",
                  f"init_model doit renvoyer (model, loss, optim), pas {info.get('length') or info.get('returned')}"))
    if info["optimizer"] != "torch.optim.sgd.SGD":
        fail(text(f"the optimizer is a {info['optimizer']}, torch.optim.SGD expected",
                  f"l'optimiseur est un {info['optimizer']}, torch.optim.SGD attendu"))
    if info.get("not_covered"):
        fail(text(f"the optimizer does not update {info['not_covered']}: give it model.parameters()",
                  f"l'optimiseur ne met pas à jour {info['not_covered']} : donnez-lui model.parameters()"))
    lrs = [group.get("lr") for group in info.get("groups", [])]
    expect_close(lrs[0] if len(lrs) == 1 else lrs, 0.05, name=text("the optimizer's lr (eta = 0.05)",
                                                                        "le lr de l'optimiseur (eta = 0.05)"))
    # the handout's loop: optim.zero_grad(); L, _ = loss_accuracy(loss, model(X), Y); L.backward(); optim.step()
    model, _, _ = unpack(student.init_model(3, 7, 4, 0.5), 3, "init_model", "(model, loss, optim)")
    roles = model_roles(model, 3, 7, 4, "init_model")
    g = torch.Generator().manual_seed(0)
    params = {"Wh": torch.randn(7, 3, generator=g) * 0.3, "bh": torch.zeros(7),
              "Wy": torch.randn(4, 7, generator=g) * 0.3, "by": torch.zeros(4)}
    X, Y = torch.randn(16, 3, generator=g), torch.eye(4)[torch.arange(16) % 4]
    with torch_hints():
        result = run_driver(session, "tp_nn_optim", "optim_steps", 3, 7, 4, 0.5, to_state(roles, params), X, Y, 3)
    losses = result["losses"]
    if not losses[-1] < losses[0]:
        fail(text(f"the loss went from {losses[0]:.4f} to {losses[-1]:.4f} in 3 steps: it should decrease",
                  f"la loss est passée de {losses[0]:.4f} à {losses[-1]:.4f} en 3 pas : elle devrait baisser"))


# -- 2.5 MNIST ---------------------------------------------------------------------------------------


@pytest.mark.question("mnist")
@pytest.mark.self_check  # measured with your own model; grading measures with the reference's
def test_mnist_learns(session, student):
    """the grader's loop with your 2.4 code learns MNIST digits (measured with your model)
    fr: la boucle du correcteur avec votre code de 2.4 apprend les chiffres MNIST (mesuré avec votre modèle)"""
    Xtrain, ytrain, Xtest, ytest = mnist()
    with torch_hints():
        state = run_driver(session, "tp_nn_optim", "train_mnist", Xtrain, ytrain, timeout=MNIST_TIMEOUT)
    model, _, _ = unpack(student.init_model(784, 50, 10, 0.5), 3, "init_model", "(model, loss, optim)")
    model.load_state_dict(state)
    acc = fraction_correct(model(Xtest.float() / 255).argmax(dim=1), ytest)
    if acc < 0.8:
        fail(text(f"test accuracy {acc:.1%} after training on MNIST, 80 % expected",
                  f"précision en test {acc:.1%} après apprentissage sur MNIST, 80 % attendus"))


# -- 2.6 SVM (bonus) ---------------------------------------------------------------------------------


@pytest.mark.question("svm_bonus")
def test_svm_separates_circles(student):
    """train_svm(Xtrain, ytrain) returns a classifier whose predict separates the rings (90 %)
    fr: train_svm(Xtrain, ytrain) renvoie un classifieur dont predict sépare les anneaux (90 %)"""
    Xtrain, ytrain, Xtest, ytest = circles_numpy(0)
    classifier = student.train_svm(Xtrain, ytrain)
    if not hasattr(classifier, "remote_type"):
        fail(text(f"train_svm must return the trained classifier (with .predict), got {short_type(classifier)}",
                  f"train_svm doit renvoyer le classifieur entraîné (avec .predict), pas {short_type(classifier)}"))
    acc = fraction_correct(classifier.predict(Xtest), ytest)
    if acc < 0.9:
        fail(text(f"test accuracy {acc:.1%}, 90 % expected: the rings are not linearly separable (kernel?)",
                  f"précision en test {acc:.1%}, 90 % attendus : les anneaux ne sont pas linéairement "
                  f"séparables (noyau ?)"))
