import torch

# x, y : les deux entrées ; R : la réponse attendue
x = [4, 6, 1, 3]
y = [2, -3, 1, 3]
R = [1, 1, 0, 0]

a = torch.FloatTensor([0.1])
a.requires_grad = True
pas = 0.01

for i in range(100):
    ErrTot = 0
    for k in range(4):
        fx = torch.min(a * torch.abs(torch.FloatTensor([x[k] - y[k]])), torch.FloatTensor([1]))
        ErrTot += torch.abs(fx - R[k])
    print("a =", a.item(), "erreur =", ErrTot.item())
    ErrTot.backward()
    with torch.no_grad():
        a -= pas * a.grad
        a.grad.zero_()
