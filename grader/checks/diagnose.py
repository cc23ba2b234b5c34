"""Explanations for a wrong value: each one recognises a classic mistake from the numbers alone.

A diagnosis is a function `Case -> Message | None`, registered under a key in `DIAGNOSES` (in order,
most specific first). `compare` runs them all on every mismatch and reports the keys that fit.
A diagnosis must only speak when the numbers really fit its story: a wrong hint costs a student
more time than no hint. Each one runs inside `run_diagnoses`, which ignores any exception it
raises, so a diagnosis can assume the common case and let odd input fail.

The arrays in a `Case` are CPU float64 (or complex128) copies; a diagnosis may not write to them.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

import grader.catalogue.checks  # noqa: F401  (registers the message keys used below)
from grader.messages import Message, msg

__student_facing__ = True  # exceptions raised here are about a student's value (harness.feedback)

# Diagnoses test their explanation at a tolerance this many times looser than the comparison's:
# the student's value went through a different (but equivalent) computation, often in float32.
SLACK = 10.0


@dataclass(frozen=True)
class Case:
    """One mismatch, as the diagnoses see it."""

    name: str
    actual: np.ndarray                      # the student's value, float64/complex128
    expected: np.ndarray | None             # None when only the expected shape is known
    expected_shape: tuple[int, ...]
    rtol: float
    atol: float                             # absolute tolerance, already scaled to the data
    context: Mapping[str, Any] = field(default_factory=dict)

    def close(self, actual: Any, expected: Any) -> bool:
        """allclose at the diagnosis tolerance; arrays of different shapes are never close."""
        a, e = np.asarray(actual), np.asarray(expected)
        if a.shape != e.shape:
            return False
        rtol = max(self.rtol * SLACK, 1e-9)    # a floor, so exact (integer) cases survive rounding
        atol = max(self.atol * SLACK, 1e-12)
        return bool(np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True))


Diagnosis = Callable[[Case], "Message | None"]

DIAGNOSES: dict[str, Diagnosis] = {}


def register_diagnosis(key: str, function: Diagnosis, *, before: str | None = None) -> None:
    """Add a diagnosis under `key`, at the end or just before the diagnosis `before`."""
    if key in DIAGNOSES:
        raise ValueError(f"diagnosis {key!r} registered twice")
    if before is None:
        DIAGNOSES[key] = function
        return
    if before not in DIAGNOSES:
        raise KeyError(f"no diagnosis {before!r}")
    items = list(DIAGNOSES.items())
    position = [k for k, _ in items].index(before)
    items.insert(position, (key, function))
    DIAGNOSES.clear()
    DIAGNOSES.update(items)


def run_diagnoses(case: Case) -> list[tuple[str, Message]]:
    """The (key, message) of every diagnosis that fits, in registry order."""
    found = []
    for key, function in list(DIAGNOSES.items()):
        try:
            with np.errstate(all="ignore"):
                message = function(case)
        except Exception:  # noqa: BLE001  (a diagnosis is a hint; it must never break a check)
            continue
        if isinstance(message, Message):
            found.append((key, message))
    return found


# -- helpers -------------------------------------------------------------------------------------

def shape_str(shape: tuple[int, ...]) -> str:
    return str(tuple(int(d) for d in shape))


def _values(case: Case) -> tuple[np.ndarray, np.ndarray] | None:
    """(actual, expected) when both are known, of the same shape, and really different."""
    if case.expected is None or case.actual.shape != case.expected.shape:
        return None
    if case.close(case.actual, case.expected):
        return None  # a near miss: none of the stories below explains it
    return case.actual, case.expected


def _real_finite(*arrays: np.ndarray) -> bool:
    return all(not np.iscomplexobj(a) and bool(np.isfinite(a).all()) for a in arrays)


def _context_array(value: Any) -> np.ndarray:
    """An array given by the test's author in `context` (trusted), as float64."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().cpu().to(torch.float64).numpy()
    return np.asarray(value, dtype=np.float64)


def _number(x: float) -> str:
    return f"{x:.6g}"


# -- the diagnoses -------------------------------------------------------------------------------

