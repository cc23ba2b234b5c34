"""Experiments (run at import time in a notebook-like style)."""
import numpy as np

from Module import Linear
from Activation import TanH, Sigmoide
from Loss import MSELoss
from Network import Sequentiel, SGD

X = np.random.randn(50, 2)
Y = (X[:, :1] * X[:, 1:] > 0).astype(float)
net = Sequentiel(Linear(2, 4), TanH(), Linear(4, 1), Sigmoide())
print(SGD(net, MSELoss(), X, Y, 10, 3, 0.05)[-1])
