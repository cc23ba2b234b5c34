"""Hidden tests for tp_nn parts 2.2 to 2.6: the student's code against the reference.

The handout reuses its names from part to part (init_params, sgd, init_model, loss_accuracy); each
part is its own file, and each question its own set of tests. The models of parts 2.3 and 2.4 live
in the worker: the tests hold them through handles (model(X), model.load_state_dict(...),
model.state_dict()), and the drivers of tp_nn_torch_drivers run the handout's loops next to them,
the same drivers running here on the reference for the expected values.
"""

import functools
import inspect

import pytest
import torch
from hypothesis import assume, given

from grader.api import expect_close, fail, text
from tp_nn_torch_support import (DETECT_SIZES, MNIST_MARGIN, autograd_case, check_autograd_steps, circles_numpy,
                                 close_to, etas, example_layers, fraction_correct, from_state, logits_case,
                                 match_roles, mlp_case, run_driver, run_locally, short_type, state_shapes,
                                 student_roles, to_state, torch_hints, train_on_mnist, unpack)

# -- 2.2 autograd ----------------------------------------------------------------------------------


@pytest.mark.question("autograd")
@pytest.mark.weight(3)
@given(autograd_case())
def test_autograd_sgd_matches_reference(session, student, reference, case):
    """three steps of backward + sgd(params, eta) move the parameters as the reference does, gradients reset
    fr: trois pas de backward + sgd(params, eta) déplacent les paramètres comme la référence, gradients remis à zéro"""
    params, targets, eta = case
    expected = run_locally(reference, "tp_nn_autograd", "autograd_steps", params, targets, eta)
    with torch_hints():
        records = run_driver(session, "tp_nn_autograd", "autograd_steps", params, targets, eta)
    check_autograd_steps(records, [r["values"] for r in expected], eta)


# -- 2.3 torch.nn ----------------------------------------------------------------------------------

SOFTMAX_IN_MODEL = text(
    "the model ends with a softmax: CrossEntropyLoss applies the (log-)softmax itself, as the handout "
    "warns, so the model must stop at ytilde (apply the softmax only to display probabilities)",
    "le modèle finit par un softmax : CrossEntropyLoss applique elle-même le (log-)softmax, comme "
    "l'énoncé le signale, le modèle doit donc s'arrêter à ytilde (softmax seulement pour afficher "
    "des probabilités)")


@functools.cache
def reference_keys(reference) -> dict[str, str]:
    """The reference model's state_dict keys by role (one model of each part has the same keys)."""
    extra = (0.1,) * (len(inspect.signature(reference.init_model).parameters) - 3)  # eta in part 2.4
    model = reference.init_model(*DETECT_SIZES, *extra)[0]
    return match_roles(state_shapes(model.state_dict()), *DETECT_SIZES)


def reference_logits(reference, params, X):
    model = reference.init_model(X.shape[1], params["Wh"].shape[0], params["Wy"].shape[0])[0]
    model.load_state_dict(to_state(reference_keys(reference), params))
    with torch.no_grad():
        return model(X)


def explain_output(out, expected, params, X) -> None:
    """The usual ways a model's output differs from the handout's ytilde, named."""
    if close_to(out, expected):
        return
    hidden = X @ params["Wh"].T + params["bh"]
    if close_to(out, torch.softmax(expected, dim=1)):
        fail(SOFTMAX_IN_MODEL)
    if close_to(out, torch.log_softmax(expected, dim=1)):
        fail(text("the model ends with a LogSoftmax: CrossEntropyLoss applies it itself; the model must "
                  "stop at ytilde", "le modèle finit par un LogSoftmax : CrossEntropyLoss l'applique "
                  "elle-même ; le modèle doit s'arrêter à ytilde"))
    if close_to(out, torch.sigmoid(expected)):
        fail(text("the model ends with a Sigmoid (the handout's example, to adapt): this network stops at "
                  "the output layer's affine map, the loss does the rest",
                  "le modèle finit par une Sigmoid (l'exemple de l'énoncé, à adapter) : ce réseau s'arrête "
                  "à la transformation affine de sortie, la loss fait le reste"))
    if close_to(out, torch.relu(hidden) @ params["Wy"].T + params["by"]):
        fail(text("the hidden layer uses ReLU (the handout's example, to adapt) instead of tanh: the network "
                  "of part 1 is Linear, Tanh, Linear",
                  "la couche cachée utilise ReLU (l'exemple de l'énoncé, à adapter) au lieu de tanh : le réseau "
                  "de la partie 1 est Linear, Tanh, Linear"))
    if close_to(out, hidden @ params["Wy"].T + params["by"]):
        fail(text("the hidden layer has no activation: the network of part 1 is Linear, Tanh, Linear",
                  "la couche cachée n'a pas d'activation : le réseau de la partie 1 est Linear, Tanh, Linear"))


