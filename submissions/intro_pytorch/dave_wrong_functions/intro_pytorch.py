# TP Introduction à PyTorch - Dave
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def creer_tenseur(L):
    return torch.tensor(np.array(L), dtype=torch.float32)


def vers_liste(T):
    return T.tolist()


def vers_numpy(T):
    return T.detach().numpy()


def valeur(T):
    return T.item()


def taille(L):
    return torch.FloatTensor(L).shape


def element(A, x, y):
    return A[y, x]          # rangée d'abord


def affecte_colonnes_paires(a, valeur):
    a[:, 0:a.shape[1]:2] = valeur
    return a


def selection_indices(T, indices):
    return T[indices]


def selection_booleens(T, masque):
    return T[masque]


def copie(T):
    return torch.tensor(T.tolist())


def vue_slicing(T, n):
    return T[:n, :n]


def vue_selection(T, i):
    return T[i, :]


def vue_reshape(T, forme):
    return T.view(forme)


def broadcast_shape(shape_a, shape_b):
    out = []
    for i in range(max(len(shape_a), len(shape_b))):
        a = shape_a[i] if i < len(shape_a) else 1
        b = shape_b[i] if i < len(shape_b) else 1
        if a != b and a != 1 and b != 1:
            raise ValueError(f"incompatible: {shape_a} et {shape_b}")
        out.append(max(a, b))
    return tuple(out)


def ajoute_valeur(A, v):
    return A + torch.FloatTensor([[v]])


def ajoute_colonne(A, v):
    return A + v


def ajoute_ligne(A, v):
    return A + v[None, :]


def colonne_plus_ligne(c, l):
    return c.reshape(len(c), 1) + l.reshape(1, len(l))


def ajoute_colonne_3d(A, v):
    return A[None, :, :] + v[:, None, None]


def grille_pixels(XXXX, YYYY):
    return torch.stack([torch.from_numpy(XXXX), torch.from_numpy(YYYY)], dim=2).float()


def ComputeCatPerPixel(model, XXXX, YYYY):
    flat = grille_pixels(XXXX, YYYY).reshape(-1, 2)
    with torch.no_grad():
        cats = model(grille_pixels(XXXX, YYYY)).argmax(dim=1)
    return cats.numpy()


def courbe_neurone(layer, Lx):
    X = torch.from_numpy(Lx).float().unsqueeze(1)
    return torch.relu(layer(X)).squeeze(1).detach().numpy()


def courbe_reseau(layer1, layer2, Lx):
    X = torch.from_numpy(Lx).float().unsqueeze(1)
    return layer2(layer1(X)).detach()


def f(x, y, a):
    return torch.clamp(a * torch.abs(x - y), max=1)


def Err(estim, ref):
    return torch.abs(estim - ref)     # comme dans le fichier du cours


def descente_gradient(x, y, ref):
    pas = 0.04
    a = torch.zeros(1, requires_grad=True)
    for it in range(100):
        ErrTot = 0
        for i in range(4):
            ErrTot = ErrTot + Err(f(x[i], y[i], a), ref[i])
        ErrTot.backward()
        with torch.no_grad():
            a -= pas * a.grad
        a.grad.zero_()
        if ErrTot.item() < 1e-6:
            break
    return a


def ErrTot_vectorisee(x, y, ref, a):
    return torch.sum(Err(f(x, y, a), ref))


def descente_gradient_vectorisee(x, y, ref):
    pas = 0.04
    a = torch.zeros(1, requires_grad=True)
    for it in range(100):
        ErrTot = ErrTot_vectorisee(x, y, ref, a)
        ErrTot.backward()
        with torch.no_grad():
            a -= pas * a.grad
        a.grad.zero_()
    return a


def ErrScores(Scores, id_cat, delta=1):
    # la version habituelle : on ne compte pas j = id_cat
    marges = torch.clamp(Scores - Scores[id_cat] - delta, min=0)
    return marges.sum() - marges[id_cat]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.couche1 = nn.Linear(2, 3)

    def forward(self, x):
        return self.couche1(x)


def apprend_categories(X, CAT):
    model = Net()
    optim = torch.optim.SGD(model.parameters(), lr=0.1)
    for iteration in range(1000):
        optim.zero_grad()
        ErrTot = sum(ErrScores(model(X[i]), int(CAT[i]), 2) for i in range(len(X)))
        if ErrTot.item() == 0:
            break
        ErrTot.backward()
        optim.step()
    return model


def ErrScoresVectorisee(Scores, CAT, delta=1):
    I = torch.arange(0, len(CAT), dtype=torch.int64)
    marges = F.relu(Scores - Scores[I, CAT].unsqueeze(1) + delta)
    autres = torch.ones_like(Scores)
    autres[I, CAT] = 0
    return (marges * autres).sum()


class Helice(nn.Module):
    def __init__(self, nb):
        super().__init__()
        self.c1 = nn.Linear(2, nb)
        self.c2 = nn.Linear(nb, 3)

    def forward(self, x):
        return self.c2(F.relu(self.c1(x)))


def apprend_helice(X, CAT):
    model = Helice(100)
    optim = torch.optim.SGD(model.parameters(), lr=0.5)
    for iteration in range(400):
        optim.zero_grad()
        loss = ErrScoresVectorisee(model(X), CAT) / len(X)
        loss.backward()
        optim.step()
    return model


if __name__ == "__main__":
    print(broadcast_shape((3, 1), (4,)))
