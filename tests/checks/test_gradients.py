"""numerical_gradient, gradient_error, expect_gradient_close."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checks.gradients import expect_gradient_close, gradient_error, numerical_gradient
from grader.checks.outcomes import CheckFailed

GEN = torch.Generator().manual_seed(7)


def mlp_setup(dtype=torch.float64):
    params = {
        "W1": torch.randn(3, 4, generator=GEN, dtype=dtype), "b1": torch.randn(4, generator=GEN, dtype=dtype),
        "W2": torch.randn(4, 2, generator=GEN, dtype=dtype), "b2": torch.randn(2, generator=GEN, dtype=dtype),
    }
    X = torch.randn(5, 3, generator=GEN, dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 0, 1])
    return params, X, y


def mlp_loss(params, X, y):
    h = torch.tanh(X @ params["W1"] + params["b1"])
    return torch.nn.functional.cross_entropy(h @ params["W2"] + params["b2"], y)


def autograd_gradient(params, X, y):
    leaves = {k: v.detach().double().clone().requires_grad_(True) for k, v in params.items()}
    mlp_loss(leaves, X, y).backward()
    return {k: v.grad for k, v in leaves.items()}


class Counting:
    """f for numerical_gradient, counting its calls."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, params):
        self.calls += 1
        return self.f(params)


# -- numerical_gradient --------------------------------------------------------------------------

def test_numerical_gradient_matches_autograd_on_a_small_mlp():
    params, X, y = mlp_setup()
    f = Counting(lambda p: mlp_loss(p, X, y))
    numeric = numerical_gradient(f, params)
    exact = autograd_gradient(params, X, y)
    assert set(numeric) == set(params)
    for key in params:
        assert numeric[key].dtype == torch.float64 and numeric[key].shape == params[key].shape
        assert gradient_error(numeric[key], exact[key]) < 1e-6, key
    assert f.calls == 2 * sum(p.numel() for p in params.values())


def test_numerical_gradient_works_on_a_float64_copy_and_leaves_params_alone():
    params, X, y = mlp_setup(torch.float32)
    before = {k: v.clone() for k, v in params.items()}
    seen = []

    def f(p):
        seen.append({k: v.dtype for k, v in p.items()})
        return mlp_loss(p, X, y)

    numeric = numerical_gradient(f, params)
    assert all(dtypes == dict.fromkeys(params, torch.float64) for dtypes in seen)
    for key in params:
        assert torch.equal(params[key], before[key]) and params[key].dtype == torch.float32
    assert gradient_error(numeric["W1"], autograd_gradient(params, X, y)["W1"]) < 1e-6


@pytest.mark.parametrize("wrap", [lambda t: float(t), lambda t: t.reshape(1), lambda t: t.reshape(1, 1),
                                  lambda t: np.float64(t.item()), lambda t: t])
def test_f_may_return_any_scalar_form(wrap):
    x = {"x": torch.tensor([1.0, -2.0, 3.0])}
    numeric = numerical_gradient(lambda p: wrap((p["x"] ** 2).sum()), x)
    assert torch.allclose(numeric["x"], torch.tensor([2.0, -4.0, 6.0], dtype=torch.float64), atol=1e-6)


def test_f_returning_a_vector_is_an_error():
    with pytest.raises(ValueError):
        numerical_gradient(lambda p: p["x"] * 2, {"x": torch.ones(2)})


def test_numerical_gradient_of_a_0d_parameter_and_an_empty_dict():
    assert numerical_gradient(lambda p: p["t"] ** 3, {"t": torch.tensor(2.0)})["t"].item() == pytest.approx(12.0)
    calls = Counting(lambda p: 0.0)
    assert numerical_gradient(calls, {}) == {} and calls.calls == 0


@settings(deadline=None, max_examples=50)
@given(hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-5, 5)),
       hnp.arrays(np.float64, 6, elements=st.floats(-5, 5)),
       hnp.arrays(np.float64, 6, elements=st.floats(-5, 5)))
def test_property_gradient_of_a_quadratic(x, a, b):
    n = x.size
    a, b = torch.from_numpy(a[:n]), torch.from_numpy(b[:n])
    f = Counting(lambda p: (a * p["x"] ** 2).sum() + (b * p["x"]).sum())
    numeric = numerical_gradient(f, {"x": torch.from_numpy(x)})["x"]
    exact = 2 * a * torch.from_numpy(x) + b
    assert torch.allclose(numeric, exact, atol=1e-5)
    assert f.calls == 2 * n


