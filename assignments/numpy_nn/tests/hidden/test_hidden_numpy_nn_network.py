"""Hidden tests of numpy_nn: Sequentiel, Optim and SGD (question `sequential`).

The student's Sequentiel and Optim are driven over the grader's own modules (numpy_nn_drivers:
GLinear, GTanH, GSigmoid, GMSE, which follow the skeleton exactly), so that this question grades
the network and the optimiser alone. "The loss decreases" is not enough (real broken code passes
it): each step is compared with the exact gradient step the grader computes, every Linear must
move, gradients must be reset between steps, and another eps must give another trajectory.
"""

import numpy as np
import pytest

from grader.api import expect_close, fail, figure, text
from numpy_nn_support import as_array, close, gaussians, mlp_forward, mlp_gradients, mlp_step, mse, normal
import numpy_nn_drivers

pytestmark = pytest.mark.question("sequential")
# Every test asks for `student` although it drives the code through `session`: the fixture is what
# turns a missing or template Sequentiel / Optim into the catalogue's message and a 0.
TOL = dict(rtol=1e-6, atol=1e-9)


def _weights(seed, sizes=(2, 4, 1), scale=0.7):
    return [(normal(seed + i, a, b, scale=scale), normal(seed + 10 + i, b, scale=0.3))
            for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]


def _batches(seed, count, n=6, d=2, p=1):
    return [(normal(seed + 2 * i, n, d), normal(seed + 2 * i + 1, n, p)) for i in range(count)]


def _moved(before, after):
    return [not (close(W0, W1, rtol=0, atol=1e-12) and close(b0, b1, rtol=0, atol=1e-12))
            for (W0, b0), (W1, b1) in zip(before, after)]


def _as_weights(snapshot):
    return [(as_array(W), as_array(b)) for W, b in snapshot]


def _steps_used(logs):
    return sorted({round(e[1], 12) for log in logs for e in log if isinstance(e, (list, tuple)) and e and e[0] == "update"})


def test_sequential_forward_composes_the_modules(student, session):
    """Sequentiel(Linear, TanH, Linear).forward(X) chains the modules' forwards
    fr: Sequentiel(Linear, TanH, Linear).forward(X) enchaîne les forward des modules"""
    weights, X = _weights(1), normal(3, 5, 2)
    got = session.run_driver(numpy_nn_drivers, "sequential_forward", weights, X)
    expect_close(got, mlp_forward(weights, X), name="Sequentiel.forward(X)", **TOL)


def test_sequential_backward_reaches_every_layer(student, session):
    """the network's backward gives every Linear its gradient, the first one included
    fr: le backward du réseau donne à chaque Linear son gradient, le premier compris"""
    weights, X, delta = _weights(2), normal(4, 5, 2), normal(5, 5, 1)
    result = session.run_driver(numpy_nn_drivers, "sequential_backward", weights, X, delta)
    # d(sum(out * delta)): the gradient for a cost whose gradient w.r.t. the output is delta
    acts, pre, out = [X], [], X
    for i, (W, b) in enumerate(weights):
        z = out @ W + b
        pre.append(z)
        out = np.tanh(z) if i < len(weights) - 1 else z
        acts.append(out)
    d, expected = delta, [None] * len(weights)
    for i in reversed(range(len(weights))):
        if i < len(weights) - 1:
            d = d * (1 - np.tanh(pre[i]) ** 2)
        expected[i] = (acts[i].T @ d, d.sum(axis=0))
        d = d @ weights[i][0].T
    got = [(as_array(W), as_array(b)) for W, b in result["gradients"]]
    if close(got[0][0], np.zeros_like(expected[0][0])) and not close(got[-1][0], np.zeros_like(expected[-1][0])):
        fail(text("the first Linear received no gradient: the backward pass stops before the first "
                  "module (check the loop's range over the modules)",
                  "le premier Linear n'a reçu aucun gradient : la passe arrière s'arrête avant le premier "
                  "module (vérifiez les bornes de la boucle sur les modules)"))
    for i, ((gW, gb), (eW, eb)) in enumerate(zip(got, expected)):
        expect_close(gW, eW, name=text(f"the gradient of the W of Linear number {i + 1}",
                                       f"le gradient du W du Linear numéro {i + 1}"), **TOL)
        expect_close(gb, eb, name=text(f"the gradient of the b of Linear number {i + 1}",
                                       f"le gradient du b du Linear numéro {i + 1}"), **TOL)
    if result["returned"] is not None and np.shape(result["returned"]) == X.shape:
        expect_close(result["returned"], d, name=text("the delta the network returns for its input",
                                                             "le delta que le réseau renvoie pour son entrée"), **TOL)


