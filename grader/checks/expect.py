"""Standard checks of what a student's function returned, with the catalogue's messages.

    expect_type(result, dict, name="init_params(...)")     # "init_params(...) must be a dict, not list"
    expect_keys(params, ["Wh", "bh"], name="params")
    Yhat, outputs = expect_tuple(result, 2, name="forward(...)")
"""

from __future__ import annotations

from typing import Any, Iterable

from grader.checks.compare import _type_name
from grader.checks.outcomes import CheckFailed
from grader.messages import msg

__student_facing__ = True

_ARTICLES = {"dict": "a dict", "list": "a list", "tuple": "a tuple", "int": "an int", "float": "a float",
             "str": "a str", "bool": "a bool", "Tensor": "a Tensor", "ndarray": "a numpy array"}


def _describe(types_: tuple[type, ...]) -> str:
    names = [_ARTICLES.get(t.__name__, t.__name__) for t in types_]
    return " or ".join(names)


def expect_type(value: Any, types_: type | tuple[type, ...], *, name: str) -> Any:
    """`value` is an instance of `types_`; returned for chaining."""
    types_ = types_ if isinstance(types_, tuple) else (types_,)
    if isinstance(value, bool) and bool not in types_ and any(t in (int, float) for t in types_):
        raise CheckFailed(msg("expected_type", name=name, expected=_describe(types_), actual="bool"))
    if not isinstance(value, types_):
        raise CheckFailed(msg("expected_type", name=name, expected=_describe(types_), actual=_type_name(value)))
    return value


def expect_keys(value: Any, keys: Iterable[Any], *, name: str) -> dict:
    """`value` is a dict holding at least `keys`."""
    expect_type(value, dict, name=name)
    missing = [k for k in keys if k not in value]
    if missing:
        raise CheckFailed(msg("missing_keys", name=name, missing=", ".join(map(repr, missing)),
                              found=", ".join(map(repr, value)) or "none"))
    return value


def expect_tuple(value: Any, count: int, *, name: str) -> tuple:
    """`value` is a tuple (or list) of `count` items; returned as a tuple, ready to unpack."""
    if not isinstance(value, (tuple, list)) or len(value) != count:
        actual = f"{_type_name(value)} of {len(value)}" if isinstance(value, (tuple, list)) else _type_name(value)
        raise CheckFailed(msg("expected_tuple", name=name, count=count, actual=actual))
    return tuple(value)
