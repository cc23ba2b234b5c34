# 5.5 Apprentissage de catégories : une couche Linear(2, 3) donne trois scores par point (x, y) ;
# le plus haut score donne la catégorie prédite (0 rouge, 1 vert, 2 bleu).
# À la fin, la variable model contient le réseau entraîné.

import numpy as np
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

######################################################
# (x, y), catégorie
points = [[(0.5, 0.4), 0], [(0.8, 0.3), 0], [(0.3, 0.8), 0],
          [(-.4, 0.3), 1], [(-.3, 0.7), 1], [(-.7, 0.2), 1], [(-.4, -.5), 1],
          [(0.7, -.4), 2], [(0.5, -.6), 2], [(0.2, -.9), 2]]

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
        # ... la couche Linear

    def forward(self, x):
        return ...


def Err(Scores, id_cat, delta=1):
    return ...  # somme sur j de max(0, Scores[j] - (Scores[id_cat] - delta))


def ComputeCatPerPixel():
    # Étape 1 : tenseur (200, 200, 2) des pixels, scores (200, 200, 3), argmax, tableau Numpy
    return np.ones(XXXX.shape)


model = Net()

for iteration in range(20):
    # Étape 2 : calcul de l'erreur totale sur les 10 échantillons, rétropropagation, descente
    # ...

    # affichage
    DessineFond()
    DessinePoints()
    plt.title(str(iteration))
    plt.pause(2)
    plt.show(block=False)
