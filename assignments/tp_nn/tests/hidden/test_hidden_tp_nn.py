"""Hidden tests for tp_nn part 2.1: the student's functions against the reference.

Each question is graded on its own: `backward` and `sgd` receive inputs computed by the reference,
so a bug in `forward` costs `forward` only. Parameters are given to the student in the layout the
student's own init_params uses (see tp_nn_support.Layout).
"""

import math

import pytest
import torch
from hypothesis import given, settings, strategies as st

from grader.api import (PartialCredit, expect_close, expect_gradient_close, expect_keys, expect_type,
                        expect_unchanged, fail, figure,
                        numerical_gradient, text)
from tp_nn_support import (CIRCLES_EXTENT, CIRCLES_SIZES, NEAR_CHANCE, OUTPUT_KEYS, PARAM_KEYS, accuracy, circles,
                           circles_start, detect_layout, grid_points, network, predictions)

# -- init_params ---------------------------------------------------------------------------------

# Large layers make the sample statistics sharp: with 200,000 weights drawn from N(0, 0.3), the
# standard error of the sample mean is 6.7e-4 and of the sample std 4.7e-4, so the tolerances
# below are 15 and 21 standard errors wide (false-fail rate below 1e-40 per run). The excess
# kurtosis of a normal sample has standard error sqrt(24/n) = 0.011: a 0.25 tolerance (23 SE) tells
# a normal law from a uniform one (-1.2) with the same std.
BIG = (400, 500, 300)


@pytest.mark.question("init_params")
@pytest.mark.incidental
def test_init_params_shapes_in_a_consistent_layout(student):
    """init_params returns the four parameters with consistent shapes
    fr: init_params renvoie les quatre paramètres, de tailles cohérentes"""
    nx, nh, ny = 3, 7, 4
    params = student.init_params(nx, nh, ny)
    if not isinstance(params, dict) or any(k not in params for k in PARAM_KEYS):
        fail(text("init_params must return a dict with keys Wh, bh, Wy, by",
                  "init_params doit renvoyer un dictionnaire de clés Wh, bh, Wy, by"))
    shapes = {k: tuple(params[k].shape) for k in PARAM_KEYS}
    if shapes["Wh"] not in ((nh, nx), (nx, nh)) or shapes["Wy"] not in ((ny, nh), (nh, ny)):
        fail(text(f"weights of shapes {shapes['Wh']} and {shapes['Wy']}: expected Wh ({nh}, {nx}) and Wy ({ny}, {nh})",
                  f"poids de tailles {shapes['Wh']} et {shapes['Wy']} : attendu Wh ({nh}, {nx}) et Wy ({ny}, {nh})"))
    for key, size in (("bh", nh), ("by", ny)):
        if math.prod(shapes[key]) != size or len(shapes[key]) > 2:
            fail(text(f"{key} has shape {shapes[key]}: expected ({size},)",
                      f"{key} a la taille {shapes[key]} : attendu ({size},)"))


def _moments(values: torch.Tensor) -> tuple[float, float, float]:
    values = values.double().flatten()
    mean = float(values.mean())
    std = float(values.std())
    kurtosis = float(((values - mean) ** 4).mean() / std**4 - 3) if std > 0 else float("nan")
    return mean, std, kurtosis


# The lab's own sizes too: Circles as the lab trains it, and MNIST (784 pixels, 50 hidden units as
# in the grader's MNIST loop, 10 classes). A layer there can be small (20 weights for Circles), so
# the draws of many calls are pooled: POOLED_WEIGHTS values per weight, POOLED_BIASES per bias.
# Only distinct draws count (an init_params that seeds itself gives one draw, and fewer values:
# the tolerances below follow the count).
LAB_SIZES = (CIRCLES_SIZES, (784, 50, 10))
POOLED_WEIGHTS = 20_000
POOLED_BIASES = 2_000