def _check_step(weights, expected, got, eps, logs, which=("the step", "le pas")):
    """One step compared with the exact one, with the causes of the usual mistakes; `which`: the
    step, in English and French."""
    which, which_fr = which
    moved = _moved(weights, got)
    if not any(moved):
        fail(text(f"{which} changed no parameter (update_parameters not called, or called before "
                  "the gradient is computed, or the gradient reset after backward)",
                  f"{which_fr} n'a modifié aucun paramètre (update_parameters non appelé, ou appelé avant "
                  "le calcul du gradient, ou gradient remis à zéro après backward)"))
    if not moved[0]:
        fail(text(f"{which} did not move the first Linear's weights (first layer frozen): the "
                  "backward pass or the update does not reach the first module",
                  f"{which_fr} n'a pas modifié les poids du premier Linear (première couche figée) : la "
                  "passe arrière ou la mise à jour n'atteint pas le premier module"))
    frozen = [i + 1 for i, m in enumerate(moved) if not m]
    if frozen:
        fail(text(f"{which} did not move Linear number(s) {frozen}", f"{which_fr} n'a pas modifié le(s) Linear numéro {frozen}"))
    steps = _steps_used(logs)
    if steps and all(abs(s - eps) > 1e-12 * max(1, eps) for s in steps):
        hint = " (the default gradient_step: eps is ignored)" if steps == [1e-3] else ""
        hint_fr = " (le gradient_step par défaut : eps est ignoré)" if steps == [1e-3] else ""
        fail(text(f"update_parameters was called with gradient_step = {steps[0]:g}, not Optim's eps = {eps:g}{hint}",
                  f"update_parameters a été appelé avec gradient_step = {steps[0]:g}, et non l'eps d'Optim = {eps:g}{hint_fr}"))
    for i, ((W, b), (eW, eb)) in enumerate(zip(got, expected)):
        expect_close(W, eW, name=text(f"the W of Linear number {i + 1} after {which}",
                                      f"le W du Linear numéro {i + 1} après {which_fr}"), **TOL)
        expect_close(b, eb, name=text(f"the b of Linear number {i + 1} after {which}",
                                      f"le b du Linear numéro {i + 1} après {which_fr}"), **TOL)


@pytest.mark.weight(3)
def test_optim_step_is_one_gradient_step(student, session):
    """Optim(net, loss, eps).step(x, y): parameters -= eps × the gradient of the batch's summed cost, for every Linear
    fr: Optim(net, loss, eps).step(x, y) : paramètres -= eps × le gradient du coût sommé du batch, pour chaque
    Linear"""
    weights, eps = _weights(3), 0.1
    batches = _batches(30, 1)
    result = session.run_driver(numpy_nn_drivers, "optim_steps", weights, batches, eps)
    expected, _ = mlp_step(weights, *batches[0], eps)
    _check_step(weights, expected, _as_weights(result["snapshots"][0]), eps, result["logs"], ("one step", "un pas"))


