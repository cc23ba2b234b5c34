"""Hidden tests of mnist_cnn: Reseau1, the training loop, Reseau2, MNIST accuracy, CIFAR-10, corruption.

The student's networks live in the worker: the tests hold them through handles (`net(X)`,
`net.load_state_dict(...)` with the student's own parameter names, found by shape) or run the drivers of `mnist_cnn_drivers` next to them. The
expected values come from the reference and from the grader's own trusted code in this process.
Test labels (MNIST's 1,000 test digits, CIFAR-10's test batch) never go to the worker.
"""

from __future__ import annotations

import math
import pickle

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import mnist_cnn_drivers as drivers
from grader.api import expect_close, expect_shape, fail, figure, note, partial, skip_question, text
from mnist_cnn_support import (CHANCE_MAX, CORRUPTION_IMAGES, FRESH_IMAGES, HARDEST_IMAGES, MNIST_SEED, MNIST_SETTINGS,
                               MNIST_TIMEOUT, THRESHOLDS, accuracy, close_to, images, load_cifar10, mnist,
                               random_batches, random_state, returned_tensor, run_locally, slide_loop,
                               target_log_probs, target_predictions, target_state)

seeds = st.integers(2, 2**31 - 1)


def digits(seed: int, n: int) -> torch.Tensor:
    """n real training digits, float (n, 1, 28, 28) in [0, 1]."""
    Xtrain = mnist()[0]
    idx = torch.randint(0, Xtrain.shape[0], (n,), generator=torch.Generator().manual_seed(seed))
    return images(Xtrain[idx])


def normal(seed: int, *shapes, std: float = 1.0) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=generator) * std for shape in shapes]


def shapes_text(parameters) -> str:
    return ", ".join(f"{name} {tuple(shape)}" for name, shape in parameters) or "none"


def network_info(session, name: str) -> list[tuple[str, tuple[int, ...]]]:
    info = session.run_driver(drivers, "describe_network", name)
    if "parameters" not in info:
        fail(text(f"{name}() is a {info['type']}, not a torch.nn.Module",
                  f"{name}() est un {info['type']}, pas un torch.nn.Module"))
    return [(str(k), tuple(s)) for k, s in info["parameters"]]


def load_by_shapes(session, net, name: str, wanted: dict, values: dict) -> None:
    """Write `values` (by role, canonical shapes) into the student's network `net` (a handle):
    each role goes to the one parameter of that shape (or its transpose), wherever the network
    keeps it (a layer, an nn.Sequential...), through load_state_dict."""
    parameters = network_info(session, name)
    state, used = {}, set()
    for role, shape in wanted.items():
        exact = [k for k, s in parameters if s == shape and k not in used]
        flipped = [k for k, s in parameters if len(shape) == 2 and s == shape[::-1] and k not in used]
        if len(exact) == 1:
            state[exact[0]] = values[role].clone()
            used.add(exact[0])
        elif not exact and len(flipped) == 1:
            state[flipped[0]] = values[role].T.contiguous()
            used.add(flipped[0])
        else:
            fail(text(f"{name} has no single parameter of shape {shape} ({role}); its parameters: "
                      f"{shapes_text(parameters)}",
                      f"{name} n'a pas un unique paramètre de forme {shape} ({role}) ; ses paramètres : "
                      f"{shapes_text(parameters)}"))
    net.load_state_dict(state, strict=False)


# == reseau1 =========================================================================================

R1_SHAPES = {"W": (10, 784), "b": (10,)}

SOFTMAX_SLIP = text(
    "Reseau1 returns probabilities (it ends with F.softmax, as on the slides), but F.nll_loss expects "
    "log-probabilities: on probabilities it minimises -p instead of -log p, which trains a little, "
    "badly. End forward with F.log_softmax(..., dim=1) (the probabilities are its exp)",
    "Reseau1 renvoie des probabilités (il finit par F.softmax, comme sur le transparent), mais "
    "F.nll_loss attend des log-probabilités : sur des probabilités elle minimise -p au lieu de -log p, "
    "ce qui apprend un peu, mal. Terminez forward par F.log_softmax(..., dim=1) (les probabilités en "
    "sont l'exponentielle)")


@pytest.mark.question("reseau1")
def test_reseau1_parameters(session, student):
    """Reseau1() holds the 7,850 parameters of nn.Linear(784, 10)
    fr: Reseau1() contient les 7 850 paramètres de nn.Linear(784, 10)"""
    parameters = network_info(session, "Reseau1")
    total = sum(math.prod(shape) for _, shape in parameters)
    shapes = sorted(shape for _, shape in parameters)
    if total != 7850 or shapes not in ([(10,), (10, 784)], [(10,), (784, 10)]):
        fail(text(f"Reseau1 has {total:,} parameters ({shapes_text(parameters)}); nn.Linear(784, 10) has "
                  f"7,850: a weight (10, 784) and a bias (10,)",
                  f"Reseau1 a {total:,} paramètres ({shapes_text(parameters)}) ; nn.Linear(784, 10) en a "
                  f"7 850 : un poids (10, 784) et un biais (10,)"))