# Tolerances at the lab sizes, in standard errors of a sample of n values from N(0, 0.3): the mean's
# is 0.3 / sqrt(n), the std's 0.3 / sqrt(2 n), the excess kurtosis's sqrt(24 / n). Mean and std
# within 8 SE: a false fail below 1e-11 per check even for n = 20 (the std's exact chi-square tail
# is 1.5e-12 there); with n = 20,000 pooled, 8 SE is 0.012 on the std, so std 1 or sqrt(0.3) is
# 60 SE or more away. The kurtosis within 10 SE, checked from n = 10,000 on (0.35 at n = 20,000;
# over 20,000 simulated normal samples its z-score had std 1.00 and skewness 0.1, none beyond 5):
# a uniform law (-1.2) is 35 SE away. With fewer than 20 distinct values nothing is checked.
Z_MOMENTS = 8
Z_KURTOSIS = 10
MIN_VALUES = 20
MIN_VALUES_KURTOSIS = 10_000


def _standard_errors(n: int) -> tuple[float, float, float]:
    return 0.3 / math.sqrt(n), 0.3 / math.sqrt(2 * n), math.sqrt(24 / n)


def _pooled_draws(session, student, sizes: tuple[int, int, int],
                  pooled: dict[str, int]) -> dict[str, tuple[torch.Tensor, int]]:
    """init_params(*sizes) called as many times as it takes to pool `pooled[key]` values of each
    key: per key, (the values of the distinct draws, flattened; the number of distinct draws)."""
    import tp_nn_drivers

    first = expect_keys(student.init_params(*sizes), PARAM_KEYS, name=f"init_params{sizes}")
    counts = {key: max(1, math.ceil(wanted / max(1, torch.as_tensor(first[key]).numel())))
              for key, wanted in pooled.items()}
    rows = session.run_driver(tp_nn_drivers, "init_draws", *sizes, counts, timeout=30)
    distinct = {key: torch.unique(torch.as_tensor(rows[key]).double(), dim=0) for key in pooled}
    return {key: (values.flatten(), values.shape[0]) for key, values in distinct.items()}


def _where(sizes: tuple[int, int, int], draws: int = 1) -> tuple[str, str]:
    """Where the values come from, in English and French: the head of a message."""
    if draws > 1:
        return f"at init_params{sizes} ({draws} calls pooled), ", f"pour init_params{sizes} ({draws} appels cumulés), "
    return f"at init_params{sizes}, ", f"pour init_params{sizes}, "


def _expect_normal_0_03(key: str, values: torch.Tensor, where: tuple[str, str], std_tol: float, mean_tol: float,
                        kurtosis_tol: float | None) -> None:
    mean, std, kurtosis = _moments(values)
    if not abs(std - 0.3) <= std_tol:  # `not <=`: NaN fails too
        hint = ("", "")
        if abs(std - math.sqrt(0.3)) < 0.02:
            hint = (" (std = sqrt(0.3): 0.3 was used as the variance)",
                    " (écart-type = sqrt(0.3) : 0,3 a été pris pour la variance)")
        elif abs(std - 1.0) < 0.03:
            hint = (" (std = 1: torch.randn was not multiplied by 0.3)",
                    " (écart-type = 1 : torch.randn n'a pas été multiplié par 0,3)")
        fail(text(f"{where[0]}{key} has standard deviation {std:.3f}, 0.3 expected{hint[0]}",
                  f"{where[1]}{key} a un écart-type de {std:.3f}, 0,3 attendu{hint[1]}"))
    if not abs(mean) <= mean_tol:
        fail(text(f"{where[0]}{key} has mean {mean:.3f}, 0 expected",
                  f"{where[1]}{key} a une moyenne de {mean:.3f}, 0 attendu"))
    if kurtosis_tol is not None and not abs(kurtosis) <= kurtosis_tol:
        fail(text(f"{where[0]}{key} does not look normally distributed (excess kurtosis {kurtosis:.2f}): torch.rand instead of torch.randn?",
                  f"{where[1]}{key} ne suit pas une loi normale (kurtosis {kurtosis:.2f}) : torch.rand au lieu de torch.randn ?"))


