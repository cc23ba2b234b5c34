"""Code the grader runs inside the student's worker for parts 2.2 to 2.5 (sent as source text).

Every function takes `modules` first (module name -> the student's module, e.g.
`modules["tp_nn_optim"]`) and imports what it needs itself. The tests also run the very same
functions in the grader's process with the reference modules, so that the student's code and the
reference go through identical steps. What a driver returns is a claim: the tests check it in the
grader's process.

Nothing here is a solution: gradients come from a generic loss (`autograd_steps`), `modules_sgd`
works on the handout's own example model, and the training loops are the handout's.
"""


def _grad_left(tensor):
    """What `.grad` holds: None, or its largest absolute value (0.0 once zeroed)."""
    grad = tensor.grad
    if grad is None:
        return None
    return float(grad.detach().abs().max()) if grad.numel() else 0.0


# -- 2.2 -------------------------------------------------------------------------------------------

def autograd_probe(modules, nx, nh, ny):
    """What init_params(nx, nh, ny) returns, tensor by tensor: shape, dtype, requires_grad, is_leaf."""
    import torch

    params = modules["tp_nn_autograd"].init_params(nx, nh, ny)
    if not isinstance(params, dict):
        return {"type": type(params).__name__, "params": {}}
    info = {}
    for key, value in params.items():
        if isinstance(value, torch.Tensor):
            info[str(key)] = {"shape": tuple(value.shape), "dtype": str(value.dtype).replace("torch.", ""),
                              "requires_grad": bool(value.requires_grad), "is_leaf": bool(value.is_leaf),
                              "std": float(value.detach().double().std()) if value.numel() > 1 else None}
        else:
            info[str(key)] = {"type": type(value).__name__}
    return {"type": "dict", "params": info}


def autograd_steps(modules, params, targets, eta):
    """One step per target: L = sum over keys of ||p - target||^2 / 2, L.backward(), sgd(params, eta).

    `params` become leaves that require grad. Returns one record per step: the parameters after
    it, and for each its requires_grad, is_leaf, and what is left in .grad. Stops early when a
    parameter is missing or no longer requires grad (the next backward could not reach it).
    """
    import torch

    sgd = modules["tp_nn_autograd"].sgd
    current = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    records = []
    for target in targets:
        L = sum(((current[k] - target[k]) ** 2).sum() / 2 for k in target)
        L.backward()
        result = sgd(current, eta)
        if isinstance(result, dict):
            current = result
        record = {"values": {}, "requires_grad": {}, "is_leaf": {}, "grad": {}, "missing": []}
        for k in target:
            value = current.get(k)
            if not isinstance(value, torch.Tensor):
                record["missing"].append(k)
                continue
            record["values"][k] = value.detach().clone()
            record["requires_grad"][k] = bool(value.requires_grad)
            record["is_leaf"][k] = bool(value.is_leaf)
            record["grad"][k] = _grad_left(value)
        records.append(record)
        if record["missing"] or not all(record["requires_grad"].values()):
            break
    return records


# -- 2.3 -------------------------------------------------------------------------------------------

def example_model(layers):
    """The handout's example architecture (Linear, ReLU, Linear...) holding the given values and
    gradients: layers = [(W, b, grad_W, grad_b), ...]."""
    import torch

    parts = []
    for i, (W, b, grad_W, grad_b) in enumerate(layers):
        if i:
            parts.append(torch.nn.ReLU())
        layer = torch.nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            layer.weight.copy_(W)
            layer.bias.copy_(b)
        layer.weight.grad = grad_W.detach().clone().to(layer.weight.dtype)
        layer.bias.grad = grad_b.detach().clone().to(layer.bias.dtype)
        parts.append(layer)
    return torch.nn.Sequential(*parts)


def modules_sgd(modules, layers, eta):
    """sgd(model, eta) once on `example_model(layers)`; the parameters and .grad after it, by name."""
    model = example_model(layers)
    modules["tp_nn_modules"].sgd(model, eta)
    values = {name: p.detach().clone() for name, p in model.named_parameters()}
    grads = {name: (None if p.grad is None else p.grad.detach().clone()) for name, p in model.named_parameters()}
    return values, grads


def make_loss(modules, name, **kwargs):
    """A torch.nn loss built in the worker (it comes back as a handle): torch.nn.<name>(**kwargs)."""
    import torch

    return getattr(torch.nn, name)(**kwargs)


# -- 2.4 -------------------------------------------------------------------------------------------

def optim_probe(modules, nx, nh, ny, eta):
    """What init_model(nx, nh, ny, eta) returns: the optimizer's type and hyperparameters, and which
    of the model's parameters it updates (by identity, which only the worker can tell)."""
    import torch

    result = modules["tp_nn_optim"].init_model(nx, nh, ny, eta)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        return {"returned": type(result).__name__,
                "length": len(result) if isinstance(result, (tuple, list)) else None}
    model, loss, optim = result
    info = {"returned": "triple", "model": f"{type(model).__module__}.{type(model).__qualname__}",
            "optimizer": f"{type(optim).__module__}.{type(optim).__qualname__}"}
    groups = getattr(optim, "param_groups", None)
    if not isinstance(model, torch.nn.Module) or not isinstance(groups, list):
        return info
    in_optimizer = {id(p) for group in groups for p in group.get("params", [])}
    named = list(model.named_parameters())
    info["covered"] = [name for name, p in named if id(p) in in_optimizer]
    info["not_covered"] = [name for name, p in named if id(p) not in in_optimizer]
    info["foreign"] = len(in_optimizer - {id(p) for _, p in named})
    info["groups"] = [{str(k): (float(v) if isinstance(v, torch.Tensor) and v.numel() == 1 else v)
                       for k, v in group.items()
                       if k != "params" and (v is None or isinstance(v, (bool, int, float, str, torch.Tensor)))}
                      for group in groups]
    return info


def optim_steps(modules, nx, nh, ny, eta, state, X, Y, steps=2):
    """init_model(nx, nh, ny, eta), the model's parameters set to `state`, then `steps` steps of the
    handout's loop on (X, Y). Returns the model's first output, the losses and the final state."""
    import torch

    tp = modules["tp_nn_optim"]
    model, loss, optim = tp.init_model(nx, nh, ny, eta)
    model.load_state_dict(state)
    with torch.no_grad():
        first = model(X).detach().clone()
    losses = []
    for _ in range(steps):
        optim.zero_grad()
        L, _ = tp.loss_accuracy(loss, model(X), Y)
        L.backward()
        optim.step()
        losses.append(L.detach().clone())  # a tensor: compared at the tolerance of its dtype
    return {"output": first, "losses": losses,
            "state": {k: v.detach().clone() for k, v in model.state_dict().items()}}


# -- 2.5 -------------------------------------------------------------------------------------------

def train_mnist(modules, Xtrain, ytrain, nh=50, eta=0.5, epochs=4, batch=50, seed=0):
    """The handout's loop with torch.optim on MNIST: Xtrain uint8 (n, 784), ytrain labels (n,).

    Returns the trained model's state_dict (plain tensors, measured by the grader)."""
    import torch

    tp = modules["tp_nn_optim"]
    torch.manual_seed(seed)
    X = Xtrain.float() / 255
    Y = torch.nn.functional.one_hot(ytrain.long(), 10).float()
    model, loss, optim = tp.init_model(X.shape[1], nh, 10, eta)
    n = X.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            optim.zero_grad()
            L, _ = tp.loss_accuracy(loss, model(X[idx]), Y[idx])
            L.backward()
            optim.step()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}

