"""TP 3-4 — parties 2.4 et 2.5 : simplification de SGD avec torch.optim, puis MNIST.

La boucle d'apprentissage fait, pour chaque batch :
    optim.zero_grad(); L, _ = loss_accuracy(loss, model(X), Y); L.backward(); optim.step()
Le correcteur vérifie un pas de cette boucle, puis entraîne votre code avec elle sur MNIST
(784 entrées, 10 classes). Complétez chaque fonction ; ne changez pas leurs noms ni leurs paramètres.
Vérifiez votre travail avec :  grader check tp_nn .
"""

import torch


def init_model(nx, nh, ny, eta):
    """Renvoie (model, loss, optim) : comme en 2.3, plus l'optimiseur SGD de pas eta."""
    raise NotImplementedError


def loss_accuracy(loss, Yhat, Y):
    """Renvoie (L, acc), comme en 2.3."""
    raise NotImplementedError
