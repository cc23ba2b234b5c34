"""Compare a student's value with the reference value, and say precisely what differs and why.

`compare` returns None when the values agree and a `Mismatch` otherwise; the `expect_*` helpers
raise `CheckFailed` with the mismatch's messages, which is what a test shows the student.

Fair to correct students: a tensor, an ndarray, a numpy scalar and a python number holding the
same values are equal; a 0-d or 1-element value equals a scalar; float64 where float32 was
expected is compared at the looser tolerance of the two dtypes; NaN where the reference has NaN
is equal. Precise with wrong ones: the first message says what is wrong (type, shape, dtype,
values, NaN/inf, missing key, length), then the diagnoses that fit (diagnose.py), then the largest
error and where, then both values abridged.

Values are converted to CPU float64/int64 NumPy copies before anything else, so the inputs are
never modified and torch is only touched when a value already is a tensor (NumPy-only assignments
never import it).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

import grader.catalogue.checks  # noqa: F401  (registers the message keys used below)
from grader.checks.diagnose import Case, run_diagnoses, shape_str
from grader.checks.outcomes import CheckFailed
from grader.messages import Message, joined, msg

__student_facing__ = True  # exceptions raised here are about a student's value (harness.feedback)

# (rtol, atol) by dtype; the atol of floating types is scaled by max|expected| when that exceeds 1.
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-2, 1e-3), "bfloat16": (1e-2, 1e-3),
    "float32": (1e-4, 1e-5), "complex64": (1e-4, 1e-5),
    "float64": (1e-7, 1e-9), "complex128": (1e-7, 1e-9),
}
_MAX_FORMAT_CHARS = 200


@dataclass(frozen=True)
class Mismatch:
    kind: str                 # "type" | "shape" | "dtype" | "values" | "nonfinite" | "missing_key" | "length"
    messages: list[Message]   # what is wrong; diagnoses; largest error and where; both values abridged
    diagnoses: list[str]      # keys of the explanations that fit, best first, e.g. ["transposed"]
    max_abs_error: float | None = None
    where: tuple[int, ...] | None = None


# -- numeric values ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Numeric:
    """A numeric value as a private NumPy copy: bool, int64, float64 or complex128."""

    values: np.ndarray
    dtype: str       # the original element type: "float32", "bfloat16", "int64", "bool", ...
    category: str    # "bool" | "int" | "float" | "complex"


def _torch():
    # A value can only be a tensor if torch is already imported; never import it ourselves.
    return sys.modules.get("torch")


_NUMPY_TARGETS = {"bool": np.bool_, "int": np.int64, "float": np.float64, "complex": np.complex128}


def _numeric(value: Any) -> _Numeric | None:
    """`value` as a _Numeric, or None if it is not a number, tensor or numeric array."""
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor):
        try:
            t = value.detach()
            if t.layout != torch.strided:
                t = t.to_dense()
            t = t.cpu().resolve_conj().resolve_neg()
            dtype = t.dtype
            category = ("bool" if dtype == torch.bool else "complex" if dtype.is_complex
                        else "float" if dtype.is_floating_point else "int")
            target = {"bool": torch.bool, "int": torch.int64, "float": torch.float64,
                      "complex": torch.complex128}[category]
            # .numpy() shares memory with the tensor: copy, so nothing we do can reach the input
            return _Numeric(t.to(target).numpy().copy(), str(dtype).removeprefix("torch."), category)
        except (RuntimeError, TypeError, ValueError):
            return None  # quantized, meta, ...: not something we can compare
    if isinstance(value, (np.ndarray, np.generic)):
        kinds = {"b": "bool", "i": "int", "u": "int", "f": "float", "c": "complex"}
        category = kinds.get(np.asarray(value).dtype.kind)
        if category is None:
            return None  # object, string, structured arrays
        array = np.array(value, dtype=_NUMPY_TARGETS[category], copy=True)
        return _Numeric(array, np.asarray(value).dtype.name, category)
    if isinstance(value, bool):
        return _Numeric(np.array(value), "bool", "bool")
    if isinstance(value, int):
        if -2**63 <= value < 2**63:
            return _Numeric(np.array(value, dtype=np.int64), "int", "int")
        return _Numeric(np.array(float(value)), "int", "float")
    if isinstance(value, float):
        return _Numeric(np.array(value, dtype=np.float64), "float", "float")
    if isinstance(value, complex):
        return _Numeric(np.array(value, dtype=np.complex128), "complex", "complex")
    return None


def value_dtype(value: Any) -> str | None:
    """The element type of a numeric value ("float32", "int64", "float" for a python float...), else None."""
    numeric = _numeric(value)
    return numeric.dtype if numeric is not None else None


def _tolerance_of(dtype: str) -> tuple[float, float]:
    if dtype == "float":
        return DEFAULT_TOLERANCES["float64"]   # a python float is a double
    if dtype == "complex":
        return DEFAULT_TOLERANCES["complex128"]
    return DEFAULT_TOLERANCES.get(dtype, (0.0, 0.0))  # ints and bools: exact


def default_tolerance(*dtypes: str) -> tuple[float, float]:
    """(rtol, atol) for values of these dtypes: the loosest of them (ints and bools are exact)."""
    pairs = [_tolerance_of(d) for d in dtypes] or [(0.0, 0.0)]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


# -- formatting ----------------------------------------------------------------------------------

def _type_name(value: Any) -> str:
    if value is None:
        return "None"
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor):
        return "Tensor"
    if isinstance(value, np.generic):
        return f"numpy.{type(value).__name__}"
    # an object left in the worker (grader.jail.session.RemoteObject): its type over there
    if isinstance(getattr(type(value), "remote_type", None), property):
        return str(value.remote_type)
    return type(value).__name__


def _scalar_str(x: Any, digits: int = 4) -> str:
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (complex, np.complexfloating)):
        return f"{complex(x):.{digits}g}"
    return f"{float(x):.{digits}g}"


def _shown_counts(shape: tuple[int, ...], max_items: int) -> list[int]:
    """How many items of each dimension to show, about max_items in all, favouring the last axis."""
    if not shape:
        return []
    per_axis = max(1, int(max_items ** (1 / len(shape)) + 1e-9))
    counts = [min(n, per_axis) for n in shape]
    others = int(np.prod(counts[:-1])) if len(counts) > 1 else 1
    counts[-1] = min(shape[-1], max(1, max_items // max(1, others)))
    return counts


def _nested(head: np.ndarray, shape: tuple[int, ...]) -> str:
    if head.ndim == 0:
        return _scalar_str(head.item())
    items = [_nested(head[i], shape[1:]) for i in range(head.shape[0])]
    if shape[0] > head.shape[0]:
        items.append("…")
    return "[" + ", ".join(items) + "]"


def _format(value: Any, max_items: int) -> str:
    torch = _torch()
    is_tensor = torch is not None and isinstance(value, torch.Tensor)
    if is_tensor or isinstance(value, np.ndarray):
        shape = tuple(int(d) for d in value.shape)
        # slice before converting: only the shown corner of a large tensor is copied
        head = value[tuple(slice(0, c) for c in _shown_counts(shape, max_items))]
        numeric = _numeric(head)
        dtype = str(value.dtype).removeprefix("torch.")
        prefix = "tensor" if is_tensor else "array"
        if numeric is None:
            return f"{prefix}({dtype}, shape {shape_str(shape)})"
        if not shape:
            return f"{prefix}({dtype}) {_scalar_str(numeric.values.item(), 6)}"
        return f"{prefix}({dtype}, shape {shape_str(shape)}) {_nested(numeric.values, shape)}"
    if isinstance(value, np.generic):
        numeric = _numeric(value)
        body = _scalar_str(numeric.values.item(), 6) if numeric is not None else "?"
        return f"numpy.{type(value).__name__}({body})"
    if isinstance(value, (bool, int, float, complex)):
        return _scalar_str(value, 6)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:40]) + "…"
    if isinstance(value, (list, tuple)):
        scalars = all(isinstance(v, (bool, int, float)) for v in value[:max_items])
        shown = value[:max_items] if scalars else value[:2]
        items = [_format(v, max_items if scalars else max(1, max_items // 3)) for v in shown]
        if len(value) > len(shown):
            items.append("…")
        body = ", ".join(items)
        return f"[{body}]" if isinstance(value, list) else f"({body}{',' if len(value) == 1 else ''})"
    if isinstance(value, Mapping):
        keys = list(value.keys())
        items = [f"{k!r}: {_format(value[k], 2)}" for k in keys[:3]]
        if len(keys) > 3:
            items.append("…")
        return "{" + ", ".join(items) + "}"
    if value is None:
        return "None"
    # anything else: never call its methods (it may be a student's object, or live in the worker)
    return f"<{_type_name(value)}>"


def format_value(value: Any, max_items: int = 6) -> str:
    """A short, abridged description for messages: "tensor(float32, shape (3, 5)) [[0.12, -0.4, …], …]"."""
    try:
        text = _format(value, max(1, int(max_items)))
    except Exception:  # noqa: BLE001  (formatting is for messages; it must not fail a check)
        text = f"<{_type_name(value)}>"
    return text if len(text) <= _MAX_FORMAT_CHARS else text[:_MAX_FORMAT_CHARS - 1] + "…"


def _index_str(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


# -- comparison ----------------------------------------------------------------------------------

def _type_mismatch(actual: Any, expected: Any, name: str) -> Mismatch:
    return Mismatch("type", [msg("value_type", name=name, actual=_type_name(actual),
                                 expected=_type_name(expected)),
                             msg("actual_value", value=format_value(actual))], [])


def _with_diagnoses(kind: str, first: list[Message], rest: list[Message], case: Case,
                    **fields: Any) -> Mismatch:
    found = run_diagnoses(case)
    return Mismatch(kind, first + [m for _, m in found] + rest, [k for k, _ in found], **fields)


def _compare_numeric(actual: Any, expected: Any, a: _Numeric, e: _Numeric, name: str,
                     rtol: float | None, atol: float | None,
                     context: Mapping[str, Any]) -> Mismatch | None:
    a_values, e_values = a.values, e.values

    def abridged() -> list[Message]:   # only for a mismatch: formatting costs more than comparing
        return [msg("expected_value", value=format_value(expected)), msg("actual_value", value=format_value(actual))]

    exact = a.category in ("bool", "int") and e.category in ("bool", "int")
    default_rtol, default_atol = default_tolerance(a.dtype, e.dtype)
    rtol = default_rtol if rtol is None else float(rtol)

    # Arithmetic happens on float64 (complex128) copies; exact comparisons stay in int64.
    wide = np.complex128 if "complex" in (a.category, e.category) else np.float64
    a_wide, e_wide = a_values.astype(wide), e_values.astype(wide)
    finite_e = np.isfinite(e_wide)
    if atol is None:
        # atol is relative to the data's scale: 1e-5 means little next to values of 1e4
        scale = float(np.abs(e_wide[finite_e]).max()) if finite_e.any() else 0.0
        atol = default_atol * max(1.0, scale)
    else:
        atol = float(atol)

    if a_values.shape != e_values.shape:
        if a_values.size == 1 and e_values.size == 1 and (a_values.ndim == 0 or e_values.ndim == 0):
            a_wide, a_values = a_wide.reshape(e_values.shape), a_values.reshape(e_values.shape)
        else:
            case = Case(name, a_wide, e_wide, e_values.shape, rtol, atol, context)
            first = [msg("value_shape", name=name, actual=shape_str(a_values.shape),
                         expected=shape_str(e_values.shape))]
            return _with_diagnoses("shape", first, abridged(), case)

    if exact:
        bad = a_values.astype(np.int64) != e_values.astype(np.int64)
    else:
        finite_a = np.isfinite(a_wide)
        same_nonfinite = ~finite_a & ~finite_e & ((a_wide == e_wide) | (np.isnan(a_wide) & np.isnan(e_wide)))
        with np.errstate(all="ignore"):
            close = finite_a & finite_e & (np.abs(a_wide - e_wide) <= atol + rtol * np.abs(e_wide))
        bad = ~(close | same_nonfinite)
    if not bad.any():
        return None

    case = Case(name, a_wide, e_wide, e_values.shape, rtol, atol, context)
    count, total = int(bad.sum()), int(bad.size)
    scalar = e_values.size == 1

    # NaN/inf where the reference is finite: say where the first one is
    blown = ~np.isfinite(a_wide) & finite_e
    if blown.any():
        where = tuple(int(i) for i in np.argwhere(blown)[0])
        params = dict(name=name, value=_scalar_str(a_wide[where]), expected=_scalar_str(e_wide[where], 6))
        if scalar:
            return _with_diagnoses("nonfinite", [msg("nonfinite_scalar", **params)], [], case, where=where)
        first = [msg("nonfinite", where=_index_str(where), count=int(blown.sum()), **params)]
        return _with_diagnoses("nonfinite", first, abridged(), case, where=where)

    with np.errstate(all="ignore"):
        errors = np.where(bad & np.isfinite(a_wide) & finite_e, np.abs(a_wide - e_wide), -1.0)
    flat = int(np.argmax(errors))
    where = tuple(int(i) for i in np.unravel_index(flat, errors.shape))
    max_error = float(errors[where]) if errors[where] >= 0 else None
    if max_error is None:  # the reference itself is NaN/inf there
        where = tuple(int(i) for i in np.argwhere(bad)[0])

    first = []
    if a.category != e.category:
        first.append(msg("value_dtype", name=name, actual=a.dtype, expected=e.dtype))
    if scalar:
        first.append(msg("value_wrong", name=name, actual=_scalar_str(a_wide[where], 7),
                         expected=_scalar_str(e_wide[where], 7)))
        rest: list[Message] = []
    else:
        first.append(msg("values_wrong", name=name, count=count, total=total, rtol=rtol, atol=atol))
        rest = abridged()
        if max_error is not None:
            rest = [msg("largest_error", err=max_error, where=_index_str(where),
                        expected=_scalar_str(e_wide[where], 6), actual=_scalar_str(a_wide[where], 6))] + rest
    kind = "dtype" if a.category != e.category else "values"
    return _with_diagnoses(kind, first, rest, case, max_abs_error=max_error, where=where)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def _keys_str(mapping: Mapping) -> str:
    text = ", ".join(repr(k) for k in list(mapping.keys())[:10])
    return text if len(text) <= 100 else text[:99] + "…"


def _compare(actual: Any, expected: Any, name: str, rtol: float | None, atol: float | None,
             context: Mapping[str, Any]) -> Mismatch | None:
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return _type_mismatch(actual, expected, name)
        for key in expected:
            path = joined(name, f"[{key!r}]")   # a name may be a Message (text(en, fr))
            if key not in actual:
                return Mismatch("missing_key", [msg("missing_key", name=name, missing=repr(key),
                                                    keys=_keys_str(actual))], [])
            found = _compare(actual[key], expected[key], path, rtol, atol, context)
            if found is not None:
                return found
        return None  # keys the reference lacks are the student's business

    if _is_sequence(expected):
        items: Sequence[Any] | None = None
        if _is_sequence(actual):
            items = actual  # list vs tuple does not matter
        else:
            # a stacked tensor/array where a list of values was expected holds the same values
            numeric = _numeric(actual)
            if numeric is not None and numeric.values.ndim >= 1:
                items = [actual[i] for i in range(len(actual))]
        if items is None:
            return _type_mismatch(actual, expected, name)
        if len(items) != len(expected):
            return Mismatch("length", [msg("length", name=name, actual=len(items), expected=len(expected))], [])
        for i, (a_item, e_item) in enumerate(zip(items, expected)):
            found = _compare(a_item, e_item, joined(name, f"[{i}]"), rtol, atol, context)
            if found is not None:
                return found
        return None

    e_numeric = _numeric(expected)
    if e_numeric is not None:
        a_numeric = _numeric(actual)
        if a_numeric is None:
            return _type_mismatch(actual, expected, name)
        return _compare_numeric(actual, expected, a_numeric, e_numeric, name, rtol, atol, context)

    # strings, None, other plain values: same type and equal
    if _numeric(actual) is not None or type(actual) is not type(expected):
        return _type_mismatch(actual, expected, name)
    if actual == expected:
        return None
    return Mismatch("values", [msg("value_wrong", name=name, actual=format_value(actual),
                                   expected=format_value(expected))], [])


def compare(actual: Any, expected: Any, *, name: str, rtol: float | None = None, atol: float | None = None,
            context: Mapping[str, Any] | None = None) -> Mismatch | None:
    """None if `actual` matches `expected`, else the first Mismatch found (nested values by path).

    rtol/atol override the dtype defaults (the loosest of the two values' dtypes); the test is
    elementwise |a - e| <= atol + rtol·|e|. `context` feeds the diagnoses: "batch_size",
    "logits" (the softmax's input), "broadcast_nn" (the value the (n,)/(n, 1) mistake gives).
    """
    return _compare(actual, expected, name, rtol, atol, context or {})


def expect_close(actual: Any, expected: Any, *, name: str, rtol: float | None = None,
                 atol: float | None = None, context: Mapping[str, Any] | None = None) -> None:
    """Raise CheckFailed with the mismatch's messages unless `actual` matches `expected`."""
    mismatch = compare(actual, expected, name=name, rtol=rtol, atol=atol, context=context)
    if mismatch is not None:
        raise CheckFailed(*mismatch.messages)


def expect_equal(actual: Any, expected: Any, *, name: str) -> None:
    """Exact equality (ints, bools, shapes, strings); 3 == 3.0 == tensor(3) still holds."""
    expect_close(actual, expected, name=name, rtol=0.0, atol=0.0)


def _shape_of(value: Any) -> tuple[int, ...] | None:
    torch = _torch()
    if (torch is not None and isinstance(value, torch.Tensor)) or isinstance(value, (np.ndarray, np.generic)):
        return tuple(int(d) for d in value.shape)
    if isinstance(value, (bool, int, float, complex)):
        return ()
    return None


def expect_shape(actual: Any, shape: tuple[int, ...], *, name: str,
                 context: Mapping[str, Any] | None = None) -> None:
    """Raise CheckFailed unless `actual` is a tensor/array (or number, shape ()) of this shape."""
    shape = tuple(int(d) for d in shape)
    actual_shape = _shape_of(actual)
    if actual_shape is None:
        raise CheckFailed(msg("value_type", name=name, actual=_type_name(actual), expected="Tensor"),
                          msg("actual_value", value=format_value(actual)))
    if actual_shape == shape:
        return
    numeric = _numeric(actual)
    values = numeric.values.astype(np.complex128 if numeric.category == "complex" else np.float64) \
        if numeric is not None else np.zeros(actual_shape)
    rtol, atol = default_tolerance(numeric.dtype if numeric is not None else "float64")
    case = Case(name, values, None, shape, rtol, atol, context or {})
    mismatch = _with_diagnoses("shape", [msg("value_shape", name=name, actual=shape_str(actual_shape),
                                             expected=shape_str(shape))], [], case)
    raise CheckFailed(*mismatch.messages)


def expect_unchanged(before: Any, after: Any, *, name: str) -> None:
    """Raise CheckFailed ("input_mutated") if an input the student must not modify has changed.

    `before` is a copy taken before the call, `after` the same input afterwards; compared exactly.
    """
    mismatch = compare(after, before, name=name, rtol=0.0, atol=0.0)
    if mismatch is None:
        return
    details = [m for m in mismatch.messages if m.key in ("value_shape", "value_type", "missing_key", "length")]
    was, now = _numeric(before), _numeric(after)
    if mismatch.where is not None and was is not None and now is not None \
            and was.values.size == now.values.size:
        where = mismatch.where
        details.append(msg("input_changed_at", where=_index_str(where),
                           before=_scalar_str(was.values.reshape(-1)[_flat(where, was.values.shape)], 6),
                           after=_scalar_str(now.values.reshape(-1)[_flat(where, was.values.shape)], 6)))
    raise CheckFailed(msg("input_mutated", name=name), *details)


def _flat(index: tuple[int, ...], shape: tuple[int, ...]) -> int:
    return int(np.ravel_multi_index(index, shape)) if index else 0