@pytest.mark.question("init_params")
@pytest.mark.weight(2)
def test_init_params_weights_follow_normal_0_03(session, student):
    """the weights are drawn from N(0, 0.3), at a large size and at the lab's own sizes
    fr: les poids sont tirés selon N(0, 0.3), à grande taille et aux tailles du TP"""
    # At BIG, one call: with 200,000 and 150,000 weights the tolerances of the header hold.
    params = expect_keys(student.init_params(*BIG), PARAM_KEYS, name=f"init_params{BIG}")
    for key in ("Wh", "Wy"):
        _expect_normal_0_03(key, params[key], _where(BIG), std_tol=0.01, mean_tol=0.01,
                            kurtosis_tol=0.25)
    for sizes in LAB_SIZES:
        draws = _pooled_draws(session, student, sizes, {"Wh": POOLED_WEIGHTS, "Wy": POOLED_WEIGHTS})
        for key, (values, calls) in draws.items():
            n = values.numel()
            if n < MIN_VALUES:
                continue
            se_mean, se_std, se_kurtosis = _standard_errors(n)
            _expect_normal_0_03(key, values, _where(sizes, calls), std_tol=Z_MOMENTS * se_std,
                                mean_tol=Z_MOMENTS * se_mean,
                                kurtosis_tol=Z_KURTOSIS * se_kurtosis if n >= MIN_VALUES_KURTOSIS else None)


def _expect_zeros_or_normal(key: str, bias: torch.Tensor, where: tuple[str, str], std_tol: float,
                            mean_tol: float) -> None:
    bias = bias.double().flatten()
    if bool((bias == 0).all()):
        return
    mean, std, _ = _moments(bias)
    if not (abs(std - 0.3) <= std_tol and abs(mean) <= mean_tol):  # NaN fails too
        fail(text(f"{where[0]}{key} has mean {mean:.3f} and std {std:.3f}: zeros or N(0, 0.3) expected",
                  f"{where[1]}{key} a une moyenne {mean:.3f} et un écart-type {std:.3f} : zéros ou N(0, 0,3) attendus"))


@pytest.mark.question("init_params")
@pytest.mark.incidental
def test_init_params_biases_zero_or_normal(session, student):
    """the biases are zeros or drawn from N(0, 0.3), at a large size and at the lab's own sizes
    fr: les biais sont nuls ou tirés selon N(0, 0.3), à grande taille et aux tailles du TP"""
    params = expect_keys(student.init_params(*BIG), PARAM_KEYS, name=f"init_params{BIG}")
    for key in ("bh", "by"):
        # 500 and 300 values: std's standard error 0.0095 / 0.012; 0.07 is 5.8 SE or more.
        _expect_zeros_or_normal(key, params[key], _where(BIG), std_tol=0.07, mean_tol=0.1)
    for sizes in LAB_SIZES:
        draws = _pooled_draws(session, student, sizes, {"bh": POOLED_BIASES, "by": POOLED_BIASES})
        for key, (values, calls) in draws.items():
            n = values.numel()
            if n < MIN_VALUES:
                continue
            # As for the weights, within 8 standard errors (0.038 on the std for 2,000 values).
            se_mean, se_std, _ = _standard_errors(n)
            _expect_zeros_or_normal(key, values, _where(sizes, calls), std_tol=Z_MOMENTS * se_std,
                                    mean_tol=Z_MOMENTS * se_mean)


# -- forward ----------------------------------------------------------------------------------------

@pytest.mark.question("forward")
@pytest.mark.weight(3)
@given(network())
def test_forward_matches_reference(student, reference, case):
    """Yhat matches the reference
    fr: Yhat égal à celui de la référence"""
    size, params, X, Y = case
    layout = detect_layout(student)
    expected, _ = reference.forward(params, X)
    Yhat, _ = student.forward(layout.to_student(params), layout.cast(X))
    expect_close(Yhat, expected, name="Yhat", context={"batch_size": size.n})


@pytest.mark.question("forward")
@given(network())
def test_forward_intermediate_values(student, reference, case):
    """outputs holds X, htilde, h, ytilde, yhat as in the handout
    fr: outputs contient X, htilde, h, ytilde, yhat comme dans l'énoncé"""
    size, params, X, Y = case
    layout = detect_layout(student)
    _, expected = reference.forward(params, X)
    _, outputs = student.forward(layout.to_student(params), layout.cast(X))
    expect_keys(outputs, OUTPUT_KEYS, name=text("outputs (the second value forward returns)",
                                                            "outputs (la deuxième valeur renvoyée par forward)"))
    for key in OUTPUT_KEYS:
        expect_close(outputs[key], expected[key], name=f"outputs[{key!r}]", context={"batch_size": size.n})