@pytest.mark.question("nn_model")
@pytest.mark.weight(2)
@given(mlp_case())
def test_model_matches_reference(student, reference, case):
    """model(X) is the handout's ytilde, for any sizes and weights (loaded with load_state_dict)
    fr: model(X) est le ytilde de l'énoncé, pour toutes tailles et tous poids (chargés avec load_state_dict)"""
    size, params, X, _ = case
    roles = student_roles(student)
    model, _ = unpack(student.init_model(size.nx, size.nh, size.ny), 2, "init_model", "(model, loss)")
    model.load_state_dict(to_state(roles, params))
    out = model(X)
    expected = reference_logits(reference, params, X)
    explain_output(out, expected, params, X)
    expect_close(out, expected, name="model(X)", context={"batch_size": size.n})


def _loss_case(student, reference, logits, Y):
    ny = Y.shape[1]
    _, loss = unpack(student.init_model(2, 3, ny), 2, "init_model", "(model, loss)")
    expected = reference.loss_accuracy(reference.init_model(2, 3, ny)[1], logits, Y)
    with torch_hints():
        got = student.loss_accuracy(loss, logits, Y)
    return loss, unpack(got, 2, "loss_accuracy", "(L, acc)"), expected


@pytest.mark.question("nn_model")
@pytest.mark.weight(2)
@given(logits_case())
def test_loss_accuracy_matches_reference(student, reference, case):
    """loss_accuracy(loss, Yhat, Y) with the loss of init_model: the mean cross-entropy of the logits, the accuracy
    fr: loss_accuracy(loss, Yhat, Y) avec la loss d'init_model : l'entropie croisée moyenne des logits, la précision"""
    logits, Y = case
    top2 = logits.topk(2, dim=1).values
    assume(bool((top2[:, 0] - top2[:, 1] > 1e-4).all()))  # no tie for the predicted class
    loss, (L, acc), (expected_L, expected_acc) = _loss_case(student, reference, logits, Y)
    if not close_to(L, expected_L):
        kind = short_type(loss)
        if kind != "CrossEntropyLoss":
            fail(text(f"the loss is a {kind}: for classes given in one-hot, on the logits, the loss of the "
                      f"handout is torch.nn.CrossEntropyLoss", f"la loss est une {kind} : pour des classes "
                      f"en one-hot, sur les logits, la loss de l'énoncé est torch.nn.CrossEntropyLoss"))
        labels = Y.argmax(dim=1)
        if close_to(L, torch.nn.functional.cross_entropy(torch.softmax(logits, dim=1), labels)):
            fail(text("loss_accuracy applies a softmax to Yhat before CrossEntropyLoss, which applies it "
                      "again: give the loss the logits", "loss_accuracy applique un softmax à Yhat avant "
                      "CrossEntropyLoss, qui l'applique à nouveau : donnez les logits à la loss"))
        if Y.shape[0] > 1 and close_to(L, expected_L * Y.shape[0]):
            fail(text("L is the sum over the batch: the mean is expected (reduction='mean', the default)",
                      "L est la somme sur le batch : la moyenne est attendue (reduction='mean', par défaut)"))
        expect_close(L, expected_L, name="L", context={"batch_size": Y.shape[0]})
    expect_close(acc, expected_acc, name="acc")


