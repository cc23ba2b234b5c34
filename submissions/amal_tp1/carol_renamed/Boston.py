import torch
from classes import MSE, Linear, Context


def descente(Xtrain, Ytrain, Xtest, Ytest, batch_size, n_epochs, eps):
    n = len(Xtrain)
    w = torch.zeros(Ytrain.shape[1], Xtrain.shape[1])
    b = torch.zeros(Ytrain.shape[1])
    train, test = [], []
    for _ in range(n_epochs):
        idx = torch.randperm(n)
        for k in range(0, n, batch_size):
            batch = idx[k:k + batch_size]
            c1, c2 = Context(), Context()
            MSE.forward(c2, Linear.forward(c1, Xtrain[batch], w, b), Ytrain[batch])
            g, _ = MSE.backward(c2, 1.0)
            _, gw, gb = Linear.backward(c1, g)
            w, b = w - eps * gw, b - eps * gb
        train.append(float(MSE.forward(Context(), Linear.forward(Context(), Xtrain, w, b), Ytrain)))
        test.append(float(MSE.forward(Context(), Linear.forward(Context(), Xtest, w, b), Ytest)))
    return w, b, train, test
