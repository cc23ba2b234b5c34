"""Numerical gradients by central differences, and the comparison of gradients.

`numerical_gradient` is the reference for a student's backward pass when no autograd reference
exists (or to check the reference itself). `f` may be a call into the jailed worker, so it is
called exactly twice per scalar parameter entry and never more: no warm-up call, no f(x) at the
centre, no retries.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np

from grader.checks.compare import Mismatch, compare, default_tolerance, value_dtype
from grader.checks.outcomes import CheckFailed
from grader.messages import joined, msg

__student_facing__ = True  # exceptions raised here are about a student's value (harness.feedback)

if TYPE_CHECKING:
    from torch import Tensor


def _as_float(result: Any) -> float:
    """f's result (python number, 0-d or 1-element tensor/array) as a python float."""
    import torch

    if isinstance(result, torch.Tensor):
        if result.numel() != 1:
            raise ValueError(f"f must return a scalar, got a tensor of shape {tuple(result.shape)}")
        return float(result.detach().reshape(()).item())
    array = np.asarray(result)
    if array.size != 1:
        raise ValueError(f"f must return a scalar, got shape {array.shape}")
    return float(array.reshape(()))


def numerical_gradient(f: Callable[[dict[str, "Tensor"]], "float | Tensor"], params: dict[str, "Tensor"],
                       eps: float = 1e-6) -> dict[str, "Tensor"]:
    """d f / d params by central differences, in float64, on a float64 copy of `params`.

    f receives a dict of float64 tensors (the copy, one entry perturbed) and must not modify them.
    Calls f exactly 2 × (total number of entries) times. Returns float64 tensors shaped like params.
    """
    import torch

    point = {name: torch.as_tensor(value).detach().to(device="cpu", dtype=torch.float64).clone()
             for name, value in params.items()}
    grads = {}
    for name, tensor in point.items():
        flat = tensor.view(-1)  # a view: perturbing flat[i] perturbs the tensor f sees
        grad = torch.zeros_like(flat)
        for i in range(flat.numel()):
            centre = flat[i].item()
            flat[i] = centre + eps
            plus = _as_float(f(dict(point)))   # a fresh dict: f may rebind its keys harmlessly
            flat[i] = centre - eps
            minus = _as_float(f(dict(point)))
            flat[i] = centre
            # divide by the step actually taken (centre ± eps is rounded in float64)
            grad[i] = (plus - minus) / ((centre + eps) - (centre - eps))
        grads[name] = grad.view(tensor.shape)
    return grads


def _wide(value: Any) -> np.ndarray:
    import torch

    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().resolve_conj().resolve_neg()
        value = value.to(torch.complex128 if value.is_complex() else torch.float64).numpy()
    return np.asarray(value, dtype=np.complex128 if np.iscomplexobj(value) else np.float64)


def gradient_error(actual: "Tensor", expected: "Tensor") -> float:
    """Relative error max|a - e| / max(1e-8, max|e|, max|a|): 0 when equal, inf if NaN/inf or shapes differ."""
    a, e = _wide(actual), _wide(expected)
    if a.shape != e.shape and not (a.size == e.size == 1):
        return math.inf
    a, e = a.reshape(-1), e.reshape(-1)
    if a.size == 0:
        return 0.0
    if not (np.isfinite(a).all() and np.isfinite(e).all()):
        return math.inf  # a NaN would compare False with any threshold, passing `err > tol` tests
    scale = max(1e-8, float(np.abs(e).max()), float(np.abs(a).max()))
    return float(np.abs(a - e).max()) / scale


def expect_gradient_close(actual: Mapping[str, Any], expected: Mapping[str, Any], *, name: str,
                          rtol: float = 1e-4, context: Mapping[str, Any] | None = None) -> None:
    """Raise CheckFailed unless each gradient in `expected` is matched in `actual` (same key).

    Each entry goes through `compare` (so diagnoses such as "scaled_by_n" apply, given
    context={"batch_size": N}), with an absolute tolerance relative to the gradient's largest
    entry: small entries of a gradient are as noisy as its large ones.
    """
    if not isinstance(actual, Mapping):
        mismatch = compare(actual, dict(expected), name=name)
        if mismatch is not None:
            raise CheckFailed(*mismatch.messages)
    for key, e in expected.items():
        path = joined(name, f"[{key!r}]")   # a name may be a Message (text(en, fr))
        if key not in actual:
            keys = ", ".join(repr(k) for k in list(actual.keys())[:10])
            mismatch = Mismatch("missing_key", [msg("missing_key", name=name, missing=repr(key), keys=keys[:100])], [])
            raise CheckFailed(*mismatch.messages)
        e_wide = _wide(e) if value_dtype(e) is not None else None
        atol = None
        if e_wide is not None:
            finite = e_wide[np.isfinite(e_wide)]
            scale = float(np.abs(finite).max()) if finite.size else 0.0
            _, default_atol = default_tolerance(*(d for d in (value_dtype(actual[key]), value_dtype(e)) if d))
            atol = max(rtol * scale, default_atol * max(1.0, scale))
        mismatch = compare(actual[key], e, name=path, rtol=rtol, atol=atol, context=context)
        if mismatch is not None:
            raise CheckFailed(*mismatch.messages)
