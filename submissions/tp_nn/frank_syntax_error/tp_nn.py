import torch

def init_params(nx, nh, ny):
    print "initialising"
    return {"Wh": torch.randn(nh, nx) * 0.3}
