import numpy as np

from .module import Module


class Sequentiel(Module):
    """Modules chained in order. `backward` does both passes (gradients, then deltas)."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = tuple(modules[0])
        self.modules = list(modules)
        self._inputs = []

    def add_module(self, module):
        self.modules.append(module)

    def forward(self, X):
        self._inputs = []
        for module in self.modules:
            self._inputs.append(X)
            X = module.forward(X)
        return X

    def zero_grad(self):
        for module in self.modules:
            module.zero_grad()

    def update_parameters(self, gradient_step=1e-3):
        for module in self.modules:
            module.update_parameters(gradient_step)

    def backward(self, input, delta):
        """Accumulate every module's gradient and return the delta of the network's input.
        Uses the inputs saved by the last forward (input is the network's input)."""
        for i in reversed(range(len(self.modules))):
            module = self.modules[i]
            module.backward_update_gradient(self._inputs[i], delta)
            delta = module.backward_delta(self._inputs[i], delta)
        return delta

    def backward_update_gradient(self, input, delta):
        self.backward(input, delta)

    def backward_delta(self, input, delta):
        for i in reversed(range(len(self.modules))):
            delta = self.modules[i].backward_delta(self._inputs[i], delta)
        return delta


class Optim(object):
    def __init__(self, net, loss, eps=1e-3):
        self.net = net
        self.loss = loss
        self.eps = eps

    def step(self, batch_x, batch_y):
        """One gradient step on a batch; returns the mean cost of the batch (before the step)."""
        self.net.zero_grad()
        yhat = self.net.forward(batch_x)
        cost = self.loss.forward(batch_y, yhat)
        delta = self.loss.backward(batch_y, yhat)
        self.net.backward(batch_x, delta)
        self.net.update_parameters(self.eps)
        return float(np.mean(cost))


def SGD(net, loss, X, Y, batch_size=32, n_iter=100, eps=1e-3, shuffle=True):
    """Mini-batch gradient descent: n_iter passes over (X, Y); returns the mean cost of each pass."""
    optim = Optim(net, loss, eps)
    n = len(X)
    costs = []
    for _ in range(n_iter):
        order = np.random.permutation(n) if shuffle else np.arange(n)
        batch_costs = []
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            batch_costs.append(optim.step(X[index], Y[index]))
        costs.append(float(np.mean(batch_costs)))
    return costs
