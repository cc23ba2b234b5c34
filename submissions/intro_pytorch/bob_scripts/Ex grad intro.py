# Exercice 4.5 - Bob. Version sans boucle sur les échantillons (pour aller plus loin).
import torch

x   = torch.FloatTensor([4, 6, 1, 3])
y   = torch.FloatTensor([2, -3, 1, 3])
ref = torch.FloatTensor([1, 1, 0, 0])


def f(x, y, a):
    return torch.min(a * torch.abs(x - y), torch.FloatTensor([1]))


def Err(estim, ref):
    return (estim - ref) ** 2


pas = 0.01
a = torch.FloatTensor([0])
a.requires_grad = True

for iteration in range(100):
    ErrTot = torch.sum(Err(f(x, y, a), ref))
    print("Iteration", iteration, " a =", a.item(), " ErrTot =", ErrTot.item())
    ErrTot.backward()
    with torch.no_grad():
        a -= pas * a.grad
        a.grad.zero_()

print("a final :", a.item())
