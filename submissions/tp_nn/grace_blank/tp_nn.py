"""TP 3-4 — Introduction aux réseaux de neurones, partie 2.1 : forward et backward manuels.

Conventions : W de taille (sortie, entrée), b de taille (sortie,), X de taille (n, nx),
Y en one-hot de taille (n, ny). Complétez chaque fonction ; ne changez pas leurs noms ni leurs
paramètres. Vérifiez votre travail avec :  grader check tp_nn .
"""

import torch


def init_params(nx, nh, ny):
    """Renvoie un dictionnaire {"Wh", "bh", "Wy", "by"} ; poids ~ N(0, 0.3)."""
    raise NotImplementedError


def forward(params, X):
    """Renvoie (Yhat, outputs) ; outputs contient "X", "htilde", "h", "ytilde", "yhat"."""
    raise NotImplementedError


def loss_accuracy(Yhat, Y):
    """Renvoie (L, acc) : entropie croisée moyenne et taux de bonnes prédictions (entre 0 et 1)."""
    raise NotImplementedError


def backward(params, outputs, Y):
    """Renvoie le dictionnaire des gradients de la loss moyenne : {"Wh", "bh", "Wy", "by"}."""
    raise NotImplementedError


def sgd(params, grads, eta):
    """Applique un pas de descente de gradient et renvoie les paramètres mis à jour."""
    raise NotImplementedError
