"""TP 3-4 — partie 2.2 : simplification du backward avec torch.autograd.

Mêmes conventions qu'en 2.1 (W de taille (sortie, entrée), b de taille (sortie,)). Vos fonctions
forward et loss_accuracy de la partie 2.1 servent telles quelles ; backward est remplacée par
L.backward(). Complétez chaque fonction ; ne changez pas leurs noms ni leurs paramètres.
Vérifiez votre travail avec :  grader check tp_nn .
"""

import torch


def init_params(nx, nh, ny):
    """Comme en 2.1 (poids ~ N(0, 0.3)), mais chaque tenseur est une feuille avec requires_grad=True."""
    raise NotImplementedError


def sgd(params, eta):
    """Un pas de descente avec les gradients laissés par L.backward() dans .grad (sous
    torch.no_grad()), puis remise à zéro de ces gradients. Modifie params en place."""
    raise NotImplementedError
