"""Code the grader runs inside the student's worker for amal_tp1 (`session.run_driver(drivers, entry, ...)`).

Each entry is called as `entry(code, *args)`, `code` giving the student's real objects
(`code.cls("MSE")`, `code.function("descente")`). Nothing here imports the grader, and nothing
here is a solution: the drivers only watch the student's code and call it.

The probe. `install_probe` wraps, in the student's own classes, `MSE.forward / backward` and
`Linear.forward / backward` (found by their canonical names or aliases, in any file), and
`torch.autograd.backward` (which `Tensor.backward()` calls). Each wrapper counts its calls and
tells a call "by hand" (`Linear.forward(Context(), ...)`) from one made by autograd
(`linear(...)`, i.e. `Linear.apply`, whose ctx is torch's own `FunctionCtx`), then calls the
student's method unchanged. For the descente script it also keeps the arguments of the first and
last calls, from which the scorer recomputes the cost itself.

`install_gradcheck_probe` wraps `torch.autograd.gradcheck` (both the name in `torch.autograd` and
the one in the module `torch.autograd.gradcheck`, whichever the script imports): each call
records which of the student's Functions ran inside it (the forward wrappers note it), the
dtypes of its inputs, whether they require grad, and whether it passed. A gradcheck that fails
or raises returns False instead of raising, so that the rest of the script (the Linear check
after the MSE one) still runs and is seen; the script's own output is unchanged otherwise.

State lives in `sys.modules[PROBE]` so that it outlives one driver call (the script runs between
`install_*` and `collect`). Everything returned is a claim, rechecked by the scorer.
"""

PROBE = "_amal_tp1_probe"
FUNCTIONS = ("MSE", "Linear")
MAX_GRADCHECKS = 50


def _probe():
    import sys
    import types

    probe = sys.modules.get(PROBE)
    if probe is None:
        probe = types.ModuleType(PROBE)
        probe.wrapped = {}
        probe.gradcheck_installed = False
        probe.current = None
        probe.gradchecks = []
        _reset(probe)
        sys.modules[PROBE] = probe
    return probe


def _reset(probe):
    probe.calls = {f"{name}.{method}": {"manual": 0, "autograd": 0}
                   for name in FUNCTIONS for method in ("forward", "backward")}
    probe.autograd_backward = 0
    probe.first = {}          # "Linear" / "MSE" -> the arguments of the first call by hand or not
    probe.last = {}
    probe.last_linear_out = None
    probe.backward_batches = {}   # Linear.backward: grad_output's first dimension -> calls
    probe.forward_batches = {}    # Linear.forward: first dimension of each tensor argument -> calls
    probe.errors = []


def _clone(value):
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return repr(value)[:100]


def _via(ctx):
    import torch

    return "autograd" if isinstance(ctx, torch.autograd.function.FunctionCtx) else "manual"


def _wrap(probe, cls, name):
    import torch

    if any(c is cls for c in probe.wrapped.get(name, [])):
        return
    forward, backward = cls.forward, cls.backward

    def probed_forward(ctx, *args, **kwargs):
        via = _via(ctx)
        probe.calls[f"{name}.forward"][via] += 1
        if probe.current is not None:
            probe.current["functions"].append(name)
        out = forward(ctx, *args, **kwargs)
        try:
            if name == "Linear":
                for arg in args:
                    if isinstance(arg, torch.Tensor) and arg.dim() == 2:
                        probe.forward_batches[int(arg.shape[0])] = probe.forward_batches.get(int(arg.shape[0]), 0) + 1
                        break
                probe.last_linear_out = out
            if probe.keep_values:
                record = {"args": [_clone(a) for a in args], "via": via}
                if name == "MSE":
                    record["yhat_first"] = _is_linear_output(probe, args)
                if name == "Linear":
                    record["out"] = _clone(out)
                probe.first.setdefault(name, record)
                probe.last[name] = record
        except Exception as exc:  # the probe never breaks the student's code
            probe.errors.append(repr(exc)[:200])
        return out

    def probed_backward(ctx, *grads):
        via = _via(ctx)
        probe.calls[f"{name}.backward"][via] += 1
        try:
            if name == "Linear" and grads and isinstance(grads[0], torch.Tensor) and grads[0].dim() >= 1:
                q = int(grads[0].shape[0])
                probe.backward_batches[q] = probe.backward_batches.get(q, 0) + 1
        except Exception as exc:
            probe.errors.append(repr(exc)[:200])
        return backward(ctx, *grads)

    cls.forward = staticmethod(probed_forward)
    cls.backward = staticmethod(probed_backward)
    probe.wrapped.setdefault(name, []).append(cls)


def _student_functions(names):
    """Function subclasses named like the student's MSE / Linear in the loaded student modules.

    The same class can exist twice: intake prepares classes.py as tp1.py, and a script that does
    `from classes import MSE` loads the original file under its own name; the probe wraps both."""
    import sys

    import torch

    found = []
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        if not path or path.startswith((sys.prefix, sys.base_prefix)) or "site-packages" in path:
            continue
        for value in list(getattr(module, "__dict__", {}).values()):
            if isinstance(value, type) and issubclass(value, torch.autograd.Function) and value.__name__ in names:
                found.append((value, names[value.__name__]))
    return found


def _is_linear_output(probe, args):
    """Whether MSE's first argument is the last output of Linear (then the second one is y)."""
    import torch

    out = probe.last_linear_out
    if out is None or len(args) < 2:
        return True
    for i, arg in enumerate(args[:2]):
        if arg is out or (isinstance(arg, torch.Tensor) and isinstance(out, torch.Tensor)
                          and arg.shape == out.shape and torch.equal(arg.detach(), out.detach())):
            return i == 0
    return True


