"""Public self-checks of mnist_cnn (`grader check mnist_cnn .`): shapes and basic properties only.

They do not use the reference and are not counted by `grader grade` (self_check): the hidden tests
grade each question. Run them to catch a wrong shape or a loop that does not run before handing in.
"""

import pytest
import torch

import mnist_cnn_drivers as drivers
from grader.api import expect_shape, fail, text

pytestmark = pytest.mark.self_check


def random_images(n, channels=1, size=28, seed=0):
    return torch.rand((n, channels, size, size), generator=torch.Generator().manual_seed(seed))


@pytest.mark.question("reseau1")
def test_reseau1_shapes(student):
    """Reseau1()(x): (n, 10) from (n, 1, 28, 28) and from (n, 784)
    fr: Reseau1()(x) : (n, 10) à partir de (n, 1, 28, 28) et de (n, 784)"""
    net = student.new("Reseau1")
    expect_shape(net(random_images(3)), (3, 10), name=text("Reseau1()(x) for x (3, 1, 28, 28)",
                                                                "Reseau1()(x) pour x (3, 1, 28, 28)"))
    expect_shape(net(random_images(3).view(3, 784)), (3, 10), name=text("Reseau1()(x) for x (3, 784)",
                                                                             "Reseau1()(x) pour x (3, 784)"))


@pytest.mark.question("reseau2")
def test_reseau2_shape(student):
    """Reseau2()(x): (n, 10) from (n, 1, 28, 28)
    fr: Reseau2()(x) : (n, 10) à partir de (n, 1, 28, 28)"""
    net = student.new("Reseau2")
    net.eval()
    expect_shape(net(random_images(2)), (2, 10), name=text("Reseau2()(x) for x (2, 1, 28, 28)",
                                                                "Reseau2()(x) pour x (2, 1, 28, 28)"))


@pytest.mark.question("train_loop")
def test_train_moves_the_parameters(session, student):
    """train(model, optimizer, loader, 3) draws 3 batches and changes the parameters
    fr: train(model, optimizer, loader, 3) tire 3 batchs et modifie les paramètres"""
    torch.manual_seed(0)
    state = {k: v.clone() for k, v in drivers.TargetNet().state_dict().items()}
    batches = [(random_images(4, seed=i), torch.randint(0, 10, (4,))) for i in range(3)]
    got = session.run_driver(drivers, "loop_steps", "target", state, batches, 0.01, 0.5, True)
    if got.get("exhausted") or got.get("drawn") != 3:
        fail(text("train(model, optimizer, loader, 3) must draw exactly 3 batches from the loader",
                  "train(model, optimizer, loader, 3) doit tirer exactement 3 batchs du loader"))
    moved = any(not torch.equal(got["state"][k], state[k]) for k in state)
    if not moved:
        fail(text("train left the parameters unchanged", "train n'a pas modifié les paramètres"))


@pytest.mark.question("mnist_accuracy")
def test_the_graders_loop_runs(session, student):
    """the grader's training loop runs on Reseau1 and Reseau2 (3 batches of random images)
    fr: la boucle d'entraînement du correcteur tourne sur Reseau1 et Reseau2 (3 batchs d'images aléatoires)"""
    quick = {"optimizer": "adam", "lr": 1e-3, "reduction": "mean", "iterations": 3, "batch": 8}
    X = (torch.rand((40, 784), generator=torch.Generator().manual_seed(1)) * 255).to(torch.uint8)
    y = torch.randint(0, 10, (40,), generator=torch.Generator().manual_seed(2))
    runs = session.run_driver(drivers, "train_mnist", ["Reseau1", "Reseau2"], X, y, X[:10],
                              {"Reseau1": quick, "Reseau2": quick}, seed=0)
    for name, run in runs.items():
        expect_shape(run["after"], (10,), name=text(f"the predictions of the trained {name}",
                                                      f"les prédictions du {name} entraîné"))


@pytest.mark.question("cifar")
def test_reseau_cifar_shape(student):
    """ReseauCifar()(x): (n, 10) from (n, 3, 32, 32)
    fr: ReseauCifar()(x) : (n, 10) à partir de (n, 3, 32, 32)"""
    net = student.new("ReseauCifar")
    net.eval()
    expect_shape(net(random_images(2, 3, 32)), (2, 10), name=text("ReseauCifar()(x) for x (2, 3, 32, 32)",
                                                                     "ReseauCifar()(x) pour x (2, 3, 32, 32)"))


@pytest.mark.question("corruption")
def test_corrupt_stays_within_eps(session, student):
    """corrupt(model, images, 0.1): same shape, every pixel within 0.1 of the original
    fr: corrupt(model, images, 0.1) : même forme, chaque pixel à moins de 0.1 de l'original"""
    torch.manual_seed(0)
    state = {k: v.clone() for k, v in drivers.TargetNet().state_dict().items()}
    X = random_images(5)
    got = session.run_driver(drivers, "corrupt_probe", state, X, 0.1)
    if "tensor" not in got:
        fail(text(f"corrupt must return a tensor, got a {got.get('type')}",
                  f"corrupt doit renvoyer un tenseur, pas un {got.get('type')}"))
    expect_shape(got["tensor"], tuple(X.shape), name="corrupt(model, images, 0.1)")
    if float((got["tensor"].double() - X.double()).abs().max()) > 0.1 + 1e-5:
        fail(text("a pixel moved by more than eps", "un pixel a bougé de plus de eps"))
