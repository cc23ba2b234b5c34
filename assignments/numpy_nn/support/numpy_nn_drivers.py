"""Code the grader runs inside the student's worker (`session.run_driver(numpy_nn_drivers, entry, ...)`).

Its source is sent and executed next to the student's code, which `code` gives access to:
`code.cls("Linear")` (a class, found under its canonical name or an alias in any file),
`code.function("SGD")`, `code.module("projet_etu")`. It imports nothing from the grader.

Two kinds of experiments:
- `Sequentiel` / `Optim` / `SGD` are driven over the grader's own modules (`GLinear`, `GTanH`,
  `GSigmoid`, `GMSE`, which follow the skeleton exactly and record what is done to them), so that
  the `sequential` question grades the student's network and optimiser and nothing else;
- the report's experiments (multi-class digits, the auto-encoder, the gaussians) use the student's
  own modules with the grader's training loop.
What a driver returns is a claim: the tests recompute accuracy and reconstruction error in the
scorer, from the parameters returned (read from the student's objects) with NumPy.
"""

import inspect

import numpy as np


# -- the grader's modules (the skeleton's API, both backward signatures accepted) ------------------

class _GraderModule(object):
    def __init__(self):
        self._parameters = {}
        self._gradient = {}
        self._input = None
        self.log = []

    def __call__(self, X):
        return self.forward(X)

    def _split(self, args):
        """(input, delta) for the skeleton's (input, delta), or (delta,) with the cached input."""
        if len(args) >= 2:
            return np.asarray(args[0], dtype=float), np.asarray(args[1], dtype=float)
        return self._input, np.asarray(args[0], dtype=float)

    def zero_grad(self):
        self.log.append("zero_grad")
        for name, value in self._parameters.items():
            self._gradient[name] = np.zeros_like(value)

    def update_parameters(self, gradient_step=1e-3, *args, **kwargs):
        self.log.append(("update", float(gradient_step)))
        for name in self._parameters:
            self._parameters[name] = self._parameters[name] - gradient_step * self._gradient[name]

    def backward_update_gradient(self, *args):
        self.log.append("backward_update_gradient")

    def parameters(self):
        return {name: value.copy() for name, value in self._parameters.items()}


class GLinear(_GraderModule):
    def __init__(self, W, b):
        super().__init__()
        self._parameters = {"W": np.array(W, dtype=float), "b": np.array(b, dtype=float)}
        self.zero_grad()
        self.log = []

    def forward(self, X):
        self._input = np.asarray(X, dtype=float)
        return self._input @ self._parameters["W"] + self._parameters["b"]

    def backward_update_gradient(self, *args):
        X, delta = self._split(args)
        self.log.append("backward_update_gradient")
        self._gradient["W"] = self._gradient["W"] + X.T @ delta
        self._gradient["b"] = self._gradient["b"] + delta.sum(axis=0)

    def backward_delta(self, *args):
        _, delta = self._split(args)
        return delta @ self._parameters["W"].T


class GTanH(_GraderModule):
    def forward(self, X):
        self._input = np.asarray(X, dtype=float)
        return np.tanh(self._input)

    def backward_delta(self, *args):
        X, delta = self._split(args)
        return delta * (1 - np.tanh(X) ** 2)


class GSigmoid(_GraderModule):
    def forward(self, X):
        self._input = np.asarray(X, dtype=float)
        return 0.5 * (1 + np.tanh(0.5 * self._input))

    def backward_delta(self, *args):
        X, delta = self._split(args)
        s = 0.5 * (1 + np.tanh(0.5 * X))
        return delta * s * (1 - s)


class GMSE(object):
    def forward(self, y, yhat):
        y = np.asarray(y, dtype=float).reshape(np.shape(yhat))
        return np.sum((y - yhat) ** 2, axis=1)

    def backward(self, y, yhat):
        y = np.asarray(y, dtype=float).reshape(np.shape(yhat))
        return -2 * (y - yhat)

    __call__ = forward


def _grader_net(weights, activation="tanh", last=None):
    """[GLinear, GTanH, GLinear, ...(, GSigmoid)] from [(W, b), ...]."""
    modules = []
    for i, (W, b) in enumerate(weights):
        modules.append(GLinear(W, b))
        if i < len(weights) - 1:
            modules.append(GTanH())
    if last == "sigmoid":
        modules.append(GSigmoid())
    return modules


def _compose(modules, X):
    for module in modules:
        X = module.forward(X)
    return X


# -- the student's Sequentiel, whatever its constructor ---------------------------------------------