@pytest.mark.question("reseau1")
@given(st.integers(1, 6), seeds)
def test_reseau1_output_shape(student, n, seed):
    """Reseau1()(x) has shape (n, 10) for x of shape (n, 1, 28, 28) and (n, 784)
    fr: Reseau1()(x) est de forme (n, 10) pour x de forme (n, 1, 28, 28) et (n, 784)"""
    net = student.new("Reseau1")
    X = digits(seed, n)
    expect_shape(net(X), (n, 10), name=text("Reseau1()(x) for x of shape (n, 1, 28, 28)",
                                              "Reseau1()(x) pour x de forme (n, 1, 28, 28)"))
    expect_shape(net(X.view(n, 784)), (n, 10), name=text("Reseau1()(x) for x of shape (n, 784)",
                                                            "Reseau1()(x) pour x de forme (n, 784)"))


@pytest.mark.question("reseau1")
@pytest.mark.weight(2)
@given(st.integers(2, 8), seeds)
def test_reseau1_matches_reference(session, student, reference, question, n, seed):
    """with the same weights, Reseau1 gives the reference's log-probabilities
    fr: avec les mêmes poids, Reseau1 donne les log-probabilités de la référence"""
    net = student.new("Reseau1")
    W, b = normal(seed, (10, 784), (10,), std=0.1)
    b = b * 10
    load_by_shapes(session, net, "Reseau1", R1_SHAPES, {"W": W, "b": b})
    X = digits(seed, n)
    out = net(X)
    model = reference.Reseau1()
    model.load_state_dict({"layer.weight": W, "layer.bias": b})
    with torch.no_grad():
        expected = model(X)
    scores = X.view(n, 784) @ W.T + b
    if close_to(out, expected):
        return
    if close_to(out, torch.softmax(scores, dim=1)):
        partial(question.credit["softmax_nll"], SOFTMAX_SLIP)
    if close_to(out, scores):
        fail(text("Reseau1 returns the scores of the Linear layer, not a distribution: end forward with "
                  "F.log_softmax(..., dim=1), the log-probabilities F.nll_loss expects",
                  "Reseau1 renvoie les scores de la couche Linear, pas une distribution : terminez forward "
                  "par F.log_softmax(..., dim=1), les log-probabilités qu'attend F.nll_loss"))
    if close_to(out, torch.log_softmax(scores, dim=0)) or close_to(out, torch.softmax(scores, dim=0)):
        fail(text("the (log-)softmax is taken over dim=0, across the batch: each row (dim=1) must be a "
                  "distribution over the 10 classes",
                  "le (log-)softmax est pris selon dim=0, à travers le batch : chaque ligne (dim=1) doit "
                  "être une distribution sur les 10 classes"))
    expect_close(out, expected, name=text("Reseau1()(x) (log-probabilities)", "Reseau1()(x) (log-probabilités)"))


# == train_loop ======================================================================================

loop_cases = st.tuples(seeds, st.sampled_from([0.001, 0.004, 0.01]), st.sampled_from([0.5, 0.9]),
                       st.integers(2, 4), st.integers(3, 8))

NO_ZERO_GRAD = text(
    "optimizer.zero_grad() is missing: backward() adds to .grad, so each step used the sum of every "
    "gradient so far. Call it at each iteration, before loss.backward()",
    "il manque optimizer.zero_grad() : backward() s'ajoute à .grad, chaque pas a donc utilisé la somme "
    "de tous les gradients précédents. Appelez-le à chaque itération, avant loss.backward()")


def loop_result(session, state, batches, lr, momentum):
    """The student's train with the grader's SGD, checked for how many batches it drew."""
    got = session.run_driver(drivers, "loop_steps", "target", state, batches, lr, momentum, False)
    count = len(batches)
    if got.get("exhausted"):
        fail(text(f"train asked the loader for more than nb_iterations = {count} batches",
                  f"train a demandé au loader plus de nb_iterations = {count} batchs"))
    if got["drawn"] != count:
        fail(text(f"train drew {got['drawn']} batches for nb_iterations = {count}: one batch per iteration, "
                  f"nb_iterations iterations",
                  f"train a tiré {got['drawn']} batchs pour nb_iterations = {count} : un batch par itération, "
                  f"nb_iterations itérations"))
    return got["state"]