@pytest.mark.question("forward")
@pytest.mark.incidental
@given(network())
def test_forward_leaves_its_inputs_alone(student, case):
    """forward does not modify params or X
    fr: forward ne modifie ni params ni X"""
    _, params, X, _ = case
    layout = detect_layout(student)
    student_params = layout.to_student(params)
    X = layout.cast(X)
    _, (params_after, X_after) = student.forward.observe(student_params, X)
    expect_unchanged(student_params, params_after, name="params")
    expect_unchanged(X, X_after, name="X")


# -- loss_accuracy ----------------------------------------------------------------------------------

def _summed_convention(question, L, expected_L, n) -> None:
    """The loss summed over the batch instead of averaged: partial credit, as the manifest says."""
    share = float(question.credit.get("summed_loss", 0.0))
    if share > 0 and n > 1 and math.isclose(float(L), float(expected_L) * n, rel_tol=1e-4, abs_tol=1e-6):
        raise PartialCredit(share, text(
            f"your loss is the sum over the batch ({n} × the mean): the handout asks for the mean",
            f"votre loss est la somme sur le batch ({n} × la moyenne) : l'énoncé demande la moyenne"))


@pytest.mark.question("loss_accuracy")
@pytest.mark.weight(2)
@given(predictions())
def test_loss_matches_reference(student, reference, question, case):
    """the loss is the mean cross-entropy
    fr: la loss est l'entropie croisée moyenne"""
    Yhat, Y = case
    expected_L, _ = reference.loss_accuracy(Yhat, Y)
    L, _ = student.loss_accuracy(Yhat, Y)
    _summed_convention(question, torch.as_tensor(L).reshape(-1)[0], expected_L, Y.shape[0])
    expect_close(L, expected_L, name="L", context={"batch_size": Y.shape[0]})


@pytest.mark.question("loss_accuracy")
@given(predictions())
def test_accuracy_matches_reference(student, reference, question, case):
    """the accuracy is the fraction of correct predictions
    fr: la précision est la proportion de prédictions correctes"""
    Yhat, Y = case
    _, expected_acc = reference.loss_accuracy(Yhat, Y)
    _, acc = student.loss_accuracy(Yhat, Y)
    value = float(torch.as_tensor(acc).reshape(-1)[0])
    share = float(question.credit.get("percent_accuracy", 0.0))
    if share > 0 and float(expected_acc) > 0 and math.isclose(value, 100 * float(expected_acc), rel_tol=1e-4):
        raise PartialCredit(share, text(
            f"accuracy {value:g} is a percentage: the handout asks for a rate in [0, 1]",
            f"précision {value:g} en pourcentage : l'énoncé demande un taux entre 0 et 1"))
    expect_close(acc, expected_acc, name="acc")


# -- backward ---------------------------------------------------------------------------------------

def _reference_gradients(reference, params, X, Y):
    """Gradients of the reference mean loss by autograd (independent of reference.backward)."""
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    Yhat, _ = reference.forward(leaves, X)
    L, _ = reference.loss_accuracy(Yhat, Y)
    L.backward()
    return {k: v.grad for k, v in leaves.items()}


def _summed_gradients(question, grads, expected, n) -> None:
    """Gradients of the summed loss (n × those of the mean): partial credit per the manifest."""
    share = float(question.credit.get("summed_loss", 0.0))
    if share <= 0 or n <= 1 or not all(k in grads for k in PARAM_KEYS):
        return
    try:
        scaled = all(torch.allclose(torch.as_tensor(grads[k]).double().reshape(expected[k].shape),
                                    expected[k].double() * n, rtol=1e-3, atol=1e-5) for k in PARAM_KEYS)
    except (RuntimeError, TypeError, ValueError):
        return
    if scaled:
        raise PartialCredit(share, text(
            f"your gradients are {n} × the expected ones: those of the summed loss, the handout's loss is the mean",
            f"vos gradients valent {n} × ceux attendus : ceux de la loss sommée, la loss de l'énoncé est la moyenne"))