def softmax_wrong_dim(case: Case) -> Message | None:
    """softmax(z, dim=0) instead of dim=1: the columns sum to 1 instead of the rows."""
    values = _values(case)
    if values is None:
        return None
    a, e = values
    if a.ndim != 2 or min(a.shape) < 2 or not _real_finite(a, e):
        return None
    logits = case.context.get("logits")
    if logits is not None:
        # exact check: the student's value is softmax over dim 0 of these logits
        z = _context_array(logits)
        if z.shape != a.shape:
            return None
        z = np.exp(z - z.max(axis=0, keepdims=True))
        fits = case.close(a, z / z.sum(axis=0, keepdims=True))
    else:
        tol = max(1e-6, case.rtol * SLACK)
        rows_e = np.abs(e.sum(axis=1) - 1) <= tol * e.shape[1]
        cols_a = np.abs(a.sum(axis=0) - 1) <= tol * a.shape[0]
        rows_a = np.abs(a.sum(axis=1) - 1) <= tol * a.shape[1]
        fits = (bool(rows_e.all()) and bool((e >= 0).all()) and bool((a >= 0).all())
                and bool(cols_a.all()) and not bool(rows_a.all()))
    return msg("softmax_wrong_dim", name=case.name) if fits else None


def broadcast_nn(case: Case) -> Message | None:
    """A (n,) vector combined with an (n, 1) one: an (n, n) matrix instead of n values."""
    known = case.context.get("broadcast_nn")
    if known is not None:
        # the test's author computed the value the broadcast mistake gives (e.g. a mean over it)
        wrong = _context_array(known)
        if wrong.size == case.actual.size and case.close(case.actual.reshape(wrong.shape), wrong):
            return msg("broadcast_nn_value", name=case.name)
    expected_shape, actual_shape = tuple(case.expected_shape), tuple(case.actual.shape)
    if len(actual_shape) != 2 or actual_shape[0] != actual_shape[1] or actual_shape[0] < 2:
        return None
    n = actual_shape[0]
    if expected_shape in ((n,), (n, 1), (1, n)):
        return msg("broadcast_nn", name=case.name, n=n, expected=shape_str(expected_shape))
    return None


def transposed(case: Case) -> Message | None:
    """The student's value is the transpose (of the last two axes) of the expected one."""
    a_shape, e_shape = tuple(case.actual.shape), tuple(case.expected_shape)
    if len(a_shape) < 2 or len(a_shape) != len(e_shape):
        return None
    if a_shape != e_shape[:-2] + (e_shape[-1], e_shape[-2]):
        return None
    if case.expected is None:
        if a_shape == e_shape:
            return None  # square: the shape alone says nothing
        return msg("transposed_shape", actual=shape_str(a_shape), expected=shape_str(e_shape))
    if case.close(case.actual, case.expected):
        return None
    if case.close(np.swapaxes(case.actual, -1, -2), case.expected):
        return msg("transposed", name=case.name)
    return None


def extra_or_missing_dim(case: Case) -> Message | None:
    """Shapes equal once the dimensions of size 1 are dropped: squeeze/unsqueeze/keepdim."""
    a_shape, e_shape = tuple(case.actual.shape), tuple(case.expected_shape)
    if a_shape == e_shape:
        return None
    if tuple(d for d in a_shape if d != 1) != tuple(d for d in e_shape if d != 1):
        return None
    params = dict(name=case.name, actual=shape_str(a_shape), expected=shape_str(e_shape))
    if len(a_shape) == len(e_shape):
        return msg("size_one_dims", **params)
    values_ok = case.expected is not None and case.close(case.actual.reshape(e_shape), case.expected)
    key = "extra_dim" if len(a_shape) > len(e_shape) else "missing_dim"
    return msg(key + "_values_ok" if values_ok else key, **params)


def sign_flipped(case: Case) -> Message | None:
    """actual ≈ -expected: gradient ascent instead of descent, a lost minus sign."""
    values = _values(case)
    if values is None:
        return None
    a, e = values
    return msg("sign_flipped", name=case.name) if case.close(a, -e) else None


