"""Introduction à PyTorch — les exercices du polycopié sous forme de fonctions.

Complétez chaque fonction ; ne changez ni leurs noms ni leurs paramètres. Vérifiez votre travail
avec :  grader check intro_pytorch .

Exercices 4.5, 5.5 et 5.6 : vous pouvez, au choix, compléter ici les fonctions de ces exercices, ou
rendre les scripts du cours complétés (« Ex grad intro.py », « Ex apprentissage de forme V1.py »,
« Ex Appr formes V2.py »). Les fonctions laissées telles quelles ci-dessous ne comptent pas : c'est
alors le script qui est noté.
"""

import numpy as np
import torch
import torch.nn.functional as F

# -- 1. Tenseurs -----------------------------------------------------------------------------------


def creer_tenseur(L):
    """1.3 : un tenseur de flottants 32 bits à partir d'une liste (de listes) ou d'un tableau Numpy."""
    return None


def vers_liste(T):
    """1.3 : le tenseur T converti en liste Python."""
    return None


def vers_numpy(T):
    """1.3 : le tenseur T converti en tableau Numpy."""
    return None


def valeur(T):
    """1.3 : la valeur (nombre Python) d'un tenseur qui n'en contient qu'une."""
    return None


def taille(L):
    """1.4 : la taille (tuple) du tenseur créé à partir de la liste imbriquée L.

    Exemple : [[[0,0,0,0], [1,1,1,1], [2,2,2,2]], [[0,0,0,0], [1,1,1,1], [2,2,2,2]]] -> (2, 3, 4).
    """
    return None


def element(A, x, y):
    """1.6 : l'élément de la colonne x et de la rangée y du tenseur 2D A (indexation avec virgule)."""
    return None


def affecte_colonnes_paires(a, valeur):
    """1.7 : comme a[:, 0:6:2] = 99, affecte `valeur` à toutes les colonnes d'indice pair de a
    (0, 2, 4...), quelle que soit sa largeur. Modifie a sur place et le renvoie."""
    return None


def selection_indices(T, indices):
    """1.8 : les éléments (rangées pour un tenseur 2D) de T dont les indices sont dans la liste."""
    return None


def selection_booleens(T, masque):
    """1.8 : les éléments de T là où le tenseur de booléens `masque` (même taille que T) est vrai."""
    return None


def copie(T):
    """1.9 : une copie des seules données de T, détachée du graphe de calcul."""
    return None


def vue_slicing(T, n):
    """1.10.1 : la vue partielle T[0:n, 0:n] (elle partage les données de T)."""
    return None


def vue_selection(T, i):
    """1.10.2 : la rangée i de T, comme vue."""
    return None


def vue_reshape(T, forme):
    """1.10.3 : T redimensionné à la taille `forme` (un tuple), comme vue."""
    return None


# -- 2. Broadcasting -------------------------------------------------------------------------------


def broadcast_shape(shape_a, shape_b):
    """2.1 : la taille du tenseur A + B, par la règle du broadcasting, pour des tenseurs A et B de
    tailles shape_a et shape_b (tuples d'entiers) ; None si ces tailles sont incompatibles.

    Exemples : (3, 1) et (4,) -> (3, 4) ; (3, 4) et (3,) -> None.
    """
    return None


def ajoute_valeur(A, v):
    """2.2 : R[i, j] = A[i, j] + v, v un nombre."""
    return None


def ajoute_colonne(A, v):
    """2.3 : R[i, j] = A[i, j] + v[i], pour A de taille (n, m) et v de taille (n,)."""
    return None


def ajoute_ligne(A, v):
    """2.4 : R[i, j] = A[i, j] + v[j], pour A de taille (n, m) et v de taille (m,)."""
    return None


def colonne_plus_ligne(c, l):
    """2.5 : R[i, j] = c[i] + l[j], pour c de taille (n,) et l de taille (m,) : R est (n, m)."""
    return None


def ajoute_colonne_3d(A, v):
    """2.6 : R[i, j, k] = A[j, k] + v[i], pour A de taille (n, m) et v de taille (p,) : R est (p, n, m)."""
    return None