@pytest.mark.question("backward")
@pytest.mark.weight(3)
@given(network())
def test_backward_matches_autograd(student, reference, question, case):
    """the gradients are those of the mean loss (checked against autograd)
    fr: les gradients sont ceux de la loss moyenne (vérifiés avec autograd)"""
    size, params, X, Y = case
    layout = detect_layout(student)
    _, outputs = reference.forward(params, X)  # the reference's forward: a forward bug costs nothing here
    expected = _reference_gradients(reference, params, X, Y)
    grads = student.backward(layout.to_student(params), layout.to_student(outputs), layout.cast(Y))
    expect_type(grads, dict, name="backward(params, outputs, Y)")
    grads = layout.to_handout(grads, {k: tuple(v.shape) for k, v in params.items()})
    _summed_gradients(question, grads, expected, size.n)
    expect_gradient_close(grads, expected, name="grads", rtol=1e-3,
                                    context={"batch_size": size.n})


@pytest.mark.question("backward")
@settings(max_examples=5)  # a float64 cross-check of the autograd test above: a few cases suffice
@given(network(max_n=4, dtype=torch.float64))
def test_backward_matches_finite_differences(student, reference, question, case):
    """the gradients agree with finite differences of the loss (float64)
    fr: les gradients concordent avec les différences finies de la loss (float64)"""
    size, params, X, Y = case
    layout = detect_layout(student)
    _, outputs = reference.forward(params, X)

    def loss(p):
        L, _ = reference.loss_accuracy(reference.forward(p, X)[0], Y)
        return L

    numeric = numerical_gradient(loss, params)
    grads = student.backward(layout.to_student(params), layout.to_student(outputs), layout.cast(Y))
    grads = layout.to_handout(grads, {k: tuple(v.shape) for k, v in params.items()})
    _summed_gradients(question, grads, numeric, size.n)
    expect_gradient_close(grads, numeric, name="grads", rtol=1e-5,
                                    context={"batch_size": size.n})


# -- sgd --------------------------------------------------------------------------------------------

@pytest.mark.question("sgd")
@pytest.mark.weight(2)
@given(network(), st.sampled_from([0.01, 0.1, 0.5, 1.0]))
def test_sgd_matches_reference(student, reference, case, eta):
    """one gradient step, in place or into a new dict
    fr: un pas de gradient, sur place ou dans un nouveau dictionnaire"""
    size, params, X, Y = case
    grads = _reference_gradients(reference, params, X, Y)
    expected = reference.sgd(params, grads, eta)
    layout = detect_layout(student)
    shapes = {k: tuple(v.shape) for k, v in params.items()}
    result, (after, grads_after, _) = student.sgd.observe(layout.to_student(params),
                                                         layout.to_student(grads), eta)
    updated = result if isinstance(result, dict) else after
    updated = layout.to_handout({k: updated[k] for k in PARAM_KEYS if k in updated}, shapes)
    expect_close(updated, {k: expected[k] for k in PARAM_KEYS}, name="params")
    expect_unchanged(layout.to_student(grads), grads_after, name="grads")


# -- training ---------------------------------------------------------------------------------------

# The training starts from parameters the grader draws (circles_start), sent to the worker in the
# student's layout: not from the student's init_params, so that weights trained offline and
# returned by init_params earn nothing here. The start is near chance on the test set (at most
# NEAR_CHANCE, 50 % typically), the trained parameters must reach 90 %: what the loop reached, the
# student's forward, backward and sgd learned. Fixed seed: a grading gives the same report every time
# (the stability test trains from 20 other starts and batch orders).
START_SEED = 31


