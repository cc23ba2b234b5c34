# Part 2.2, correct, written differently from the reference: torch.normal, requires_grad_() after
# the scaling, the update with sub_, gradients reset to None rather than zeroed.
import torch


def init_params(nx, nh, ny):
    params = {}
    params["Wh"] = torch.normal(0.0, 0.3, size=(nh, nx)).requires_grad_()
    params["bh"] = torch.zeros(nh, requires_grad=True)
    params["Wy"] = torch.normal(0.0, 0.3, size=(ny, nh)).requires_grad_()
    params["by"] = torch.zeros(ny, requires_grad=True)
    return params


def sgd(params, eta):
    with torch.no_grad():
        for name in params:
            params[name].sub_(eta * params[name].grad)
            params[name].grad = None
    return params