def grille_pixels(XXXX, YYYY):
    """5.5 étape 1 : le tenseur T de taille (H, W, 2) des coordonnées des pixels :
    T[i, j] = (XXXX[i, j], YYYY[i, j]), pour les tableaux XXXX, YYYY de np.meshgrid."""
    return None


def ComputeCatPerPixel(model, XXXX, YYYY):
    """5.5 étape 1 : la catégorie prédite pour chaque pixel, tableau Numpy de la taille de XXXX.

    `model` (par exemple une couche Linear(2, 3)) donne 3 scores pour un point (x, y) : injectez-lui
    le tenseur (H, W, 2) de tous les pixels, puis torch.argmax(axis=???)."""
    return None


# -- 3.7 Tracé d'un neurone + ReLU, puis d'un réseau 1-3-1, sans boucle ----------------------------


def courbe_neurone(layer, Lx):
    """Étape 1 : les ordonnées ReLU(layer(x)) de tous les x du tableau Lx, calculées en une fois
    (sans boucle for), pour plt.plot(Lx, Ly). `layer` est une couche Linear(1, 1)."""
    return None


def courbe_reseau(layer1, layer2, Lx):
    """Étape 2 : même chose pour le réseau Linear(1, 3) + ReLU, puis Linear(3, 1), sans boucle."""
    return None


# -- 4.5 Apprentissage de la fonction booléenne ≠ (ou rendez « Ex grad intro.py ») --------------------


def f(x, y, a):
    """f(x, y, a) = min(a × |x − y|, 1), avec torch.abs et torch.min."""
    return None


def Err(estim, ref):
    """L'erreur d'un échantillon : (estim − ref)²."""
    return None


def descente_gradient(x, y, ref):
    """Descente du gradient à pas fixe sur a, en partant de a = 0, sur les échantillons
    (x[i], y[i], ref[i]) traités un par un (boucle) : le gradient est calculé par PyTorch
    (requires_grad, ErrTot.backward(), torch.no_grad(), a.grad.zero_()). Choisissez le pas pour
    converger en moins de 100 itérations. Renvoie le a final."""
    return None


def ErrTot_vectorisee(x, y, ref, a):
    """Pour aller plus loin : l'erreur totale des échantillons, calculée sans boucle (un seul tenseur
    contient les expériences en parallèle)."""
    return None


def descente_gradient_vectorisee(x, y, ref):
    """Pour aller plus loin : la même descente, sans la boucle sur les échantillons. Renvoie le a final."""
    return None


# -- 5.5 Apprentissage de catégories (ou rendez « Ex apprentissage de forme V1.py ») ----------------


def ErrScores(Scores, id_cat, delta=1):
    """Err(Scores, id_cat) = Σ_j max(0, Scores[j] − (Scores[id_cat] − δ)) pour un échantillon :
    Scores (nb_cat,) les scores des catégories, id_cat la bonne catégorie, delta la marge δ."""
    return None


def apprend_categories(X, CAT):
    """Crée un réseau (classe héritant de nn.Module) fait d'une couche Linear(2, 3) et l'entraîne sur
    les échantillons X (n, 2), de catégories CAT (n,), traités un par un, avec l'erreur ErrScores,
    jusqu'à ce que chaque point soit dans sa zone. Renvoie le réseau entraîné."""
    return None


# -- 5.6 Apprentissage de formes (ou rendez « Ex Appr formes V2.py ») ------------------------------


def ErrScoresVectorisee(Scores, CAT, delta=1):
    """Étape 5 : l'erreur totale Σ_i Err(Scores[i], CAT[i]) d'un lot, Scores (n, 3) et CAT (n,),
    sans boucle : utilisez Scores[I, CAT] avec I = torch.arange(0, n, dtype=torch.int64)."""
    return None


def apprend_helice(X, CAT):
    """Étape 4 : un réseau Linear(2, nb) + ReLU, puis Linear(nb, 3), entraîné sur l'hélice X (n, 2),
    CAT (n,). Choisissez nb dans la liste 10 / 30 / 100 / 300 / 500 / 1000 : minimal mais suffisant.
    Renvoie le réseau entraîné."""
    return None
