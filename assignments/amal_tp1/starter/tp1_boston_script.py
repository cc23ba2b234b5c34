"""AMAL TP1, questions 3 à 5, sous forme de script (si vous ne complétez pas descente dans tp1_boston.py) :
les trois descentes (stochastique, mini-batch, batch) sur Boston Housing, et les courbes de coût en
apprentissage et en test dans TensorBoard (writer.add_scalar)."""

import torch
from mlxtend.data import boston_housing_data
from torch.utils.tensorboard import SummaryWriter

from tp1 import MSE, Context, Linear

X, y = boston_housing_data()
writer = SummaryWriter()

# TODO