def _draw_training(reference, layout, shapes, result, data) -> None:
    """The report's pictures of the training: the loss on the training set and the accuracy on the
    test set, measured by the grader with the reference's forward on the parameters after each
    epoch, and the regions of the plane your trained forward gives each class."""
    Xtrain, Ytrain, Xtest, Ytest = (v.double() for v in data)
    losses, accuracies = [], []
    for snapshot in result.get("snapshots") or []:
        try:
            params = layout.to_handout({k: snapshot[k] for k in PARAM_KEYS}, shapes)
            params = {k: torch.as_tensor(v, dtype=torch.float64).reshape(shapes[k]) for k, v in params.items()}
            loss, _ = reference.loss_accuracy(reference.forward(params, Xtrain)[0], Ytrain)
            losses.append(float(loss))
            accuracies.append(accuracy(reference.forward(params, Xtest)[0], Ytest))
        except (KeyError, TypeError, RuntimeError, ValueError):
            losses.append(math.nan)
            accuracies.append(math.nan)
    if losses:   # two figures: a loss that diverges would flatten the accuracy on a shared axis
        figure("curve", text("Your training on Circles, measured by the grader after each epoch",
                             "Votre apprentissage sur Circles, mesuré par le correcteur après chaque époque"),
               series=[(text("training loss (cross-entropy)", "coût d'apprentissage (entropie croisée)"), losses)],
               x_label=text("epoch", "époque"))
        figure("curve", text("Test accuracy after each epoch, measured by the grader",
                             "Précision en test après chaque époque, mesurée par le correcteur"),
               series=[(text("test accuracy", "précision en test"), accuracies)], x_label=text("epoch", "époque"))
    if result.get("regions") is not None:
        figure("regions", text("Decision regions of your trained network (points: the test set)",
                               "Régions de décision de votre réseau entraîné (points : le jeu de test)"),
               grid=result["regions"], extent=CIRCLES_EXTENT, points=Xtest, classes=Ytest.argmax(dim=1))


@pytest.mark.question("train_circles")
def test_training_reaches_the_reference_accuracy(session, student, reference):
    """the handout's mini-batch loop with your functions learns Circles from random parameters the grader draws
    fr: la boucle mini-batch de l'énoncé, avec vos fonctions, apprend Circles à partir de paramètres aléatoires
    tirés par le correcteur"""
    import tp_nn_drivers

    nx, nh, ny = CIRCLES_SIZES
    Xtrain, Ytrain, Xtest, Ytest = circles()
    start = circles_start(START_SEED, reference.forward, Xtest, Ytest)
    layout = detect_layout(student, nx=nx, nh=nh, ny=ny)
    result = session.run_driver(tp_nn_drivers, "train_circles_measured", Xtrain, Ytrain, layout.to_student(start),
                                layout.cast(grid_points()), timeout=30)
    result = result if isinstance(result, dict) else {}
    claimed = result.get("params")
    shapes = {k: tuple(v.shape) for k, v in start.items()}
    _draw_training(reference, layout, shapes, result, (Xtrain, Ytrain, Xtest, Ytest))
    if not isinstance(claimed, dict) or any(k not in claimed for k in PARAM_KEYS):
        fail(text("training did not leave the four parameters Wh, bh, Wy, by",
                  "l'apprentissage n'a pas laissé les quatre paramètres Wh, bh, Wy, by"))
    params = layout.to_handout({k: claimed[k] for k in PARAM_KEYS}, shapes)
    try:
        params = {k: torch.as_tensor(v, dtype=torch.float64).reshape(shapes[k]) for k, v in params.items()}
    except (RuntimeError, TypeError, ValueError):
        fail(text("the trained parameters do not have the shapes of those training started from",
                  "les paramètres appris n'ont plus les tailles de ceux du début de l'apprentissage"))
    start = {k: v.double() for k, v in start.items()}
    before = accuracy(reference.forward(start, Xtest.double())[0], Ytest)
    if all(torch.allclose(params[k], start[k], rtol=1e-6, atol=1e-8) for k in PARAM_KEYS):
        fail(text(f"training from parameters drawn by the grader left them unchanged (test accuracy "
                  f"{before:.1%}, near chance): your backward and sgd do not update the parameters",
                  f"l'apprentissage à partir de paramètres tirés par le correcteur les a laissés inchangés "
                  f"(précision en test {before:.1%}, proche du hasard) : vos backward et sgd ne mettent pas à "
                  f"jour les paramètres"))
    # The reference reaches 98.5-99.5 % here (5 seeds); 90 % leaves room for any correct variant.
    acc = accuracy(reference.forward(params, Xtest.double())[0], Ytest)
    if not acc >= 0.9:
        fail(text(f"test accuracy {acc:.1%} after training from parameters drawn by the grader ({before:.1%} "
                  f"before training; measured by the grader), 90 % expected",
                  f"précision en test {acc:.1%} après apprentissage à partir de paramètres tirés par le "
                  f"correcteur ({before:.1%} avant ; mesurée par le correcteur), 90 % attendus"))
