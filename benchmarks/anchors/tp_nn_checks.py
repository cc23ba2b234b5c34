"""The 10 checks of tp_nn part 2.1 that both anchors of the speed comparison run.

Otter-Grader's test files and nbgrader's autograder cells call these same functions, so the two
tools grade exactly the same thing. They follow what the grader's own part-2.1 suite checks
(assignments/tp_nn/tests/), one fixed example each where the grader draws many: init_params shapes
and std, forward on a small example and rows summing to 1, loss_accuracy values, backward against
autograd (float32 and a float64 batch of one), one sgd step, and a short training on Circles that
must improve the accuracy. Self-contained: torch, numpy and math only, nothing of the grader.
Each check takes the student's functions and raises AssertionError, with a message, when wrong.
"""

from __future__ import annotations

import math

import numpy as np
import torch

PARAM_KEYS = ("Wh", "bh", "Wy", "by")
OUTPUT_KEYS = ("X", "htilde", "h", "ytilde", "yhat")


# -- data and a trusted forward, used to build the inputs of backward and to measure training ---------

def circles(n_train: int = 200, n_test: int = 200, seed: int = 0):
    """The course's Circles data (two noisy rings, one-hot labels), as the grader's support makes it."""
    rng = np.random.default_rng(seed)

    def sample(n: int):
        labels = rng.integers(0, 2, n)
        radius = np.where(labels == 0, 1.0, 0.45) + rng.normal(0, 0.09, n)
        angle = rng.uniform(0, 2 * math.pi, n)
        X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
        return torch.tensor(X, dtype=torch.float32), torch.tensor(np.eye(2)[labels], dtype=torch.float32)

    return (*sample(n_train), *sample(n_test))


def random_params(nx: int, nh: int, ny: int, seed: int, dtype=torch.float32) -> dict:
    generator = torch.Generator().manual_seed(seed)
    return {"Wh": (torch.randn(nh, nx, generator=generator) * 0.3).to(dtype),
            "bh": (torch.randn(nh, generator=generator) * 0.3).to(dtype),
            "Wy": (torch.randn(ny, nh, generator=generator) * 0.3).to(dtype),
            "by": (torch.randn(ny, generator=generator) * 0.3).to(dtype)}


def trusted_forward(params: dict, X: torch.Tensor):
    """The handout's forward, written here so that backward is checked on its own."""
    htilde = X @ params["Wh"].T + params["bh"]
    h = torch.tanh(htilde)
    ytilde = h @ params["Wy"].T + params["by"]
    yhat = torch.softmax(ytilde, dim=1)
    return yhat, {"X": X, "htilde": htilde, "h": h, "ytilde": ytilde, "yhat": yhat}


def accuracy(Yhat: torch.Tensor, Y: torch.Tensor) -> float:
    return float((Yhat.argmax(dim=1) == Y.argmax(dim=1)).double().mean())


def _close(got, expected, name: str, rtol: float = 1e-4, atol: float = 1e-6) -> None:
    got = torch.as_tensor(got).double()
    expected = torch.as_tensor(expected).double()
    assert got.shape == expected.shape, f"{name} has shape {tuple(got.shape)}, {tuple(expected.shape)} expected"
    assert torch.allclose(got, expected, rtol=rtol, atol=atol), f"{name} is {got}, {expected} expected"


# -- the 10 checks --------------------------------------------------------------------------------------

def check_init_shapes(init_params) -> None:
    """1. init_params returns Wh, bh, Wy, by with the handout's shapes."""
    params = init_params(2, 5, 3)
    assert isinstance(params, dict), "init_params must return a dict"
    expected = {"Wh": (5, 2), "bh": (5,), "Wy": (3, 5), "by": (3,)}
    for key, shape in expected.items():
        assert key in params, f"init_params returned no {key}"
        assert tuple(params[key].shape) == shape, f"{key} has shape {tuple(params[key].shape)}, {shape} expected"


def check_init_std(init_params) -> None:
    """2. The weights are drawn from N(0, 0.3): 200,000 and 150,000 values, 15 standard errors wide."""
    params = init_params(400, 500, 300)
    for key in ("Wh", "Wy"):
        values = torch.as_tensor(params[key]).double().flatten()
        std, mean = float(values.std()), float(values.mean())
        assert abs(std - 0.3) <= 0.01, f"{key} has standard deviation {std:.3f}, 0.3 expected"
        assert abs(mean) <= 0.01, f"{key} has mean {mean:.3f}, 0 expected"


def check_forward_example(forward) -> None:
    """3. forward on a small example computed by hand."""
    params = {"Wh": torch.tensor([[1.0, -1.0]]), "bh": torch.tensor([0.5]),
              "Wy": torch.tensor([[2.0], [-1.0]]), "by": torch.tensor([0.0, 0.25])}
    X = torch.tensor([[1.0, 1.0], [0.0, 2.0]])
    Yhat, _ = forward(params, X)
    h = torch.tanh(torch.tensor([0.5, -1.5]))
    _close(Yhat, torch.softmax(torch.stack([2 * h, -h + 0.25], dim=1), dim=1), "Yhat")


