# 5.6 Apprentissage de formes : l'hélice. Deux couches : Linear + ReLU, puis Linear (3 scores).
# Comparez 10 / 30 / 100 / 300 / 500 / 1000 neurones pour la couche 1 et gardez un nombre minimal
# mais suffisant. À la fin, la variable model contient le réseau entraîné.

import math
import random

import numpy as np
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

######################################################
# (x, y), catégorie
points = []
N = 30    # nombre de points par catégorie
K = 3     # nombre de catégories
for i in range(N):
    r = i / N
    for k in range(K):
        t = (i * 4 / N) + (k * 4) + random.uniform(0, 0.2)
        points.append([(r * math.sin(t), r * math.cos(t)), k])

######################################################
#  outils d'affichage -  NE PAS TOUCHER

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

######################################################
#  PROJET

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        # ... couche 1 : Linear + ReLU ; couche 2 : Linear (3 scores)

    def forward(self, x):
        return ...


def ComputeCatPerPixel():
    return np.ones(XXXX.shape)


model = Net()

for iteration in range(100):
    # Étape 4 : apprentissage ; étape 5 : sans boucle, avec Scores[I, CAT]
    # ...

    if iteration % 20 == 0:  # affichage toutes les 20 itérations
        DessineFond()
        DessinePoints()
        plt.title(str(iteration))
        plt.pause(2)
        plt.show(block=False)