def install_probe(code, keep_values=True, names=None):
    """Wrap the student's MSE and Linear and torch.autograd.backward; returns the classes found.

    `names`: the student's class names -> canonical ("MSELoss" -> "MSE"), from what intake found.
    Classes of those names defined later (a script importing another copy of the file) are
    wrapped as they are created (FunctionMeta, the metaclass of torch.autograd.Function)."""
    import torch

    probe = _probe()
    probe.keep_values = keep_values
    probe.names = dict(names or {})
    for name in FUNCTIONS:
        probe.names.setdefault(name, name)
    found = []
    for name in FUNCTIONS:
        try:
            cls = code.cls(name)
        except Exception:
            continue
        if isinstance(cls, type) and hasattr(cls, "forward") and hasattr(cls, "backward"):
            _wrap(probe, cls, name)
            found.append(name)
    for cls, name in _student_functions(probe.names):
        _wrap(probe, cls, name)
    if not getattr(probe, "autograd_wrapped", False):
        original = torch.autograd.backward

        def backward(*args, **kwargs):
            probe.autograd_backward += 1
            return original(*args, **kwargs)

        torch.autograd.backward = backward
        meta = torch.autograd.function.FunctionMeta
        created = meta.__init__

        def init(cls, name, bases, attrs):
            created(cls, name, bases, attrs)
            try:
                if name in probe.names and "forward" in attrs and "backward" in attrs:
                    _wrap(probe, cls, probe.names[name])
            except Exception as exc:
                probe.errors.append(repr(exc)[:200])

        meta.__init__ = init
        probe.autograd_wrapped = True
    return found


def install_gradcheck_probe(code, names=None):
    """install_probe, and torch.autograd.gradcheck wrapped (see the module's docstring)."""
    import sys

    import torch

    found = install_probe(code, keep_values=False, names=names)
    probe = _probe()
    if probe.gradcheck_installed:
        return found
    module = sys.modules["torch.autograd.gradcheck"]
    original = module.gradcheck

    def gradcheck(func, inputs, *args, **kwargs):
        tensors = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
        record = {"functions": [], "dtypes": [], "requires_grad": [], "passed": False, "error": None,
                  "target": _describe(func)}
        for value in tensors:
            if isinstance(value, torch.Tensor):
                record["dtypes"].append(str(value.dtype).replace("torch.", ""))
                record["requires_grad"].append(bool(value.requires_grad))
        outer, probe.current = probe.current, record
        try:
            result = original(func, inputs, *args, **kwargs)
            record["passed"] = bool(result)
        except Exception as exc:
            result = False
            record["error"] = f"{type(exc).__name__}: {exc}"[:600]
        finally:
            probe.current = outer
        owner = getattr(func, "__self__", None)
        if isinstance(owner, type) and owner.__name__ in probe.names:
            record["functions"].append(probe.names[owner.__name__])
        record["functions"] = sorted(set(record["functions"]))
        if len(probe.gradchecks) < MAX_GRADCHECKS:
            probe.gradchecks.append(record)
        return result

    module.gradcheck = gradcheck
    torch.autograd.gradcheck = gradcheck
    probe.gradcheck_installed = True
    return found


def _describe(func):
    owner = getattr(func, "__self__", None)
    if isinstance(owner, type):
        return f"{owner.__name__}.{getattr(func, '__name__', 'apply')}"
    return getattr(func, "__qualname__", None) or type(func).__name__


def collect(code):
    """What the probe saw since it was installed (plain data)."""
    probe = _probe()
    return {
        "calls": probe.calls,
        "autograd_backward": probe.autograd_backward,
        "first": probe.first,
        "last": probe.last,
        "backward_batches": dict(probe.backward_batches),
        "forward_batches": dict(probe.forward_batches),
        "gradchecks": list(probe.gradchecks),
        "errors": list(probe.errors),
    }


def boston_runs(code, data, regimes, seed=0, names=None):
    """Call the student's descente once per regime (batch_size, n_epochs, eps) on `data`
    (Xtrain, Ytrain, Xtest, Ytest). Returns, per regime, what descente returned (tensors detached,
    numbers as floats) and how many times Linear.backward ran during it (one per update)."""
    import torch

    descente = code.function("descente")     # loads tp1_boston (and its tp1) before the probe
    install_probe(code, keep_values=False, names=names)
    probe = _probe()
    runs = []
    for batch_size, n_epochs, eps in regimes:
        _reset(probe)
        torch.manual_seed(seed)
        out = descente(*data, batch_size, n_epochs, eps)
        runs.append({"returned": _plain(out), "updates": sum(probe.calls["Linear.backward"].values()),
                     "autograd_backward": probe.autograd_backward,
                     "linear_forward": sum(probe.calls["Linear.forward"].values()),
                     "backward_batches": dict(probe.backward_batches)})
    return runs


def _plain(value, depth=0):
    import torch

    if isinstance(value, torch.Tensor):
        value = value.detach().clone()
        return value
    if isinstance(value, (tuple, list)) and depth < 3:
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    try:
        import numpy

        if isinstance(value, numpy.ndarray):
            return torch.from_numpy(value.copy())
        if isinstance(value, numpy.generic):
            return value.item()
    except Exception:
        pass
    return {"type": type(value).__name__}