def explain_loop(state, got, batches, lr, momentum):
    """The usual slips of the loop, named; None when none of them fits."""
    if close_to(got, state):
        fail(text("train left the parameters unchanged: optimizer.step() missing, or zero_grad() called "
                  "between loss.backward() and optimizer.step()",
                  "train n'a pas modifié les paramètres : il manque optimizer.step(), ou zero_grad() est "
                  "appelé entre loss.backward() et optimizer.step()"))
    for reduction in ("sum", "mean"):
        if close_to(got, slide_loop(state, batches, lr, momentum, reduction=reduction, zero_grad=False)):
            fail(NO_ZERO_GRAD)
        if close_to(got, slide_loop(state, batches, lr, momentum, reduction=reduction, use_momentum=False)):
            fail(text("the steps ignore the momentum: train must step with the optimizer it receives "
                      "(optimizer.step()), not build another one or update the weights by hand",
                      "les pas ignorent le momentum : train doit avancer avec l'optimiseur qu'il reçoit "
                      "(optimizer.step()), pas en construire un autre ni modifier les poids à la main"))


@pytest.mark.question("train_loop")
@pytest.mark.weight(3)
@given(loop_cases)
def test_train_matches_reference_loop(session, student, reference, case):
    """a few iterations of train on fixed batches end where the reference loop does (same weights, same SGD)
    fr: quelques itérations de train sur des batchs fixés aboutissent là où aboutit la boucle de référence (mêmes
    poids, même SGD)"""
    seed, lr, momentum, count, size = case
    state = random_state(seed)
    batches = random_batches(seed, count, size)
    expected = run_locally(reference, "loop_steps", "target", state, batches, lr, momentum, False)["state"]
    got = loop_result(session, state, batches, lr, momentum)
    if close_to(got, expected) or close_to(got, slide_loop(state, batches, lr, momentum, reduction="mean")):
        return
    explain_loop(state, got, batches, lr, momentum)
    expect_close(got, expected, name=text(f"the parameters after train ({count} iterations, lr = {lr}, "
                                          f"momentum = {momentum}, loss summed over the batch as on the slides)",
                                          f"les paramètres après train ({count} itérations, lr = {lr}, "
                                          f"momentum = {momentum}, perte sommée sur le batch comme sur les "
                                          f"transparents)"))


@pytest.mark.question("train_loop")
def test_train_loss_reduction(session, student):
    """the loss of train: summed over the batch (the slides) or averaged (allowed), said in the feedback
    fr: la perte de train : sommée sur le batch (les transparents) ou moyennée (autorisé), ce que dit le retour"""
    state, batches = random_state(7), random_batches(7, 3, 6)
    got = loop_result(session, state, batches, 0.004, 0.9)
    if close_to(got, slide_loop(state, batches, 0.004, 0.9, reduction="sum")):
        note(text("train sums the loss over the batch (reduction='sum'), as on the slides",
                  "train somme la perte sur le batch (reduction='sum'), comme sur le transparent"))
        return
    if close_to(got, slide_loop(state, batches, 0.004, 0.9, reduction="mean")):
        note(text("train averages the loss over the batch (reduction='mean'), which the slides allow: "
                  "with the same learning rate its steps are batch-size times smaller than the sum's",
                  "train moyenne la perte sur le batch (reduction='mean'), ce que le transparent "
                  "autorise : avec le même pas, ses pas sont batch-size fois plus petits qu'avec la somme"))
        return
    explain_loop(state, got, batches, 0.004, 0.9)
    fail(text("the parameters after train match neither the slides' loss summed over the batch "
              "(reduction='sum') nor its mean: F.nll_loss(outputs, targets, reduction='sum') on the model's "
              "outputs (log-probabilities)",
              "les paramètres après train ne correspondent ni à la perte sommée sur le batch des transparents "
              "(reduction='sum') ni à sa moyenne : F.nll_loss(outputs, targets, reduction='sum') sur les "
              "sorties du modèle (log-probabilités)"))


@pytest.mark.question("train_loop")
def test_make_optimizer_is_sgd_with_momentum(session, student):
    """make_optimizer(model, lr, momentum) is torch.optim.SGD over every parameter, with that lr and momentum
    fr: make_optimizer(model, lr, momentum) est torch.optim.SGD sur tous les paramètres, avec ce lr et ce momentum"""
    for lr, momentum in ((0.01, 0.5), (0.003, 0.9)):
        info = session.run_driver(drivers, "optimizer_probe", lr, momentum)
        if info["type"] != "torch.optim.sgd.SGD":
            fail(text(f"make_optimizer returns a {info['type']}: the slides' optimizer is "
                      f"torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=momentum)",
                      f"make_optimizer renvoie un {info['type']} : l'optimiseur des transparents est "
                      f"torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=momentum)"))
        if info["missing"] or info["foreign"]:
            fail(text(f"the optimizer does not hold the model's parameters (missing: {info['missing']}): "
                      f"give it model.parameters()",
                      f"l'optimiseur ne contient pas les paramètres du modèle (manquants : {info['missing']}) : "
                      f"donnez-lui model.parameters()"))
        for group in info["groups"]:
            if not close_to(group.get("momentum", 0.0), momentum):
                fail(text(f"make_optimizer(model, {lr}, {momentum}) has momentum {group.get('momentum')}: "
                          f"the momentum is ignored (momentum=momentum)",
                          f"make_optimizer(model, {lr}, {momentum}) a un momentum de {group.get('momentum')} : "
                          f"le momentum est ignoré (momentum=momentum)"))
            if not close_to(group.get("lr"), lr):
                fail(text(f"make_optimizer(model, {lr}, {momentum}) has lr {group.get('lr')}: lr=learning_rate",
                          f"make_optimizer(model, {lr}, {momentum}) a un lr de {group.get('lr')} : lr=learning_rate"))
            extras = {k: group.get(k) for k in ("weight_decay", "dampening") if group.get(k)}
            extras.update({k: True for k in ("nesterov", "maximize") if group.get(k)})
            if extras:
                fail(text(f"the optimizer has {extras}: the slides' SGD has only lr and momentum",
                          f"l'optimiseur a {extras} : le SGD des transparents n'a que lr et momentum"))


