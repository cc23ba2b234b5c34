"""Projet : une bibliothèque de réseaux de neurones écrite à la main avec NumPy.

Le squelette suit l'architecture de l'ancien Torch (Lua). Deux familles de classes :

- une fonction de coût (`Loss`) calcule, pour un batch, le coût de chaque exemple (`forward`) et
  le gradient de ce coût par rapport à la prédiction (`backward`) ;
- un module (`Module`) est une couche : il calcule sa sortie (`forward`), accumule le gradient de
  ses paramètres (`backward_update_gradient`), renvoie le gradient par rapport à son entrée
  (`backward_delta`) et se met à jour (`update_parameters`).

Les entrées sont des tableaux NumPy de taille (batch, d) ; pour la convolution, (batch, longueur,
canaux). Vous pouvez répartir ces classes dans plusieurs fichiers (Module.py, Loss.py, ...) ou
dans un paquet : le correcteur les cherche partout, sous ces noms ou leurs variantes usuelles
(Sigmoid, Tanh, Sequential...).
"""

import numpy as np


class Loss(object):
    def forward(self, y, yhat):
        """Coût de chaque exemple du batch : un tableau de taille (batch,)."""
        raise NotImplementedError

    def backward(self, y, yhat):
        """Gradient du coût par rapport à yhat, de la même taille que yhat."""
        raise NotImplementedError


class Module(object):
    def __init__(self):
        self._parameters = None
        self._gradient = None

    def zero_grad(self):
        """Remet à zéro le gradient accumulé des paramètres."""
        raise NotImplementedError

    def forward(self, X):
        """Sortie du module pour l'entrée X."""
        raise NotImplementedError

    def update_parameters(self, gradient_step=1e-3):
        """Un pas de gradient : paramètres -= gradient_step * gradient accumulé."""
        self._parameters -= gradient_step * self._gradient

    def backward_update_gradient(self, input, delta):
        """AJOUTE au gradient accumulé celui des paramètres pour ce batch (delta : gradient du coût
        par rapport à la sortie du module)."""
        raise NotImplementedError

    def backward_delta(self, input, delta):
        """Gradient du coût par rapport à l'entrée du module."""
        raise NotImplementedError


class MSELoss(Loss):
    """Coût quadratique : ||y - yhat||² pour chaque exemple."""

    def forward(self, y, yhat):
        raise NotImplementedError

    def backward(self, y, yhat):
        raise NotImplementedError


class Linear(Module):
    """Module linéaire : X @ W + b, W de taille (input, output), b de taille (output,)."""

    def __init__(self, input, output):
        raise NotImplementedError

    def zero_grad(self):
        raise NotImplementedError

    def forward(self, X):
        raise NotImplementedError

    def update_parameters(self, gradient_step=1e-3):
        raise NotImplementedError

    def backward_update_gradient(self, input, delta):
        raise NotImplementedError

    def backward_delta(self, input, delta):
        raise NotImplementedError


class TanH(Module):
    """Tangente hyperbolique, élément par élément (pas de paramètres)."""

    def forward(self, X):
        raise NotImplementedError

    def backward_delta(self, input, delta):
        raise NotImplementedError


class Sigmoide(Module):
    """Sigmoïde 1 / (1 + exp(-x)), élément par élément (pas de paramètres)."""

    def forward(self, X):
        raise NotImplementedError

    def backward_delta(self, input, delta):
        raise NotImplementedError


class Sequentiel(Module):
    """Enchaîne des modules : forward de l'un en entrée du suivant, passe arrière en sens inverse."""

    def __init__(self, *modules):
        raise NotImplementedError

    def forward(self, X):
        raise NotImplementedError

    def backward(self, input, delta):
        """Accumule le gradient de chaque module et renvoie le delta de l'entrée du réseau."""
        raise NotImplementedError


class Optim(object):
    """Optimiseur : un réseau, un coût et un pas eps."""

    def __init__(self, net, loss, eps=1e-3):
        raise NotImplementedError

    def step(self, batch_x, batch_y):
        """Un pas de descente de gradient sur un batch (forward, coût, backward, mise à jour)."""
        raise NotImplementedError


def SGD(net, loss, X, Y, batch_size=32, n_iter=100, eps=1e-3):
    """Descente de gradient par mini-batchs : n_iter passages sur les données ; renvoie les coûts."""
    raise NotImplementedError


class Softmax(Module):
    """Softmax sur chaque ligne : exp(x_i) / somme_j exp(x_j)."""

    def forward(self, X):
        raise NotImplementedError

    def backward_delta(self, input, delta):
        raise NotImplementedError


class CELoss(Loss):
    """Cross-entropie de probabilités yhat (sortie d'une Softmax) contre des y one-hot."""

    def forward(self, y, yhat):
        raise NotImplementedError

    def backward(self, y, yhat):
        raise NotImplementedError


class CElogSoftMax(Loss):
    """Cross-entropie sur des scores bruts, à travers un log-softmax."""

    def forward(self, y, yhat):
        raise NotImplementedError

    def backward(self, y, yhat):
        raise NotImplementedError


class BCELoss(Loss):
    """Cross-entropie binaire (sommée sur les composantes) ; attention à log(0)."""

    def forward(self, y, yhat):
        raise NotImplementedError

    def backward(self, y, yhat):
        raise NotImplementedError


class Conv1D(Module):
    """Convolution 1D : entrée (batch, longueur, chan_in), sortie (batch, (longueur - k_size) //
    stride + 1, chan_out) ; noyau de taille (k_size, chan_in, chan_out)."""

    def __init__(self, k_size, chan_in, chan_out, stride=1):
        raise NotImplementedError

    def zero_grad(self):
        raise NotImplementedError

    def forward(self, X):
        raise NotImplementedError

    def update_parameters(self, gradient_step=1e-3):
        raise NotImplementedError

    def backward_update_gradient(self, input, delta):
        raise NotImplementedError

    def backward_delta(self, input, delta):
        raise NotImplementedError


class MaxPool1D(Module):
    """Max pooling 1D : le max de chaque fenêtre, canal par canal."""

    def __init__(self, k_size, stride):
        raise NotImplementedError

    def forward(self, X):
        raise NotImplementedError

    def backward_delta(self, input, delta):
        raise NotImplementedError


class Flatten(Module):
    """(batch, longueur, canaux) -> (batch, longueur * canaux)."""

    def forward(self, X):
        raise NotImplementedError

    def backward_delta(self, input, delta):
        raise NotImplementedError


class ReLU(Module):
    """max(0, x), élément par élément."""

    def forward(self, X):
        raise NotImplementedError

    def backward_delta(self, input, delta):
        raise NotImplementedError
