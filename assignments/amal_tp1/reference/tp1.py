"""AMAL TP1 — référence : une classe Context et deux Function (MSE, Linear) écrites à la main.

Notations : X (q, d) un batch de q exemples, W (d, p), b (p,), Yhat et Y (q, p).

Note sur l'énoncé : il écrit la fonction linéaire « x Wᵀ + b », alors que sa propre somme
Σ_i W_{i,c} x_i (et le squelette, W de forme (d, p)) donne x W + b. La référence suit la somme et le
squelette : W est de forme (d, p) et forward renvoie X @ W + b (stocker W en (p, d) avec X @ W.T,
de façon cohérente, est accepté par le correcteur).
Le coût : l'énoncé définit mse(ŷ, y) = ||ŷ − y||² pour un exemple, et le coût d'un ensemble comme
la moyenne des coûts des exemples ; sur un batch la référence renvoie donc
Σ_i ||ŷ_i − y_i||² / q (la moyenne sur le batch des normes au carré, pas la moyenne des q·p
éléments).
"""

import torch
from torch.autograd import Function


class Context:
    """Un contexte très simplifié qui imite celui de PyTorch (un nouveau à chaque forward)."""

    def __init__(self):
        self._saved_tensors = ()

    def save_for_backward(self, *args):
        self._saved_tensors = args

    @property
    def saved_tensors(self):
        return self._saved_tensors


class MSE(Function):
    """Coût aux moindres carrés : sum((yhat - y) ** 2) / q, un scalaire."""

    @staticmethod
    def forward(ctx, yhat, y):
        ctx.save_for_backward(yhat, y)
        q = yhat.shape[0]
        return ((yhat - y) ** 2).sum() / q

    @staticmethod
    def backward(ctx, grad_output):
        yhat, y = ctx.saved_tensors
        q = yhat.shape[0]
        grad_yhat = grad_output * 2 * (yhat - y) / q
        return grad_yhat, -grad_yhat


class Linear(Function):
    """Fonction linéaire : X @ W + b, avec X (q, d), W (d, p), b (p,)."""

    @staticmethod
    def forward(ctx, X, W, b):
        ctx.save_for_backward(X, W, b)
        return X @ W + b

    @staticmethod
    def backward(ctx, grad_output):
        X, W, b = ctx.saved_tensors
        grad_X = grad_output @ W.T
        grad_W = X.T @ grad_output
        grad_b = grad_output.sum(0)
        return grad_X, grad_W, grad_b


mse = MSE.apply
linear = Linear.apply
