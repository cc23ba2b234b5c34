# Part 2.2 with the bug the handout warns about: requires_grad=True given to torch.randn, then
# the product by 0.3, so the weights are results of a computation, not leaves (their .grad stays
# empty after backward).
import torch


def init_params(nx, nh, ny):
    return {"Wh": torch.randn(nh, nx, requires_grad=True) * 0.3,
            "bh": torch.zeros(nh, requires_grad=True),
            "Wy": torch.randn(ny, nh, requires_grad=True) * 0.3,
            "by": torch.zeros(ny, requires_grad=True)}


def sgd(params, eta):
    with torch.no_grad():
        for p in params.values():
            p -= eta * p.grad
            p.grad.zero_()
    return params