@pytest.mark.question("nn_model")
@pytest.mark.weight(2)
@given(example_layers(), etas)
def test_sgd_matches_reference(session, student, reference, layers, eta):
    """sgd(model, eta) moves every parameter by -eta * grad, as the reference, and resets the gradients
    fr: sgd(model, eta) déplace chaque paramètre de -eta * grad, comme la référence, et remet les gradients à zéro"""
    expected, _ = run_locally(reference, "tp_nn_modules", "modules_sgd", layers, eta)
    with torch_hints():
        values, grads = run_driver(session, "tp_nn_modules", "modules_sgd", layers, eta)
    before = {}
    for i, (W, b, _, _) in enumerate(layers):
        before[f"{2 * i}.weight"], before[f"{2 * i}.bias"] = W, b
    still = sorted(k for k in expected if k in values and close_to(values[k], before[k])
                   and not close_to(expected[k], before[k]))
    if still and len(still) < len(expected):
        fail(text(f"sgd did not move {still}: every parameter of model.parameters() must be updated "
                  f"(model.zero_grad() inside the loop clears the gradients of the parameters not yet updated)",
                  f"sgd n'a pas modifié {still} : tous les paramètres de model.parameters() doivent être mis à "
                  f"jour (model.zero_grad() dans la boucle efface les gradients de ceux qui restent)"))
    expect_close(values, expected, name=text(f"the model's parameters after sgd (eta = {eta})",
                                              f"les paramètres du modèle après sgd (eta = {eta})"))
    kept = sorted(k for k, g in grads.items() if g is not None and bool((g != 0).any()))
    if kept:
        fail(text(f"the gradients of {kept} were not reset after the update: backward() adds to .grad, the "
                  f"next step would use old gradients too (missing model.zero_grad())",
                  f"les gradients de {kept} n'ont pas été remis à zéro après la mise à jour : backward() "
                  f"s'ajoute à .grad, le pas suivant utiliserait aussi les anciens (il manque model.zero_grad())"))


# -- 2.4 torch.optim -------------------------------------------------------------------------------


@pytest.mark.question("optim")
@pytest.mark.weight(2)
def test_optimizer_is_sgd_with_eta_over_all_parameters(session, student):
    """init_model(nx, nh, ny, eta)'s optim is torch.optim.SGD(model.parameters(), lr=eta), for several eta
    fr: l'optim d'init_model(nx, nh, ny, eta) est torch.optim.SGD(model.parameters(), lr=eta), pour plusieurs eta"""
    probes = {eta: run_driver(session, "tp_nn_optim", "optim_probe", *DETECT_SIZES, eta) for eta in (0.01, 0.3, 2.0)}
    for eta, info in probes.items():
        if info.get("returned") != "triple":
            got = info.get("length") or info.get("returned")
            fail(text(f"init_model must return (model, loss, optim), got {got}",
                      f"init_model doit renvoyer (model, loss, optim), pas {got}"))
        if info["optimizer"] != "torch.optim.sgd.SGD":
            fail(text(f"the optimizer is a {info['optimizer']}, torch.optim.SGD expected",
                      f"l'optimiseur est un {info['optimizer']}, torch.optim.SGD attendu"))
        if "covered" not in info:
            fail(text(f"the model is a {info['model']}, not a torch.nn.Module",
                      f"le modèle est un {info['model']}, pas un torch.nn.Module"))
        if info["not_covered"]:
            total = len(info["covered"]) + len(info["not_covered"])
            fail(text(f"the optimizer updates {len(info['covered'])} of the model's {total} parameters "
                      f"(not {info['not_covered']}): give it model.parameters()",
                      f"l'optimiseur met à jour {len(info['covered'])} des {total} paramètres du modèle "
                      f"(pas {info['not_covered']}) : donnez-lui model.parameters()"))
        if info["foreign"]:
            fail(text("the optimizer holds parameters that are not the returned model's (another model?)",
                      "l'optimiseur contient des paramètres qui ne sont pas ceux du modèle renvoyé (un autre modèle ?)"))
        for group in info["groups"]:
            extras = {k: group.get(k) for k in ("momentum", "weight_decay", "dampening") if group.get(k)}
            extras.update({k: True for k in ("nesterov", "maximize") if group.get(k)})
            if extras:
                fail(text(f"the optimizer has {extras}: the handout's SGD is plain, torch.optim.SGD(params, lr=eta)",
                          f"l'optimiseur a {extras} : le SGD de l'énoncé est simple, torch.optim.SGD(params, lr=eta)"))
    lrs = {eta: sorted({float(g["lr"]) for g in info["groups"]}) for eta, info in probes.items()}
    if len({tuple(v) for v in lrs.values()}) == 1 and len(lrs) > 1:
        fail(text(f"the learning rate is {lrs[0.01]} whatever eta: init_model must use its eta (lr=eta)",
                  f"le pas d'apprentissage vaut {lrs[0.01]} quel que soit eta : init_model doit utiliser son eta (lr=eta)"))
    for eta, values in lrs.items():
        expect_close(values, [eta], name=text(f"the optimizer's lr for eta = {eta}",
                                                   f"le lr de l'optimiseur pour eta = {eta}"))