def evaluated(session, network, seed, n=64):
    state = random_state(seed, network)
    X = digits(seed, n)
    got = session.run_driver(drivers, "evaluate_probe", network, state, X)
    model = drivers.NETWORKS[network]()
    model.load_state_dict(state)
    model.eval()
    with torch.no_grad():
        expected = model(X).argmax(dim=1)
    predicted = returned_tensor(got, "evaluate", ("the predicted labels (a tensor of shape (n,))",
                                                  "les étiquettes prédites (un tenseur de forme (n,))"))
    if tuple(predicted.shape) == (n, 10):
        fail(text("evaluate returns the network's outputs (n, 10): the predicted labels are their argmax "
                  "over dim=1, shape (n,)",
                  "evaluate renvoie les sorties du réseau (n, 10) : les étiquettes prédites en sont l'argmax "
                  "selon dim=1, de forme (n,)"))
    expect_shape(predicted, (n,), name="evaluate(model, X)")
    return predicted, expected


@pytest.mark.question("train_loop")
@given(seeds)
def test_evaluate_predicts_labels(session, student, seed):
    """evaluate(model, X) returns the argmax of the model's outputs, one label per image
    fr: evaluate(model, X) renvoie l'argmax des sorties du modèle, une étiquette par image"""
    predicted, expected = evaluated(session, "target", seed)
    expect_close(predicted.long(), expected, name="evaluate(model, X)")


@pytest.mark.question("train_loop")
def test_evaluate_uses_eval_mode(session, student):
    """evaluate switches a model with dropout to eval mode
    fr: evaluate passe en mode eval un modèle avec dropout"""
    predicted, expected = evaluated(session, "dropout", 11)
    if not close_to(predicted.long(), expected):
        fail(text("on a model with dropout (left in train mode, as after training), evaluate's predictions "
                  "are random: call model.eval() before predicting (and torch.no_grad())",
                  "sur un modèle avec dropout (laissé en mode train, comme après l'apprentissage), les "
                  "prédictions de evaluate sont aléatoires : appelez model.eval() avant de prédire (et "
                  "torch.no_grad())"))


# == reseau2 =========================================================================================

R2_LAYOUT = [("conv1.weight", (32, 1, 3, 3)), ("conv1.bias", (32,)), ("conv2.weight", (64, 32, 3, 3)),
             ("conv2.bias", (64,)), ("fc1.weight", (128, 9216)), ("fc1.bias", (128,)),
             ("fc2.weight", (10, 128)), ("fc2.bias", (10,))]
R2_SHAPES = dict(R2_LAYOUT)
R2_COUNT = sum(math.prod(s) for _, s in R2_LAYOUT)   # 1,199,882


@pytest.mark.question("reseau2")
def test_reseau2_layers(session, student):
    """Reseau2() has the slides' layers: conv 1→32, conv 32→64 (3×3), Linear 9216→128, Linear 128→10
    fr: Reseau2() a les couches des transparents : conv 1→32, conv 32→64 (3×3), Linear 9216→128, Linear 128→10"""
    parameters = network_info(session, "Reseau2")
    shapes = sorted(shape for _, shape in parameters)
    if shapes == sorted(R2_SHAPES.values()):
        return
    total = sum(math.prod(shape) for _, shape in parameters)
    first_linear = [s for _, s in parameters if len(s) == 2 and s[0] == 128]
    if first_linear and first_linear[0][1] != 9216:
        fail(text(f"the first Linear layer takes {first_linear[0][1]} inputs: two 3×3 convolutions take "
                  f"28×28 to 26×26 then 24×24, the 2×2 max-pooling to 12×12, and the 64 channels flatten "
                  f"to 64×12×12 = 9216",
                  f"la première couche Linear prend {first_linear[0][1]} entrées : deux convolutions 3×3 "
                  f"mènent 28×28 à 26×26 puis 24×24, le max-pooling 2×2 à 12×12, et les 64 canaux "
                  f"s'aplatissent en 64×12×12 = 9216"))
    fail(text(f"Reseau2 has {total:,} parameters ({shapes_text(parameters)}); the slides' network has "
              f"{R2_COUNT:,}: {shapes_text(R2_LAYOUT)}",
              f"Reseau2 a {total:,} paramètres ({shapes_text(parameters)}) ; le réseau des transparents en a "
              f"{R2_COUNT:,} : {shapes_text(R2_LAYOUT)}"))