def build_sequential(code, modules):
    """The student's Sequentiel over `modules`: Sequentiel(*modules), Sequentiel([modules]), or
    Sequentiel() then add_module / append / add; the first whose forward composes the modules."""
    Seq = code.cls("Sequentiel")
    probe = np.linspace(-1, 1, 2 * modules[0]._parameters["W"].shape[0]).reshape(2, -1) \
        if modules and "W" in modules[0]._parameters else None
    expected = _compose(modules, probe) if probe is not None else None

    def empty_then_add():
        net = Seq()
        for name in ("add_module", "append", "add", "addModule", "ajouter", "ajout_module"):
            method = getattr(net, name, None)
            if callable(method):
                for module in modules:
                    method(module)
                return net
        raise TypeError("no method to add a module")

    attempts = [lambda: Seq(*modules), lambda: Seq(list(modules)), empty_then_add]
    first, first_error = None, None
    for attempt in attempts:
        try:
            net = attempt()
        except Exception as exc:  # a constructor that does not take this form
            first_error = first_error or exc
            continue
        if first is None:
            first = net
        if expected is None:
            return net
        try:
            if np.allclose(np.asarray(net.forward(probe), dtype=float), expected):
                return net
        except Exception:
            continue
    if first is not None:
        return first
    raise first_error


def _net_backward(net, X, delta):
    """The network's backward pass, under the names students give it."""
    for name in ("backward", "backward_update_gradient"):
        method = getattr(net, name, None)
        if callable(method):
            try:
                return method(X, delta)
            except TypeError:
                return method(delta)
    raise AttributeError("the Sequentiel has no backward method")


def sequential_forward(code, weights, X):
    net = build_sequential(code, _grader_net(weights))
    return np.asarray(net.forward(np.asarray(X, dtype=float)), dtype=float)


def sequential_backward(code, weights, X, delta):
    """Forward then the network's backward: the accumulated gradients of every GLinear, and what
    the network returned (the delta of its input, when it returns one)."""
    modules = _grader_net(weights)
    net = build_sequential(code, modules)
    for module in modules:
        module.zero_grad()
    net.forward(np.asarray(X, dtype=float))
    returned = _net_backward(net, np.asarray(X, dtype=float), np.asarray(delta, dtype=float))
    linears = [m for m in modules if isinstance(m, GLinear)]
    try:
        returned = np.asarray(returned, dtype=float) if returned is not None else None
    except (TypeError, ValueError):
        returned = None
    return {"gradients": [(m._gradient["W"].copy(), m._gradient["b"].copy()) for m in linears],
            "returned": returned}


