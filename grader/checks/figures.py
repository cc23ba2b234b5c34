"""The author API's `figure`: a measurement the grader made, kept to be drawn in the HTML report.

    figure("curve", text("Loss during training", "Coût pendant l'apprentissage"),
           series={"train": losses, "test": test_losses}, x_label=text("epoch", "époque"))
    figure("regions", title, grid=classes_on_a_grid, extent=(-1.5, 1.5, -1.5, 1.5), points=X, classes=y)
    figure("images", title, rows=[(text("input", "entrée"), X[:8]), (text("output", "sortie"), Xhat[:8])])

A test calls it in the scorer with data it got back from the jail or computed itself: plain numbers,
lists, NumPy arrays, torch tensors. The data is validated and bounded here, once, so that a report
stays small and JSON-safe whatever a student's code returned: finite floats (a curve's NaN or inf
becomes a gap, drawn as such), at most MAX_POINTS points per curve (longer ones are subsampled),
grids of at most MAX_GRID × MAX_GRID classes, at most MAX_IMAGES images of at most MAX_IMAGE_SIDE ×
MAX_IMAGE_SIDE pixels. A figure is an addition to the feedback and never changes a score: data that
makes no picture (wrong shapes, not numbers, a remote object) is refused with `False`, without
failing the test; a wrong call (unknown kind or keyword, a title that is not a Message) is the
author's bug and raises TypeError.
"""

from __future__ import annotations

import contextvars
import math
from typing import Any, Mapping, Sequence

from grader.messages import Message, text
from grader.outcomes import Figure

# The figures of the test running now (set by the pytest plugin for each test, next to its notes).
CURRENT_FIGURES: contextvars.ContextVar[list | None] = contextvars.ContextVar("grader_figures", default=None)

MAX_POINTS = 500          # per curve; longer curves are subsampled (first and last points kept)
MAX_SERIES = 6            # per curve figure
MAX_GRID = 64             # a decision-region grid has at most 64 × 64 cells
MAX_CLASSES = 10          # class indices 0..9 on a grid
MAX_SCATTER = 500         # points drawn over the regions (the first ones kept)
MAX_IMAGES = 16           # per image figure, over all its rows
MAX_IMAGE_ROWS = 4
MAX_IMAGE_SIDE = 32       # pixels per side
MAX_PER_TEST = 4          # figures one test may record
MAX_VALUES = 200_000      # numbers read from one argument before it is refused (memory, time)


class FigureDataError(ValueError):
    """The data makes no picture (wrong shape, not numbers, too large to keep)."""


def figure(kind: str, title: Message, **data: Any) -> bool:
    """Record a figure for the report of the test running now; True when it was recorded.

    Kinds and their keywords (NumPy arrays, tensors or nested lists):
      "curve":   series={label: ys} or [(label, ys) | (label, xs, ys), ...], x_label=, y_label=, log_y=False
      "regions": grid=(rows, cols) class indices (row 0 at y_min, column 0 at x_min),
                 extent=(x_min, x_max, y_min, y_max), points=(n, 2), classes=(n,), x_label=, y_label=
      "images":  rows={label: images} or [(label, images), ...] (images: (n, h, w) or a list of
                 (h, w)), value_range=(low, high) (default: the images' own range)
    Labels are Messages (`text(en, fr)`) or plain strings."""
    try:
        made = make_figure(kind, title, **data)
    except FigureDataError:
        return False
    recorded = CURRENT_FIGURES.get()
    if recorded is None or len(recorded) >= MAX_PER_TEST:
        return False
    recorded.append(made)
    return True


def make_figure(kind: str, title: Message, **data: Any) -> Figure:
    """The validated, bounded Figure; FigureDataError when the data makes no picture."""
    if kind not in _KINDS:
        raise TypeError(f"figure kind {kind!r}: one of {', '.join(sorted(_KINDS))}")
    if not isinstance(title, Message):
        raise TypeError("a figure's title is a Message: text(en, fr) or msg(...)")
    return Figure(kind, title, _KINDS[kind](**data))


