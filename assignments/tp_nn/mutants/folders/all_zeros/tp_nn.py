"""Computes nothing: every function returns zeros of the right shapes (must score 0)."""
import torch


def init_params(nx, nh, ny):
    return {"Wh": torch.zeros(nh, nx), "bh": torch.zeros(nh), "Wy": torch.zeros(ny, nh), "by": torch.zeros(ny)}


def forward(params, X):
    n, nh, ny = X.shape[0], params["bh"].shape[0], params["by"].shape[0]
    yhat = torch.zeros(n, ny)
    outputs = {"X": X, "htilde": torch.zeros(n, nh), "h": torch.zeros(n, nh), "ytilde": torch.zeros(n, ny),
               "yhat": yhat}
    return yhat, outputs


def loss_accuracy(Yhat, Y):
    return torch.tensor(0.0), torch.tensor(0.0)


def backward(params, outputs, Y):
    return {key: torch.zeros_like(value) for key, value in params.items()}


def sgd(params, grads, eta):
    return {key: torch.zeros_like(value) for key, value in params.items()}
