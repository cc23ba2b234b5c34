"""What the numpy_nn tests share: strategies, direct-loop references, the student's parameters, data.

Everything here runs in the scorer (trusted) process. Student objects are remote handles; their
parameters are found by shape (`grader.api.find_parameters`) and overwritten with random values
before a test, because zero-initialised biases hide bugs.

- Strategies reach the cases real implementations get wrong: stride > 1, chan_in > 1, a last
  window that ends exactly at the end of the input (and one that does not), overlapping pooling
  windows (stride < k_size). `CONV_SHAPES` / `POOL_SHAPES` list those cases explicitly too, so that
  a small `max_examples` cannot miss them.
- `conv1d_loops`, `conv1d_backward_loops`, `maxpool1d_loops`, `maxpool1d_backward_loops`: the
  definitions, written as plain loops (never the reference's vectorised code).
- `LinearParams` / `ConvParams`: where the student keeps W and b, in which layout, with the
  skeleton's conventions the issue credits (bias folded into W, no bias).
- `gradient_by_update`: the accumulated gradient, read through the skeleton's own contract
  (`update_parameters(step)` does parameters -= step * gradient), wherever the student keeps it.
- `numerical_gradient`: central finite differences of the student's own forward.
- `digits`: scikit-learn's 8x8 digits, or the course's USPS file when the instructor gives one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st

from grader.api import CheckFailed, StudentError, fail, find_parameters, set_parameters, text

# -- random arrays -----------------------------------------------------------------------------------


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def normal(seed: int, *shape: int, scale: float = 1.0) -> np.ndarray:
    return rng(seed).normal(0.0, scale, shape)


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    out = np.zeros((len(labels), classes))
    out[np.arange(len(labels)), labels] = 1.0
    return out


# -- strategies --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LinearCase:
    batch: int
    d: int
    p: int
    seed: int


@st.composite
def linear_cases(draw, max_batch: int = 4) -> LinearCase:
    """Input and output sizes at least 2 apart: W (d, p), W.T (p, d) and a folded (d + 1, p) are
    told apart by their shapes alone."""
    d = draw(st.integers(2, 5))
    p = draw(st.sampled_from([q for q in range(1, 8) if abs(q - d) >= 2]))
    return LinearCase(draw(st.integers(1, max_batch)), d, p, draw(st.integers(0, 2**31 - 1)))


@dataclass(frozen=True)
class ConvCase:
    batch: int
    k_size: int
    chan_in: int
    chan_out: int
    stride: int
    n_out: int
    rest: int        # input positions after the last window (0: the last window ends at the end)
    seed: int

    @property
    def length(self) -> int:
        return self.k_size + (self.n_out - 1) * self.stride + self.rest

    def describe(self, lang: str = "en") -> str:
        length = "longueur d'entrée" if lang == "fr" else "input length"
        return (f"k_size={self.k_size}, chan_in={self.chan_in}, chan_out={self.chan_out}, "
                f"stride={self.stride}, {length}={self.length}")


@st.composite
def conv_cases(draw) -> ConvCase:
    stride = draw(st.integers(1, 3))
    rest = draw(st.one_of(st.just(0), st.integers(0, stride - 1)))
    return ConvCase(batch=draw(st.integers(1, 2)), k_size=draw(st.integers(1, 4)),
                    chan_in=draw(st.integers(1, 3)), chan_out=draw(st.integers(1, 3)), stride=stride,
                    n_out=draw(st.integers(1, 4)), rest=rest, seed=draw(st.integers(0, 2**31 - 1)))


# The cases a small max_examples must not miss: stride > 1 with the last window exactly at the end
# and not, chan_in > 1 with k_size > 1, both at once, a one-position output.
CONV_SHAPES = [
    ConvCase(2, 3, 1, 2, 1, 4, 0, 11),
    ConvCase(2, 3, 1, 2, 2, 3, 0, 12),   # stride 2, last window ends at the end
    ConvCase(1, 2, 1, 3, 3, 3, 2, 13),   # stride 3, two positions left over
    ConvCase(2, 2, 3, 2, 1, 3, 0, 14),   # chan_in 3
    ConvCase(2, 3, 2, 3, 2, 3, 1, 15),   # chan_in 2 and stride 2, one position left over
    ConvCase(1, 4, 2, 2, 2, 2, 0, 16),
    ConvCase(2, 3, 2, 1, 1, 1, 0, 17),   # a single window covering the whole input
]


@dataclass(frozen=True)
class PoolCase:
    batch: int
    k_size: int
    stride: int
    chan: int
    n_out: int
    rest: int
    seed: int

    @property
    def length(self) -> int:
        return self.k_size + (self.n_out - 1) * self.stride + self.rest

    def describe(self, lang: str = "en") -> str:
        length = "longueur d'entrée" if lang == "fr" else "input length"
        return f"k_size={self.k_size}, stride={self.stride}, chan={self.chan}, {length}={self.length}"


@st.composite
def pool_cases(draw) -> PoolCase:
    k_size = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    rest = draw(st.one_of(st.just(0), st.integers(0, stride - 1)))
    return PoolCase(draw(st.integers(1, 2)), k_size, stride, draw(st.integers(1, 3)),
                    draw(st.integers(1, 4)), rest, draw(st.integers(0, 2**31 - 1)))


POOL_SHAPES = [
    PoolCase(2, 2, 2, 2, 3, 0, 21),      # the usual pooling, no overlap
    PoolCase(2, 3, 1, 2, 4, 0, 22),      # overlapping windows (stride < k_size)
    PoolCase(1, 3, 2, 3, 3, 1, 23),      # overlapping, one position left over
    PoolCase(2, 2, 3, 1, 3, 2, 24),      # gaps between windows
]


def distinct_values(seed: int, *shape: int) -> np.ndarray:
    """Random values with no ties (a max-pooling window has one maximum)."""
    n = int(np.prod(shape))
    values = rng(seed).permutation(n).astype(float) / n - 0.5
    return (values + rng(seed + 1).uniform(0, 0.2 / n, n)).reshape(shape)


# -- direct-loop references ---------------------------------------------------------------------------

def conv1d_loops(X: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int) -> np.ndarray:
    """out[n, i, o] = b[o] + sum_{j, c} X[n, i * stride + j, c] W[j, c, o]."""
    batch, length, chan_in = X.shape
    k_size, _, chan_out = W.shape
    n_out = (length - k_size) // stride + 1
    out = np.zeros((batch, n_out, chan_out))
    for n in range(batch):
        for i in range(n_out):
            for o in range(chan_out):
                total = b[o]
                for j in range(k_size):
                    for c in range(chan_in):
                        total += X[n, i * stride + j, c] * W[j, c, o]
                out[n, i, o] = total
    return out


def conv1d_backward_loops(X, W, delta, stride):
    """(d input, d W, d b) of sum(out * delta)."""
    batch, length, chan_in = X.shape
    k_size, _, chan_out = W.shape
    n_out = delta.shape[1]
    dX, dW, db = np.zeros_like(X, dtype=float), np.zeros_like(W, dtype=float), np.zeros(chan_out)
    for n in range(batch):
        for i in range(n_out):
            for o in range(chan_out):
                db[o] += delta[n, i, o]
                for j in range(k_size):
                    for c in range(chan_in):
                        dX[n, i * stride + j, c] += delta[n, i, o] * W[j, c, o]
                        dW[j, c, o] += delta[n, i, o] * X[n, i * stride + j, c]
    return dX, dW, db


def maxpool1d_loops(X, k_size, stride):
    batch, length, chan = X.shape
    n_out = (length - k_size) // stride + 1
    out = np.zeros((batch, n_out, chan))
    for n in range(batch):
        for i in range(n_out):
            for c in range(chan):
                out[n, i, c] = max(X[n, i * stride + j, c] for j in range(k_size))
    return out


def maxpool1d_backward_loops(X, k_size, stride, delta):
    batch, length, chan = X.shape
    dX = np.zeros_like(X, dtype=float)
    for n in range(batch):
        for i in range(delta.shape[1]):
            for c in range(chan):
                window = [X[n, i * stride + j, c] for j in range(k_size)]
                dX[n, i * stride + int(np.argmax(window)), c] += delta[n, i, c]
    return dX


def softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_jacobian_product(Z, delta):
    """sum_j delta_j d s_j / d z_i, sample by sample, from the full Jacobian diag(s) - s s^T."""
    out = np.zeros_like(Z)
    for n in range(Z.shape[0]):
        s = softmax(Z[n:n + 1])[0]
        out[n] = (np.diag(s) - np.outer(s, s)) @ delta[n]
    return out


# -- finite differences ---------------------------------------------------------------------------

def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences, in float64; f may call into the worker (2 calls per entry)."""
    point = np.array(x, dtype=float)
    grad = np.zeros_like(point)
    flat, gflat = point.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        centre = flat[i]
        flat[i] = centre + eps
        plus = float(f(point.copy()))
        flat[i] = centre - eps
        minus = float(f(point.copy()))
        flat[i] = centre
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def as_array(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)


