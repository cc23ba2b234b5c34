import torch
from classes import mse, linear

yhat = torch.randn(4, 3, requires_grad=True, dtype=torch.double)
y = torch.randn(4, 3, requires_grad=True, dtype=torch.double)
assert torch.autograd.gradcheck(mse, (yhat, y))

x = torch.randn(4, 6, requires_grad=True, dtype=torch.double)
w = torch.randn(3, 6, requires_grad=True, dtype=torch.double)   # (sortie, entrée)
b = torch.randn(3, requires_grad=True, dtype=torch.double)
assert torch.autograd.gradcheck(linear, (x, w, b))
print("gradcheck ok")
