"""Code the grader runs inside the student's worker: the handout's mini-batch training loop.

It is sent as source text and executed next to the student's module (`modules["tp_nn"]`), so that
training costs no round trip per batch. What it returns is a claim: the tests measure the accuracy
themselves, in the grader's process, with the reference forward.
"""


def train_circles(modules, Xtrain, Ytrain, nh=10, eta=0.3, epochs=60, batch=10, seed=0):
    import torch

    tp = modules["tp_nn"]
    torch.manual_seed(seed)
    params = tp.init_params(Xtrain.shape[1], nh, Ytrain.shape[1])
    n = Xtrain.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            X, Y = Xtrain[idx], Ytrain[idx]
            Yhat, outputs = tp.forward(params, X)
            tp.loss_accuracy(Yhat, Y)
            grads = tp.backward(params, outputs, Y)
            updated = tp.sgd(params, grads, eta)
            # In place or a new dict: both follow the handout.
            params = updated if updated is not None else params
    return params
