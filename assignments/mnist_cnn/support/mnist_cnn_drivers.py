"""Code the grader runs inside the student's worker for `mnist_cnn` (public, trusted, no grader import).

Every entry point takes `code` first: `code.cls("Reseau1")`, `code.function("train")` give the
student's real objects. The tests run the very same functions in the grader's process on the
reference (through `mnist_cnn_support.LocalCode`), so that the student's code and the reference go
through identical steps. What a driver returns is a claim: the tests recheck it in the scorer. In
particular the test labels of MNIST and CIFAR-10 never come here: the drivers get test images only
and return predictions, which the scorer counts.

Nothing here is a solution: the networks below are the grader's own small test networks (a
Linear(784, 10) followed by log_softmax is what any `nll_loss` example uses), not Reseau2 nor the
CIFAR network, and the training loops are the grader's.
"""

import time

import torch
import torch.nn.functional as F
from torch import nn

# -- the grader's own networks ---------------------------------------------------------------------


class TargetNet(nn.Module):
    """A Linear(784, 10) and log_softmax: the network the training loop and the corruption run on."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(784, 10)

    def forward(self, x):
        return F.log_softmax(self.linear(x.reshape(x.shape[0], -1)), dim=1)


class DropoutNet(nn.Module):
    """A hidden layer with dropout: its predictions are random unless it is in eval mode."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(784, 32)
        self.dropout = nn.Dropout(0.5)
        self.out = nn.Linear(32, 10)

    def forward(self, x):
        return self.out(self.dropout(F.relu(self.hidden(x.reshape(x.shape[0], -1)))))


NETWORKS = {"target": TargetNet, "dropout": DropoutNet}


def _one_thread():
    torch.set_num_threads(1)


def _state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _as_tensor(value):
    """A returned value as a tensor when it is one (or an array / a list of numbers), else None."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            return torch.from_numpy(value.copy())
    except ImportError:
        pass
    if isinstance(value, (list, tuple)):
        try:
            return torch.as_tensor([v.item() if isinstance(v, torch.Tensor) else v for v in value])
        except (TypeError, ValueError, RuntimeError):
            return None
    return None


def _type_name(value):
    return f"{type(value).__module__}.{type(value).__qualname__}"


def _returned(value):
    """{"tensor": ...} or {"type": ...} for what a student function returned."""
    tensor = _as_tensor(value)
    if tensor is None:
        return {"type": _type_name(value)}
    return {"tensor": tensor}


def to_log_probs(outputs):
    """The network's outputs as log-probabilities, whatever they are: probability rows (a softmax
    at the end, as on the slides) are logged, anything else goes through log_softmax (which leaves
    log-probabilities unchanged and turns scores into log-probabilities)."""
    with torch.no_grad():
        probabilities = outputs.dim() == 2 and bool((outputs >= 0).all()) and bool(
            torch.allclose(outputs.sum(dim=1), torch.ones(outputs.shape[0], dtype=outputs.dtype), atol=1e-3))
    if probabilities:
        return torch.log(outputs.clamp_min(1e-12)), "probabilities"
    return F.log_softmax(outputs, dim=1), "scores"


def predict(model, X, chunk=64):
    """argmax of the model's outputs in eval mode, by chunks; int64 labels (n,). Chunks of 64 keep
    a convolution's activations in the cache: Reseau2 on 1,000 digits in 0.56 s, 1.07 s by 500
    (the same labels)."""
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, X.shape[0], chunk):
            out.append(model(X[start:start + chunk]).argmax(dim=1))
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


# -- the grader's training loop (mnist_accuracy, and the trusted model of `corruption`) -------------

def fit(model, X, y, settings, seed, losses=None):
    """`settings["iterations"]` batches of `settings["batch"]` drawn at random (seeded), the loss
    nll_loss(to_log_probs(model(x)), y) with `settings["reduction"]`, optimizer SGD (lr, momentum)
    or Adam (lr, and `lr_end` from half-way on). Returns how the outputs were read; appends each
    batch's loss, as a mean per image, to `losses` when given (the report's curve)."""
    generator = torch.Generator().manual_seed(seed)
    if settings["optimizer"] == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=settings["lr"], momentum=settings["momentum"])
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    model.train()
    kind = None
    iterations = settings["iterations"]
    for i in range(iterations):
        if i == iterations // 2 and settings.get("lr_end"):
            for group in optimizer.param_groups:
                group["lr"] = settings["lr_end"]
        idx = torch.randint(0, X.shape[0], (settings["batch"],), generator=generator)
        log_probs, kind = to_log_probs(model(X[idx]))
        loss = F.nll_loss(log_probs, y[idx], reduction=settings["reduction"])
        if losses is not None:
            losses.append(float(loss.detach()) / (settings["batch"] if settings["reduction"] == "sum" else 1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return kind


def train_mnist(code, classes, Xtrain, ytrain, Xtest, settings, seed=0, fresh_images=None):
    """For each class name: the student's network built fresh (torch seeded with `seed`), its
    predictions on the first `fresh_images` test images (all when None) before training, the
    grader's loop (`settings[name]`), its predictions on all of them after, the seconds it took.
    Xtrain and Xtest are uint8 (n, 784); labels (n,)."""
    _one_thread()
    X = Xtrain.float().div(255).view(-1, 1, 28, 28)
    T = Xtest.float().div(255).view(-1, 1, 28, 28)
    results = {}
    for name in classes:
        start = time.perf_counter()
        torch.manual_seed(seed)
        model = code.cls(name)()
        before = predict(model, T[:fresh_images])
        losses = []
        kind = fit(model, X, ytrain.long(), settings[name], seed, losses)
        after = predict(model, T)
        results[name] = {"before": before, "after": after, "outputs": kind, "losses": losses,
                         "seconds": time.perf_counter() - start}
    return results


def train_target(Xtrain, ytrain, settings, seed=0):
    """The grader's TargetNet trained by `fit` (run in the scorer: the trusted model of `corruption`)."""
    torch.manual_seed(seed)
    model = TargetNet()
    fit(model, Xtrain.float().div(255).view(-1, 1, 28, 28), ytrain.long(), settings, seed)
    model.eval()
    return model


