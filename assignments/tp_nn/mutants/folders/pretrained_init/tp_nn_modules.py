"""Reference solution, tp_nn part 2.3: the network as torch.nn layers, the loss as a torch.nn loss.

The model stops at the output layer's affine map (the logits ytilde): CrossEntropyLoss applies the
log-softmax itself, as the handout warns, so a softmax belongs only where probabilities are shown.
Y is one-hot (n, ny), as in part 2.1.
"""

import torch


def init_model(nx, nh, ny):
    model = torch.nn.Sequential(
        torch.nn.Linear(nx, nh),
        torch.nn.Tanh(),
        torch.nn.Linear(nh, ny),
    )
    loss = torch.nn.CrossEntropyLoss()
    return model, loss


def loss_accuracy(loss, Yhat, Y):
    _, indsY = torch.max(Y, 1)
    L = loss(Yhat, indsY)
    _, indsYhat = torch.max(Yhat, 1)
    acc = (indsYhat == indsY).float().mean()
    return L, acc


def sgd(model, eta):
    with torch.no_grad():
        for param in model.parameters():
            param -= eta * param.grad
    model.zero_grad()  # after the loop: inside it, the gradients not yet used would be cleared
    return model
