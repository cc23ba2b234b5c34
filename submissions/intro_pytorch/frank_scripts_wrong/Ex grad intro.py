# Frank : sans boucle, mais le gradient n'est jamais remis à zéro
import torch

x = torch.FloatTensor([4, 6, 1, 3])
y = torch.FloatTensor([2, -3, 1, 3])
ref = torch.FloatTensor([1, 1, 0, 0])

a = torch.FloatTensor([0])
a.requires_grad = True
pas = 0.01

for iteration in range(100):
    ErrTot = torch.sum((torch.min(a * torch.abs(x - y), torch.ones(4)) - ref) ** 2)
    print(iteration, a.item(), ErrTot.item())
    ErrTot.backward()
    with torch.no_grad():
        a -= pas * a.grad
