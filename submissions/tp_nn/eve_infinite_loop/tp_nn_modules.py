# Correct (the same as alice_correct): only eve's forward of part 2.1 loops forever.
# Part 2.3, correct: her own nn.Module class (torch.tanh in forward), the loss applied to one-hot
# targets as class probabilities, sgd as in the handout with zero_grad after the loop.
import torch
import torch.nn as nn


class MLP(nn.Module):
    def __init__(self, nx, nh, ny):
        super().__init__()
        self.hidden = nn.Linear(nx, nh)
        self.output = nn.Linear(nh, ny)

    def forward(self, x):
        return self.output(torch.tanh(self.hidden(x)))


def init_model(nx, nh, ny):
    model = MLP(nx, nh, ny)
    loss = nn.CrossEntropyLoss()
    return model, loss


def loss_accuracy(loss, Yhat, Y):
    L = loss(Yhat, Y)
    acc = (Yhat.argmax(dim=1) == Y.argmax(dim=1)).double().mean().item()
    return L, acc


def sgd(model, eta):
    with torch.no_grad():
        for param in model.parameters():
            param -= eta * param.grad
    model.zero_grad()
