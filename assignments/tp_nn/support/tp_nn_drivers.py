"""Code the grader runs inside the student's worker: the handout's mini-batch training loop, and
repeated calls of init_params.

It is sent as source text and executed next to the student's module (`code["tp_nn"]`), so that
training costs no round trip per batch. What it returns is a claim: the tests measure the accuracy
and the statistics themselves, in the grader's process.
"""


def train_circles(code, Xtrain, Ytrain, params, eta=0.3, epochs=60, batch=10, seed=0):
    """The handout's loop with the student's forward, loss_accuracy, backward and sgd, started from
    `params`: parameters the grader drew (in the student's layout), not the student's init_params,
    so whatever the loop reaches was learned by the student's own updates."""
    return _train(code["tp_nn"], Xtrain, Ytrain, params, eta, epochs, batch, seed)


def train_circles_measured(code, Xtrain, Ytrain, params, grid, eta=0.3, epochs=60, batch=10, seed=0):
    """The same training, and what the report draws: the parameters at the start and after each
    epoch (the grader measures loss and accuracy on them), and the student's forward on the points
    of `grid` (g * g, 2) after training, as class indices (g, g), or None when it fails there."""
    import torch

    tp = code["tp_nn"]
    snapshots = [_snapshot(params)]
    params = _train(tp, Xtrain, Ytrain, params, eta, epochs, batch, seed,
                    lambda current: snapshots.append(_snapshot(current)))
    side = int(round(grid.shape[0] ** 0.5))
    try:
        Yhat, _ = tp.forward(params, grid)
        regions = torch.as_tensor(Yhat).detach().argmax(dim=1).reshape(side, side)
    except Exception:  # a picture only: the test measures the accuracy itself
        regions = None
    return {"params": params, "snapshots": snapshots, "regions": regions}


def _train(tp, Xtrain, Ytrain, params, eta, epochs, batch, seed, after_epoch=None):
    import torch

    torch.manual_seed(seed)
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
        if after_epoch is not None:
            after_epoch(params)
    return params


def _snapshot(params):
    """A copy of the four parameters (sgd may update them in place), or None if they are not tensors."""
    import torch

    try:
        return {k: torch.as_tensor(params[k]).detach().clone() for k in ("Wh", "bh", "Wy", "by")}
    except Exception:
        return None


def init_draws(code, nx, nh, ny, counts):
    """init_params(nx, nh, ny) called max(counts.values()) times in a row: for each key of `counts`,
    the values of its first counts[key] draws, one flattened draw per row (counts[key], size)."""
    import torch

    tp = code["tp_nn"]
    rows = {key: [] for key in counts}
    for call in range(max(counts.values())):
        params = tp.init_params(nx, nh, ny)
        for key, count in counts.items():
            if call < count:
                rows[key].append(torch.as_tensor(params[key]).detach().reshape(-1).clone())
    return {key: torch.stack(values) for key, values in rows.items()}
