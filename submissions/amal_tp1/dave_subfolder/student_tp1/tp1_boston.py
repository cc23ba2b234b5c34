import torch
from src.tp1 import MSE, Linear, Context


def loss_on(X, Y, W, b):
    return MSE.forward(Context(), Linear.forward(Context(), X, W, b), Y).item()


def descente(Xtrain, Ytrain, Xtest, Ytest, batch_size, n_epochs, eps):
    N, d = Xtrain.shape
    W = torch.randn(d, Ytrain.shape[1]) * 0.01
    b = torch.zeros(Ytrain.shape[1])
    train_losses, test_losses = [], []
    for epoch in range(n_epochs):
        perm = torch.randperm(N)
        for i in range(0, N, batch_size):
            batch = perm[i:i + batch_size]
            c1, c2 = Context(), Context()
            out = Linear.forward(c1, Xtrain[batch], W, b)
            MSE.forward(c2, out, Ytrain[batch])
            g, _ = MSE.backward(c2, torch.tensor(1.))
            _, gW, gb = Linear.backward(c1, g)
            W -= eps * gW
            b -= eps * gb
        train_losses.append(loss_on(Xtrain, Ytrain, W, b))
        test_losses.append(loss_on(Xtest, Ytest, W, b))
    return W, b, train_losses, test_losses
