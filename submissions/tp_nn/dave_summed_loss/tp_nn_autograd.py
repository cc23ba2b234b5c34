# Part 2.2 with a classic bug: the gradients are never reset (no .grad.zero_()), so each
# backward() adds to the previous gradients.
import torch


def init_params(nx, nh, ny):
    params = {"Wh": torch.randn(nh, nx) * 0.3, "bh": torch.zeros(nh),
              "Wy": torch.randn(ny, nh) * 0.3, "by": torch.zeros(ny)}
    for name in params:
        params[name].requires_grad = True
    return params


def sgd(params, eta):
    with torch.no_grad():
        for name in params:
            params[name] -= eta * params[name].grad
    return params
