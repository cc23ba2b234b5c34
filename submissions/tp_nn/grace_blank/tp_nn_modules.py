"""TP 3-4 — partie 2.3 : simplification du forward avec les couches torch.nn.

Y est en one-hot de taille (n, ny), comme en 2.1. Attention : torch.nn.CrossEntropyLoss s'applique
sur ytilde (donc sans SoftMax). Complétez chaque fonction ; ne changez pas leurs noms ni leurs
paramètres. Vérifiez votre travail avec :  grader check tp_nn .
"""

import torch


def init_model(nx, nh, ny):
    """Renvoie (model, loss) : le réseau de la partie 1 en couches torch.nn, et la loss adaptée."""
    raise NotImplementedError


def loss_accuracy(loss, Yhat, Y):
    """Renvoie (L, acc) : L calculée avec la fonction de loss donnée, acc entre 0 et 1."""
    raise NotImplementedError


def sgd(model, eta):
    """Un pas de descente sur tous les paramètres du modèle, puis remise à zéro des gradients."""
    raise NotImplementedError
