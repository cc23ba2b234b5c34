# Part 2.2, correct, in his own layout of part 2.1 (W as (in, out), biases as (1, out) rows):
# the update through .data, the gradients zeroed through .data too.
import torch


def init_params(nx, nh, ny):
    params = {"Wh": torch.randn(nx, nh) * 0.3, "bh": torch.zeros(1, nh),
              "Wy": torch.randn(nh, ny) * 0.3, "by": torch.zeros(1, ny)}
    for p in params.values():
        p.requires_grad = True
    return params


def sgd(params, eta):
    for k in params:
        params[k].data -= eta * params[k].grad.data
        params[k].grad.data.zero_()
    return params