# -- the kinds --------------------------------------------------------------------------------------

def _curve(*, series: Any, x_label: Any = None, y_label: Any = None, log_y: bool = False) -> dict:
    items = _labelled(series, "series", with_x=True)
    if not 1 <= len(items) <= MAX_SERIES:
        raise FigureDataError(f"{len(items)} series: 1 to {MAX_SERIES} expected")
    drawn = []
    for label, x_values, y_values in items:
        ys = _vector(y_values)
        xs = None if x_values is None else _vector(x_values, finite=True)
        if xs is not None and len(xs) != len(ys):
            raise FigureDataError(f"{len(xs)} x values for {len(ys)} y values")
        if len(ys) > MAX_POINTS:
            kept = [round(i * (len(ys) - 1) / (MAX_POINTS - 1)) for i in range(MAX_POINTS)]
            xs = [xs[i] for i in kept] if xs is not None else [float(i) for i in kept]
            ys = [ys[i] for i in kept]
        if ys:
            drawn.append({"label": label, "y": ys, **({"x": xs} if xs is not None else {})})
    if all(v is None for s in drawn for v in s["y"]):
        raise FigureDataError("no finite value to draw")
    return {"series": drawn, "x_label": _label(x_label), "y_label": _label(y_label), "log_y": bool(log_y)}


def _regions(*, grid: Any, extent: Any, points: Any = None, classes: Any = None,
             x_label: Any = None, y_label: Any = None) -> dict:
    cells = [[_class_index(v) for v in row] for row in _matrix(grid, MAX_GRID, "grid")]
    bounds = _vector(extent, finite=True)
    if len(bounds) != 4 or not (bounds[0] < bounds[1] and bounds[2] < bounds[3]):
        raise FigureDataError("extent must be (x_min, x_max, y_min, y_max) with min < max")
    out: dict = {"grid": cells, "extent": bounds, "x_label": _label(x_label), "y_label": _label(y_label)}
    if points is not None:
        rows = _plain(points)
        if not isinstance(rows, list) or any(not isinstance(r, list) or len(r) != 2 for r in rows):
            raise FigureDataError("points must be (n, 2)")
        labels = None
        if classes is not None:
            labels = _plain(classes)
            if not isinstance(labels, list) or len(labels) != len(rows):
                raise FigureDataError("classes must hold one class per point")
            labels = [_class_index(c) for c in labels]
        kept = [i for i, r in enumerate(rows) if all(_finite(v) is not None for v in r)][:MAX_SCATTER]
        out["points"] = [[float(rows[i][0]), float(rows[i][1])] for i in kept]
        if labels is not None:
            out["classes"] = [labels[i] for i in kept]
    return out


def _images(*, rows: Any, value_range: Any = None) -> dict:
    items = _labelled(rows, "rows", with_x=False)
    if not 1 <= len(items) <= MAX_IMAGE_ROWS:
        raise FigureDataError(f"{len(items)} rows of images: 1 to {MAX_IMAGE_ROWS} expected")
    per_row = MAX_IMAGES // len(items)   # rows stay aligned (inputs above their reconstructions)
    drawn = []
    for label, _, images in items:
        plain = _plain(images, MAX_VALUES)
        if not isinstance(plain, list) or not plain:
            raise FigureDataError("a row of images must be a non-empty list of (h, w) images")
        pictures = [_matrix(image, MAX_IMAGE_SIDE, "an image", finite=True) for image in plain[:per_row]]
        drawn.append({"label": label, "images": pictures})
    out: dict = {"rows": drawn}
    if value_range is not None:
        low_high = _vector(value_range, finite=True)
        if len(low_high) != 2 or not low_high[0] < low_high[1]:
            raise FigureDataError("value_range must be (low, high) with low < high")
        out["value_range"] = low_high
    return out


_KINDS = {"curve": _curve, "regions": _regions, "images": _images}


# -- plain data ----------------------------------------------------------------------------------

