# TD apprentissage profond — Alice Dupont
import torch
from torch import nn
import torch.nn.functional as F
from torchvision import datasets, transforms


class Reseau1(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(28 * 28, 10)

    def forward(self, x):
        x = torch.flatten(x, start_dim=1) if x.dim() > 2 else x
        return torch.log_softmax(self.layer(x), dim=1)


def make_optimizer(model, learning_rate, momentum):
    return torch.optim.SGD(model.parameters(), learning_rate, momentum)


def train(model, optimizer, loader, nb_iterations):
    model.train()
    historique = []
    for _ in range(nb_iterations):
        _, (data, targets) = next(loader)
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), targets, reduction="sum")
        loss.backward()
        optimizer.step()
        historique.append(float(loss))
    return historique


def evaluate(model, X):
    model.eval()
    with torch.no_grad():
        return model(X).max(dim=1).indices


class Reseau2(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=3)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=3)
        self.pool = nn.MaxPool2d(2)
        self.drop1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(64 * 12 * 12, 128)
        self.drop2 = nn.Dropout(0.5)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.drop1(self.pool(self.conv2(F.relu(self.conv1(x)))))
        x = self.drop2(F.relu(self.fc1(x.flatten(1))))
        return self.fc2(x)


class ReseauCifar(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 32, 3, padding=1)
        self.c3 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x - 0.5)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.max_pool2d(F.relu(self.c3(x)), 2)
        return self.fc(x.flatten(1))


def train_cifar(model, X, y):
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for epoch in range(3):
        perm = torch.randperm(len(X))
        for i in range(0, len(X), 50):
            batch = perm[i:i + 50]
            loss = F.cross_entropy(model(X[batch]), y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()


def hardest_examples(model, images, labels, k):
    model.eval()
    with torch.no_grad():
        losses = F.cross_entropy(model(images), labels, reduction="none")
    return losses.topk(k).indices


def corrupt(model, images, eps):
    model.eval()
    images = images.detach().clone().requires_grad_()
    scores = model(images)
    F.cross_entropy(scores, scores.argmax(1)).backward()
    return torch.clamp(images + eps * images.grad.sign(), 0.0, 1.0).detach()


if __name__ == "__main__":
    train_set = datasets.MNIST("./data", train=True, download=True, transform=transforms.ToTensor())
    loader = enumerate(torch.utils.data.DataLoader(train_set, batch_size=60, shuffle=True))
    net = Reseau1()
    print(train(net, make_optimizer(net, 0.01, 0.5), loader, 1000)[-1])
