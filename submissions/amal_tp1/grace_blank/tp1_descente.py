"""AMAL TP1 — descente de gradient avec vos fonctions MSE et Linear, sans autograd :
forward et backward sont appelés à la main, avec un nouveau Context à chaque fois."""

import torch
from torch.utils.tensorboard import SummaryWriter

from tp1 import MSE, Context, Linear

# Les données supervisées
x = torch.randn(50, 13)
y = torch.randn(50, 3)

# Les paramètres du modèle à apprendre
w = torch.randn(13, 3)
b = torch.randn(3)

epsilon = 0.05

writer = SummaryWriter()
for n_iter in range(100):
    # TODO : le forward ; `loss` doit valoir le coût MSE de cette itération
    loss = None

    # Visualisation : tensorboard --logdir runs/
    writer.add_scalar("Loss/train", loss, n_iter)
    print(f"Itération {n_iter} : loss {loss}")

    # TODO : le backward (grad_w, grad_b)

    # TODO : la mise à jour des paramètres
