"""AMAL TP1 — vérifier les backward de mse et linear par différences finies (torch.autograd.gradcheck).

gradcheck demande des entrées en double précision (float64) qui ont requires_grad=True.
"""

import torch

from tp1 import linear, mse

# Le gradient de MSE
yhat = torch.randn(10, 5, requires_grad=True, dtype=torch.float64)
y = torch.randn(10, 5, requires_grad=True, dtype=torch.float64)
print(torch.autograd.gradcheck(mse, (yhat, y)))

# TODO : le gradient de Linear, de la même façon
