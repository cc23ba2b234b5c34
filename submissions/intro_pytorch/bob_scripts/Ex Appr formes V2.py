# Exercice 5.6 - Bob : l'hélice, étape 5 (sans boucle)
import math
import random

import numpy as np
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

points = []
N = 30
K = 3
for i in range(N):
    r = i / N
    for k in range(K):
        t = (i * 4 / N) + (k * 4) + random.uniform(0, 0.2)
        points.append([(r * math.sin(t), r * math.cos(t)), k])


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
    def __init__(self, nb=30):
        super().__init__()
        self.couche1 = nn.Linear(2, nb)
        self.couche2 = nn.Linear(nb, 3)

    def forward(self, x):
        return self.couche2(F.relu(self.couche1(x)))


def ComputeCatPerPixel():
    T = torch.FloatTensor(np.stack([XXXX, YYYY], axis=2))
    return torch.argmax(model(T), axis=2).detach().numpy()


X = torch.FloatTensor([p for p, _ in points])
CAT = torch.tensor([c for _, c in points], dtype=torch.int64)
I = torch.arange(0, len(points), dtype=torch.int64)
delta = 1

model = Net(30)
opti = optim.Adam(model.parameters(), lr=0.05)

for iteration in range(300):
    opti.zero_grad()
    Scores = model(X)
    ErrTot = torch.sum(F.relu(Scores - (Scores[I, CAT] - delta).reshape(-1, 1)))
    ErrTot.backward()
    opti.step()
    if iteration % 20 == 0:
        print("Iteration : ", iteration, " ErrorTot : ", ErrTot.item())
        DessineFond()
        DessinePoints()
        plt.title(str(iteration))
        plt.pause(2)
        plt.show(block=False)
