"""Reference solution, tp_nn parts 2.4 and 2.5: the update by torch.optim.SGD.

The grader's training loop (support/tp_nn_torch_drivers.py) calls, per mini-batch:
optim.zero_grad(); L, _ = loss_accuracy(loss, model(X), Y); L.backward(); optim.step().
"""

import torch


def init_model(nx, nh, ny, eta):
    model = torch.nn.Sequential(
        torch.nn.Linear(nx, nh),
        torch.nn.Tanh(),
        torch.nn.Linear(nh, ny),
    )
    loss = torch.nn.CrossEntropyLoss()
    optim = torch.optim.SGD(model.parameters(), lr=eta)
    return model, loss, optim


def loss_accuracy(loss, Yhat, Y):
    _, indsY = torch.max(Y, 1)
    L = loss(Yhat, indsY)
    _, indsYhat = torch.max(Yhat, 1)
    acc = (indsYhat == indsY).float().mean()
    return L, acc
