"""Experiments (run at import time in a notebook-like style)."""
import numpy as np

from Module import Linear
from Activation import Tanh, Sigmoid
from Loss import MSELoss
from Network import Sequential, SGD

X = np.random.randn(50, 2)
Y = (X[:, :1] * X[:, 1:] > 0).astype(float)
net = Sequential(Linear(2, 4), Tanh(), Linear(4, 1), Sigmoid())
print(SGD(net, MSELoss(), X, Y, 10, 3, 0.05)[-1])