@pytest.mark.question("reseau2")
@pytest.mark.incidental
def test_reseau2_output_shape(student):
    """Reseau2()(x) has shape (n, 10) for x of shape (n, 1, 28, 28)
    fr: Reseau2()(x) est de forme (n, 10) pour x de forme (n, 1, 28, 28)"""
    net = student.new("Reseau2")
    net.eval()
    for n in (1, 5):
        expect_shape(net(digits(n, n)), (n, 10), name=text("Reseau2()(x) for x of shape (n, 1, 28, 28)",
                                                                    "Reseau2()(x) pour x de forme (n, 1, 28, 28)"))


@pytest.mark.question("reseau2")
def test_reseau2_dropout(session, student):
    """dropout acts in train() (two passes differ) and not in eval() (two passes agree)
    fr: le dropout agit en train() (deux passes diffèrent) et pas en eval() (deux passes concordent)"""
    outputs = session.run_driver(drivers, "dropout_probe", "Reseau2", digits(3, 8))
    first, second = outputs["eval"]
    if not close_to(first, second):
        fail(text("in eval() mode two passes on the same images differ: dropout is still active. "
                  "F.dropout(x, p) defaults to training=True: use nn.Dropout / nn.Dropout2d modules "
                  "(or F.dropout(x, p, training=self.training))",
                  "en mode eval() deux passes sur les mêmes images diffèrent : le dropout agit encore. "
                  "F.dropout(x, p) a training=True par défaut : utilisez des modules nn.Dropout / "
                  "nn.Dropout2d (ou F.dropout(x, p, training=self.training))"))
    first, second = outputs["train"]
    if close_to(first, second):
        fail(text("in train() mode two passes on the same images agree: there is no dropout (the slides "
                  "apply Dropout2d(0.25) after the max-pooling and dropout 0.5 after fc1)",
                  "en mode train() deux passes sur les mêmes images sont identiques : il n'y a pas de "
                  "dropout (les transparents appliquent Dropout2d(0.25) après le max-pooling et un dropout "
                  "0.5 après fc1)"))


def reseau2_outputs(values: dict, X: torch.Tensor, relu_after_conv2: bool) -> torch.Tensor:
    """The slides' Reseau2 in eval mode, written out (trusted), optionally with the ReLU after conv2
    that PyTorch's MNIST example has."""
    x = F.relu(F.conv2d(X, values["conv1.weight"], values["conv1.bias"]))
    x = F.conv2d(x, values["conv2.weight"], values["conv2.bias"])
    if relu_after_conv2:
        x = F.relu(x)
    x = torch.flatten(F.max_pool2d(x, 2), 1)
    x = F.relu(x @ values["fc1.weight"].T + values["fc1.bias"])
    return x @ values["fc2.weight"].T + values["fc2.bias"]


@pytest.mark.question("reseau2")
@pytest.mark.weight(2)
@settings(max_examples=3)
@given(seeds)
def test_reseau2_matches_reference(session, student, reference, question, seed):
    """in eval mode, with the same weights, Reseau2 gives the slides' network outputs
    fr: en mode eval, avec les mêmes poids, Reseau2 donne les sorties du réseau des transparents"""
    net = student.new("Reseau2")
    fan_in = {"conv1": 9, "conv2": 288, "fc1": 9216, "fc2": 128}
    drawn = normal(seed, *R2_SHAPES.values())
    values = {name: value * (1.5 / math.sqrt(fan_in[name.split(".")[0]]))
              for name, value in zip(R2_SHAPES, drawn)}
    load_by_shapes(session, net, "Reseau2", R2_SHAPES, values)
    net.eval()
    X = digits(seed, 4)
    out = net(X)
    model = reference.Reseau2()
    model.load_state_dict(values)
    model.eval()
    with torch.no_grad():
        expected = model(X)
    if close_to(out, expected) or close_to(out, torch.log_softmax(expected, dim=1)):
        return
    pytorch_example = reseau2_outputs(values, X, relu_after_conv2=True)
    if close_to(out, pytorch_example) or close_to(out, torch.log_softmax(pytorch_example, dim=1)):
        note(text("Reseau2 has a ReLU after conv2, as PyTorch's MNIST example (the slides have none): "
                  "accepted", "Reseau2 a un ReLU après conv2, comme l'exemple MNIST de PyTorch (les "
                  "transparents n'en ont pas) : accepté"))
        return
    if close_to(out, torch.softmax(expected, dim=1)) or close_to(out, torch.softmax(pytorch_example, dim=1)):
        partial(question.credit["softmax_output"], text(
            "Reseau2 ends with a softmax: F.cross_entropy applies (log-)softmax itself, and F.nll_loss "
            "expects log-probabilities. Return the scores of fc2 (or F.log_softmax of them)",
            "Reseau2 finit par un softmax : F.cross_entropy applique elle-même le (log-)softmax, et "
            "F.nll_loss attend des log-probabilités. Renvoyez les scores de fc2 (ou leur F.log_softmax)"))
    expect_close(out, expected, name=text("Reseau2()(x) in eval mode", "Reseau2()(x) en mode eval"))


