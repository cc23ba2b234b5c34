"""AMAL TP1 — vérification des gradients de MSE et Linear avec torch.autograd.gradcheck.

gradcheck compare le backward écrit à la main à une approximation par différences finies : il
faut des entrées en float64 (en float32 l'approximation est trop imprécise).
"""

import torch

from tp1 import linear, mse

# MSE
yhat = torch.randn(10, 5, requires_grad=True, dtype=torch.float64)
y = torch.randn(10, 5, requires_grad=True, dtype=torch.float64)
print("MSE :", torch.autograd.gradcheck(mse, (yhat, y)))

# Linear, sur le même modèle
X = torch.randn(10, 4, requires_grad=True, dtype=torch.float64)
W = torch.randn(4, 5, requires_grad=True, dtype=torch.float64)
b = torch.randn(5, requires_grad=True, dtype=torch.float64)
print("Linear :", torch.autograd.gradcheck(linear, (X, W, b)))