def _percent_fit(case: Case, a: np.ndarray, e: np.ndarray) -> str | None:
    """"percent_vs_fraction" / "fraction_vs_percent" when one side is 100 × the other in [0, 1]."""
    if not _real_finite(a, e):
        return None
    if ((e >= 0) & (e <= 1)).all() and case.close(a, 100 * e):
        return "percent_vs_fraction"
    if ((a >= 0) & (a <= 1)).all() and case.close(100 * a, e):
        return "fraction_vs_percent"
    return None


def percent_vs_fraction(case: Case) -> Message | None:
    """An accuracy of 85.0 where 0.85 was expected, or the reverse."""
    values = _values(case)
    if values is None:
        return None
    a, e = values
    key = _percent_fit(case, a, e)
    if key is None:
        return None
    value = _number(float(a.reshape(-1)[0])) if a.size == 1 else f"{a.ravel()[:3].tolist()}"
    return msg(key, name=case.name, value=value)


def _integer_ratio(k: float, tol: float) -> int | None:
    """n ≥ 2 when k ≈ n (within relative `tol`), else None."""
    n = round(k)
    if 2 <= n <= 100_000 and abs(k - n) <= tol * n:
        return int(n)
    return None


def scaled_by_n(case: Case) -> Message | None:
    """actual ≈ k × expected: a sum instead of a mean (k = batch size), or another factor."""
    values = _values(case)
    if values is None:
        return None
    a, e = values
    if not _real_finite(a, e):
        return None
    norm = float(np.sum(e * e))
    if norm == 0.0:
        return None
    k = float(np.sum(a * e)) / norm  # least-squares fit of a ≈ k e
    if not math.isfinite(k) or abs(k) < 1e-9 or not case.close(a, k * e):
        return None
    if case.close(a, -e) or _percent_fit(case, a, e):
        return None  # sign_flipped and percent_vs_fraction say it better
    tol = max(1e-6, case.rtol * SLACK)
    times, divided = _integer_ratio(k, tol), _integer_ratio(1 / k, tol)
    batch = case.context.get("batch_size")
    batch = int(batch) if batch is not None else None
    if times is not None and times == batch:
        return msg("scaled_by_n", name=case.name, n=times)
    if divided is not None and divided == batch:
        return msg("divided_by_n", name=case.name, n=divided)
    if float(np.ptp(e)) <= case.atol * SLACK and times is None and divided is None:
        # two numbers (or two constant arrays) are always "off by a factor": only a whole ratio
        # says something then
        return None
    factor = str(times) if times is not None else f"1/{divided}" if divided is not None else f"{k:.4g}"
    return msg("scaled_by_factor", name=case.name, factor=factor)


def constant_offset(case: Case) -> Message | None:
    """actual - expected is one constant, or one constant per column (a bias) or per row."""
    values = _values(case)
    if values is None:
        return None
    a, e = values
    if a.size < 2 or not _real_finite(a, e) or float(np.ptp(e)) <= case.atol * SLACK:
        return None  # for a single number (or a constant array) any error is an "offset"
    d = a - e
    if case.close(a, e + d.mean()):
        return msg("constant_offset", name=case.name, offset=float(d.mean()))
    if a.ndim == 2 and min(a.shape) >= 2:
        if case.close(a, e + d.mean(axis=0, keepdims=True)):
            return msg("constant_offset_per_column", name=case.name)
        if case.close(a, e + d.mean(axis=1, keepdims=True)):
            return msg("constant_offset_per_row", name=case.name)
    return None


# Most specific first: the first key is the best explanation.
for _key, _function in (
    ("softmax_wrong_dim", softmax_wrong_dim),
    ("broadcast_nn", broadcast_nn),
    ("transposed", transposed),
    ("extra_or_missing_dim", extra_or_missing_dim),
    ("sign_flipped", sign_flipped),
    ("percent_vs_fraction", percent_vs_fraction),
    ("scaled_by_n", scaled_by_n),
    ("constant_offset", constant_offset),
):
    register_diagnosis(_key, _function)