# == mnist_accuracy ==================================================================================

REFERENCE_MEAN = {"Reseau1": 89, "Reseau2": 89}   # percent, seeds 0-9 (mnist_cnn_support)


def mnist_run(session, per_student, name: str) -> dict:
    """The grader's training of the student's `name` in the worker, once per student."""
    Xtrain, ytrain, Xtest, _ = mnist()

    def compute():
        return session.run_driver(drivers, "train_mnist", [name], Xtrain, ytrain, Xtest, MNIST_SETTINGS,
                                  seed=MNIST_SEED, fresh_images=FRESH_IMAGES, timeout=MNIST_TIMEOUT)[name]

    return per_student.once(("mnist", name), compute)


def check_fresh(name: str, run: dict) -> None:
    before = accuracy(run["before"], mnist()[3][:FRESH_IMAGES])
    if before > CHANCE_MAX:
        fail(text(f"a freshly built {name}() already classifies {before:.1%} of {FRESH_IMAGES} test digits: an untrained "
                  f"network is at chance (about 10 %). The grader trains your network from its "
                  f"initialisation: do not load trained weights",
                  f"un {name}() tout juste construit classe déjà {before:.1%} de {FRESH_IMAGES} chiffres de test : un réseau "
                  f"non entraîné est au niveau du hasard (environ 10 %). Le correcteur entraîne votre réseau "
                  f"depuis son initialisation : ne chargez pas de poids entraînés"))


@pytest.mark.question("mnist_accuracy")
@pytest.mark.incidental
@pytest.mark.parametrize("name", ["Reseau1", "Reseau2"])
def test_fresh_network_is_at_chance(session, student, per_student, name):
    """a freshly built network is at chance on the test digits (no trained weights shipped)
    fr: un réseau tout juste construit est au niveau du hasard sur les chiffres de test (aucun poids entraîné
    fourni)"""
    check_fresh(name, mnist_run(session, per_student, name))


@pytest.mark.question("mnist_accuracy")
@pytest.mark.parametrize("name", ["Reseau1", pytest.param("Reseau2", marks=pytest.mark.weight(2))])
def test_accuracy_after_training(session, student, per_student, name):
    """trained by the grader on 4,000 digits, the network classifies the 1,000 test digits (threshold)
    fr: entraîné par le correcteur sur 4 000 chiffres, le réseau classe les 1 000 chiffres de test (seuil)"""
    run = mnist_run(session, per_student, name)
    figure("curve", text(f"{name}: its loss on each batch of the grader's training (nll_loss, mean per digit)",
                         f"{name} : sa loss sur chaque batch de l'apprentissage du correcteur (nll_loss, moyenne "
                         f"par chiffre)"),
           series=[(text("training loss", "loss d'apprentissage"), run.get("losses") or [])],
           x_label=text("batch", "batch"))
    check_fresh(name, run)
    ytest = mnist()[3]
    acc = accuracy(run["after"], ytest)
    threshold = THRESHOLDS[name]
    settings_ = MNIST_SETTINGS[name]
    budget = f"{settings_['iterations']} batches of {settings_['batch']}"
    budget_fr = f"{settings_['iterations']} batchs de {settings_['batch']}"
    if acc < threshold:
        fail(text(f"{name}: test accuracy {acc:.1%} after the grader's training ({budget}, "
                  f"{run['seconds']:.1f} s), {threshold:.0%} expected at least (the reference: about "
                  f"{REFERENCE_MEAN[name]} %)",
                  f"{name} : précision en test {acc:.1%} après l'apprentissage du correcteur ({budget_fr}, "
                  f"{run['seconds']:.1f} s), au moins {threshold:.0%} attendus (la référence : environ "
                  f"{REFERENCE_MEAN[name]} %)"))
    note(text(f"{name}: test accuracy {acc:.1%} (trained in {run['seconds']:.1f} s)",
              f"{name} : précision en test {acc:.1%} (apprentissage en {run['seconds']:.1f} s)"))
    return


# == cifar ===========================================================================================

