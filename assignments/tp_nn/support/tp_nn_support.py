"""Shared helpers of the tp_nn tests: data, Hypothesis strategies, parameter layouts.

Public (shipped to students with the public tests): nothing here computes the answers.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from hypothesis import strategies as st

PARAM_KEYS = ("Wh", "bh", "Wy", "by")
OUTPUT_KEYS = ("X", "htilde", "h", "ytilde", "yhat")


# -- data ------------------------------------------------------------------------------------------

def circles(n_train: int = 200, n_test: int = 200, seed: int = 0):
    """The Circles toy data of the course: two noisy concentric rings, labels one-hot (n, 2)."""
    rng = np.random.default_rng(seed)

    def sample(n: int):
        labels = rng.integers(0, 2, n)
        radius = np.where(labels == 0, 1.0, 0.45) + rng.normal(0, 0.09, n)
        angle = rng.uniform(0, 2 * math.pi, n)
        X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
        Y = np.eye(2)[labels]
        return torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)

    return (*sample(n_train), *sample(n_test))


CIRCLES_SIZES = (2, 10, 2)  # nx, nh, ny of the Circles network the lab trains
NEAR_CHANCE = 0.65  # random N(0, 0.3) weights give 33-66 % on Circles (200 draws), 50 % typically


def circles_start(seed: int, forward=None, X: torch.Tensor | None = None, Y: torch.Tensor | None = None,
                  sizes: tuple[int, int, int] = CIRCLES_SIZES) -> dict[str, torch.Tensor]:
    """Starting parameters of the Circles training, drawn by the grader, not by the student's
    init_params: N(0, 0.3) everywhere as the handout's init_params draws them, handout layout,
    float32. With `forward`, X and Y: the first draw from `seed` on whose accuracy on (X, Y) is
    near chance (at most NEAR_CHANCE), so that a trained accuracy shows what the training learned."""
    nx, nh, ny = sizes
    generator = torch.Generator().manual_seed(seed)
    for _ in range(100):
        params = {"Wh": torch.randn(nh, nx, generator=generator) * 0.3,
                  "bh": torch.randn(nh, generator=generator) * 0.3,
                  "Wy": torch.randn(ny, nh, generator=generator) * 0.3,
                  "by": torch.randn(ny, generator=generator) * 0.3}
        if forward is None or accuracy(forward(params, X)[0], Y) <= NEAR_CHANCE:
            break
    return params


# The decision regions drawn in the report: the plane around the rings, GRID × GRID points.
CIRCLES_EXTENT = (-1.6, 1.6, -1.6, 1.6)
GRID = 48


def grid_points(extent: tuple[float, float, float, float] = CIRCLES_EXTENT, size: int = GRID) -> torch.Tensor:
    """(size * size, 2) cell centres, row by row from y_min (row i: y_i; column j: x_j), the order of
    a `figure("regions", grid=...)` once reshaped to (size, size)."""
    x0, x1, y0, y1 = extent
    xs = x0 + (torch.arange(size, dtype=torch.float32) + 0.5) * (x1 - x0) / size
    ys = y0 + (torch.arange(size, dtype=torch.float32) + 0.5) * (y1 - y0) / size
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy], dim=-1).reshape(-1, 2)


def one_hot(labels: torch.Tensor, classes: int, dtype=torch.float32) -> torch.Tensor:
    return torch.nn.functional.one_hot(labels.long(), classes).to(dtype)


# -- strategies ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sizes:
    n: int
    nx: int
    nh: int
    ny: int


# The strategy factories below are called inside @st.composite draws, once per example: cached, so
# that Hypothesis works out each strategy's properties once, not for every example (half of the
# time spent generating a network; the examples drawn are the same).
@functools.cache
def sizes(max_n: int = 12) -> st.SearchStrategy[Sizes]:
    return st.builds(Sizes, n=st.integers(1, max_n), nx=st.integers(1, 5), nh=st.integers(1, 7),
                     ny=st.integers(2, 5))


float_dtypes = st.sampled_from([torch.float32, torch.float64])


@functools.cache
def tensors(shape: tuple[int, ...], dtype, bound: float = 2.0) -> st.SearchStrategy[torch.Tensor]:
    """Tensors of `shape` with values uniform in [-bound, bound], drawn from a seed.

    Hypothesis draws (and shrinks) the seed, not each value: shrinking a failing case then takes
    a few steps instead of thousands of calls into the student's worker, and the failing input
    stays small where it matters, in the sizes. Seeds 0 and 1 give the constant
    tensors 0 and `bound`, the simplest inputs a shrink can reach.
    """
    def seeded_uniform(seed: int) -> torch.Tensor:  # the name shows in failing-input reports
        if seed == 0:
            return torch.zeros(shape, dtype=dtype)
        if seed == 1:
            return torch.full(shape, bound, dtype=dtype)
        generator = torch.Generator().manual_seed(seed)
        values = torch.rand(shape, generator=generator, dtype=torch.float64) * 2 * bound - bound
        return values.to(dtype)

    return st.integers(0, 2**31 - 1).map(seeded_uniform)


@st.composite
def network(draw, max_n: int = 12, dtype=None):
    """(sizes, params in the handout's layout, X, Y one-hot), all of one float dtype."""
    size = draw(sizes(max_n))
    dtype = dtype or draw(float_dtypes)
    params = {
        "Wh": draw(tensors((size.nh, size.nx), dtype, 1.5)),
        "bh": draw(tensors((size.nh,), dtype, 1.0)),
        "Wy": draw(tensors((size.ny, size.nh), dtype, 1.5)),
        "by": draw(tensors((size.ny,), dtype, 1.0)),
    }
    X = draw(tensors((size.n, size.nx), dtype, 2.0))
    labels = draw(st.lists(st.integers(0, size.ny - 1), min_size=size.n, max_size=size.n))
    Y = one_hot(torch.tensor(labels), size.ny, dtype)
    return size, params, X, Y


@st.composite
def predictions(draw, max_n: int = 12):
    """(Yhat with rows on the simplex, Y one-hot)."""
    n = draw(st.integers(1, max_n))
    ny = draw(st.integers(2, 6))
    dtype = draw(float_dtypes)
    logits = draw(tensors((n, ny), dtype, 4.0))
    Yhat = torch.softmax(logits, dim=1)
    labels = draw(st.lists(st.integers(0, ny - 1), min_size=n, max_size=n))
    return Yhat, one_hot(torch.tensor(labels), ny, dtype)


# -- layouts ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Layout:
    """How a student stores the parameters: per key, the shape transform from the handout's.

    The handout says W is (out, in) and b is (out,). A student whose own init_params stores W as
    (in, out) or b as (1, out) / (out, 1), consistently, is graded in that layout: reference values
    are converted to it before the call and the student's results converted back after.
    """

    transposed: frozenset = frozenset()
    bias_shape: str = "flat"  # "flat" (out,), "row" (1, out), "column" (out, 1)
    # A student whose own init_params works in float64 gets float64 parameters and inputs (a
    # float64 forward that does X.double() is right, and float32 weights would make it fail).
    dtype: torch.dtype | None = None

    def cast(self, value):
        if self.dtype is not None and isinstance(value, torch.Tensor) and value.is_floating_point():
            return value.to(self.dtype)
        return value

    def to_student(self, params: dict) -> dict:
        out = {}
        for key, value in params.items():
            value = self.cast(value)
            if key in self.transposed:
                value = value.T.contiguous()
            elif key.startswith("b") and value.dim() == 1:
                value = {"flat": value, "row": value.reshape(1, -1),
                         "column": value.reshape(-1, 1)}[self.bias_shape]
            out[key] = value
        return out

    def to_handout(self, values: dict, shapes: dict) -> dict:
        """Convert a student's dict (params or gradients) back to the handout's layout."""
        out = dict(values)
        for key, value in values.items():
            if not isinstance(value, torch.Tensor) or key not in shapes:
                continue
            if key in self.transposed and value.dim() == 2:
                value = value.T
            if key.startswith("b") and value.numel() == math.prod(shapes[key]):
                value = value.reshape(shapes[key])
            out[key] = value
        return out

    def describe(self) -> str:
        parts = []
        if self.transposed:
            parts.append("W stored as (in, out)")
        if self.bias_shape != "flat":
            parts.append(f"biases stored as {'(1, out)' if self.bias_shape == 'row' else '(out, 1)'}")
        if self.dtype is not None:
            parts.append(str(self.dtype).replace("torch.", ""))
        return ", ".join(parts) or "handout layout"


HANDOUT_LAYOUT = Layout()


def detect_layout(student, nx: int = 3, nh: int = 5, ny: int = 4) -> Layout:
    """The layout the student's own init_params uses; the handout's if that cannot be told.

    A broken init_params must not cost the other questions their points, so any failure here
    falls back to the handout's layout.
    """
    try:
        params = student.init_params(nx, nh, ny)
        shapes = {k: tuple(params[k].shape) for k in PARAM_KEYS}
    except Exception:
        return HANDOUT_LAYOUT
    transposed = set()
    for key, (rows, cols) in (("Wh", (nh, nx)), ("Wy", (ny, nh))):
        if shapes[key] == (cols, rows):
            transposed.add(key)
    bias_shape = "flat"
    if shapes["bh"] == (1, nh) and shapes["by"] == (1, ny):
        bias_shape = "row"
    elif shapes["bh"] == (nh, 1) and shapes["by"] == (ny, 1):
        bias_shape = "column"
    wh = params["Wh"]
    dtype = torch.float64 if isinstance(wh, torch.Tensor) and wh.dtype == torch.float64 else None
    return Layout(frozenset(transposed), bias_shape, dtype)


def accuracy(Yhat: torch.Tensor, Y: torch.Tensor) -> float:
    return float((Yhat.argmax(dim=1) == Y.argmax(dim=1)).double().mean())
