"""TP 3-4 — partie 2.6 (bonus) : un SVM sur Circles.

Xtrain est un tableau numpy (n, 2), ytrain le tableau (n,) des classes 0 / 1.
Le correcteur appelle la méthode predict du classifieur renvoyé sur des points qu'il n'a pas vus.
Voir sklearn.svm.SVC et son paramètre kernel.
"""

from sklearn import svm


def train_svm(Xtrain, ytrain):
    """Renvoie un SVM entraîné sur (Xtrain, ytrain)."""
    raise NotImplementedError