def cifar_data(data_path, params):
    path = data_path("cifar10")
    if path is None:
        skip_question(text("CIFAR-10 is not configured for this grading: the question is not graded "
                           "(the instructor gives the data with `grader grade ... --data cifar10=PATH`)",
                           "CIFAR-10 n'est pas configuré pour cette correction : la question n'est pas notée "
                           "(l'enseignant donne les données avec `grader grade ... --data cifar10=CHEMIN`)"))
    try:
        return load_cifar10(path, int(params["train_images"]), int(params["test_images"]))
    except (OSError, ValueError, pickle.UnpicklingError, EOFError) as exc:
        skip_question(text(f"CIFAR-10 could not be read from {path}: {exc}; the question is not graded",
                           f"CIFAR-10 n'a pas pu être lu dans {path} : {exc} ; la question n'est pas notée"))


def cifar_run(session, per_student, data_path, params) -> tuple[dict, torch.Tensor]:
    Xtrain, ytrain, Xtest, ytest = cifar_data(data_path, params)

    def compute():
        return session.run_driver(drivers, "train_cifar", Xtrain, ytrain, Xtest, seed=0,
                                  timeout=float(params["timeout"]))

    return per_student.once("cifar", compute), ytest


def check_fresh_cifar(run, ytest, params):
    before = accuracy(run["before"], ytest)
    if before > params["chance_max"]:
        fail(text(f"a freshly built ReseauCifar() already classifies {before:.1%} of the test images: the "
                  f"grader trains it with your train_cifar from its initialisation; do not load trained weights",
                  f"un ReseauCifar() tout juste construit classe déjà {before:.1%} des images de test : le "
                  f"correcteur l'entraîne avec votre train_cifar depuis son initialisation ; ne chargez pas "
                  f"de poids entraînés"))


@pytest.mark.question("cifar")
@pytest.mark.incidental
def test_cifar_fresh_network_is_at_chance(session, student, per_student, data_path, params):
    """a freshly built ReseauCifar is at chance on the test images
    fr: un ReseauCifar tout juste construit est au niveau du hasard sur les images de test"""
    run, ytest = cifar_run(session, per_student, data_path, params)
    check_fresh_cifar(run, ytest, params)


@pytest.mark.question("cifar")
@pytest.mark.weight(3)
def test_cifar_accuracy(session, student, per_student, data_path, params):
    """train_cifar trains ReseauCifar to more than 50 % test accuracy (measured by the grader)
    fr: train_cifar entraîne ReseauCifar à plus de 50 % de précision en test (mesurée par le correcteur)"""
    run, ytest = cifar_run(session, per_student, data_path, params)
    check_fresh_cifar(run, ytest, params)
    acc = accuracy(run["after"], ytest)
    if acc <= params["threshold"]:
        fail(text(f"test accuracy {acc:.1%} on {len(ytest)} CIFAR-10 test images after your train_cifar "
                  f"({run['seconds']:.0f} s), more than {params['threshold']:.0%} expected",
                  f"précision en test {acc:.1%} sur {len(ytest)} images de test de CIFAR-10 après votre "
                  f"train_cifar ({run['seconds']:.0f} s), plus de {params['threshold']:.0%} attendus"))
    note(text(f"CIFAR-10 test accuracy {acc:.1%} (trained in {run['seconds']:.0f} s)",
              f"précision en test sur CIFAR-10 {acc:.1%} (apprentissage en {run['seconds']:.0f} s)"))
    return


# == corruption ======================================================================================

def corrupted(session, eps: float, n: int = CORRUPTION_IMAGES) -> tuple[torch.Tensor, torch.Tensor]:
    """(originals, the student's corrupt(model, originals, eps)) on the first n test digits,
    checked: same shape, finite, every pixel within eps."""
    X = images(mnist()[2][:n])
    got = session.run_driver(drivers, "corrupt_probe", target_state(), X, eps)
    out = returned_tensor(got, "corrupt", ("the corrupted images (a tensor shaped as the images)",
                                           "les images corrompues (un tenseur de la forme des images)"))
    expect_shape(out, tuple(X.shape), name=f"corrupt(model, images, {eps})")
    out = out.double()
    if not bool(torch.isfinite(out).all()):
        fail(text("corrupt returns NaN or infinite pixels", "corrupt renvoie des pixels NaN ou infinis"))
    moved = float((out - X.double()).abs().max())
    if moved > eps + 1e-5:
        fail(text(f"corrupt(model, images, eps={eps}) moves a pixel by {moved:.3g} > eps: every pixel must stay "
                  f"within eps of the original (e.g. images + eps * gradient.sign(), then clamp to [0, 1])",
                  f"corrupt(model, images, eps={eps}) déplace un pixel de {moved:.3g} > eps : chaque pixel doit "
                  f"rester à moins de eps de l'original (par ex. images + eps * gradient.sign(), puis clamp "
                  f"dans [0, 1])"))
    return X, out.float()


