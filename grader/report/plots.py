"""The HTML report's pictures, drawn with matplotlib into PNG bytes.

Only `grader.report.html` imports this module, and matplotlib is imported by the first drawing, not
at import: the CLI and the pipeline stay fast to start. The Agg canvas is used directly (no pyplot:
no global figure state, no GUI backend, nothing read from the network; fonts are matplotlib's own).
Each function takes what the report's JSON holds (grader.report.model documents it) and returns PNG
bytes; data it cannot draw raises ValueError, TypeError or KeyError, which the caller reports.
"""

from __future__ import annotations

import io
import math
from typing import Any, Sequence

WIDTH, HEIGHT, DPI = 4.8, 3.0, 80     # 384 × 240 pixels: readable, a few tens of kilobytes
# Pale fills for the regions, the same hue darker for the points of that class (10 classes).
_DARK = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
         "#bcbd22", "#17becf"]
_PALE = ["#aec7e8", "#ff9896", "#98df8a", "#ffbb78", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7",
         "#dbdb8d", "#9edae5"]


def warm_up() -> None:
    """Import matplotlib's figure, colours and PNG writer, and draw nothing."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.colors  # noqa: F401
    import matplotlib.figure  # noqa: F401


def _figure(width: float = WIDTH, height: float = HEIGHT):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _numbers(values: Sequence[Any]) -> list[float]:
    """None (NaN or inf in the measurement) as NaN: a gap in the line."""
    return [math.nan if v is None else float(v) for v in values]


def curve(data: dict) -> bytes:
    fig = _figure()
    ax = fig.add_subplot()
    labelled = False
    positive = True
    for index, series in enumerate(data["series"]):
        ys = _numbers(series["y"])
        xs = _numbers(series["x"]) if series.get("x") is not None else list(range(len(ys)))
        label = series.get("label") or None
        labelled = labelled or bool(label)
        positive = positive and all(v > 0 for v in ys if not math.isnan(v))
        ax.plot(xs, ys, label=label, color=_DARK[index % len(_DARK)], linewidth=1.5,
                marker="." if len(ys) <= 30 else None)
    if all(series.get("x") is None for series in data["series"]):
        ax.xaxis.get_major_locator().set_params(integer=True)   # epochs, iterations: whole numbers
    if data.get("log_y") and positive:
        ax.set_yscale("log")
    ax.set_xlabel(data.get("x_label") or "")
    ax.set_ylabel(data.get("y_label") or "")
    ax.grid(True, alpha=0.3)
    if labelled:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _png(fig)


def regions(data: dict) -> bytes:
    from matplotlib.colors import ListedColormap

    grid = [[int(v) for v in row] for row in data["grid"]]
    x0, x1, y0, y1 = (float(v) for v in data["extent"])
    fig = _figure(3.6, 3.4)
    ax = fig.add_subplot()
    ax.imshow(grid, origin="lower", extent=(x0, x1, y0, y1), cmap=ListedColormap(_PALE),
              vmin=-0.5, vmax=len(_PALE) - 0.5, interpolation="nearest", aspect="auto")
    points = data.get("points") or []
    if points:
        classes = data.get("classes") or [0] * len(points)
        ax.scatter([p[0] for p in points], [p[1] for p in points], s=9, linewidths=0.3,
                   c=[_DARK[int(c) % len(_DARK)] for c in classes], edgecolors="white")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(data.get("x_label") or "")
    ax.set_ylabel(data.get("y_label") or "")
    fig.tight_layout()
    return _png(fig)


def images(data: dict) -> bytes:
    rows = data["rows"]
    columns = max(len(row["images"]) for row in rows)
    pixels = [v for row in rows for image in row["images"] for line in image for v in line]
    low, high = data.get("value_range") or (min(pixels), max(pixels))
    if not high > low:
        high = low + 1.0
    fig = _figure(max(2.0, 0.75 * columns + 0.9), 0.8 * len(rows) + 0.5)
    for r, row in enumerate(rows):
        for c in range(columns):
            ax = fig.add_subplot(len(rows), columns, r * columns + c + 1)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c < len(row["images"]):
                ax.imshow(row["images"][c], cmap="gray", vmin=low, vmax=high, interpolation="nearest")
            if c == 0 and row.get("label"):
                ax.set_ylabel(row["label"], fontsize=8, rotation=0, ha="right", va="center")
    fig.subplots_adjust(left=0.16, right=0.99, top=0.97, bottom=0.03, wspace=0.08, hspace=0.12)
    return _png(fig)


def histogram(scores: Sequence[float], maximum: float, x_label: str, y_label: str) -> bytes:
    """Scores of one question (or the totals) over the class, from 0 to `maximum`."""
    fig = _figure(4.0, 2.4)
    ax = fig.add_subplot()
    top = max([maximum, *scores]) if scores else maximum
    top = top if top > 0 else 1.0
    # one bar per point for whole-point maxima up to 20 (0, 1, ..., top), else 10 bars; centred
    bins = int(top) + 1 if float(top).is_integer() and top <= 20 else 10
    step = top / (bins - 1)
    edges = [(i - 0.5) * step for i in range(bins + 1)]
    ax.hist(list(scores), bins=edges, color=_DARK[0], edgecolor="white")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


DRAW = {"curve": curve, "regions": regions, "images": images}


def draw(figure: dict) -> bytes:
    """One figure of a report (its "kind" says which drawing)."""
    return DRAW[figure["kind"]](figure)