def optim_steps(code, weights, batches, eps, last=None):
    """Optim(net, GMSE(), eps).step(x, y) on each batch in turn: every GLinear's parameters after
    each step, what each step returned, and what was done to each GLinear (zero_grad, updates)."""
    modules = _grader_net(weights, last=last)
    linears = [m for m in modules if isinstance(m, GLinear)]
    net = build_sequential(code, modules)
    for m in modules:
        m.log = []
    optim = code.cls("Optim")(net, GMSE(), eps)
    snapshots, returned = [], []
    for x, y in batches:
        value = optim.step(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        try:
            returned.append(float(np.mean(value)))
        except (TypeError, ValueError):
            returned.append(None)
        snapshots.append([(m._parameters["W"].copy(), m._parameters["b"].copy()) for m in linears])
    return {"snapshots": snapshots, "returned": returned, "logs": [m.log for m in linears]}


def train_with_optim(code, weights, X, Y, eps, epochs, batch_size, last="sigmoid", seed=0):
    """A mini-batch loop of Optim.step over the grader's modules: the final parameters, and those at
    the start and after each epoch (the report's curve, measured by the scorer)."""
    modules = _grader_net(weights, last=last)
    linears = [m for m in modules if isinstance(m, GLinear)]
    net = build_sequential(code, modules)
    optim = code.cls("Optim")(net, GMSE(), eps)
    order_rng = np.random.RandomState(seed)
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    returned = []
    snapshots = [[(m._parameters["W"].copy(), m._parameters["b"].copy()) for m in linears]]
    for _ in range(epochs):
        order = order_rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            index = order[start:start + batch_size]
            value = optim.step(X[index], Y[index])
            try:
                returned.append(float(np.mean(value)))
            except (TypeError, ValueError):
                pass
        snapshots.append([(m._parameters["W"].copy(), m._parameters["b"].copy()) for m in linears])
    return {"params": [(m._parameters["W"].copy(), m._parameters["b"].copy()) for m in linears],
            "returned": returned, "snapshots": snapshots}


# -- SGD: a function or a method, with the student's own parameter names ----------------------------

_ROLES = [
    ("net", ("net", "network", "reseau", "réseau", "model", "modele", "modèle", "seq", "sequentiel")),
    ("loss", ("loss", "cost", "cout", "coût", "critere", "critère", "criterion", "perte")),
    ("optim", ("optim", "opt", "optimizer", "optimiseur")),
    ("X", ("x", "datax", "data_x", "xtrain", "x_train", "train_x", "data", "inputs", "donnees", "données")),
    ("Y", ("y", "datay", "data_y", "ytrain", "y_train", "train_y", "labels", "targets", "target")),
    ("batch_size", ("batch_size", "batch", "taille_batch", "bs", "size", "mini_batch", "minibatch",
                    "batchsize", "n_batch", "nb_batch", "taille")),
    ("epochs", ("n_iter", "niter", "nb_iter", "epochs", "epoch", "n_epochs", "nb_epochs", "iterations",
                "iter", "max_iter", "nb_epoch", "n_epoch", "maxiter", "nbiter", "epoque", "epoques")),
    ("eps", ("eps", "lr", "learning_rate", "gradient_step", "pas", "step", "alpha", "rate", "epsilon")),
]


def _role(name):
    low = name.lower()
    for role, names in _ROLES:
        if low in names:
            return role
    for role, names in _ROLES:
        if any(low.startswith(n) for n in names if len(n) > 2):
            return role
    return None


def find_sgd(code):
    """(callable, "where") for the student's SGD: a function of the question's file, of the files
    that define the student's classes, or a method of Optim."""
    import sys

    modules = []
    try:
        modules.append(code.module("projet_etu"))
    except Exception:
        pass
    for canonical in ("Optim", "Sequentiel", "Linear", "MSELoss"):
        try:
            owner = sys.modules.get(code.cls(canonical).__module__)
        except Exception:
            owner = None
        if owner is not None and owner not in modules:
            modules.append(owner)
    for name in ("SGD", "sgd", "mini_batch_SGD", "minibatch_sgd", "train_SGD", "SGD_minibatch"):
        for module in modules:
            found = getattr(module, name, None)
            if callable(found) and not inspect.isclass(found):
                return found, name + "()"
    try:
        Optim = code.cls("Optim")
    except Exception:
        Optim = None
    if Optim is not None:
        for name in ("SGD", "sgd", "fit", "train"):
            if callable(getattr(Optim, name, None)):
                return name, "Optim." + name + "()"
    return None, None


def run_sgd(code, weights, X, Y, eps, epochs, batch_size, last="sigmoid"):
    """The student's SGD on the grader's modules, its arguments matched by name."""
    modules = _grader_net(weights, last=last)
    linears = [m for m in modules if isinstance(m, GLinear)]
    net = build_sequential(code, modules)
    loss = GMSE()
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    function, where = find_sgd(code)
    if function is None:
        return {"found": False}
    values = {"net": net, "loss": loss, "X": X, "Y": Y, "batch_size": batch_size, "epochs": epochs,
              "eps": eps}
    if isinstance(function, str):
        optim = code.cls("Optim")(net, loss, eps)
        function = getattr(optim, function)
        values["optim"] = optim
    elif any(_role(p) == "optim" for p in inspect.signature(function).parameters):
        values["optim"] = code.cls("Optim")(net, loss, eps)
    args, kwargs, unknown = [], {}, []
    for name, parameter in inspect.signature(function).parameters.items():
        role = _role(name)
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if role is None or role not in values:
            if parameter.default is parameter.empty:
                unknown.append(name)
            continue
        if parameter.kind == parameter.POSITIONAL_ONLY:
            args.append(values[role])
        else:
            kwargs[name] = values[role]
    if unknown:
        return {"found": True, "where": where, "unknown": unknown,
                "signature": str(inspect.signature(function))}
    function(*args, **kwargs)
    return {"found": True, "where": where, "unknown": [], "signature": str(inspect.signature(function)),
            "params": [(m._parameters["W"].copy(), m._parameters["b"].copy()) for m in linears],
            "updates": [sum(1 for e in m.log if isinstance(e, tuple)) for m in linears]}


# -- reading the student's own objects --------------------------------------------------------------

def arrays_of(obj, max_depth=3):
    """[{"path", "value"}] for every float array an object holds (attributes, dicts, lists)."""
    found, seen = [], set()

    def walk(value, path, depth):
        if id(value) in seen or len(found) > 50:
            return
        seen.add(id(value))
        if isinstance(value, np.ndarray):
            if value.dtype.kind == "f":
                found.append({"path": path, "value": value.copy()})
            return
        if depth >= max_depth:
            return
        if isinstance(value, dict):
            items = [(str(k), v) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            items = [(str(i), v) for i, v in enumerate(value)]
        elif hasattr(value, "__dict__") and not inspect.isclass(value) and not inspect.ismodule(value):
            items = [(k, v) for k, v in vars(value).items() if not k.startswith("__")]
        else:
            return
        for key, child in items:
            walk(child, path + [key], depth + 1)

    walk(obj, [], 0)
    return found


def _backward(module, X, delta, cached):
    """module's two backward calls with the skeleton's (input, delta), or (delta) when its
    methods take the delta only (`cached` remembers which)."""
    if not cached[0]:
        try:
            module.backward_update_gradient(X, delta)
            return module.backward_delta(X, delta)
        except TypeError as exc:
            if "argument" not in str(exc):
                raise
            cached[0] = True
    module.backward_update_gradient(delta)
    return module.backward_delta(delta)


def _train_modules(modules, loss, X, Y, eps, epochs, batch_size, seed):
    """The grader's loop over the student's modules: zero_grad, forward, loss, backward, update."""
    order_rng = np.random.RandomState(seed)
    cached = [False]
    curve = []
    for _ in range(epochs):
        order = order_rng.permutation(len(X))
        costs = []
        for start in range(0, len(X), batch_size):
            index = order[start:start + batch_size]
            x, y = X[index], Y[index]
            for module in modules:
                module.zero_grad()
            inputs = []
            out = x
            for module in modules:
                inputs.append(out)
                out = module.forward(out)
            costs.append(float(np.mean(loss.forward(y, out))))
            delta = loss.backward(y, out)
            for module, inp in zip(reversed(modules), reversed(inputs)):
                if cached[0]:
                    module.forward(inp)
                delta = _backward(module, inp, delta, cached)
            for module in modules:
                module.update_parameters(eps)
        curve.append(float(np.mean(costs)))
    return curve


def autoencoder(code, X, X_probe, hidden, eps, epochs, batch_size, seed=0):
    """Linear(d, hidden) -> TanH -> Linear(hidden, d) -> Sigmoide, the student's classes, trained
    with the student's BCELoss by the grader's loop. Returns the arrays of both Linear before and
    after training, the student's reconstruction of X_probe after training, and the cost curve."""
    np.random.seed(seed)
    X, X_probe = np.asarray(X, dtype=float), np.asarray(X_probe, dtype=float)
    d = X.shape[1]
    enc, dec = code.cls("Linear")(d, hidden), code.cls("Linear")(hidden, d)
    modules = [enc, code.cls("TanH")(), dec, code.cls("Sigmoide")()]
    before = [arrays_of(enc), arrays_of(dec)]
    hidden_probe = enc.forward(X_probe)
    start = {"hidden": np.asarray(hidden_probe, dtype=float),
             "output": np.asarray(dec.forward(np.tanh(np.asarray(hidden_probe, dtype=float))), dtype=float)}
    curve = _train_modules(modules, code.cls("BCELoss")(), X, X, eps, epochs, batch_size, seed)
    hidden_probe = np.asarray(enc.forward(X_probe), dtype=float)
    end = {"hidden": hidden_probe, "output": np.asarray(dec.forward(np.tanh(hidden_probe)), dtype=float)}
    return {"before": before, "after": [arrays_of(enc), arrays_of(dec)], "start": start, "end": end,
            "curve": curve}


def multiclass(code, W, b, X, Y, eps, epochs, batch_size, seed=0):
    """The grader's Linear trained with the student's CElogSoftMax (raw scores) on digits."""
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    linear = GLinear(W, b)
    curve = _train_modules([linear], code.cls("CElogSoftMax")(), X, Y, eps, epochs, batch_size, seed)
    return {"W": linear._parameters["W"], "b": linear._parameters["b"], "curve": curve}


def student_gaussians(code, X, Y, hidden, eps, epochs, batch_size, seed=0):
    """The report's non-linear problem with the student's classes only: Sequentiel(Linear, TanH,
    Linear, Sigmoide), MSELoss, Optim.step. Returns the arrays of both Linear and the predictions."""
    np.random.seed(seed)
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    l1, l2 = code.cls("Linear")(X.shape[1], hidden), code.cls("Linear")(hidden, Y.shape[1])
    modules = [l1, code.cls("TanH")(), l2, code.cls("Sigmoide")()]
    Seq = code.cls("Sequentiel")
    try:
        net = Seq(*modules)
    except TypeError:
        net = Seq(modules)
    optim = code.cls("Optim")(net, code.cls("MSELoss")(), eps)
    order_rng = np.random.RandomState(seed)
    curve = []
    for _ in range(epochs):
        order = order_rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            index = order[start:start + batch_size]
            value = optim.step(X[index], Y[index])
            try:
                curve.append(float(np.mean(value)))
            except (TypeError, ValueError):
                pass
    return {"layers": [arrays_of(l1), arrays_of(l2)], "hidden": np.asarray(l1.forward(X), dtype=float),
            "output": np.asarray(net.forward(X), dtype=float), "curve": curve}
