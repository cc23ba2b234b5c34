# TP1 questions 3-5 : Boston Housing, descente stochastique / mini-batch / batch
import torch
from mlxtend.data import boston_housing_data
from torch.utils.tensorboard import SummaryWriter

from tp1 import MSE, Linear, Context

X, y = boston_housing_data()
X = torch.tensor(X, dtype=torch.float32)
y = torch.tensor(y, dtype=torch.float32).view(-1, 1)

torch.manual_seed(42)
perm = torch.randperm(len(X))
n_train = 400
Xtrain, Ytrain = X[perm[:n_train]], y[perm[:n_train]]
Xtest, Ytest = X[perm[n_train:]], y[perm[n_train:]]
mu, sigma = Xtrain.mean(0), Xtrain.std(0)
Xtrain, Xtest = (Xtrain - mu) / sigma, (Xtest - mu) / sigma
ymu, ysigma = Ytrain.mean(), Ytrain.std()
Ytrain, Ytest = (Ytrain - ymu) / ysigma, (Ytest - ymu) / ysigma

writer = SummaryWriter("runs/boston")


def evaluate(X, Y, w, b):
    return MSE.forward(Context(), Linear.forward(Context(), X, w, b), Y)


for mode, batch_size, epochs, lr in [("sgd", 1, 5, 0.005), ("minibatch", 25, 40, 0.03), ("batch", n_train, 200, 0.1)]:
    w = torch.zeros(13, 1)
    b = torch.zeros(1)
    for epoch in range(epochs):
        order = torch.randperm(n_train)
        for start in range(0, n_train, batch_size):
            idx = order[start:start + batch_size]
            ctx1, ctx2 = Context(), Context()
            yhat = Linear.forward(ctx1, Xtrain[idx], w, b)
            loss = MSE.forward(ctx2, yhat, Ytrain[idx])
            grad_yhat, _ = MSE.backward(ctx2, 1.0)
            _, grad_w, grad_b = Linear.backward(ctx1, grad_yhat)
            w = w - lr * grad_w
            b = b - lr * grad_b
        writer.add_scalar(f"{mode}/train", evaluate(Xtrain, Ytrain, w, b), epoch)
        writer.add_scalar(f"{mode}/test", evaluate(Xtest, Ytest, w, b), epoch)
    print(mode, "test", evaluate(Xtest, Ytest, w, b).item())
writer.close()
