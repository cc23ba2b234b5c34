# Projet réseau de neurones — une seule fichier, noms anglais, paramètres en attributs séparés.
import numpy as np


class Loss:
    def forward(self, y, yhat):
        raise NotImplementedError

    def backward(self, y, yhat):
        raise NotImplementedError


class Module:
    def __init__(self):
        self._parameters = None
        self._gradient = None

    def zero_grad(self):
        pass

    def update_parameters(self, gradient_step=1e-3):
        pass

    def backward_update_gradient(self, input, delta):
        pass


class MSE(Loss):
    def forward(self, y, yhat):
        return np.linalg.norm(y - yhat, axis=1) ** 2

    def backward(self, y, yhat):
        return 2 * (yhat - y)


class Linear(Module):
    """W stored (output, input), as torch does; bias kept apart."""

    def __init__(self, input, output):
        super().__init__()
        self.weight = np.random.randn(output, input) * 0.1
        self.bias = np.random.randn(1, output) * 0.1
        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = np.zeros_like(self.bias)

    def zero_grad(self):
        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = np.zeros_like(self.bias)

    def forward(self, X):
        return X @ self.weight.T + self.bias

    def update_parameters(self, gradient_step=1e-3):
        self.weight -= gradient_step * self.grad_weight
        self.bias -= gradient_step * self.grad_bias

    def backward_update_gradient(self, input, delta):
        self.grad_weight += delta.T @ input
        self.grad_bias += np.sum(delta, axis=0, keepdims=True)

    def backward_delta(self, input, delta):
        return delta @ self.weight


class Tanh(Module):
    def forward(self, X):
        return np.tanh(X)

    def backward_delta(self, input, delta):
        return (1 - np.tanh(input) ** 2) * delta


class Sigmoid(Module):
    def forward(self, X):
        return 1 / (1 + np.exp(-np.clip(X, -500, 500)))

    def backward_delta(self, input, delta):
        s = self.forward(input)
        return delta * s * (1 - s)


class ReLU(Module):
    def forward(self, X):
        return np.where(X > 0, X, 0.0)

    def backward_delta(self, input, delta):
        return np.where(input > 0, delta, 0.0)


class Sequential:
    def __init__(self, modules):
        self.modules = list(modules)
        self.outputs = []

    def forward(self, X):
        self.outputs = [X]
        for m in self.modules:
            self.outputs.append(m.forward(self.outputs[-1]))
        return self.outputs[-1]

    def backward(self, input, delta):
        for i in range(len(self.modules) - 1, -1, -1):
            self.modules[i].backward_update_gradient(self.outputs[i], delta)
            delta = self.modules[i].backward_delta(self.outputs[i], delta)
        return delta

    def zero_grad(self):
        for m in self.modules:
            m.zero_grad()

    def update_parameters(self, gradient_step=1e-3):
        for m in self.modules:
            m.update_parameters(gradient_step)


class Optim:
    def __init__(self, net, loss, eps):
        self.net, self.loss, self.eps = net, loss, eps

    def step(self, batch_x, batch_y):
        yhat = self.net.forward(batch_x)
        value = self.loss.forward(batch_y, yhat)
        self.net.backward(batch_x, self.loss.backward(batch_y, yhat))
        self.net.update_parameters(self.eps)
        self.net.zero_grad()
        return value.mean()


def SGD(net, loss, datax, datay, batch_size, nb_epochs, lr=1e-3):
    opt = Optim(net, loss, lr)
    history = []
    for _ in range(nb_epochs):
        idx = np.random.permutation(len(datax))
        for k in range(0, len(datax), batch_size):
            history.append(opt.step(datax[idx[k:k + batch_size]], datay[idx[k:k + batch_size]]))
    return history


class SoftMax(Module):
    def forward(self, X):
        e = np.exp(X - np.max(X, axis=1, keepdims=True))
        return e / np.sum(e, axis=1, keepdims=True)

    def backward_delta(self, input, delta):
        s = self.forward(input)
        out = np.empty_like(delta)
        for n in range(len(s)):
            J = np.diag(s[n]) - np.outer(s[n], s[n])
            out[n] = J @ delta[n]
        return out


