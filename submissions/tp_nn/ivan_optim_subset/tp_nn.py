# Correct, in a self-consistent layout the handout does not use: W stored as (in, out),
# biases as (1, out) rows (the same as bob_transposed).
import numpy as np
import torch


def init_params(nx, nh, ny):
    return {"Wh": torch.randn(nx, nh) * 0.3, "bh": torch.zeros(1, nh),
            "Wy": torch.randn(nh, ny) * 0.3, "by": torch.zeros(1, ny)}


def forward(params, X):
    htilde = X @ params["Wh"] + params["bh"]
    h = torch.tanh(htilde)
    ytilde = h @ params["Wy"] + params["by"]
    yhat = torch.softmax(ytilde, dim=1)
    return yhat, {"X": X, "htilde": htilde, "h": h, "ytilde": ytilde, "yhat": yhat}


def loss_accuracy(Yhat, Y):
    L = torch.nn.functional.nll_loss(torch.log(Yhat), Y.argmax(1))
    acc = float(np.mean((Yhat.argmax(1) == Y.argmax(1)).numpy()))
    return L, acc


def backward(params, outputs, Y):
    n = len(Y)
    d_ytilde = (outputs["yhat"] - Y) / n
    d_htilde = d_ytilde @ params["Wy"].T * (1 - outputs["h"] ** 2)
    return {"Wy": outputs["h"].T @ d_ytilde, "by": d_ytilde.sum(0, keepdim=True),
            "Wh": outputs["X"].T @ d_htilde, "bh": d_htilde.sum(0, keepdim=True)}


def sgd(params, grads, eta):
    return {k: params[k] - eta * grads[k] for k in params}