def close(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    try:
        a, b = as_array(a), as_array(b)
    except (TypeError, ValueError):
        return False
    if a.size != b.size:
        return False
    return bool(np.allclose(a.reshape(b.shape), b, rtol=rtol, atol=atol))


# -- calling the skeleton's methods ----------------------------------------------------------------

def _signature_error(exc: StudentError) -> bool:
    return exc.type_name == "TypeError" and "argument" in exc.message


@dataclass
class Calls:
    """How the student's backward methods are called: the skeleton's (input, delta), or (delta)
    with the input cached by forward (a convention the manifest credits partly)."""

    cached_input: bool = False

    def backward_delta(self, module, X, delta):
        if not self.cached_input:
            try:
                return module.backward_delta(X, delta)
            except StudentError as exc:
                if not _signature_error(exc):
                    raise
                self.cached_input = True
        module.forward(X)
        return module.backward_delta(delta)

    def note(self):
        return ("cached_input", CACHED_INPUT) if self.cached_input else None

    def backward_update_gradient(self, module, X, delta):
        if not self.cached_input:
            try:
                return module.backward_update_gradient(X, delta)
            except StudentError as exc:
                if not _signature_error(exc):
                    raise
                self.cached_input = True
        module.forward(X)
        return module.backward_update_gradient(delta)


CACHED_INPUT = text(
    "backward_delta / backward_update_gradient take (delta) only and reuse the input saved by "
    "forward: the skeleton's signature is (input, delta)",
    "backward_delta / backward_update_gradient ne prennent que (delta) et réutilisent l'entrée "
    "gardée par forward : la signature du squelette est (input, delta)")


# -- the student's parameters ------------------------------------------------------------------------

def _canonical(found, name: str, shape: tuple[int, ...]) -> np.ndarray:
    value = as_array(found.values[name])
    if value.shape == tuple(shape):
        return value
    if found.layout.get(name) == "transposed" and value.T.shape == tuple(shape):
        return value.T
    return value.reshape(shape)


def fetch_path(obj, path) -> Any:
    """The value at a path found by find_parameters ([["attr", name] | ["key", k] | ["index", i]]),
    read from the remote object step by step."""
    value = obj
    for kind, key in path:
        if kind == "attr":
            value = getattr(value, key)
        else:
            value = value[key]
    return value


def read_found(obj, found, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """found's parameter `name`, as it is now in the student's object, in the canonical shape."""
    value = as_array(fetch_path(obj, found.paths[name]))
    layout = found.layout.get(name, "as is")
    if layout == "transposed":
        value = value.T
    return value.reshape(shape)


def _find(obj, shapes: dict[str, tuple[int, ...]]):
    try:
        return find_parameters(obj, shapes)
    except CheckFailed:
        return None


@dataclass
class LinearParams:
    """A student's Linear(d, p): where W and b are, in the forms the issue credits.

    form: "bias" (W (d, p) and b (p,), in any layout), "folded" (one (d + 1, p) matrix, the bias
    row first or last: `bias_row`), "no_bias" (W only)."""

    obj: Any
    d: int
    p: int
    form: str
    found: Any
    bias_row: int = -1

    @classmethod
    def find(cls, obj, d: int, p: int) -> "LinearParams":
        found = _find(obj, {"W": (d, p), "b": (p,)})
        if found is not None:
            return cls(obj, d, p, "bias", found)
        found = _find(obj, {"W": (d + 1, p)})
        if found is not None:
            return cls(obj, d, p, "folded", found)
        found = _find(obj, {"W": (d, p)})
        if found is not None:
            return cls(obj, d, p, "no_bias", found)
        find_parameters(obj, {"W": (d, p), "b": (p,)})  # raises the engine's message: shapes found
        raise AssertionError("unreachable")

    def set(self, W: np.ndarray, b: np.ndarray, calls: Calls | None = None) -> None:
        """Write W (d, p) and b (p,) (b is dropped by a Linear without bias)."""
        if self.form == "bias":
            set_parameters(self.obj, self.found, {"W": W, "b": b})
        elif self.form == "no_bias":
            set_parameters(self.obj, self.found, {"W": W})
        else:
            self.bias_row = -1
            set_parameters(self.obj, self.found, {"W": np.vstack([W, b[None, :]])})
            X = normal(7, 2, self.d)
            got = as_array(self.obj.forward(X))
            if not close(got, X @ W + b):
                self.bias_row = 0
                set_parameters(self.obj, self.found, {"W": np.vstack([b[None, :], W])})

    def refind(self):
        shapes = {"bias": {"W": (self.d, self.p), "b": (self.p,)}, "folded": {"W": (self.d + 1, self.p)},
                  "no_bias": {"W": (self.d, self.p)}}[self.form]
        return find_parameters(self.obj, shapes)

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        """The current W (d, p) and b (p,) (zeros for a Linear without bias), read at the paths
        found on the fresh instance (never a cached input or output of the same shape)."""
        found = self.found
        if self.form == "bias":
            return (read_found(self.obj, found, "W", (self.d, self.p)),
                    read_found(self.obj, found, "b", (self.p,)))
        if self.form == "no_bias":
            return read_found(self.obj, found, "W", (self.d, self.p)), np.zeros(self.p)
        full = read_found(self.obj, found, "W", (self.d + 1, self.p))
        if self.bias_row == 0:
            return full[1:], full[0]
        return full[:-1], full[-1]

    def expected(self, X, W, b):
        return X @ W + (0 if self.form == "no_bias" else b)

    def convention(self):
        """(credit name, message) for a Linear that is not the skeleton's W and b, else None."""
        if self.form == "folded":
            return "folded_bias", text(
                "the bias is folded into W as an extra row (inputs padded with a column of ones): "
                "the skeleton keeps W and b apart",
                "le biais est intégré à W comme une ligne de plus (entrées complétées par une "
                "colonne de uns) : le squelette sépare W et b")
        if self.form == "no_bias":
            return "no_bias", text(
                "your Linear has no bias (only W was found): the skeleton's Linear has one",
                "votre Linear n'a pas de biais (seul W a été trouvé) : celui du squelette en a un")
        return None


def random_linear(params: LinearParams, seed: int, calls: Calls | None = None):
    W = normal(seed, params.d, params.p)
    b = normal(seed + 1, params.p)
    params.set(W, b, calls)
    if params.form == "no_bias":
        b = np.zeros(params.p)
    return W, b


# Conv1D kernels: the skeleton's (k_size, chan_in, chan_out), any order of those axes, or flattened
# to (k_size * chan_in, chan_out) / its transpose, k_size-major or chan_in-major.
_PERMUTATIONS = list(itertools.permutations(range(3)))


def _conv_layouts(k, cin, cout):
    for perm in _PERMUTATIONS:
        shape = tuple((k, cin, cout)[i] for i in perm)
        yield ("perm", perm), shape
    for order in ("k_major", "c_major"):
        yield ("flat", order, False), (k * cin, cout)
        yield ("flat", order, True), (cout, k * cin)


def _to_layout(W: np.ndarray, layout) -> np.ndarray:
    if layout[0] == "perm":
        return np.transpose(W, layout[1])
    _, order, transposed = layout
    k, cin, cout = W.shape
    flat = (W if order == "k_major" else W.transpose(1, 0, 2)).reshape(k * cin, cout)
    return flat.T if transposed else flat


def _from_layout(value: np.ndarray, layout, k, cin, cout) -> np.ndarray:
    if layout[0] == "perm":
        return np.transpose(value.reshape(tuple((k, cin, cout)[i] for i in layout[1])), np.argsort(layout[1]))
    _, order, transposed = layout
    flat = value.reshape((cout, k * cin) if transposed else (k * cin, cout))
    flat = flat.T if transposed else flat
    if order == "k_major":
        return flat.reshape(k, cin, cout)
    return flat.reshape(cin, k, cout).transpose(1, 0, 2)


PROBE_CONV = ConvCase(2, 3, 2, 4, 2, 3, 1, 99)   # all sizes distinct: the layout is unambiguous


@dataclass
class ConvParams:
    """A student's Conv1D: the kernel's layout (found once on a probe with distinct sizes, then
    applied to the instance under test) and the bias."""

    obj: Any
    case: ConvCase
    layout: Any
    has_bias: bool
    found: Any = None

    @staticmethod
    def detect_layout(student) -> tuple[Any, bool]:
        """(layout, has_bias) of the student's Conv1D, from probe instances whose forward must agree
        with the loops for one of the candidate layouts; the first layout found when none agrees."""
        c = PROBE_CONV
        X = normal(3, c.batch, c.length, c.chan_in)
        W, b = normal(4, c.k_size, c.chan_in, c.chan_out), normal(5, c.chan_out)
        expected_bias = conv1d_loops(X, W, b, c.stride)
        expected_plain = conv1d_loops(X, W, np.zeros_like(b), c.stride)
        first = None
        for layout, shape in _conv_layouts(c.k_size, c.chan_in, c.chan_out):
            for has_bias in (True, False):
                conv = student.new("Conv1D", c.k_size, c.chan_in, c.chan_out, c.stride)
                shapes = {"W": shape, "b": (c.chan_out,)} if has_bias else {"W": shape}
                found = _find(conv, shapes)
                if found is None:
                    continue
                values = {"W": _to_layout(W, layout)}
                if has_bias:
                    values["b"] = b
                set_parameters(conv, found, values)
                first = first or (layout, has_bias)
                try:
                    got = as_array(conv.forward(X))
                except StudentError:
                    return first
                if close(got, expected_bias if has_bias else expected_plain):
                    return layout, has_bias
                break   # with a bias found, do not try the same layout without it
        if first is None:
            find_parameters(student.new("Conv1D", c.k_size, c.chan_in, c.chan_out, c.stride),
                            {"W": (c.k_size, c.chan_in, c.chan_out), "b": (c.chan_out,)})
        return first

    @classmethod
    def build(cls, student, case: ConvCase, layout_info=None) -> "ConvParams":
        layout, has_bias = layout_info or cls.detect_layout(student)
        conv = student.new("Conv1D", case.k_size, case.chan_in, case.chan_out, case.stride)
        return cls(conv, case, layout, has_bias)

    def _shapes(self):
        c = self.case
        shape = _to_layout(np.zeros((c.k_size, c.chan_in, c.chan_out)), self.layout).shape
        return {"W": shape, "b": (c.chan_out,)} if self.has_bias else {"W": shape}

    def set(self, W, b) -> None:
        self.found = find_parameters(self.obj, self._shapes())
        values = {"W": _to_layout(W, self.layout)}
        if self.has_bias:
            values["b"] = b
        set_parameters(self.obj, self.found, values)

    def read(self):
        c = self.case
        shape = self._shapes()["W"]
        W = _from_layout(read_found(self.obj, self.found, "W", shape), self.layout, c.k_size, c.chan_in, c.chan_out)
        b = read_found(self.obj, self.found, "b", (c.chan_out,)) if self.has_bias else np.zeros(c.chan_out)
        return W, b

    def randomize(self):
        c = self.case
        W, b = normal(c.seed, c.k_size, c.chan_in, c.chan_out), normal(c.seed + 1, c.chan_out)
        self.set(W, b)
        return W, (b if self.has_bias else np.zeros(c.chan_out))


def gradient_by_update(obj, read: Callable[[], tuple], step: float = 1.0) -> tuple:
    """The accumulated gradient, measured through update_parameters(step) (the skeleton's contract:
    parameters -= step * gradient), so wherever and however the student stores it."""
    before = read()
    obj.update_parameters(step)
    after = read()
    return tuple((x - y) / step for x, y in zip(before, after))


# -- data ---------------------------------------------------------------------------------------------

def load_usps(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The course's USPS format (mltools.load_usps): a header line, then one digit per line, its
    label first, then its 256 grey levels. Returns (pixels scaled to [0, 1], integer labels)."""
    with open(path, encoding="utf-8") as handle:
        handle.readline()
        rows = [[float(x) for x in line.split()] for line in handle if len(line.split()) > 2]
    data = np.array(rows)
    X, y = data[:, 1:], data[:, 0].astype(int)
    lo, hi = X.min(), X.max()
    return (X - lo) / (hi - lo if hi > lo else 1.0), y


def usps_files(path: Path) -> list[Path]:
    """The instructor's setting: a USPS file, or a folder holding USPS_train.txt / USPS_test.txt."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".txt" and "usps" in p.name.lower())
        if not files:
            raise FileNotFoundError(f"no USPS*.txt file in {path}")
        return files
    return [path]


_DIGITS: list = []


def _sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's load_digits data, read from the CSV the package ships (importing sklearn costs
    more than a second per scorer process); load_digits itself when the file is not where expected."""
    if not _DIGITS:
        import gzip
        import importlib.util

        spec = importlib.util.find_spec("sklearn")
        path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" if spec and spec.origin else None
        if path is not None and path.is_file():
            with gzip.open(path, "rt") as handle:
                data = np.loadtxt(handle, delimiter=",")
            _DIGITS.append((data[:, :-1], data[:, -1].astype(int)))
        else:
            from sklearn.datasets import load_digits

            loaded = load_digits()
            _DIGITS.append((loaded.data.astype(float), loaded.target.astype(int)))
    return _DIGITS[0]


def digits(data_path=None, n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """(X in [0, 1], labels, source name): the course's USPS when `data_path("usps")` is set,
    scikit-learn's 8x8 digits otherwise (the default stand-in). n samples, shuffled with `seed`."""
    path = data_path("usps") if callable(data_path) else data_path
    if path:
        parts = [load_usps(f) for f in usps_files(Path(path))]
        X = np.vstack([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        source = "USPS"
    else:
        X, y = _sklearn_digits()
        X, source = X / 16.0, "load_digits (8x8)"
    order = rng(seed).permutation(len(X))[:n]
    return X[order], y[order], source


def gaussians(n: int = 200, seed: int = 0, sigma: float = 0.25):
    """Four gaussians in a checkerboard (the report's non-linear problem): labels in {0, 1}."""
    r = rng(seed)
    centres = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=float)
    labels = np.array([1, 1, 0, 0])
    which = r.integers(0, 4, n)
    X = centres[which] + r.normal(0, sigma, (n, 2))
    return X, labels[which].astype(float).reshape(-1, 1)


# -- parameters returned by a driver (plain data) --------------------------------------------------

def linear_from_arrays(arrays: list[dict], d: int, p: int, output=None, X=None):
    """W (d, p), b (p,) of a Linear, from [{"path", "value"}] the driver read from the student's
    instance (every array it holds). Arrays whose path names a gradient are skipped; when several
    candidates remain, the one that reproduces `output` = the student's forward of `X` is chosen."""
    weights, biases = [], []
    for entry in arrays:
        name = "/".join(str(s) for s in entry["path"]).lower()
        if "grad" in name or name.split("/")[-1] in {"dw", "db", "d_w", "d_b", "input", "inputs", "x", "output"}:
            continue
        value = as_array(entry["value"])
        if value.shape == (d, p):
            weights.append((value, "as is"))
        elif value.shape == (p, d):
            weights.append((value.T, "transposed"))
        elif value.shape == (d + 1, p):
            weights.append((value[:-1], value[-1]))
            weights.append((value[1:], value[0]))
        elif value.size == p and value.ndim <= 2:
            biases.append(value.reshape(p))
    candidates = []
    for W, extra in weights:
        if isinstance(extra, np.ndarray):
            candidates.append((W, extra))
        else:
            candidates.extend((W, b) for b in biases or [np.zeros(p)])
    if not candidates:
        return None
    if output is not None and X is not None:
        for W, b in candidates:
            if close(X @ W + b, output, rtol=1e-5, atol=1e-7):
                return W, b
        return None
    return candidates[0]


def need(value, what_en: str, what_fr: str):
    if value is None:
        fail(text(f"could not read {what_en} from your objects", f"impossible de lire {what_fr} dans vos objets"))
    return value


# -- running many cases ------------------------------------------------------------------------------

def for_cases(strategy, check: Callable[[Any], Any], explicit=(), max_examples: int = 5) -> list:
    """check(case) on the explicit cases, then on up to max_examples Hypothesis cases (fewer when
    the run's profile asks for fewer). Returns the non-None results (conventions noted by check):
    a convention is credited once, after every case has passed, never raised inside Hypothesis."""
    from hypothesis import Phase, given, settings

    notes = []
    for case in explicit:
        note = check(case)
        if note is not None:
            notes.append(note)
    n = max(1, min(max_examples, settings.default.max_examples))

    # No shrinking: every call goes to the worker, and the explicit cases already show small inputs.
    @settings(max_examples=n, phases=[Phase.explicit, Phase.reuse, Phase.generate])
    @given(strategy)
    def run(case):
        note = check(case)
        if note is not None:
            notes.append(note)

    run()
    return notes


def first_note(notes: list):
    return notes[0] if notes else None


# -- losses: the skeleton's per-sample cost, or a self-consistent rescaling of it -------------------

@dataclass(frozen=True)
class Scale:
    factor: float
    name: str | None      # None: the skeleton's convention; else the manifest's credit name
    message: Any = None


def loss_scale(value, per_sample: np.ndarray, features: int) -> Scale | None:
    """How the student's forward relates to the skeleton's per-sample cost `per_sample` (batch,):
    equal, averaged over the batch (a scalar), averaged over a sample's features; None if none."""
    try:
        got = as_array(value)
    except (TypeError, ValueError):
        return None
    n = per_sample.shape[0]
    if got.size == n and close(got, per_sample):
        return Scale(1.0, None)
    if got.size == n and features > 1 and close(got, per_sample / features):
        return Scale(1.0 / features, "feature_mean", text(
            "the cost is averaged over a sample's outputs instead of summed (consistent with your backward)",
            "le coût est moyenné sur les sorties d'un exemple au lieu d'être sommé (cohérent avec votre backward)"))
    if got.size == 1 and n > 1:
        total = float(np.sum(per_sample))
        for factor, en, fr in ((1.0 / n, "the mean over the batch", "la moyenne sur le batch"),
                               (1.0 / (n * features), "the mean over the batch and the outputs",
                                "la moyenne sur le batch et les sorties"),
                               (1.0, "the sum over the batch", "la somme sur le batch")):
            if np.isclose(float(got.reshape(())), total * factor, rtol=1e-6, atol=1e-9):
                return Scale(factor, "mean_loss", text(
                    f"forward returns one number, {en}, instead of the cost of each sample (shape (batch,))",
                    f"forward renvoie un seul nombre, {fr}, au lieu du coût de chaque exemple (taille (batch,))"))
    return None


def shape_of(value) -> tuple:
    try:
        return tuple(as_array(value).shape)
    except (TypeError, ValueError):
        return ()


def credit(question, notes) -> None:
    """Partial credit for the conventions noted ((name, message) pairs, once each): the product of
    their shares in the manifest's [questions.<id>.credit]; a convention it does not list fails."""
    from grader.api import partial

    seen, messages, share = set(), [], 1.0
    for note in notes:
        if note is None:
            continue
        for item in ([note] if isinstance(note, tuple) else note):
            if item is None:
                continue
            name, message = item
            if name in seen:
                continue
            seen.add(name)
            messages.append(message)
            share *= float(question.credit.get(name, 0.0))
    if not messages:
        return
    if share <= 0:
        fail(*messages)
    if share < 1:
        partial(share, *messages)


# -- the grader's own numbers for a small MLP (Linear, TanH, ..., Linear[, Sigmoid]) and MSE ----------

def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def mlp_forward(weights, X, last=None):
    out = np.asarray(X, dtype=float)
    for i, (W, b) in enumerate(weights):
        out = out @ W + b
        if i < len(weights) - 1:
            out = np.tanh(out)
    return _sigmoid(out) if last == "sigmoid" else out


def mlp_gradients(weights, X, Y, last=None):
    """Gradients of sum over samples of ||Y - net(X)||² for every (W, b), and the input's delta."""
    acts, out = [np.asarray(X, dtype=float)], np.asarray(X, dtype=float)
    pre = []
    for i, (W, b) in enumerate(weights):
        z = out @ W + b
        pre.append(z)
        out = np.tanh(z) if i < len(weights) - 1 else z
        acts.append(out)
    yhat = _sigmoid(out) if last == "sigmoid" else out
    delta = -2 * (np.asarray(Y, dtype=float).reshape(yhat.shape) - yhat)
    if last == "sigmoid":
        delta = delta * yhat * (1 - yhat)
    grads = [None] * len(weights)
    for i in reversed(range(len(weights))):
        if i < len(weights) - 1:
            delta = delta * (1 - np.tanh(pre[i]) ** 2)
        W, _ = weights[i]
        grads[i] = (acts[i].T @ delta, delta.sum(axis=0))
        delta = delta @ W.T
    return grads, delta


def mlp_step(weights, X, Y, eps, last=None, accumulated=None):
    """One step of gradient descent; `accumulated`: gradients left from previous steps (no reset)."""
    grads, _ = mlp_gradients(weights, X, Y, last)
    if accumulated is not None:
        grads = [(gW + aW, gb + ab) for (gW, gb), (aW, ab) in zip(grads, accumulated)]
    return [(W - eps * gW, b - eps * gb) for (W, b), (gW, gb) in zip(weights, grads)], grads


def mse(weights, X, Y, last=None):
    return float(np.mean(np.sum((mlp_forward(weights, X, last) - Y) ** 2, axis=1)))


# -- multi-class conventions ---------------------------------------------------------------------

INDEX_LABELS = text("the targets are class indices instead of one-hot vectors",
                    "les cibles sont des indices de classe au lieu de vecteurs one-hot")


class Targets:
    """A cost called with one-hot targets (the skeleton), or with class indices when one-hot
    targets make it fail (a convention the manifest credits partly)."""

    def __init__(self):
        self.indices = False

    def call(self, method, Y, labels, yhat):
        if not self.indices:
            try:
                return method(Y, yhat)
            except StudentError:
                self.indices = True
        return method(labels, yhat)

    def note(self):
        return ("index_labels", INDEX_LABELS) if self.indices else None



def chain_convention(student, Z, labels):
    """True when CELoss.backward returns yhat - y and Softmax.backward_delta returns delta: each
    module is wrong alone, their chain gives softmax(z) - y."""
    s, Y = softmax(Z), one_hot(labels, Z.shape[1])
    try:
        ce_back = Targets().call(student.new("CELoss").backward, Y, labels, s)
        sm, delta = student.new("Softmax"), normal(5, *Z.shape)
        sm.forward(Z)
        sm_back = Calls().backward_delta(sm, Z, delta)
    except StudentError:
        return False
    return close(ce_back, s - Y) and close(sm_back, delta)


CHAIN = text("Softmax.backward_delta returns delta unchanged and CELoss.backward returns yhat - y: each "
             "is wrong alone, but chained they give softmax(z) - y (the gradient of the composition) "
             "— a convention, partly credited",
             "Softmax.backward_delta renvoie delta inchangé et CELoss.backward renvoie yhat - y : chacun "
             "est faux seul, mais enchaînés ils donnent softmax(z) - y (le gradient de la composition) "
             "— une convention, créditée en partie")


