"""Bodies that return None or pass (must score 0)."""


def init_params(nx, nh, ny):
    return None


def forward(params, X):
    pass


def loss_accuracy(Yhat, Y):
    return


def backward(params, outputs, Y):
    """Not done yet."""
    pass


def sgd(params, grads, eta):
    ...
