"""Reference solution, tp_nn part 2.1: a one-hidden-layer perceptron with a hand-written backward.

Conventions (the handout's): W has shape (out, in), b shape (out,), X is (n, nx), Y one-hot (n, ny).
The loss is the mean cross-entropy over the batch; gradients are those of that mean.
Where the handout's text slips (it writes sigmoid as 1/(1+exp(x))), this follows the mathematics;
sigmoid is not used in this network.
"""

import torch


def init_params(nx, nh, ny):
    # N(0, 0.3) for every weight, as the handout asks; biases N(0, 0.3) too (zeros are also accepted).
    # a self-consistent float64 solution
    return {
        "Wh": torch.randn(nh, nx, dtype=torch.float64) * 0.3,
        "bh": torch.zeros(nh, dtype=torch.float64),
        "Wy": torch.randn(ny, nh, dtype=torch.float64) * 0.3,
        "by": torch.zeros(ny, dtype=torch.float64),
    }


def forward(params, X):
    X = X.double()
    htilde = X @ params["Wh"].T + params["bh"]
    h = torch.tanh(htilde)
    ytilde = h @ params["Wy"].T + params["by"]
    # softmax written stably (subtracting the row max changes nothing mathematically)
    shifted = ytilde - ytilde.max(dim=1, keepdim=True).values
    exp = torch.exp(shifted)
    yhat = exp / exp.sum(dim=1, keepdim=True)
    outputs = {"X": X, "htilde": htilde, "h": h, "ytilde": ytilde, "yhat": yhat}
    return yhat, outputs


def loss_accuracy(Yhat, Y):
    Y = Y.double()
    L = -(Y * torch.log(Yhat)).sum(dim=1).mean()
    _, predicted = torch.max(Yhat, 1)
    _, expected = torch.max(Y, 1)
    acc = (predicted == expected).float().mean()
    return L, acc


def backward(params, outputs, Y):
    Y = Y.double()
    n = Y.shape[0]
    grad_ytilde = (outputs["yhat"] - Y) / n
    grad_Wy = grad_ytilde.T @ outputs["h"]
    grad_by = grad_ytilde.sum(dim=0)
    grad_htilde = (grad_ytilde @ params["Wy"]) * (1 - outputs["h"] ** 2)
    grad_Wh = grad_htilde.T @ outputs["X"]
    grad_bh = grad_htilde.sum(dim=0)
    return {"Wh": grad_Wh, "bh": grad_bh, "Wy": grad_Wy, "by": grad_by}


def sgd(params, grads, eta):
    return {name: params[name] - eta * grads[name] for name in params}
