"""Apprentissage profond pour la classification d'images : MNIST, un réseau convolutif, le TD CIFAR-10.

Complétez les fonctions et les classes ci-dessous (remplacez chaque `raise NotImplementedError`).
Gardez les noms et les signatures : le correcteur les appelle. Vous pouvez écrire dans un notebook
(Colab compris) : le correcteur y retrouve ces définitions ; le code au niveau du module
(téléchargement de MNIST, boucles d'essai, affichages) n'est pas exécuté par le correcteur.

Ce que le correcteur vérifie, question par question :

- reseau1 : `Reseau1()` a les 7 850 paramètres de `nn.Linear(784, 10)`, accepte des entrées de
  forme (n, 1, 28, 28) comme (n, 784) et renvoie, pour chaque ligne, une distribution sur les 10
  classes sous la forme attendue par `F.nll_loss` : des log-probabilités. Attention : le
  transparent termine par `F.softmax` puis passe le résultat à `F.nll_loss`, qui attend des
  log-probabilités. Utilisez `F.log_softmax(..., dim=1)` (les probabilités sont son exponentielle).
- train_loop :
  * `make_optimizer(model, learning_rate, momentum)` renvoie l'optimiseur des transparents,
    `torch.optim.SGD` sur tous les paramètres du modèle, avec ce pas et ce momentum ;
  * `train(model, optimizer, loader, nb_iterations)` fait `nb_iterations` itérations de la boucle
    des transparents avec l'optimiseur reçu. `loader` est un itérateur comme
    `enumerate(DataLoader(...))` : `batch_idx, (data, targets) = next(loader)` donne un batch.
    La perte est `F.nll_loss(outputs, targets, reduction='sum')` (la somme, comme sur le
    transparent ; la moyenne, qu'il autorise aussi, est acceptée). Le modèle renvoie des
    log-probabilités ;
  * `evaluate(model, X)` renvoie les étiquettes prédites (l'indice de la plus grande sortie) pour
    les images X de forme (n, 1, 28, 28), un tenseur d'entiers de forme (n,). Le modèle peut
    contenir du dropout : évaluez-le en mode évaluation.
- reseau2 : `Reseau2()` est le réseau convolutif des transparents (conv 3×3 1→32, ReLU,
  conv 3×3 32→64, max-pooling 2×2, dropout 0.25, aplatissement, Linear → 128, ReLU, dropout 0.5,
  Linear → 10). Le correcteur compare ses sorties à celles du réseau des transparents avec les
  mêmes poids, en mode eval(), et vérifie que le dropout agit en train() et pas en eval().
- mnist_accuracy : le correcteur entraîne lui-même votre `Reseau1` et votre `Reseau2`, à partir
  de leur initialisation (graine fixée, un seul thread, quelques secondes), sur 4 000 vrais
  chiffres MNIST, puis mesure la précision sur 1 000 autres. Un réseau tout juste construit doit
  être au niveau du hasard (environ 10 %) : ne chargez pas de poids déjà entraînés.
- cifar (TD) : `ReseauCifar()` prend des images (n, 3, 32, 32) à valeurs dans [0, 1] et renvoie
  (n, 10) scores ; `train_cifar(model, X, y)` l'entraîne sur ces images (X float (n, 3, 32, 32),
  y entiers (n,)) et peut renvoyer le modèle. Le correcteur construit le réseau, appelle
  `train_cifar` sur des images d'entraînement de CIFAR-10 (un seul thread, quelques minutes au
  plus), puis mesure la précision sur des images de test : plus de 50 % attendus.
- corruption (TD) :
  * `hardest_examples(model, images, labels, k)` renvoie les indices des k images sur lesquelles
    le modèle se trompe le plus : celles où il donne la plus faible probabilité à la bonne
    étiquette, de la pire à la moins pire ;
  * `corrupt(model, images, eps)` renvoie des images très légèrement modifiées (chaque pixel à
    au plus `eps` de l'original, images dans [0, 1]) qui font beaucoup baisser la précision du
    modèle, alors qu'elles restent très reconnaissables. Les étiquettes ne sont pas données :
    partez des prédictions du modèle. Le correcteur mesure la précision de son propre modèle
    entraîné sur vos images corrompues (eps = 0.1) : elle doit baisser d'au moins 30 points.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


# -- 1. Reseau1 : un réseau dense sans couche cachée ------------------------------------------------

class Reseau1(nn.Module):
    def __init__(self):
        raise NotImplementedError

    def forward(self, x):
        raise NotImplementedError


# -- 2. La boucle d'entraînement --------------------------------------------------------------------

def make_optimizer(model, learning_rate, momentum):
    raise NotImplementedError


def train(model, optimizer, loader, nb_iterations):
    raise NotImplementedError


def evaluate(model, X):
    raise NotImplementedError


# -- 3. Reseau2 : le réseau convolutif des transparents --------------------------------------------

class Reseau2(nn.Module):
    def __init__(self):
        raise NotImplementedError

    def forward(self, x):
        raise NotImplementedError


# -- 4. TD : CIFAR-10 -------------------------------------------------------------------------------

class ReseauCifar(nn.Module):
    def __init__(self):
        raise NotImplementedError

    def forward(self, x):
        raise NotImplementedError


def train_cifar(model, X, y):
    raise NotImplementedError


def hardest_examples(model, images, labels, k):
    raise NotImplementedError


def corrupt(model, images, eps):
    raise NotImplementedError
