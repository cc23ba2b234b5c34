"""AMAL TP1 — descente de gradient avec MSE et Linear, forward et backward appelés à la main."""

import torch
from torch.utils.tensorboard import SummaryWriter

from tp1 import MSE, Context, Linear

# Les données supervisées
x = torch.randn(50, 13)
y = torch.randn(50, 3)

# Les paramètres du modèle à optimiser
w = torch.randn(3, 13)
b = torch.randn(3)

epsilon = 0.05

writer = SummaryWriter()
for n_iter in range(100):
    # forward : un nouveau contexte par fonction et par itération
    ctx_linear = Context()
    ctx_mse = Context()
    yhat = Linear.forward(ctx_linear, x, w, b)
    loss = MSE.forward(ctx_mse, yhat, y)

    writer.add_scalar("Loss/train", loss, n_iter)
    print(f"Itération {n_iter} : loss {loss}")

    # backward : le gradient du coût remonte de MSE vers Linear
    grad_yhat, _ = MSE.backward(ctx_mse, torch.tensor(1.0))
    _, grad_w, grad_b = Linear.backward(ctx_linear, grad_yhat)

    # mise à jour des paramètres
    w = w - epsilon * grad_w
    b = b - epsilon * grad_b