def _plain(value: Any, budget: int = MAX_VALUES) -> Any:
    """Numbers and nested lists from numbers, lists, tuples, NumPy arrays and torch tensors; anything
    else (a remote object, a string, a dict) is refused, never called into."""
    count = [0]

    def walk(item: Any) -> Any:
        if _is_number(item):
            count[0] += 1
            if count[0] > budget:
                raise FigureDataError(f"more than {budget} values")
            return item
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        if type(item).__module__.split(".")[0] in ("numpy", "torch") and hasattr(item, "shape"):
            size = math.prod(int(n) for n in item.shape)
            if count[0] + size > budget:
                raise FigureDataError(f"more than {budget} values")
            count[0] += size
            converted = item.tolist()
            return converted if isinstance(converted, list) else walk(converted)
        raise FigureDataError(f"a {type(item).__name__} is not a number or an array")

    return walk(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float))   # bool too (a class mask); NumPy's float64 is a float


def _finite(value: Any) -> float | None:
    if not _is_number(value):
        raise FigureDataError(f"a {type(value).__name__} is not a number")
    number = float(value)
    return number if math.isfinite(number) else None


def _vector(value: Any, finite: bool = False) -> list:
    """A 1-D list of floats; NaN and inf become None (a gap), or are refused when `finite`."""
    plain = _plain(value)
    if _is_number(plain):
        plain = [plain]
    if not isinstance(plain, list) or any(isinstance(v, list) for v in plain):
        raise FigureDataError("a curve's values must be one-dimensional")
    numbers = [_finite(v) for v in plain]
    if finite and any(v is None for v in numbers):
        raise FigureDataError("NaN or inf where finite numbers are needed")
    return numbers


def _matrix(value: Any, side: int, what: str, finite: bool = False) -> list[list[float]]:
    plain = _plain(value)
    if not isinstance(plain, list) or not plain or any(not isinstance(r, list) for r in plain):
        raise FigureDataError(f"{what} must be two-dimensional")
    width = len(plain[0])
    if not 1 <= width or any(len(r) != width for r in plain):
        raise FigureDataError(f"{what} must be rectangular")
    if len(plain) > side or width > side:
        raise FigureDataError(f"{what} of {len(plain)} × {width}: at most {side} × {side}")
    rows = []
    for row in plain:
        if any(isinstance(v, list) for v in row):
            raise FigureDataError(f"{what} must be two-dimensional")
        numbers = [_finite(v) for v in row]
        if finite and any(v is None for v in numbers):
            raise FigureDataError(f"NaN or inf in {what}")
        rows.append(numbers)
    return rows


def _class_index(value: Any) -> int:
    number = None if value is None else _finite(value)
    if number is None or number != int(number) or not 0 <= number < MAX_CLASSES:
        raise FigureDataError(f"class {value!r}: an integer from 0 to {MAX_CLASSES - 1} expected")
    return int(number)


def _label(value: Any) -> Message | None:
    if value is None or isinstance(value, Message):
        return value
    if isinstance(value, str):
        return text(value)
    raise TypeError("a figure's label is a Message (text(en, fr)) or a string")


def _labelled(value: Any, what: str, with_x: bool) -> list[tuple[Message, Any, Any]]:
    """[(label, xs or None, data)] from {label: data}, [(label, data), ...] or, with `with_x`,
    [(label, xs, ys), ...]."""
    if isinstance(value, Mapping):
        triples = [(label, None, data) for label, data in value.items()]
    elif isinstance(value, Sequence) and not isinstance(value, str):
        triples = []
        for item in value:
            if not isinstance(item, (list, tuple)) or len(item) not in ((2, 3) if with_x else (2,)):
                shape = "(label, values) or (label, xs, ys)" if with_x else "(label, values)"
                raise TypeError(f"{what}: {shape} items expected")
            triples.append((item[0], None, item[1]) if len(item) == 2 else tuple(item))
    else:
        raise TypeError(f"{what}: a dict {{label: values}} or a list of (label, values) expected")
    return [(_label(label) or text(""), xs, data) for label, xs, data in triples]
