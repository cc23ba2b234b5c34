"""compare / expect_*: fair to correct values, precise about wrong ones."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checks.compare import (Mismatch, compare, default_tolerance, expect_close, expect_equal,
                                   expect_shape, expect_unchanged, format_value)
from grader.checks.outcomes import CheckFailed
from grader.messages import Message, known


def rendered(mismatch: Mismatch | None) -> list[str]:
    """The English lines a student would see; checks every message is well-formed on the way."""
    assert mismatch is not None
    lines = []
    for message in mismatch.messages:
        assert isinstance(message, Message)
        assert known(message.key), message.key
        json.dumps(message.to_json(), allow_nan=False)  # params are plain JSON
        for lang in ("fr", "en"):
            line = message.render(lang)
            assert "\n" not in line and len(line) < 400
            assert line != f"{message.key}: {dict(message.params)}"  # the template rendered
        lines.append(message.render("en"))
    return lines


def failure_keys(excinfo: pytest.ExceptionInfo) -> list[str]:
    return [m.key for m in excinfo.value.messages]


# -- equal values pass ---------------------------------------------------------------------------

def test_float32_result_equals_float64_reference():
    gen = torch.Generator().manual_seed(0)
    X, W = torch.randn(8, 5, generator=gen), torch.randn(5, 3, generator=gen)
    student = torch.tanh(X @ W)                                  # float32
    reference = torch.tanh(X.double() @ W.double())              # float64
    assert compare(student, reference, name="H") is None
    assert compare(reference, student, name="H") is None


def test_float32_rounding_error_is_accepted_but_a_real_error_is_not():
    x = torch.linspace(-3, 3, 50, dtype=torch.float64)
    assert compare((x * (1 + 3e-5)).float(), x, name="x") is None   # float32 student: float32 tolerance
    assert compare((x * (1 + 1e-3)).float(), x, name="x").kind == "values"


def test_float64_against_float64_is_strict():
    x = torch.linspace(-3, 3, 50, dtype=torch.float64)
    assert compare(x * (1 + 1e-5), x, name="x").kind == "values"
    assert compare(x * (1 + 1e-9), x, name="x") is None


def test_atol_scales_with_the_magnitude_of_the_expected_values():
    big = torch.tensor([1e4, 2e4, 0.0])
    # 0.05 off at the zero entry: nothing next to values of 2e4 computed in float32
    assert compare(big + torch.tensor([0.0, 0.0, 0.05]), big, name="x") is None
    small = torch.tensor([1.0, 0.5, 0.0])
    assert compare(small + torch.tensor([0.0, 0.0, 0.05]), small, name="x").kind == "values"


def test_half_precision_is_compared_loosely():
    x = torch.linspace(-2, 2, 20)
    assert compare(x.half(), x, name="x") is None
    assert compare(x.bfloat16(), x, name="x") is None
    assert default_tolerance("float16", "float32") == (1e-2, 1e-3)
    assert default_tolerance("int64", "bool") == (0.0, 0.0)


def test_explicit_tolerance_overrides_the_default():
    x = torch.linspace(1, 2, 10)
    assert compare(x * 1.01, x, name="x", rtol=0.05) is None
    assert compare(x * 1.01, x, name="x").kind == "values"
    assert compare(x + 0.5, x, name="x", atol=1.0) is None


@pytest.mark.parametrize("actual", [
    torch.tensor(0.5), torch.tensor([0.5]), torch.tensor([[0.5]]), np.float32(0.5), np.float64(0.5),
    np.array(0.5), np.array([0.5]), 0.5, torch.tensor(0.5, dtype=torch.float64, requires_grad=True),
])
def test_any_scalar_form_equals_a_python_float(actual):
    assert compare(actual, 0.5, name="loss") is None


@pytest.mark.parametrize("expected", [torch.tensor(0.5), np.float32(0.5), np.array(0.5)])
def test_python_float_equals_a_0d_reference(expected):
    assert compare(0.5, expected, name="loss") is None


def test_tensor_and_ndarray_with_the_same_values_are_equal():
    x = np.random.default_rng(0).normal(size=(4, 3))
    assert compare(torch.from_numpy(x), x, name="x") is None
    assert compare(x, torch.from_numpy(x).float(), name="x") is None
    assert compare(x.astype(np.float32), torch.from_numpy(x), name="x") is None


def test_ints_and_bools_compare_exactly_across_types():
    labels = torch.tensor([0, 2, 1, 1])
    assert compare(labels.numpy(), labels, name="pred") is None
    assert compare(labels.float(), labels, name="pred") is None      # 2.0 is 2
    assert compare(torch.tensor([True, False]), np.array([1, 0]), name="mask") is None
    assert compare(3, 3, name="n") is None
    assert compare(4, 3, name="n").kind == "values"
    assert compare(torch.tensor([0, 2, 1, 2]), labels, name="pred").where == (3,)


def test_in_place_or_copy_or_view_is_irrelevant():
    x = torch.randn(4, 6, generator=torch.Generator().manual_seed(1))
    expected = x * 2 + 1
    in_place = x.clone()
    in_place.mul_(2).add_(1)
    assert compare(in_place, expected, name="y") is None
    big = torch.zeros(8, 6)
    big[::2] = expected
    assert compare(big[::2], expected, name="y") is None                 # a strided view
    assert compare(expected.t().contiguous().t(), expected, name="y") is None
    assert compare(expected, expected, name="y") is None                 # the very same object
    leaf = expected.clone().requires_grad_(True)
    assert compare(leaf * 1, expected, name="y") is None                 # part of a graph


def test_stable_softmax_equals_naive_softmax():
    z = torch.randn(16, 10, generator=torch.Generator().manual_seed(2)) * 5
    naive = torch.exp(z) / torch.exp(z).sum(dim=1, keepdim=True)
    shifted = z - z.max(dim=1, keepdim=True).values
    stable = torch.exp(shifted) / torch.exp(shifted).sum(dim=1, keepdim=True)
    assert compare(naive, stable, name="P") is None
    assert compare(stable.numpy(), torch.softmax(z.double(), dim=1), name="P") is None


def test_compare_never_modifies_its_inputs():
    a = torch.randn(5, 5, requires_grad=True)
    e = torch.randn(5, 5)
    a_before, e_before = a.detach().clone(), e.clone()
    n = np.arange(6.0).reshape(2, 3)
    compare(a, e, name="x")
    compare(a.T, e, name="x", context={"batch_size": 5, "logits": e})
    compare(n, n[::-1].copy(), name="n")
    assert torch.equal(a.detach(), a_before) and torch.equal(e, e_before)
    assert a.grad is None and a.requires_grad
    assert np.array_equal(n, np.arange(6.0).reshape(2, 3))


# -- NaN and inf ---------------------------------------------------------------------------------

def test_nan_at_the_same_places_is_equal():
    nan = float("nan")
    assert compare(torch.tensor([1.0, nan, 3.0]), np.array([1.0, nan, 3.0]), name="x") is None
    assert compare(torch.tensor([float("inf"), 1.0]), torch.tensor([float("inf"), 1.0]), name="x") is None
    assert compare(torch.tensor([float("-inf"), 1.0]), torch.tensor([float("inf"), 1.0]), name="x") is not None


def test_nan_where_a_finite_value_was_expected_says_where():
    z = torch.tensor([[1.0, 2.0, 3.0], [1000.0, 0.0, -5.0]])
    naive = torch.exp(z) / torch.exp(z).sum(dim=1, keepdim=True)   # exp(1000) overflows: inf / inf
    mismatch = compare(naive, torch.softmax(z, dim=1), name="P")
    assert mismatch.kind == "nonfinite"
    assert mismatch.where == (1, 0)
    lines = rendered(mismatch)
    assert "nan" in lines[0] and "[1, 0]" in lines[0]


def test_nonfinite_scalar():
    mismatch = compare(float("inf"), 2.0, name="loss")
    assert mismatch.kind == "nonfinite" and mismatch.where == ()
    assert "inf" in rendered(mismatch)[0]


def test_finite_where_nan_was_expected_is_a_value_mismatch():
    mismatch = compare(torch.tensor([1.0, 2.0]), torch.tensor([1.0, float("nan")]), name="x")
    assert mismatch.kind == "values" and mismatch.where == (1,)
    rendered(mismatch)


# -- what the messages say -----------------------------------------------------------------------

def test_value_mismatch_messages_say_what_where_and_show_both():
    expected = torch.arange(12.0).reshape(3, 4)
    actual = expected.clone()
    actual[2, 1] += 0.5
    actual[0, 3] += 0.1
    mismatch = compare(actual, expected, name="Yhat")
    assert mismatch.kind == "values"
    assert mismatch.where == (2, 1)
    assert mismatch.max_abs_error == pytest.approx(0.5)
    keys = [m.key for m in mismatch.messages]
    assert keys[0] == "values_wrong" and "largest_error" in keys
    assert keys[-2:] == ["expected_value", "actual_value"]
    lines = rendered(mismatch)
    assert lines[0].startswith("Yhat is wrong in 2 of 12 entries")
    assert "largest error 0.5 at index [2, 1] (expected 9, got 9.5)" in lines
    assert lines[-1].startswith("got: tensor(float32, shape (3, 4))")


def test_scalar_mismatch_is_one_line_with_both_values():
    mismatch = compare(torch.tensor(2.5), 2.0, name="loss")
    assert mismatch.kind == "values"
    assert rendered(mismatch) == ["loss is 2.5 but 2 was expected"]


def test_shape_mismatch_message():
    mismatch = compare(torch.ones(3, 5), torch.ones(5, 3), name="Yhat")
    assert mismatch.kind == "shape"
    assert rendered(mismatch)[0] == "Yhat has shape (3, 5) but (5, 3) was expected"
    assert mismatch.max_abs_error is None


@pytest.mark.parametrize("actual, type_name", [("hello", "str"), (None, "None"), ([1.0, 2.0], "list"),
                                               ({"a": 1}, "dict"), (object(), "object")])
def test_a_non_tensor_where_a_tensor_is_expected_is_a_type_mismatch(actual, type_name):
    mismatch = compare(actual, torch.ones(2), name="Yhat")
    assert mismatch.kind == "type"
    line = rendered(mismatch)[0]
    assert type_name in line and "Tensor" in line


def test_a_tensor_where_a_string_is_expected_is_a_type_mismatch():
    assert compare(torch.ones(2), "relu", name="activation").kind == "type"
    assert compare("relu", "relu", name="activation") is None
    assert compare("tanh", "relu", name="activation").kind == "values"


def test_wrong_values_of_another_dtype_say_the_dtype_first():
    mismatch = compare(torch.tensor([2, 2, 3]), torch.tensor([2.5, 2.5, 3.5]), name="mean")
    assert mismatch.kind == "dtype"
    assert mismatch.messages[0].key == "value_dtype"
    assert "int64" in rendered(mismatch)[0]


def test_bfloat16_values_are_reported_without_crashing():
    mismatch = compare(torch.ones(3, dtype=torch.bfloat16) * 2, torch.ones(3), name="x")
    assert mismatch.kind == "values"
    rendered(mismatch)


# -- nested values -------------------------------------------------------------------------------

def test_nested_dicts_name_the_path():
    expected = {"h": torch.ones(2, 3), "y": torch.zeros(2)}
    assert compare({"y": torch.zeros(2), "h": torch.ones(2, 3), "extra": 1}, expected, name="outputs") is None
    mismatch = compare({"h": torch.ones(2, 3), "y": torch.ones(2)}, expected, name="outputs")
    assert mismatch.kind == "values"
    assert rendered(mismatch)[0].startswith("outputs['y'] is wrong")


def test_deeply_nested_paths():
    expected = {"grads": {"Wy": torch.ones(2, 2)}, "history": [0.5, 0.25]}
    actual = {"grads": {"Wy": torch.ones(2, 2) * 3}, "history": [0.5, 0.25]}
    assert "state['grads']['Wy'] is wrong" in rendered(compare(actual, expected, name="state"))[0]
    actual = {"grads": {"Wy": torch.ones(2, 2)}, "history": (0.5, 0.3)}
    mismatch = compare(actual, expected, name="state")
    assert rendered(mismatch)[0] == "state['history'][1] is 0.3 but 0.25 was expected"


def test_missing_key():
    mismatch = compare({"Wx": 1.0}, {"Wx": 1.0, "Wy": 2.0}, name="grads")
    assert mismatch.kind == "missing_key"
    line = rendered(mismatch)[0]
    assert "'Wy'" in line and "'Wx'" in line


def test_sequences():
    assert compare((1, 2.0), [1, 2.0], name="pair") is None
    assert compare(torch.Size([3, 4]), (3, 4), name="shape") is None
    assert compare(torch.tensor([0.5, 0.25]), [0.5, 0.25], name="history") is None   # stacked: same values
    mismatch = compare([1, 2, 3], [1, 2], name="history")
    assert mismatch.kind == "length"
    assert rendered(mismatch) == ["history has 3 items but 2 were expected"]
    assert compare(5, [1, 2], name="history").kind == "type"


def test_a_dict_where_a_tensor_is_expected_and_vice_versa():
    assert compare({"h": 1}, torch.ones(1), name="out").kind == "type"
    assert compare(torch.ones(1), {"h": 1}, name="out").kind == "type"


# -- expect_* ------------------------------------------------------------------------------------

def test_expect_close_raises_check_failed_with_the_messages():
    expect_close(torch.ones(3), np.ones(3), name="x")
    with pytest.raises(CheckFailed) as excinfo:
        expect_close(torch.ones(3) * 2, np.ones(3), name="x", context={"batch_size": 2})
    assert failure_keys(excinfo)[0] == "values_wrong"
    assert "scaled_by_n" in failure_keys(excinfo)


def test_expect_equal_is_exact():
    expect_equal(3, 3, name="n")
    expect_equal(torch.tensor(3), 3, name="n")
    expect_equal(3.0, 3, name="n")
    expect_equal(torch.Size([2, 3]), (2, 3), name="shape")
    expect_equal("relu", "relu", name="name")
    expect_equal(True, True, name="flag")
    with pytest.raises(CheckFailed):
        expect_equal(0.1 + 0.2, 0.3, name="x")
    with pytest.raises(CheckFailed):
        expect_equal((2, 4), (2, 3), name="shape")
    with pytest.raises(CheckFailed):
        expect_equal(False, True, name="flag")


def test_expect_shape():
    expect_shape(torch.ones(3, 5), (3, 5), name="Yhat")
    expect_shape(np.ones(4), (4,), name="y")
    expect_shape(2.0, (), name="loss")
    with pytest.raises(CheckFailed) as excinfo:
        expect_shape(torch.ones(5, 1), (5,), name="y")
    assert failure_keys(excinfo) == ["value_shape", "extra_dim"]
    with pytest.raises(CheckFailed) as excinfo:
        expect_shape(torch.ones(5, 3), (3, 5), name="Yhat")
    assert failure_keys(excinfo) == ["value_shape", "transposed_shape"]
    with pytest.raises(CheckFailed) as excinfo:
        expect_shape(torch.ones(6, 6), (6,), name="r")
    assert failure_keys(excinfo) == ["value_shape", "broadcast_nn"]
    with pytest.raises(CheckFailed) as excinfo:
        expect_shape(torch.ones(4, 2), (3, 2), name="Yhat")
    assert failure_keys(excinfo) == ["value_shape"]
    with pytest.raises(CheckFailed) as excinfo:
        expect_shape(None, (3,), name="Yhat")
    assert failure_keys(excinfo)[0] == "value_type"


def test_expect_unchanged():
    X = torch.randn(4, 3)
    before = X.clone()
    expect_unchanged(before, X, name="X")
    X[2, 1] += 1
    with pytest.raises(CheckFailed) as excinfo:
        expect_unchanged(before, X, name="X")
    assert failure_keys(excinfo) == ["input_mutated", "input_changed_at"]
    assert "[2, 1]" in excinfo.value.messages[1].render("en")
    with pytest.raises(CheckFailed) as excinfo:
        expect_unchanged({"W": torch.ones(2)}, {"W": torch.ones(3)}, name="params")
    assert failure_keys(excinfo) == ["input_mutated", "value_shape"]
    expect_unchanged(np.array([1.0, float("nan")]), np.array([1.0, float("nan")]), name="x")


# -- format_value --------------------------------------------------------------------------------

def test_format_value_examples():
    x = torch.tensor([[0.12, -0.4, 1.0, 2.0, 3.0], [1, 2, 3, 4, 5], [6, 7, 8, 9, 10]])
    assert format_value(x) == "tensor(float32, shape (3, 5)) [[0.12, -0.4, 1, …], [1, 2, 3, …], …]"
    assert format_value(np.arange(3)) == "array(int64, shape (3,)) [0, 1, 2]"
    assert format_value(np.arange(10)) == "array(int64, shape (10,)) [0, 1, 2, 3, 4, 5, …]"
    assert format_value(torch.tensor(2.5)) == "tensor(float32) 2.5"
    assert format_value(np.float32(0.5)) == "numpy.float32(0.5)"
    assert format_value(0.1 + 0.2) == "0.3"
    assert format_value("x" * 100).endswith("…")
    assert format_value(None) == "None"
    assert format_value([1, 2]) == "[1, 2]"
    assert format_value(torch.tensor([True, False])) == "tensor(bool, shape (2,)) [True, False]"
    assert format_value(torch.ones(2, dtype=torch.bfloat16)) == "tensor(bfloat16, shape (2,)) [1, 1]"
    assert format_value(torch.tensor([float("nan"), float("inf")])) == "tensor(float32, shape (2,)) [nan, inf]"


def test_format_value_is_short_and_fast_on_large_tensors():
    big = torch.zeros(2000, 5000)
    start = time.perf_counter()
    text = format_value(big)
    assert time.perf_counter() - start < 0.1
    assert len(text) < 200 and "shape (2000, 5000)" in text


def test_format_value_never_fails_nor_calls_the_object():
    class Hostile:
        def __repr__(self):
            raise RuntimeError("no")

        def __getattr__(self, name):
            raise RuntimeError("no")

    assert format_value(Hostile()) == "<Hostile>"
    assert len(format_value({str(i): torch.ones(100) for i in range(100)})) <= 200


# -- properties ----------------------------------------------------------------------------------

finite_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
    elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32),
)


@settings(deadline=None, max_examples=200)
@given(finite_arrays, st.booleans())
def test_property_a_value_equals_itself(x, as_tensor):
    value = torch.from_numpy(x.copy()) if as_tensor else x
    assert compare(value, x, name="x") is None
    assert compare(x.astype(np.float64), x, name="x") is None


@settings(deadline=None, max_examples=200)
@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4),
                  elements=st.floats(-100, 100, allow_nan=False)),
       hnp.arrays(np.float64, 16, elements=st.floats(-1, 1, allow_nan=False)))
def test_property_the_verdict_is_the_allclose_rule(expected, noise):
    actual = expected + noise[: expected.size].reshape(expected.shape) * 1e-4 * np.abs(expected).max(initial=1)
    actual32 = actual.astype(np.float32)
    rtol, atol = 1e-4, 1e-5 * max(1.0, float(np.abs(expected).max(initial=0)))
    fits = bool(np.all(np.abs(actual32.astype(np.float64) - expected) <= atol + rtol * np.abs(expected)))
    assert (compare(actual32, expected, name="x") is None) == fits


def test_values_are_formatted_for_a_mismatch_only(monkeypatch):
    import grader.checks.compare as compare_module

    formatted = []
    real = compare_module.format_value
    monkeypatch.setattr(compare_module, "format_value", lambda value, *a: formatted.append(value) or real(value, *a))
    values = torch.linspace(0, 1, 50).reshape(5, 10)
    expect_close(values.clone(), values, name="Yhat")
    assert formatted == []   # a passing comparison (most of them) pays nothing for messages
    with pytest.raises(CheckFailed) as failure:
        expect_close(values + 1, values, name="Yhat")
    assert len(formatted) == 2
    assert "tensor(float32, shape (5, 10))" in " ".join(m.render("en") for m in failure.value.messages)