# -- train_loop ------------------------------------------------------------------------------------

def describe_optimizer(optimizer, model):
    """An optimizer's type, hyperparameters, and which of the model's parameters it updates."""
    info = {"type": _type_name(optimizer)}
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, list):
        return info
    held = {id(p) for group in groups for p in group.get("params", [])}
    named = list(model.named_parameters())
    info["missing"] = [name for name, p in named if id(p) not in held]
    info["foreign"] = len(held - {id(p) for _, p in named})
    info["groups"] = [{str(k): (float(v) if isinstance(v, torch.Tensor) and v.numel() == 1 else v)
                       for k, v in group.items()
                       if k != "params" and (v is None or isinstance(v, (bool, int, float, str)))}
                      for group in groups]
    return info


def optimizer_probe(code, lr, momentum):
    """What the student's make_optimizer(model, lr, momentum) builds for a fresh TargetNet."""
    model = TargetNet()
    return describe_optimizer(code.function("make_optimizer")(model, lr, momentum), model)


def loop_steps(code, network, state, batches, lr, momentum, student_optimizer):
    """The student's train(model, optimizer, loader, nb_iterations) on the grader's `network`
    holding `state`, with `batches` [(data, targets), ...] served as the slides' loader
    (`next(loader)` gives `(batch_idx, (data, targets))`) and nb_iterations = len(batches).
    The optimizer is the student's make_optimizer(model, lr, momentum) when `student_optimizer`,
    else torch.optim.SGD(model.parameters(), lr, momentum). Returns the parameters after it."""
    _one_thread()
    model = NETWORKS[network]()
    model.load_state_dict(state)
    if student_optimizer:
        optimizer = code.function("make_optimizer")(model, lr, momentum)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    info = {"optimizer": describe_optimizer(optimizer, model), "drawn": 0}
    if "groups" not in info["optimizer"]:
        return info

    def loader():
        for i, (data, targets) in enumerate(batches):
            info["drawn"] = i + 1
            yield i, (data.clone(), targets.clone())

    try:
        code.function("train")(model, optimizer, loader(), len(batches))
    except StopIteration:
        info["exhausted"] = True
        return info
    info["state"] = _state(model)
    info["grads_left"] = any(p.grad is not None and bool((p.grad != 0).any()) for p in model.parameters())
    return info


def evaluate_probe(code, network, state, X):
    """The student's evaluate(model, X) on the grader's `network` holding `state`, left in train
    mode (as after training); what it returns, and the mode the model is in afterwards."""
    _one_thread()
    model = NETWORKS[network]()
    model.load_state_dict(state)
    model.train()
    result = _returned(code.function("evaluate")(model, X.clone()))
    result["training_after"] = model.training
    return result


# -- reseau1 / reseau2: structure ------------------------------------------------------------------

def describe_network(code, name):
    """The parameters of a fresh student's `name`: [(name, shape)], in registration order."""
    model = code.cls(name)()
    if not isinstance(model, nn.Module):
        return {"type": _type_name(model)}
    return {"type": _type_name(model),
            "parameters": [(k, tuple(p.shape)) for k, p in model.named_parameters()]}


def dropout_probe(code, name, X):
    """Two forward passes in train() mode and two in eval() mode of a fresh `name` on X."""
    _one_thread()
    torch.manual_seed(0)
    model = code.cls(name)()
    outputs = {}
    with torch.no_grad():
        model.train()
        outputs["train"] = [model(X).detach().clone() for _ in range(2)]
        model.eval()
        outputs["eval"] = [model(X).detach().clone() for _ in range(2)]
    return outputs


# -- cifar -----------------------------------------------------------------------------------------

def train_cifar(code, Xtrain, ytrain, Xtest, seed=0):
    """The student's ReseauCifar built fresh (seeded), its predictions on the test images before
    training, the student's train_cifar(model, X, y) on the training images (float in [0, 1],
    (n, 3, 32, 32)), its predictions after. Xtrain and Xtest are uint8 (n, 3, 32, 32)."""
    _one_thread()
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = code.cls("ReseauCifar")()
    T = Xtest.float().div(255)
    before = predict(model, T)
    returned = code.function("train_cifar")(model, Xtrain.float().div(255), ytrain.long().clone())
    trained = returned if isinstance(returned, nn.Module) else model
    after = predict(trained, T)
    return {"before": before, "after": after, "seconds": time.perf_counter() - start}


# -- corruption ------------------------------------------------------------------------------------

def _target(state):
    model = TargetNet()
    model.load_state_dict(state)
    model.eval()
    return model


def corrupt_probe(code, state, images, eps):
    """The student's corrupt(model, images, eps) on the grader's trained TargetNet (`state`)."""
    _one_thread()
    return _returned(code.function("corrupt")(_target(state), images.clone(), eps))


def hardest_probe(code, state, images, labels, k):
    """The student's hardest_examples(model, images, labels, k) on the grader's trained TargetNet."""
    _one_thread()
    return _returned(code.function("hardest_examples")(_target(state), images.clone(), labels.clone(), k))
