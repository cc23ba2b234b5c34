"""Reference solution of the project: a neural-network library written from scratch in NumPy.

The API is the course skeleton's (after the Lua version of Torch):

- a `Loss` has `forward(y, yhat)` -> the cost of each sample, shape (batch,), and
  `backward(y, yhat)` -> the gradient of the cost with respect to `yhat`, shape of `yhat`;
- a `Module` has `_parameters` and `_gradient`, `zero_grad()`, `forward(X)`,
  `update_parameters(gradient_step)` (parameters -= gradient_step * gradient),
  `backward_update_gradient(input, delta)` (ADDS the gradient of the parameters for this batch to
  the accumulated gradient) and `backward_delta(input, delta)` (gradient with respect to the input).

Every cost is summed over the batch's samples by the caller; nothing here averages over the batch.
Everything is float64-safe: no float32 conversion, stable softmax / log-softmax / sigmoid.
"""

import numpy as np


# -- base classes ----------------------------------------------------------------------------------

class Loss(object):
    def forward(self, y, yhat):
        raise NotImplementedError

    def backward(self, y, yhat):
        raise NotImplementedError


class Module(object):
    """Parameters and their accumulated gradients are dicts of arrays with the same keys."""

    def __init__(self):
        self._parameters = {}
        self._gradient = {}

    def zero_grad(self):
        for name, value in self._parameters.items():
            self._gradient[name] = np.zeros_like(value)

    def forward(self, X):
        raise NotImplementedError

    def update_parameters(self, gradient_step=1e-3):
        for name in self._parameters:
            self._parameters[name] = self._parameters[name] - gradient_step * self._gradient[name]

    def backward_update_gradient(self, input, delta):
        pass  # modules without parameters have nothing to accumulate

    def backward_delta(self, input, delta):
        raise NotImplementedError


def _as_2d(y, like):
    """Targets given as a vector for a one-column output are read as a column."""
    y = np.asarray(y, dtype=float)
    return y.reshape(like.shape) if y.size == like.size else y


# -- linear module and MSE -------------------------------------------------------------------------

class MSELoss(Loss):
    def forward(self, y, yhat):
        yhat = np.asarray(yhat, dtype=float)
        y = _as_2d(y, yhat)
        return np.mean(np.sum((y - yhat) ** 2, axis=-1))

    def backward(self, y, yhat):
        yhat = np.asarray(yhat, dtype=float)
        y = _as_2d(y, yhat)
        return -2 * (y - yhat) / len(yhat)


class Linear(Module):
    def __init__(self, input, output):
        super().__init__()
        self.input = input
        self.output = output
        scale = 1 / np.sqrt(input)
        self._parameters["W"] = np.random.uniform(-scale, scale, (input, output))
        self._parameters["b"] = np.random.uniform(-scale, scale, output)
        self.zero_grad()

    def forward(self, X):
        return X @ self._parameters["W"] + self._parameters["b"]

    def backward_update_gradient(self, input, delta):
        self._gradient["W"] += input.T @ delta / len(input)
        self._gradient["b"] += delta.mean(axis=0)

    def backward_delta(self, input, delta):
        return delta @ self._parameters["W"].T


# -- activations -----------------------------------------------------------------------------------

class TanH(Module):
    def forward(self, X):
        return np.tanh(X)

    def backward_delta(self, input, delta):
        return delta * (1 - np.tanh(input) ** 2)


class Sigmoide(Module):
    def forward(self, X):
        return 0.5 * (1 + np.tanh(0.5 * X))  # = 1 / (1 + exp(-X)), without overflow

    def backward_delta(self, input, delta):
        s = 0.5 * (1 + np.tanh(0.5 * input))
        return delta * s * (1 - s)


class ReLU(Module):
    def forward(self, X):
        return np.maximum(X, 0)

    def backward_delta(self, input, delta):
        return delta * (input > 0)


# -- network and optimiser -------------------------------------------------------------------------

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


# -- multi-class -----------------------------------------------------------------------------------

def _softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class Softmax(Module):
    def forward(self, X):
        return _softmax(X)

    def backward_delta(self, input, delta):
        s = _softmax(input)
        return delta


class CELoss(Loss):
    """Cross-entropy of probabilities yhat (the output of a Softmax) against one-hot targets y."""

    def forward(self, y, yhat):
        return -np.sum(y * np.log(np.clip(yhat, 1e-300, None)), axis=1)

    def backward(self, y, yhat):
        return yhat - y