# -- gradient_error ------------------------------------------------------------------------------

def test_gradient_error():
    g = torch.tensor([1.0, -2.0, 4.0])
    assert gradient_error(g, g) == 0.0
    assert gradient_error(g, g.double().numpy()) == 0.0
    assert gradient_error(g * 1.01, g) == pytest.approx(0.04 / 4.04, rel=1e-5)
    assert gradient_error(g, 2 * g) == pytest.approx(gradient_error(2 * g, g))       # symmetric
    assert gradient_error(1e6 * g * 1.01, 1e6 * g) == pytest.approx(gradient_error(g * 1.01, g), rel=1e-4)
    assert gradient_error(torch.zeros(3), torch.zeros(3)) == 0.0
    assert gradient_error(torch.full((3,), 1e-12), torch.zeros(3)) < 1e-3          # 1e-8 floor
    assert gradient_error(torch.zeros(3), g) == 1.0
    assert gradient_error(torch.tensor([float("nan"), 0, 0]), g) == math.inf
    assert gradient_error(torch.ones(2), torch.ones(3)) == math.inf
    assert gradient_error(torch.zeros(0), torch.zeros(0)) == 0.0
    assert gradient_error(torch.tensor(3.0), torch.tensor([3.0])) == 0.0


# -- expect_gradient_close -----------------------------------------------------------------------

def test_expect_gradient_close_accepts_a_float32_backward_against_a_numerical_gradient():
    params, X, y = mlp_setup()
    numeric = numerical_gradient(lambda p: mlp_loss(p, X, y), params)
    student = {k: v.float() for k, v in autograd_gradient(params, X, y).items()}
    expect_gradient_close(student, numeric, name="grads")
    expect_gradient_close(autograd_gradient(params, X, y), numeric, name="grads")


def test_expect_gradient_close_flags_n_times_too_large_as_a_sum_instead_of_mean():
    params, X, y = mlp_setup()
    exact = autograd_gradient(params, X, y)
    summed = {k: v * 5 for k, v in exact.items()}
    with pytest.raises(CheckFailed) as excinfo:
        expect_gradient_close(summed, exact, name="grads", context={"batch_size": 5})
    keys = [m.key for m in excinfo.value.messages]
    assert keys[:2] == ["values_wrong", "scaled_by_n"]
    assert excinfo.value.messages[0].render("en").startswith("grads['W1'] is wrong")


def test_expect_gradient_close_names_the_wrong_entry():
    params, X, y = mlp_setup()
    exact = autograd_gradient(params, X, y)
    wrong = dict(exact, b2=exact["b2"] + 0.1)
    with pytest.raises(CheckFailed) as excinfo:
        expect_gradient_close(wrong, exact, name="grads")
    assert "grads['b2']" in excinfo.value.messages[0].render("en")


def test_expect_gradient_close_missing_key():
    g = {"W": torch.ones(2), "b": torch.ones(1)}
    with pytest.raises(CheckFailed) as excinfo:
        expect_gradient_close({"W": torch.ones(2)}, g, name="grads")
    assert [m.key for m in excinfo.value.messages] == ["missing_key"]
    assert "'b'" in excinfo.value.messages[0].render("fr")


def test_expect_gradient_close_not_a_dict():
    with pytest.raises(CheckFailed) as excinfo:
        expect_gradient_close(None, {"W": torch.ones(2)}, name="grads")
    assert excinfo.value.messages[0].key == "value_type"


def test_expect_gradient_close_tolerance_is_relative_to_the_largest_entry():
    expected = {"W": torch.tensor([10.0, 1e-7], dtype=torch.float64)}
    # 1e-5 off on an entry that is ~0, next to an entry of 10: fine at rtol 1e-4
    expect_gradient_close({"W": torch.tensor([10.0, 1e-5], dtype=torch.float64)}, expected, name="g")
    with pytest.raises(CheckFailed):
        expect_gradient_close({"W": torch.tensor([10.0, 1e-2], dtype=torch.float64)}, expected, name="g")
    with pytest.raises(CheckFailed):
        expect_gradient_close({"W": torch.tensor([10.01, 1e-7], dtype=torch.float64)}, expected, name="g")
