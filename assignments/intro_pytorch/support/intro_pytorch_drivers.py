"""Code the grader runs inside the student's worker, next to the student's code.

Sent as source text (`session.run_driver(source, entry, modules, ...)`); each call executes this file
afresh, so state that must outlive one call (the probe) lives in `sys.modules[PROBE]`. Everything
returned here is a claim: the tests check it in the grader's process (values against the
reference, accuracies measured with the grader's own forward).

The probe: `install` wraps `torch.autograd.backward` (which `Tensor.backward` calls) to record each
backward pass: the loss, the autograd graph's operations (how many of each: a loop over samples
repeats them), and the leaves (the trained parameters) with their values before and gradients after
the pass. It also turns pyplot's drawing calls into no-ops, so that a script that redraws the
plane every iteration runs in seconds. `collect` returns what was recorded.
"""

PROBE = "_intro_pytorch_probe"
SMALL = 16            # leaves up to this many numbers in all are recorded at every pass
MAX_STEPS = 2000      # passes recorded in detail
MAX_LOSSES = 20000
GRAPHS = 3            # passes whose graph is described
_DRAWING = ("contourf", "contour", "scatter", "plot", "imshow", "pcolormesh", "title", "xlabel",
            "ylabel", "legend", "clf", "cla", "draw", "axis", "xlim", "ylim", "grid", "colorbar",
            "text", "savefig", "ion", "ioff", "close", "tight_layout")


def _walk(tensor):
    """(operation counts, leaf tensors) of the graph that ends at `tensor`."""
    counts, leaves, seen = {}, [], set()
    stack = [getattr(tensor, "grad_fn", None)]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        name = type(node).__name__
        if name == "AccumulateGrad":
            leaves.append(node.variable)
        else:
            counts[name] = counts.get(name, 0) + 1
        stack.extend(nxt for nxt, _ in getattr(node, "next_functions", ()))
    return counts, leaves


def install(modules, plots_off=True):
    import sys
    import types

    import torch

    if PROBE in sys.modules:
        return True
    probe = types.ModuleType(PROBE)
    probe.calls = 0
    probe.losses = []
    probe.graphs = []
    probe.steps = []
    probe.leaves = {}            # id -> (index, tensor), in order of first sight
    probe.walk_every_pass = True
    original = torch.autograd.backward

    def backward(tensors, *args, **kwargs):
        record = None
        try:
            root = tensors[0] if isinstance(tensors, (list, tuple)) else tensors
            probe.calls += 1
            if len(probe.losses) < MAX_LOSSES:
                probe.losses.append(float(root.detach().double().sum()))
            if probe.walk_every_pass or probe.calls <= GRAPHS:
                counts, leaves = _walk(root)
                if probe.calls <= GRAPHS:
                    probe.graphs.append(counts)
                if probe.calls == 1 and sum(counts.values()) > 200:
                    probe.walk_every_pass = False
                indexed = []
                for leaf in leaves:
                    if id(leaf) not in probe.leaves:
                        probe.leaves[id(leaf)] = (len(probe.leaves), leaf)
                    indexed.append((probe.leaves[id(leaf)][0], leaf))
                if sum(leaf.numel() for _, leaf in indexed) <= SMALL and len(probe.steps) < MAX_STEPS:
                    record = [(i, leaf, leaf.detach().clone()) for i, leaf in indexed]
        except Exception:  # the probe must never break the student's backward
            record = None
        result = original(tensors, *args, **kwargs)
        if record is not None:
            probe.steps.append([
                {"leaf": i, "value": before,
                 "grad": None if leaf.grad is None else leaf.grad.detach().clone()}
                for i, leaf, before in record])
        return result

    torch.autograd.backward = backward
    sys.modules[PROBE] = probe
    if plots_off:
        import time

        time.sleep = lambda *args, **kwargs: None     # a pause to watch the animation
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            for name in _DRAWING:
                if hasattr(plt, name):
                    setattr(plt, name, lambda *args, **kwargs: None)
    return True


def collect(modules):
    import sys

    probe = sys.modules.get(PROBE)
    if probe is None:
        return None
    ordered = sorted(probe.leaves.values(), key=lambda pair: pair[0])
    return {
        "calls": probe.calls,
        "losses": list(probe.losses),
        "graphs": list(probe.graphs),
        "steps": list(probe.steps),
        "final": [leaf.detach().clone() for _, leaf in ordered],
    }


def call_with_layers(modules, function, layers, *args):
    """Build torch.nn.Linear layers with the given (weight, bias), call function(*layers, *args)."""
    import torch

    built = []
    for weight, bias in layers:
        layer = torch.nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            layer.weight.copy_(weight)
            layer.bias.copy_(bias)
        built.append(layer)
    return getattr(modules["intro_pytorch"], function)(*built, *args)


def call_with_model(modules, function, layers, *args):
    """Like call_with_layers, the layers chained with ReLU into one model (first argument)."""
    import torch

    built = []
    for weight, bias in layers:
        layer = torch.nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            layer.weight.copy_(weight)
            layer.bias.copy_(bias)
        built += [layer, torch.nn.ReLU()]
    model = torch.nn.Sequential(*built[:-1])
    return getattr(modules["intro_pytorch"], function)(model, *args)


def storage_facts(modules, function, T, *args, requires_grad=False):
    """What function(T, *args) returns, and whether it shares T's memory or keeps T's graph."""
    import torch

    source = T.clone()
    if requires_grad:
        source.requires_grad_(True)
    result = getattr(modules["intro_pytorch"], function)(source, *args)
    if not isinstance(result, torch.Tensor):
        return {"tensor": False, "value": result}
    return {"tensor": True, "value": result.detach().clone(),
            "shares": result.untyped_storage().data_ptr() == source.untyped_storage().data_ptr(),
            "requires_grad": bool(result.requires_grad)}


def parameters_of(modules, function, *args):
    """Call a training function; return the trained parameters (its model's state_dict)."""
    model = getattr(modules["intro_pytorch"], function)(*args)
    return model_parameters(model)


def model_parameters(model):
    import torch

    if isinstance(model, (tuple, list)) and model:
        model = model[0]
    if isinstance(model, torch.nn.Module):
        return {str(k): v.detach().clone() for k, v in model.state_dict().items()}
    return None
