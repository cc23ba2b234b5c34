"""AMAL TP1, questions 3 à 5 — descente de gradient stochastique, batch et mini-batch sur Boston
Housing, avec les fonctions MSE et Linear de tp1.py (forward et backward appelés à la main).
"""

import torch

from tp1 import MSE, Context, Linear


def cout(X, Y, W, b):
    """Le coût MSE de (W, b) sur (X, Y), sans gradient (un float)."""
    return float(MSE.forward(Context(), Linear.forward(Context(), X, W, b), Y))


def descente(Xtrain, Ytrain, Xtest, Ytest, batch_size, n_epochs, eps):
    """Descente de gradient par mini-batchs de taille batch_size (1 : stochastique ; N : batch).

    À chaque époque les exemples d'apprentissage sont mélangés puis parcourus par paquets de
    batch_size (le dernier peut être plus petit) ; une mise à jour par paquet. Renvoie
    (W, b, train_losses, test_losses), les coûts étant mesurés à la fin de chaque époque.
    """
    n, d = Xtrain.shape
    p = Ytrain.shape[1]
    W = torch.zeros(p, d, dtype=Xtrain.dtype)
    b = torch.zeros(p, dtype=Xtrain.dtype)
    train_losses, test_losses = [], []
    for _ in range(n_epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            ctx_linear, ctx_mse = Context(), Context()
            yhat = Linear.forward(ctx_linear, Xtrain[idx], W, b)
            MSE.forward(ctx_mse, yhat, Ytrain[idx])
            grad_yhat, _ = MSE.backward(ctx_mse, torch.tensor(1.0, dtype=Xtrain.dtype))
            _, grad_W, grad_b = Linear.backward(ctx_linear, grad_yhat)
            W = W - eps * grad_W
            b = b - eps * grad_b
        train_losses.append(cout(Xtrain, Ytrain, W, b))
        test_losses.append(cout(Xtest, Ytest, W, b))
    return W, b, train_losses, test_losses