class CELoss(Loss):
    def forward(self, y, yhat):
        return -np.sum(y * np.log(yhat + 1e-15), axis=1)

    def backward(self, y, yhat):
        return -y / (yhat + 1e-15)


class CELogSoftmax(Loss):
    def forward(self, y, yhat):
        m = np.max(yhat, axis=1)
        return -np.sum(y * yhat, axis=1) + m + np.log(np.sum(np.exp(yhat - m[:, None]), axis=1))

    def backward(self, y, yhat):
        e = np.exp(yhat - np.max(yhat, axis=1, keepdims=True))
        return e / np.sum(e, axis=1, keepdims=True) - y


class BCE(Loss):
    def forward(self, y, yhat):
        p = np.clip(yhat, 1e-10, 1 - 1e-10)
        return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p), axis=1)

    def backward(self, y, yhat):
        p = np.clip(yhat, 1e-10, 1 - 1e-10)
        return (p - y) / (p * (1 - p))


class Conv1d(Module):
    """Kernel stored (chan_out, chan_in, k_size); loops over the output positions."""

    def __init__(self, k_size, chan_in, chan_out, stride=1):
        super().__init__()
        self.k, self.cin, self.cout, self.stride = k_size, chan_in, chan_out, stride
        self.kernel = np.random.randn(chan_out, chan_in, k_size) * 0.1
        self.bias = np.zeros(chan_out)
        self.zero_grad()

    def zero_grad(self):
        self.grad_kernel = np.zeros_like(self.kernel)
        self.grad_bias = np.zeros_like(self.bias)

    def _n_out(self, length):
        return (length - self.k) // self.stride + 1

    def forward(self, X):
        n_out = self._n_out(X.shape[1])
        out = np.zeros((X.shape[0], n_out, self.cout))
        for i in range(n_out):
            window = X[:, i * self.stride:i * self.stride + self.k, :]      # (batch, k, cin)
            out[:, i, :] = np.einsum("bkc,ock->bo", window, self.kernel) + self.bias
        return out

    def update_parameters(self, gradient_step=1e-3):
        self.kernel -= gradient_step * self.grad_kernel
        self.bias -= gradient_step * self.grad_bias

    def backward_update_gradient(self, input, delta):
        for i in range(delta.shape[1]):
            window = input[:, i * self.stride:i * self.stride + self.k, :]
            self.grad_kernel += np.einsum("bkc,bo->ock", window, delta[:, i, :])
        self.grad_bias += delta.sum(axis=(0, 1))

    def backward_delta(self, input, delta):
        out = np.zeros_like(input, dtype=float)
        for i in range(delta.shape[1]):
            out[:, i * self.stride:i * self.stride + self.k, :] += np.einsum("bo,ock->bkc", delta[:, i, :], self.kernel)
        return out


class MaxPool1d(Module):
    def __init__(self, k_size, stride):
        super().__init__()
        self.k, self.stride = k_size, stride

    def forward(self, X):
        n_out = (X.shape[1] - self.k) // self.stride + 1
        return np.stack([X[:, i * self.stride:i * self.stride + self.k, :].max(axis=1) for i in range(n_out)], axis=1)

    def backward_delta(self, input, delta):
        out = np.zeros_like(input, dtype=float)
        b, c = np.meshgrid(np.arange(input.shape[0]), np.arange(input.shape[2]), indexing="ij")
        for i in range(delta.shape[1]):
            arg = input[:, i * self.stride:i * self.stride + self.k, :].argmax(axis=1) + i * self.stride
            out[b, arg, c] += delta[:, i, :]
        return out


class Flatten(Module):
    def forward(self, X):
        return X.reshape(len(X), -1)

    def backward_delta(self, input, delta):
        return delta.reshape(input.shape)


if __name__ == "__main__":
    X = np.random.randn(100, 2)
    y = (X[:, :1] * X[:, 1:] > 0).astype(float)
    net = Sequential([Linear(2, 8), Tanh(), Linear(8, 1), Sigmoid()])
    print(SGD(net, MSE(), X, y, 10, 5, 0.05)[-1])
