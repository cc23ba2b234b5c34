import numpy as np

from .module import Module, _windows
from .loss import _softmax


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


class Softmax(Module):
    def forward(self, X):
        return _softmax(X)

    def backward_delta(self, input, delta):
        s = _softmax(input)
        return s * (delta - np.sum(delta * s, axis=1, keepdims=True))


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