@pytest.mark.weight(2)
def test_optim_resets_gradients_between_steps(student, session):
    """three steps on three batches: each step uses the gradient of its own batch only (zero_grad between steps)
    fr: trois pas sur trois batchs : chaque pas n'utilise que le gradient de son propre batch (zero_grad entre les
    pas)"""
    weights, eps = _weights(4), 0.1
    batches = _batches(40, 3)
    result = session.run_driver(numpy_nn_drivers, "optim_steps", weights, batches, eps)
    current, stale, accumulated = weights, weights, None
    for k, (x, y) in enumerate(batches):
        expected, _ = mlp_step(current, x, y, eps)
        stale_next, accumulated = mlp_step(stale, x, y, eps, accumulated=accumulated)
        got = _as_weights(result["snapshots"][k])
        if k > 0 and all(close(W, sW) and close(b, sb) for (W, b), (sW, sb) in zip(got, stale_next)):
            fail(text(f"step {k + 1} used the gradients of the previous steps too: they are not reset "
                      "between steps (call net.zero_grad() in step)",
                      f"le pas {k + 1} a aussi utilisé les gradients des pas précédents : ils ne sont pas "
                      "remis à zéro entre les pas (appelez net.zero_grad() dans step)"))
        _check_step(current, expected, got, eps, result["logs"], (f"step {k + 1}", f"le pas {k + 1}"))
        current, stale = expected, stale_next


def test_optim_honours_eps(student, session):
    """another eps, another trajectory: the step scales with eps
    fr: un autre eps, une autre trajectoire : le pas est proportionnel à eps"""
    weights = _weights(5)
    batches = _batches(50, 2)
    runs = {eps: session.run_driver(numpy_nn_drivers, "optim_steps", weights, batches, eps) for eps in (0.02, 0.2)}
    small, large = (_as_weights(runs[e]["snapshots"][-1]) for e in (0.02, 0.2))
    if all(close(W, W2) and close(b, b2) for (W, b), (W2, b2) in zip(small, large)):
        fail(text("eps = 0.02 and eps = 0.2 give the same parameters: Optim does not use its eps",
                  "eps = 0,02 et eps = 0,2 donnent les mêmes paramètres : Optim n'utilise pas son eps"))
    for eps, run in runs.items():
        current = weights
        for k, (x, y) in enumerate(batches):
            current, _ = mlp_step(current, x, y, eps)
        got = _as_weights(run["snapshots"][-1])
        for i, ((W, b), (eW, eb)) in enumerate(zip(got, current)):
            expect_close(W, eW, name=text(f"the W of Linear number {i + 1} after two steps with eps = {eps}",
                                          f"le W du Linear numéro {i + 1} après deux pas avec eps = {eps}"), **TOL)


GAUSSIANS_EXTENT = (-2.0, 2.0, -2.0, 2.0)


def _draw_gaussians(snapshots, trained, X, Y) -> None:
    """The report's pictures: the cost and the accuracy on the training points, measured by the
    grader on the parameters after each epoch, and the regions of the trained network (p > 0.5)."""
    costs, accuracies = [], []
    for snapshot in snapshots or []:
        try:
            weights = _as_weights(snapshot)
            costs.append(mse(weights, X, Y, "sigmoid"))
            accuracies.append(float(np.mean((mlp_forward(weights, X, last="sigmoid") > 0.5) == (Y > 0.5))))
        except (TypeError, ValueError, IndexError):
            costs.append(float("nan"))
            accuracies.append(float("nan"))
    figure("curve", text("Your Sequentiel and Optim on the four gaussians, measured by the grader after each epoch",
                         "Vos Sequentiel et Optim sur les quatre gaussiennes, mesurés par le correcteur après chaque époque"),
           series=[(text("cost (MSE)", "coût (MSE)"), costs), (text("accuracy", "précision"), accuracies)],
           x_label=text("epoch", "époque"))
    x0, x1, y0, y1 = GAUSSIANS_EXTENT
    size = 40
    xs, ys = (low + (np.arange(size) + 0.5) * (high - low) / size for low, high in ((x0, x1), (y0, y1)))
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)   # cell centres; row i: y_i, column j: x_j
    try:
        classes = (mlp_forward(trained, grid, last="sigmoid") > 0.5).astype(int).reshape(size, size)
    except (TypeError, ValueError):
        return
    figure("regions", text("Regions of your trained network (points: the training set)",
                           "Régions de votre réseau entraîné (points : le jeu d'apprentissage)"),
           grid=classes, extent=GAUSSIANS_EXTENT, points=X, classes=Y.reshape(-1).astype(int))


