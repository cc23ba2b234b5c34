import math
import random
import numpy as np
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

points = []
N = 30    # number of points per class
K = 3     # number of classes
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


class Reseau(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(2, 100)
        self.l2 = nn.Linear(100, 3)

    def forward(self, x):
        return self.l2(F.relu(self.l1(x)))


def erreur(scores, cat):
    return torch.sum(torch.clamp(scores - scores[cat] + 1, min=0))


def ComputeCatPerPixel():
    T = torch.zeros((*XXXX.shape, 2))
    T[:, :, 0] = torch.FloatTensor(XXXX)
    T[:, :, 1] = torch.FloatTensor(YYYY)
    return torch.argmax(reseau(T), axis=2).detach().numpy()


reseau = Reseau()
opti = optim.Adam(reseau.parameters(), lr=0.05)

for it in range(150):
    opti.zero_grad()
    errtot = torch.FloatTensor([0])
    for (px, py), c in points:
        errtot += erreur(reseau(torch.FloatTensor([px, py])), c)
    errtot.backward()
    opti.step()
    if it % 20 == 0:
        print(f'Iteration {it}, total error {errtot.item()}')
        DessineFond()
        DessinePoints()
        plt.title(str(it))
        plt.pause(0.1)
        plt.show(block=False)
