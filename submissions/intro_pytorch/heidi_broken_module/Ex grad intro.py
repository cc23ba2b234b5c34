# Heidi : version avec la boucle sur les 4 échantillons
import torch

X = [(4, 2), (6, -3), (1, 1), (3, 3)]
Ref = [1, 1, 0, 0]


def f(x, y, a):
    return torch.min(a * torch.abs(torch.tensor(x - y)), torch.tensor(1.0))


a = torch.tensor(0.0, requires_grad=True)
pas = 0.05
for iteration in range(100):
    ErrTot = torch.tensor(0.0)
    for (x, y), r in zip(X, Ref):
        ErrTot = ErrTot + (f(x, y, a) - r) ** 2
    ErrTot.backward()
    with torch.no_grad():
        a -= pas * a.grad
        a.grad.zero_()
    print(iteration, float(a), float(ErrTot))
