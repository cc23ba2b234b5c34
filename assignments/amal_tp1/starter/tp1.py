"""AMAL TP1 — vos propres fonctions PyTorch : un coût MSE et une fonction linéaire.

Chaque fonction est une sous-classe de torch.autograd.Function avec deux méthodes statiques :
  forward(ctx, *entrées)     calcule la sortie et garde dans ctx ce dont backward aura besoin ;
  backward(ctx, grad_output) renvoie un gradient par entrée de forward, dans le même ordre,
                             chacun de la forme de son entrée (dérivation chaînée : grad_output est
                             le gradient du coût par rapport à la sortie de la fonction).
Formes : X (q, d) un batch de q exemples, W (d, p), b (p,), yhat et y (q, p).
"""

import torch
from torch.autograd import Function


class Context:
    """Un contexte minimal qui se comporte comme celui de PyTorch (fourni, rien à modifier).

    Utilisez-en un nouveau à chaque appel de forward.
    """

    def __init__(self):
        self._saved_tensors = ()

    def save_for_backward(self, *args):
        self._saved_tensors = args

    @property
    def saved_tensors(self):
        return self._saved_tensors


class MSE(Function):
    """Le coût aux moindres carrés d'un batch : la moyenne sur les q exemples de ||yhat_i − y_i||²."""

    @staticmethod
    def forward(ctx, yhat, y):
        # Gardez les valeurs dont backward aura besoin
        ctx.save_for_backward(yhat, y)
        # TODO : renvoyer le coût (un scalaire)
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_output):
        yhat, y = ctx.saved_tensors
        # TODO : renvoyer les deux dérivées partielles (par rapport à yhat, puis à y)
        raise NotImplementedError


class Linear(Function):
    """La fonction linéaire X @ W + b."""

    @staticmethod
    def forward(ctx, X, W, b):
        # TODO : sur le modèle de MSE
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad_output):
        # TODO : les gradients par rapport à X, W et b (de formes (q, d), (d, p) et (p,))
        raise NotImplementedError


# Les versions « autograd » (utilisées par tp1_gradcheck.py)
mse = MSE.apply
linear = Linear.apply
