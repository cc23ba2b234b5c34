"""Reference solution, tp_nn part 2.2: the same network, its gradients computed by autograd.

`init_params` returns leaf tensors that require gradients; `sgd(params, eta)` uses the gradients
that `L.backward()` left in `.grad`, in place and without recording the update (torch.no_grad),
then resets them to zero (backward adds to `.grad`, it does not overwrite it).
"""

import torch


def init_params(nx, nh, ny):
    params = {}
    for name, shape in (("Wh", (nh, nx)), ("bh", (nh,)), ("Wy", (ny, nh)), ("by", (ny,))):
        value = torch.randn(*shape) * 0.3
        value.requires_grad = True  # after the scaling, so that the tensor stays a leaf
        params[name] = value
    return params


def sgd(params, eta):
    with torch.no_grad():
        for value in params.values():
            value -= eta * value.grad
            value.grad.zero_()
    return params
