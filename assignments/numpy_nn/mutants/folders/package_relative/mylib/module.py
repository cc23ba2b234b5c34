import numpy as np

from .loss import Loss  # noqa: F401  (the package modules import each other)


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
        self._gradient["W"] += input.T @ delta
        self._gradient["b"] += delta.sum(axis=0)

    def backward_delta(self, input, delta):
        return delta @ self._parameters["W"].T


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


def _windows(length, k_size, stride):
    """Start of every window that fits in the input, the last one included."""
    n_out = (length - k_size) // stride + 1
    return np.arange(n_out) * stride
