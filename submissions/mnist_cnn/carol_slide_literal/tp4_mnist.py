# Carol — TP4, recopié des transparents
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision import datasets

device = torch.device("cpu")

mnist_train_dataset = datasets.MNIST(root='./data', train=True, download=True,
                                     transform=torchvision.transforms.ToTensor())


class Reseau1(nn.Module):
    def __init__(self):
        super(Reseau1, self).__init__()
        self.layer = nn.Linear(784, 10)

    def forward(self, x):
        x = F.softmax(self.layer(x.view(-1, 784)), dim=1)
        return x


reseau1 = Reseau1().to(device)


def make_optimizer(model, learning_rate, momentum):
    return torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=momentum)


def train(model, optimizer, loader, nb_iterations):
    for i in range(nb_iterations):
        batch_idx, (data, targets) = next(loader)
        outputs = model(data)
        loss = F.nll_loss(outputs, targets, reduction='sum')
        loss.backward()
        optimizer.step()


def evaluate(model, X):
    return model(X).argmax(dim=1)


class Reseau2(nn.Module):
    def __init__(self):
        super(Reseau2, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.conv2(x)
        x = self.dropout1(F.max_pool2d(x, 2))
        x = torch.flatten(x, 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        x = self.fc2(x)
        return x


class ReseauCifar(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 5)
        self.fc = nn.Linear(16 * 14 * 14, 10)

    def forward(self, x):
        return self.fc(torch.flatten(F.max_pool2d(F.relu(self.conv(x)), 2), 1))


def train_cifar(model, X, y):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(3):
        for i in range(0, len(X), 32):
            loss = F.cross_entropy(model(X[i:i + 32]), y[i:i + 32])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


def hardest_examples(model, images, labels, k):
    probas = model(images).softmax(dim=1)
    return probas[range(len(labels)), labels].argsort()[:k]


def corrupt(model, images, eps):
    # bruit très léger : les images restent reconnaissables
    return (images + eps * torch.randn_like(images)).clamp(images - eps, images + eps)


train_loader = enumerate(torch.utils.data.DataLoader(mnist_train_dataset, batch_size=60, shuffle=True))
train(reseau1, make_optimizer(reseau1, 0.01, 0.5), train_loader, 1000)
