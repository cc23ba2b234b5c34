"""TP1 AMAL - mes fonctions (W est stocké comme dans l'énoncé : y = x W^T + b)"""
import torch
from torch.autograd import Function


class Context:
    def __init__(self):
        self._saved_tensors = ()

    def save_for_backward(self, *args):
        self._saved_tensors = args

    @property
    def saved_tensors(self):
        return self._saved_tensors


class MSE(Function):
    @staticmethod
    def forward(ctx, yhat, y):
        ctx.save_for_backward(yhat, y)
        return (yhat - y).pow(2).sum(1).mean()

    @staticmethod
    def backward(ctx, grad_output):
        yhat, y = ctx.saved_tensors
        g = 2 * (yhat - y) / yhat.shape[0] * grad_output
        return g, -g


class Linear(Function):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return x @ w.T + b

    @staticmethod
    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        return grad_output @ w, grad_output.T @ x, grad_output.sum(0)


mse = MSE.apply
linear = Linear.apply
