# 4.5 Apprentissage de la fonction booléenne ≠ (différent) par descente du gradient.
#
# f(x, y, a) = min(a × |x − y|, 1) ; erreur d'un échantillon : (f − ref)².
# Le gradient est calculé par PyTorch ; choisissez un pas fixe qui converge en moins de 100
# itérations. À la fin, la variable a contient le paramètre appris.
# Pour aller plus loin : supprimez la boucle sur les 4 échantillons (un seul tenseur pour les 4).

import torch

# Les 4 échantillons : x, y et la réponse de référence (1 si x ≠ y, 0 sinon)
x   = torch.FloatTensor([4, 6, 1, 3])
y   = torch.FloatTensor([2, -3, 1, 3])
ref = torch.FloatTensor([1, 1, 0, 0])


def f(x, y, a):
    return ...  # avec torch.min et torch.abs


def Err(estim, ref):
    return ...


pas = 0.0  # à choisir
a = torch.FloatTensor([0])
a.requires_grad = True

for iteration in range(100):
    # passe Forward
    ErrTot = torch.FloatTensor([0])
    # ... ajoutez l'erreur de chaque échantillon

    print("Iteration", iteration, " a =", a.item(), " ErrTot =", ErrTot.item())

    # passe Backward, puis descente du gradient à pas fixe
    # ... ErrTot.backward(), with torch.no_grad(): ..., a.grad.zero_()
