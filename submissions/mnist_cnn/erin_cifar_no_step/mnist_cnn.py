# Erin — TD MNIST / CIFAR-10

import torch
import torch.nn as nn
import torch.nn.functional as F


# -- 1. Reseau1 : un réseau dense sans couche cachée ------------------------------------------------

class Reseau1(nn.Module):
    def __init__(self):
        super(Reseau1, self).__init__()
        self.layer = nn.Linear(784, 10)

    def forward(self, x):
        # The slides end with F.softmax and feed the result to F.nll_loss, which expects
        # log-probabilities: with probabilities it minimises -p instead of -log p (it still trains a
        # little). log_softmax gives the same distribution (exp of the output) and the right loss.
        x = F.log_softmax(self.layer(x.view(-1, 784)), dim=1)
        return x


# -- 2. La boucle d'entraînement --------------------------------------------------------------------

def make_optimizer(model, learning_rate, momentum):
    return torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=momentum)


def train(model, optimizer, loader, nb_iterations):
    losses = []
    for i in range(nb_iterations):
        batch_idx, (data, targets) = next(loader)
        outputs = model(data)
        loss = F.nll_loss(outputs, targets, reduction='sum')
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def evaluate(model, X):
    model.eval()
    with torch.no_grad():
        outputs = model(X)
    return outputs.argmax(dim=1)


# -- 3. Reseau2 : le réseau convolutif des transparents --------------------------------------------

class Reseau2(nn.Module):
    def __init__(self):
        super(Reseau2, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout(0.5)  # the slides' Dropout2d on a (n, 128) input: plain dropout
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


# -- 4. TD : CIFAR-10 -------------------------------------------------------------------------------

class ReseauCifar(nn.Module):
    def __init__(self):
        super(ReseauCifar, self).__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 8 * 8, 128)
        self.fc2 = nn.Linear(128, 10)
        self.dropout = nn.Dropout(0.25)

    def forward(self, x):
        x = (x - 0.5) / 0.25
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


def train_cifar(model, X, y):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    n = X.shape[0]
    for epoch in range(2):
        order = torch.randperm(n)
        for start in range(0, n, 64):
            idx = order[start:start + 64]
            images = X[idx]
            flip = torch.rand(len(idx)) < 0.5  # miroir horizontal d'une image sur deux
            images[flip] = images[flip].flip(3)
            loss = F.cross_entropy(model(images), y[idx])
            loss.backward()
            optimizer.zero_grad()
            optimizer.step()
    return model


def hardest_examples(model, images, labels, k):
    model.eval()
    with torch.no_grad():
        log_probs = F.log_softmax(model(images), dim=1)
    true_log_prob = log_probs.gather(1, labels.view(-1, 1)).view(-1)
    return torch.argsort(true_log_prob)[:k]


def corrupt(model, images, eps):
    model.eval()
    x = images.clone().detach().requires_grad_(True)
    outputs = model(x)
    predicted = outputs.argmax(dim=1).detach()
    loss = F.cross_entropy(outputs, predicted)
    loss.backward()
    corrupted = x.detach() + eps * x.grad.sign()
    return corrupted.clamp(0, 1)