def check_forward_rows(forward) -> None:
    """4. forward returns (Yhat, outputs): Yhat (n, ny) with rows summing to 1, outputs with its keys."""
    params = random_params(2, 4, 3, seed=0)
    X = torch.randn(6, 2, generator=torch.Generator().manual_seed(1))
    Yhat, outputs = forward(params, X)
    assert tuple(Yhat.shape) == (6, 3), f"Yhat has shape {tuple(Yhat.shape)}, (6, 3) expected"
    _close(Yhat.sum(dim=1), torch.ones(6), "the sums of the rows of Yhat")
    for key in OUTPUT_KEYS:
        assert key in outputs, f"outputs has no {key}"


def check_loss_uniform(loss_accuracy) -> None:
    """5. A uniform prediction over 4 classes costs log(4) (the mean cross-entropy)."""
    L, _ = loss_accuracy(torch.full((4, 4), 0.25), torch.eye(4))
    _close(L, math.log(4), "L")


def check_accuracy(loss_accuracy) -> None:
    """6. The accuracy is the fraction of correct predictions: 3 right out of 4."""
    Y = torch.eye(3)[[0, 1, 2, 0]]
    Yhat = torch.tensor([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.1, 0.6, 0.3]])
    _, acc = loss_accuracy(Yhat, Y)
    _close(acc, 0.75, "acc")


def _autograd_check(backward, n: int, nx: int, nh: int, ny: int, seed: int, dtype) -> None:
    params = random_params(nx, nh, ny, seed, dtype)
    generator = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(n, nx, generator=generator).to(dtype)
    Y = torch.eye(ny, dtype=dtype)[torch.randint(0, ny, (n,), generator=generator)]
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    Yhat, _ = trusted_forward(leaves, X)
    (-(Y * torch.log(Yhat)).sum(dim=1).mean()).backward()
    _, outputs = trusted_forward(params, X)
    grads = backward(params, outputs, Y)
    assert isinstance(grads, dict), "backward must return a dict"
    for key in PARAM_KEYS:
        assert key in grads, f"backward returned no gradient for {key}"
        _close(grads[key], leaves[key].grad, f"grads[{key!r}]", rtol=1e-3, atol=1e-5)


def check_backward_autograd(backward) -> None:
    """7. backward gives the gradients of the mean loss (against autograd), float32, a batch of 8."""
    _autograd_check(backward, n=8, nx=3, nh=5, ny=4, seed=2, dtype=torch.float32)


def check_backward_single(backward) -> None:
    """8. The same on a float64 batch of one example (the smallest case)."""
    _autograd_check(backward, n=1, nx=2, nh=3, ny=2, seed=3, dtype=torch.float64)


def check_sgd(sgd) -> None:
    """9. One step of sgd with eta = 0.5 (in place or into a new dict)."""
    params = {"Wh": torch.ones(2, 2), "bh": torch.zeros(2), "Wy": torch.ones(1, 2), "by": torch.zeros(1)}
    grads = {"Wh": torch.full((2, 2), 2.0), "bh": torch.ones(2), "Wy": torch.full((1, 2), -2.0),
             "by": torch.ones(1)}
    result = sgd(params, grads, 0.5)
    updated = result if isinstance(result, dict) else params
    expected = {"Wh": torch.zeros(2, 2), "bh": torch.full((2,), -0.5), "Wy": torch.full((1, 2), 2.0),
                "by": torch.full((1,), -0.5)}
    for key in PARAM_KEYS:
        _close(updated[key], expected[key], f"params[{key!r}]")


def check_training(forward, loss_accuracy, backward, sgd) -> None:
    """10. The handout's mini-batch loop with these functions learns Circles from random parameters:
    the test accuracy (measured with the trusted forward) rises from near chance to 90 % or more."""
    Xtrain, Ytrain, Xtest, Ytest = circles()
    params = random_params(2, 10, 2, seed=31)
    before = accuracy(trusted_forward(params, Xtest)[0], Ytest)
    torch.manual_seed(0)
    for _ in range(60):
        order = torch.randperm(Xtrain.shape[0])
        for start in range(0, Xtrain.shape[0], 10):
            idx = order[start:start + 10]
            Yhat, outputs = forward(params, Xtrain[idx])
            loss_accuracy(Yhat, Ytrain[idx])
            grads = backward(params, outputs, Ytrain[idx])
            updated = sgd(params, grads, 0.3)
            params = updated if updated is not None else params
    after = accuracy(trusted_forward({k: params[k] for k in PARAM_KEYS}, Xtest)[0], Ytest)
    assert after >= 0.9 and after > before, f"test accuracy {after:.1%} after training ({before:.1%} before), 90 % expected"


# (check, the names of the student's functions it takes), in order: the anchors' test files and
# cells are generated from this list, so the two tools run the same checks.
CHECKS = [
    (check_init_shapes, ("init_params",)),
    (check_init_std, ("init_params",)),
    (check_forward_example, ("forward",)),
    (check_forward_rows, ("forward",)),
    (check_loss_uniform, ("loss_accuracy",)),
    (check_accuracy, ("loss_accuracy",)),
    (check_backward_autograd, ("backward",)),
    (check_backward_single, ("backward",)),
    (check_sgd, ("sgd",)),
    (check_training, ("forward", "loss_accuracy", "backward", "sgd")),
]
