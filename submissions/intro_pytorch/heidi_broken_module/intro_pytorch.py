import torch


def creer_tenseur(L):
    return torch.FloatTensor(L)


def vers_liste(T)
    return T.tolist()
