"""AMAL TP1, questions 3 à 5, sous forme de script : les trois régimes de descente de gradient sur
Boston Housing, courbes d'apprentissage et de test dans TensorBoard."""

import numpy as np
import torch
from mlxtend.data import boston_housing_data
from torch.utils.tensorboard import SummaryWriter

from tp1_boston import cout, descente

X, y = boston_housing_data()
order = np.random.default_rng(0).permutation(len(X))
n_train = int(0.8 * len(X))
train, test = order[:n_train], order[n_train:]
mean, std = X[train].mean(0), X[train].std(0)
y_mean, y_std = y[train].mean(), y[train].std()
X = torch.tensor((X - mean) / std, dtype=torch.float32)
Y = torch.tensor((y - y_mean) / y_std, dtype=torch.float32).reshape(-1, 1)

writer = SummaryWriter()
for name, batch_size, n_epochs, eps in (("stochastique", 1, 5, 0.002),
                                        ("mini-batch", 32, 40, 0.02),
                                        ("batch", n_train, 300, 0.1)):
    W, b, train_losses, test_losses = descente(X[train], Y[train], X[test], Y[test], batch_size, n_epochs, eps)
    for epoch, (l_train, l_test) in enumerate(zip(train_losses, test_losses)):
        writer.add_scalar(f"{name}/train", l_train, epoch)
        writer.add_scalar(f"{name}/test", l_test, epoch)
    print(f"{name} : MSE en test {test_losses[-1]:.3f}")