@pytest.mark.question("optim")
@pytest.mark.weight(2)
@given(mlp_case(), etas)
def test_training_steps_match_reference(session, student, reference, case, eta):
    """two steps of the handout's loop (zero_grad, loss, backward, step) end where the reference's do
    fr: deux pas de la boucle de l'énoncé (zero_grad, loss, backward, step) aboutissent là où aboutit la référence"""
    size, params, X, Y = case
    roles = student_roles(student, 0.1)
    sizes_ = (size.nx, size.nh, size.ny)
    expected = run_locally(reference, "tp_nn_optim", "optim_steps", *sizes_, eta,
                           to_state(reference_keys(reference), params), X, Y)
    with torch_hints():
        got = run_driver(session, "tp_nn_optim", "optim_steps", *sizes_, eta, to_state(roles, params), X, Y)
    explain_output(got["output"], expected["output"], params, X)
    expect_close(got["output"], expected["output"], name="model(X)", context={"batch_size": size.n})
    expect_close(got["losses"][0], expected["losses"][0], name=text("L at the first step", "L au premier pas"))
    expect_close(from_state(roles, got["state"]), from_state(reference_keys(reference), expected["state"]),
                 name=text(f"the parameters after two steps (eta = {eta})",
                           f"les paramètres après deux pas (eta = {eta})"))


# -- 2.5 MNIST ---------------------------------------------------------------------------------------


@pytest.mark.question("mnist")
def test_mnist_reaches_the_reference_accuracy(session, student, reference):
    """the grader's loop with your 2.4 code on 4,000 MNIST digits: test accuracy near the reference's
    fr: la boucle du correcteur avec votre code de 2.4 sur 4 000 chiffres MNIST : précision en test proche de celle
    de la référence"""
    acc, target = train_on_mnist(session, reference, seed=0)
    if acc < target - MNIST_MARGIN:
        fail(text(f"test accuracy {acc:.1%} on MNIST after training (measured by the grader); the reference "
                  f"reaches {target:.1%} in the same budget, {target - MNIST_MARGIN:.1%} expected at least",
                  f"précision en test {acc:.1%} sur MNIST après apprentissage (mesurée par le correcteur) ; la "
                  f"référence atteint {target:.1%} avec le même budget, au moins {target - MNIST_MARGIN:.1%} attendus"))


# -- 2.6 SVM (bonus) ---------------------------------------------------------------------------------


def _estimator_type(classifier) -> str:
    kind = short_type(classifier)
    if kind == "Pipeline":
        try:
            return classifier.steps[-1][1].remote_type
        except Exception:
            return classifier.remote_type
    return classifier.remote_type


@pytest.mark.question("svm_bonus")
def test_svm_on_unseen_circles(student):
    """an SVM trained on Circles classifies new points from the same rings (90 % at least), 3 draws
    fr: un SVM appris sur Circles classe de nouveaux points des mêmes anneaux (90 % au moins), 3 tirages"""
    for seed, n_train in ((11, 60), (12, 150), (13, 300)):
        Xtrain, ytrain, Xtest, ytest = circles_numpy(seed, n_train, 300)
        classifier = student.train_svm(Xtrain, ytrain)
        if not hasattr(classifier, "remote_type"):
            fail(text(f"train_svm must return the trained classifier (with .predict), got {short_type(classifier)}",
                      f"train_svm doit renvoyer le classifieur entraîné (avec .predict), pas {short_type(classifier)}"))
        kind = _estimator_type(classifier)
        if not kind.startswith("sklearn.svm."):
            fail(text(f"the classifier is a {kind}: an SVM (sklearn.svm) is asked for",
                      f"le classifieur est un {kind} : un SVM (sklearn.svm) est demandé"))
        acc = fraction_correct(classifier.predict(Xtest), ytest)
        if acc < 0.9:
            fail(text(f"accuracy {acc:.1%} on new points ({n_train} training points), 90 % expected: the rings are "
                      f"not linearly separable (a linear kernel cannot do better than chance; try kernel='rbf')",
                      f"précision {acc:.1%} sur de nouveaux points ({n_train} points d'apprentissage), 90 % attendus : "
                      f"les anneaux ne sont pas linéairement séparables (un noyau linéaire ne fait pas mieux que le "
                      f"hasard ; essayez kernel='rbf')"))
