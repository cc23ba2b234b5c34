"""AMAL TP1, questions 3 à 5 — descente de gradient stochastique, batch et mini-batch sur les données
Boston Housing, avec vos fonctions MSE et Linear (forward et backward appelés à la main).

Les données : from mlxtend.data import boston_housing_data ; X, y = boston_housing_data()
(standardisez-les, séparez apprentissage et test). Le correcteur appelle descente avec ses propres
données standardisées : Xtrain (N, 13), Ytrain (N, 1), Xtest, Ytest, en float32.
"""

import torch

from tp1 import MSE, Context, Linear


def descente(Xtrain, Ytrain, Xtest, Ytest, batch_size, n_epochs, eps):
    """Descente de gradient par paquets de batch_size exemples (1 : stochastique ; N : batch).

    À chaque époque, parcourir les exemples d'apprentissage (mélangés) par paquets de batch_size et
    faire une mise à jour W ← W − eps ∇W, b ← b − eps ∇b par paquet. Renvoyer
    (W, b, train_losses, test_losses) : W (d, p), b (p,), et les coûts MSE en apprentissage et en
    test à la fin de chaque époque (deux listes de n_epochs nombres).
    """
    # TODO
    raise NotImplementedError