@pytest.mark.weight(2)
def test_optim_learns_four_gaussians(student, session, params):
    """Linear(2, 8) → TanH → Linear(8, 1) → Sigmoide with your Sequentiel and Optim learns the checkerboard (accuracy measured by the grader)
    fr: Linear(2, 8) → TanH → Linear(8, 1) → Sigmoide avec vos Sequentiel et Optim apprend le damier (précision
    mesurée par le correcteur)"""
    X, Y = gaussians(200, seed=0)
    weights = _weights(6, sizes=(2, 8, 1), scale=0.5)
    result = session.run_driver(numpy_nn_drivers, "train_with_optim", weights, X, Y, 0.05, 30, 20, timeout=60)
    trained = _as_weights(result["params"])
    _draw_gaussians(result.get("snapshots"), trained, X, Y)
    frozen = [i + 1 for i, m in enumerate(_moved(weights, trained)) if not m]
    if frozen:
        fail(text(f"after training, Linear number(s) {frozen} never moved", f"après apprentissage, le(s) Linear numéro {frozen} n'ont jamais bougé"))
    accuracy = float(np.mean((mlp_forward(trained, X, last="sigmoid") > 0.5) == (Y > 0.5)))
    threshold = float(params.get("accuracy", 0.9))
    if not accuracy >= threshold:
        fail(text(f"accuracy {accuracy:.0%} on the four gaussians after 30 epochs, {threshold:.0%} expected",
                  f"précision {accuracy:.0%} sur les quatre gaussiennes après 30 époques, {threshold:.0%} attendus"))


def test_sgd_trains_by_mini_batches(student, session):
    """your SGD (a function, or a method of Optim) trains the network by mini-batches
    fr: votre SGD (une fonction, ou une méthode d'Optim) entraîne le réseau par mini-batchs"""
    X, Y = gaussians(200, seed=1)
    weights = _weights(7, sizes=(2, 8, 1), scale=0.5)
    result = session.run_driver(numpy_nn_drivers, "run_sgd", weights, X, Y, 0.05, 30, 20, timeout=60)
    if not result.get("found"):
        fail(text("no SGD found: a function SGD(net, loss, X, Y, batch_size, n_iter, eps) in one of your "
                  "files, or a method Optim.SGD",
                  "aucun SGD trouvé : une fonction SGD(net, loss, X, Y, batch_size, n_iter, eps) dans l'un de "
                  "vos fichiers, ou une méthode Optim.SGD"))
    if result.get("unknown"):
        fail(text(f"{result['where']}{result['signature']}: the grader cannot tell what to pass as "
                  f"{', '.join(result['unknown'])} (expected names like net, loss, X, Y, batch_size, n_iter, eps)",
                  f"{result['where']}{result['signature']} : le correcteur ne sait pas quoi passer pour "
                  f"{', '.join(result['unknown'])} (noms attendus du type net, loss, X, Y, batch_size, n_iter, eps)"))
    trained = _as_weights(result["params"])
    frozen = [i + 1 for i, m in enumerate(_moved(weights, trained)) if not m]
    if frozen:
        fail(text(f"after SGD, Linear number(s) {frozen} never moved", f"après SGD, le(s) Linear numéro {frozen} n'ont jamais bougé"))
    if result["updates"] and min(result["updates"]) < 2:
        fail(text("SGD made a single update: mini-batches expected", "SGD n'a fait qu'une mise à jour : des mini-batchs sont attendus"))
    before, after = mse(weights, X, Y, "sigmoid"), mse(trained, X, Y, "sigmoid")
    if not after < 0.7 * before:
        fail(text(f"SGD barely lowered the cost (measured by the grader): {before:.3f} → {after:.3f}",
                  f"SGD n'a presque pas fait baisser le coût (mesuré par le correcteur) : {before:.3f} → {after:.3f}"))
