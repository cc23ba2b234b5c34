# Part 2.2, correct: the handout's snippets as they are (requires_grad set after the division).
import torch


def init_params(nx, nh, ny):
    params = {}
    params["Wh"] = torch.randn(nh, nx) / 10
    params["Wh"].requires_grad = True
    params["bh"] = torch.zeros(nh, requires_grad=True)
    params["Wy"] = torch.randn(ny, nh) / 10
    params["Wy"].requires_grad = True
    params["by"] = torch.zeros(ny, requires_grad=True)
    return params


def sgd(params, eta):
    with torch.no_grad():  # Attention a bien utiliser torch.no_grad()
        for name in ["Wh", "bh", "Wy", "by"]:
            params[name] -= eta * params[name].grad
            params[name].grad.zero_()  # remet l'accumulateur de gradient à zéro
    return params