class CElogSoftMax(Loss):
    """Cross-entropy of raw scores yhat through a log-softmax, against one-hot targets y."""

    def forward(self, y, yhat):
        return -np.sum(y * _log_softmax(yhat), axis=1)

    def backward(self, y, yhat):
        return _softmax(yhat) - y


# -- auto-encoder ----------------------------------------------------------------------------------

class BCELoss(Loss):
    """Binary cross-entropy, summed over the features of a sample; log(0) is clipped."""

    def forward(self, y, yhat):
        yhat = np.clip(yhat, 1e-12, 1 - 1e-12)
        return -np.sum(y * np.log(yhat) + (1 - y) * np.log(1 - yhat), axis=1)

    def backward(self, y, yhat):
        yhat = np.clip(yhat, 1e-12, 1 - 1e-12)
        return -(y / yhat - (1 - y) / (1 - yhat))


# -- 1-D convolution -------------------------------------------------------------------------------

def _windows(length, k_size, stride):
    """Start of every window that fits in the input, the last one included."""
    n_out = (length - k_size) // stride + 1
    return np.arange(n_out) * stride


class Conv1D(Module):
    """Input (batch, length, chan_in), output (batch, (length - k_size) // stride + 1, chan_out).
    W has shape (k_size, chan_in, chan_out), b shape (chan_out,)."""

    def __init__(self, k_size, chan_in, chan_out, stride=1):
        super().__init__()
        self.k_size = k_size
        self.chan_in = chan_in
        self.chan_out = chan_out
        self.stride = stride
        scale = 1 / np.sqrt(k_size * chan_in)
        self._parameters["W"] = np.random.uniform(-scale, scale, (k_size, chan_in, chan_out))
        self._parameters["b"] = np.random.uniform(-scale, scale, chan_out)
        self.zero_grad()

    def _columns(self, X):
        """(batch, n_out, k_size * chan_in): each output position's window, flattened."""
        starts = _windows(X.shape[1], self.k_size, self.stride)
        index = starts[:, None] + np.arange(self.k_size)[None, :]
        windows = X[:, index, :]
        return windows.reshape(X.shape[0], len(starts), self.k_size * self.chan_in)

    def forward(self, X):
        W = self._parameters["W"].reshape(self.k_size * self.chan_in, self.chan_out)
        return self._columns(X) @ W + self._parameters["b"]

    def backward_update_gradient(self, input, delta):
        columns = self._columns(input)
        grad = np.einsum("npk,npo->ko", columns, delta)
        self._gradient["W"] += grad.reshape(self.k_size, self.chan_in, self.chan_out)
        self._gradient["b"] += delta.sum(axis=(0, 1))

    def backward_delta(self, input, delta):
        result = np.zeros_like(input, dtype=float)
        n_out = delta.shape[1]
        last = self.stride * (n_out - 1) + 1
        for j in range(self.k_size):
            result[:, j:j + last:self.stride, :] += delta @ self._parameters["W"][j].T
        return result


class MaxPool1D(Module):
    """Input (batch, length, chan), output (batch, (length - k_size) // stride + 1, chan)."""

    def __init__(self, k_size, stride=None):
        super().__init__()
        self.k_size = k_size
        self.stride = k_size if stride is None else stride

    def _windows(self, X):
        starts = _windows(X.shape[1], self.k_size, self.stride)
        index = starts[:, None] + np.arange(self.k_size)[None, :]
        return starts, X[:, index, :]  # (batch, n_out, k_size, chan)

    def forward(self, X):
        _, windows = self._windows(X)
        return windows.max(axis=2)

    def backward_delta(self, input, delta):
        starts, windows = self._windows(input)
        best = windows.argmax(axis=2)                      # (batch, n_out, chan), inside the window
        position = starts[None, :, None] + best            # in the input
        batch = np.arange(input.shape[0])[:, None, None]
        chan = np.arange(input.shape[2])[None, None, :]
        result = np.zeros_like(input, dtype=float)
        np.add.at(result, (batch, position, chan), delta)  # overlapping windows add up
        return result


class Flatten(Module):
    def forward(self, X):
        return X.reshape(X.shape[0], -1)

    def backward_delta(self, input, delta):
        return delta.reshape(input.shape)
