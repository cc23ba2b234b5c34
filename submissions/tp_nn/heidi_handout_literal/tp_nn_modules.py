# Part 2.3 with the handout's sgd copied as printed: model.zero_grad() inside the loop over the
# parameters. With torch >= 2.0 it sets every .grad to None after the first update, so the
# second parameter's update fails (with older torch only the first parameter moved).
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
    acc = (torch.max(Yhat, 1)[1] == indsY).float().mean()
    return L, acc


def sgd(model, eta):
    with torch.no_grad():
        for param in model.parameters():
            param -= eta * param.grad
            model.zero_grad()
