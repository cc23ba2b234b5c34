"""A student's parameters, wherever they are stored: found by shape, overwritten with given values.

    found = find_parameters(linear, {"W": (d, p), "b": (p,)})
    found.values["W"]        # the student's W, in the canonical (d, p) layout, as a tensor or array
    found.layout["b"]        # "as is", "transposed", "row" (1, p) or "column" (p, 1)
    set_parameters(linear, found, {"W": W, "b": b})   # written back in the student's layout and dtype

The student's object may keep them in `_parameters` as one array, a dict with any keys, a tuple,
a list, separate attributes, or inside its sub-objects: the worker lists every array it holds and
the match is made here by shape. Square shapes cannot tell a transposed layout apart: tests that
check layouts draw non-square sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from grader.checks.outcomes import CheckFailed
from grader.messages import msg

__student_facing__ = True

_NAME_HINTS = {"w": ("w", "weight", "poids"), "b": ("b", "bias", "biais")}


@dataclass
class Parameters:
    paths: dict[str, list] = field(default_factory=dict)
    layout: dict[str, str] = field(default_factory=dict)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)     # as the student stores them
    values: dict[str, Any] = field(default_factory=dict)                 # canonical layout
    dtypes: dict[str, str] = field(default_factory=dict)


def _layouts(shape: tuple[int, ...], stored: tuple[int, ...]) -> str | None:
    if stored == shape:
        return "as is"
    if len(shape) == 2 and stored == (shape[1], shape[0]):
        return "transposed"
    if len(shape) == 1 and stored == (1, shape[0]):
        return "row"
    if len(shape) == 1 and stored == (shape[0], 1):
        return "column"
    return None


def _hinted(name: str, path: list) -> bool:
    last = str(path[-1][1]).lower() if path else ""
    hints = _NAME_HINTS.get(name.lower()[:1], (name.lower(),))
    return any(last == h or last.startswith(h) or last.endswith(h) for h in hints) or last == name.lower()


def to_canonical(value: Any, layout: str, shape: tuple[int, ...]) -> Any:
    if layout == "transposed":
        return value.T
    if layout in ("row", "column"):
        return value.reshape(shape)
    return value


def to_student(value: Any, layout: str, stored: tuple[int, ...]) -> Any:
    if layout == "transposed":
        return value.T
    if layout in ("row", "column"):
        return value.reshape(stored)
    return value


def _is_gradient(path: list) -> bool:
    return any("grad" in str(step[1]).lower() for step in path)


def find_parameters(obj: Any, shapes: Mapping[str, tuple[int, ...]], kind: str = "parameters") -> Parameters:
    """The arrays of remote object `obj` that have these shapes (or their transposed / row / column
    forms). `kind="gradients"` looks only where a name on the way says "grad" (`_gradient`,
    `grad_W`...), "parameters" only elsewhere. Raises CheckFailed naming the shapes found when one
    cannot be matched."""
    if kind not in ("parameters", "gradients"):
        raise ValueError("kind is 'parameters' or 'gradients'")
    arrays = [a for a in obj.arrays(values=True) if _is_gradient(a["path"]) == (kind == "gradients")]
    wanted = {name: tuple(int(d) for d in shape) for name, shape in shapes.items()}
    choice = _best_assignment(wanted, arrays)
    found = Parameters()
    for name, shape in wanted.items():
        if name not in choice:
            stored = ", ".join(str(tuple(a["shape"])) for a in arrays) or "none"
            raise CheckFailed(msg("parameters_not_found", name=name, shape=str(shape), found=stored))
        entry = arrays[choice[name]]
        layout = _layouts(shape, tuple(entry["shape"])) or "as is"
        found.paths[name] = entry["path"]
        found.layout[name] = layout
        found.shapes[name] = tuple(entry["shape"])
        found.dtypes[name] = entry["dtype"]
        found.values[name] = to_canonical(entry["value"], layout, shape)
    return found


_LAYOUT_COST = {"as is": 0, "transposed": 1, "row": 2, "column": 3}
_MAX_CANDIDATES = 8


def _best_assignment(wanted: dict[str, tuple[int, ...]], arrays: list[dict]) -> dict[str, int]:
    """Name -> array index: the joint choice (each array used once) with the fewest unusual layouts
    and names that do not look like the parameter, ties broken by the order the object keeps them.
    A name no array fits is left out."""
    candidates: dict[str, list[tuple[int, int]]] = {}
    for name, shape in wanted.items():
        options = []
        for index, entry in enumerate(arrays):
            layout = _layouts(shape, tuple(entry["shape"]))
            if layout is not None:
                cost = _LAYOUT_COST[layout] + (0 if _hinted(name, entry["path"]) else 2)
                options.append((cost, index))
        candidates[name] = sorted(options)[:_MAX_CANDIDATES]
    names = list(wanted)
    best: tuple[tuple[int, tuple[int, ...]], dict[str, int]] | None = None

    def search(position: int, used: tuple[int, ...], cost: int, chosen: dict[str, int]) -> None:
        nonlocal best
        if position == len(names):
            key = (cost + 10 * (len(names) - len(chosen)), used)
            if best is None or key < best[0]:
                best = (key, dict(chosen))
            return
        name = names[position]
        for option_cost, index in candidates[name]:
            if index not in used:
                chosen[name] = index
                search(position + 1, used + (index,), cost + option_cost, chosen)
                del chosen[name]
        search(position + 1, used + (-1,), cost, chosen)   # this name unmatched

    search(0, (), 0, {})
    return best[1] if best else {}


def set_parameters(obj: Any, found: Parameters, values: Mapping[str, Any]) -> None:
    """Overwrite the parameters `find_parameters` found with `values` (canonical layout); the worker
    converts them to the student's own array type and dtype, in place where it can."""
    for name, value in values.items():
        if name not in found.paths:
            raise KeyError(f"{name} was not among the parameters found")
        obj.assign(found.paths[name], to_student(value, found.layout[name], found.shapes[name]))
        found.values[name] = value