@pytest.mark.question("corruption")
@pytest.mark.weight(2)
def test_corrupt_lowers_accuracy(session, student, params):
    """corrupt(model, images, eps=0.1) keeps every pixel within eps and lowers the trusted model's accuracy a lot
    fr: corrupt(model, images, eps=0.1) garde chaque pixel à moins de eps et fait fortement baisser la précision du
    modèle du correcteur"""
    eps, margin = float(params["eps"]), float(params["min_drop"])
    X, out = corrupted(session, eps)
    ytest = mnist()[3][:X.shape[0]]
    before = accuracy(target_predictions(X), ytest)
    after = accuracy(target_predictions(out), ytest)
    if before - after < margin:
        fail(text(f"on the corrupted images (eps = {eps}) the grader's trained model still classifies {after:.1%} "
                  f"(against {before:.1%} on the originals): a drop of {before - after:.1%}, at least "
                  f"{margin:.0%} expected. Noise the model ignores is not enough: move each pixel in the "
                  f"direction that increases the loss of the model's prediction (the sign of the gradient "
                  f"of the loss with respect to the images)",
                  f"sur les images corrompues (eps = {eps}) le modèle entraîné du correcteur classe encore "
                  f"{after:.1%} (contre {before:.1%} sur les originales) : une baisse de {before - after:.1%}, "
                  f"au moins {margin:.0%} attendus. Un bruit que le modèle ignore ne suffit pas : déplacez "
                  f"chaque pixel dans la direction qui augmente la perte de la prédiction du modèle (le signe "
                  f"du gradient de la perte par rapport aux images)"))
    note(text(f"the trusted model's accuracy falls from {before:.1%} to {after:.1%} (eps = {eps})",
              f"la précision du modèle du correcteur passe de {before:.1%} à {after:.1%} (eps = {eps})"))
    return


@pytest.mark.question("corruption")
@pytest.mark.parametrize("eps", [0.02, 0.05])
def test_corrupt_honours_eps(session, student, eps):
    """for other values of eps too, every pixel stays within eps
    fr: pour d'autres valeurs de eps aussi, chaque pixel reste à moins de eps"""
    corrupted(session, eps, n=100)


@pytest.mark.question("corruption")
@pytest.mark.weight(2)
def test_hardest_examples(session, student):
    """hardest_examples returns the k images given the lowest probability of their label
    fr: hardest_examples renvoie les k images dont l'étiquette a la plus faible probabilité"""
    Xtrain, ytrain, _, _ = mnist()
    X, y, k = images(Xtrain[:HARDEST_IMAGES]), ytrain[:HARDEST_IMAGES].clone(), 10
    got = session.run_driver(drivers, "hardest_probe", target_state(), X, y, k)
    indices = returned_tensor(got, "hardest_examples", (f"the indices of the {k} hardest images",
                                                        f"les indices des {k} images les plus difficiles")).reshape(-1)
    if indices.dtype.is_floating_point and bool((indices != indices.round()).any()):
        fail(text("hardest_examples must return indices (integers)", "hardest_examples doit renvoyer des indices (entiers)"))
    chosen = sorted(int(i) for i in indices.long())
    if len(chosen) != k or len(set(chosen)) != k or min(chosen) < 0 or max(chosen) >= HARDEST_IMAGES:
        fail(text(f"hardest_examples(model, images, labels, k={k}) returns {chosen[:12]}: {k} distinct "
                  f"indices of images expected",
                  f"hardest_examples(model, images, labels, k={k}) renvoie {chosen[:12]} : {k} indices "
                  f"distincts d'images attendus"))
    log_probs = target_log_probs(X)
    true = log_probs.gather(1, y.view(-1, 1)).view(-1)
    lowest_true = sorted(torch.argsort(true)[:k].tolist())
    if chosen == lowest_true:
        return
    wrong = (log_probs.argmax(dim=1) != y).nonzero().view(-1)
    confident = wrong[torch.argsort(log_probs.max(dim=1).values[wrong], descending=True)]
    if len(confident) >= k and chosen == sorted(confident[:k].tolist()):
        note(text("hardest_examples ranks the misclassified images by the confidence of the wrong "
                  "prediction: accepted (the statement ranks by the probability of the right label)",
                  "hardest_examples classe les images mal classées par la confiance de la mauvaise "
                  "prédiction : accepté (l'énoncé classe par la probabilité de la bonne étiquette)"))
        return
    if chosen == sorted(torch.argsort(true, descending=True)[:k].tolist()):
        fail(text("hardest_examples returns the images the model is surest to get right (the highest "
                  "probability of the label): the hardest are those with the lowest",
                  "hardest_examples renvoie les images que le modèle réussit le plus sûrement (la plus grande "
                  "probabilité de l'étiquette) : les plus difficiles sont celles de plus faible probabilité"))
    misclassified = sum(1 for i in chosen if i in set(wrong.tolist()))
    fail(text(f"hardest_examples returns {chosen}; the {k} images given the lowest probability of their label "
              f"are {lowest_true} ({misclassified} of yours are misclassified)",
              f"hardest_examples renvoie {chosen} ; les {k} images de plus faible probabilité de leur étiquette "
              f"sont {lowest_true} ({misclassified} des vôtres sont mal classées)"))
