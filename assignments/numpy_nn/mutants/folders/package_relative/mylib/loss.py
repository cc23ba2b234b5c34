import numpy as np


def _softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class Loss(object):
    def forward(self, y, yhat):
        raise NotImplementedError

    def backward(self, y, yhat):
        raise NotImplementedError


def _as_2d(y, like):
    """Targets given as a vector for a one-column output are read as a column."""
    y = np.asarray(y, dtype=float)
    return y.reshape(like.shape) if y.size == like.size else y


class MSELoss(Loss):
    def forward(self, y, yhat):
        yhat = np.asarray(yhat, dtype=float)
        y = _as_2d(y, yhat)
        return np.sum((y - yhat) ** 2, axis=-1)

    def backward(self, y, yhat):
        yhat = np.asarray(yhat, dtype=float)
        y = _as_2d(y, yhat)
        return -2 * (y - yhat)


class CELoss(Loss):
    """Cross-entropy of probabilities yhat (the output of a Softmax) against one-hot targets y."""

    def forward(self, y, yhat):
        return -np.sum(y * np.log(np.clip(yhat, 1e-300, None)), axis=1)

    def backward(self, y, yhat):
        return -y / np.clip(yhat, 1e-300, None)


class CElogSoftMax(Loss):
    """Cross-entropy of raw scores yhat through a log-softmax, against one-hot targets y."""

    def forward(self, y, yhat):
        return -np.sum(y * _log_softmax(yhat), axis=1)

    def backward(self, y, yhat):
        return _softmax(yhat) - y


class BCELoss(Loss):
    """Binary cross-entropy, summed over the features of a sample; log(0) is clipped."""

    def forward(self, y, yhat):
        yhat = np.clip(yhat, 1e-12, 1 - 1e-12)
        return -np.sum(y * np.log(yhat) + (1 - y) * np.log(1 - yhat), axis=1)

    def backward(self, y, yhat):
        yhat = np.clip(yhat, 1e-12, 1 - 1e-12)
        return -(y / yhat - (1 - y) / (1 - yhat))
