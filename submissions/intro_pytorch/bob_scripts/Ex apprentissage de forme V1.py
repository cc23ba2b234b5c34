# Exercice 5.5 - Bob
import numpy as np
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

points = [[(0.5, 0.4), 0], [(0.8, 0.3), 0], [(0.3, 0.8), 0],
          [(-.4, 0.3), 1], [(-.3, 0.7), 1], [(-.7, 0.2), 1], [(-.4, -.5), 1],
          [(0.7, -.4), 2], [(0.5, -.6), 2], [(0.2, -.9), 2]]


def DessineFond():
    iS = ComputeCatPerPixel()
    levels = [-1, 0, 1, 2]
    c1 = ('r', 'g', 'b')
    plt.contourf(XXXX, YYYY, iS, levels, colors=c1)


def DessinePoints():
    c2 = ('darkred', 'darkgreen', 'lightblue')
    for point in points:
        coord = point[0]
        cat = point[1]
        plt.scatter(coord[0], coord[1], s=50, c=c2[cat], marker='o')


XXXX, YYYY = np.meshgrid(np.arange(-1, 1, 0.01), np.arange(-1, 1, 0.01))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.couche = nn.Linear(2, 3)

    def forward(self, x):
        return self.couche(x)


def Err(Scores, id_cat, delta=1):
    return torch.sum(torch.clamp(Scores - (Scores[id_cat] - delta), min=0))


def ComputeCatPerPixel():
    T = torch.FloatTensor(np.stack([XXXX, YYYY], axis=2))
    Scores = model(T)
    return torch.argmax(Scores, axis=2).detach().numpy()


model = Net()
opti = optim.SGD(model.parameters(), lr=0.05)

for iteration in range(200):
    opti.zero_grad()
    ErrTot = torch.FloatTensor([0])
    for (p, cat) in points:
        Scores = model(torch.FloatTensor(p))
        ErrTot = ErrTot + Err(Scores, cat, 1)
    ErrTot.backward()
    opti.step()

    print("Iteration : ", iteration, " ErrorTot : ", ErrTot.item())
    DessineFond()
    DessinePoints()
    plt.title(str(iteration))
    plt.pause(2)
    plt.show(block=False)
    if ErrTot.item() <= len(points) * 1:   # il ne reste que les δ des termes j = id_cat
        break
