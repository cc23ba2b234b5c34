"""Each diagnosis: claimed when the numbers fit its story, silent when they do not."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.checks import diagnose
from grader.checks.compare import Mismatch, compare
from grader.messages import known, msg

GEN = torch.Generator().manual_seed(1234)


def randn(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=GEN)


def diagnosis_messages(mismatch: Mismatch) -> dict[str, str]:
    """{message key: English text} of the diagnosis lines, checking they are well-formed."""
    assert mismatch is not None
    keys = {}
    for message in mismatch.messages:
        assert known(message.key)
        json.dumps(message.to_json(), allow_nan=False)
        for lang in ("fr", "en"):
            assert message.render(lang) != f"{message.key}: {dict(message.params)}"
        keys[message.key] = message.render("en")
    return keys


# -- transposed ----------------------------------------------------------------------------------

def test_transposed_with_a_shape_mismatch():
    W = randn(3, 5)
    mismatch = compare(W.T, W, name="Yhat")
    assert mismatch.kind == "shape"
    assert mismatch.diagnoses == ["transposed"]
    assert "transpose" in diagnosis_messages(mismatch)["transposed"]


def test_transposed_square_matrix():
    W = randn(4, 4)
    mismatch = compare(W.T, W, name="Yhat")
    assert mismatch.kind == "values"
    assert mismatch.diagnoses[0] == "transposed"


def test_transposed_batched_last_two_axes():
    x = randn(2, 3, 4)
    assert compare(x.transpose(1, 2), x, name="h").diagnoses == ["transposed"]


def test_transposed_not_claimed_for_other_values():
    W = randn(3, 5)
    assert "transposed" not in compare(randn(5, 3), W, name="Yhat").diagnoses
    assert "transposed" not in compare(randn(4, 4), randn(4, 4), name="Yhat").diagnoses
    assert "transposed" not in compare(randn(3, 5), W, name="Yhat").diagnoses


# -- scaled_by_n, sign_flipped, percent_vs_fraction ----------------------------------------------

def test_sum_instead_of_mean_with_the_batch_size():
    g = randn(4, 3)
    mismatch = compare(g * 32, g, name="dW", context={"batch_size": 32})
    assert mismatch.diagnoses == ["scaled_by_n"]
    text = diagnosis_messages(mismatch)["scaled_by_n"]
    assert "32 ×" in text and "batch size" in text


def test_divided_by_the_batch_size_once_too_often():
    g = randn(4, 3)
    mismatch = compare(g / 16, g, name="dW", context={"batch_size": 16})
    assert mismatch.diagnoses == ["scaled_by_n"]
    assert "1/16" in diagnosis_messages(mismatch)["divided_by_n"]


def test_other_factor_without_batch_size():
    g = randn(4, 3)
    mismatch = compare(g * 2.5, g, name="dW")
    assert mismatch.diagnoses == ["scaled_by_n"]
    assert "2.5 ×" in diagnosis_messages(mismatch)["scaled_by_factor"]
    # an integer factor that is not the batch size is reported as a plain factor
    mismatch = compare(g * 8, g, name="dW", context={"batch_size": 32})
    assert "scaled_by_n" not in diagnosis_messages(mismatch)
    assert "8 ×" in diagnosis_messages(mismatch)["scaled_by_factor"]


def test_scalar_loss_twice_too_large():
    mismatch = compare(torch.tensor(4.6), 2.3, name="loss")
    assert mismatch.diagnoses == ["scaled_by_n"]
    assert "2 ×" in diagnosis_messages(mismatch)["scaled_by_factor"]
    mismatch = compare(torch.tensor(2.3 * 64), 2.3, name="loss", context={"batch_size": 64})
    assert "scaled_by_n" in diagnosis_messages(mismatch)


def test_scaled_not_claimed_when_it_does_not_fit():
    g = randn(4, 3)
    assert "scaled_by_n" not in compare(g * 2 + 0.1 * randn(4, 3), g, name="dW").diagnoses
    # two numbers always have a ratio: 2.3 vs 1.7 explains nothing
    assert compare(2.3, 1.7, name="loss").diagnoses == []
    # a constant array is no better than one number
    assert "scaled_by_n" not in compare(torch.full((3,), 2.3), torch.full((3,), 1.7), name="x").diagnoses
    # all zeros is not "0 × the expected value"
    assert "scaled_by_n" not in compare(torch.zeros(4, 3), g, name="dW").diagnoses


def test_sign_flipped():
    g = randn(5)
    mismatch = compare(-g, g, name="update")
    assert mismatch.diagnoses == ["sign_flipped"]          # not also "a factor -1"
    assert "sign" in diagnosis_messages(mismatch)["sign_flipped"]
    assert compare(-0.75, 0.75, name="step").diagnoses == ["sign_flipped"]


def test_sign_flipped_not_claimed():
    g = randn(5)
    assert "sign_flipped" not in compare(-g + 0.5, g, name="update").diagnoses
    assert "sign_flipped" not in compare(g * 3, g, name="update").diagnoses


def test_percent_instead_of_fraction():
    mismatch = compare(torch.tensor(85.0), 0.85, name="accuracy")
    assert mismatch.diagnoses == ["percent_vs_fraction"]
    text = diagnosis_messages(mismatch)["percent_vs_fraction"]
    assert text.startswith("85 looks like a percentage")


def test_fraction_instead_of_percent():
    mismatch = compare(0.85, 85.0, name="accuracy")
    assert mismatch.diagnoses == ["percent_vs_fraction"]
    assert "0.85" in diagnosis_messages(mismatch)["fraction_vs_percent"]


def test_percent_not_claimed():
    assert compare(0.8, 0.85, name="accuracy").diagnoses == []
    # 100 × a value outside [0, 1] is no percentage: a plain factor of 100
    assert compare(200.0, 2.0, name="x").diagnoses == ["scaled_by_n"]


# -- constant offsets ----------------------------------------------------------------------------

def test_constant_offset_everywhere():
    h = randn(3, 4)
    mismatch = compare(h + 0.5, h, name="h")
    assert mismatch.diagnoses == ["constant_offset"]
    assert "0.5" in diagnosis_messages(mismatch)["constant_offset"]


def test_constant_offset_per_column_is_a_missing_bias():
    X, W, b = randn(5, 3), randn(3, 4), randn(4)
    mismatch = compare(X @ W, X @ W + b, name="Z")
    assert mismatch.diagnoses == ["constant_offset"]
    assert "bias" in diagnosis_messages(mismatch)["constant_offset_per_column"]


def test_constant_offset_per_row_log_softmax_without_logsumexp():
    z = randn(5, 4)
    wrong = z - z.max(dim=1, keepdim=True).values
    mismatch = compare(wrong, torch.log_softmax(z, dim=1), name="logp")
    assert mismatch.diagnoses == ["constant_offset"]
    assert "constant_offset_per_row" in diagnosis_messages(mismatch)


def test_constant_offset_not_claimed():
    h = randn(3, 4)
    assert "constant_offset" not in compare(h + 0.5 * randn(3, 4), h, name="h").diagnoses
    assert compare(2.5, 2.0, name="loss").diagnoses == []      # for one number every error is an offset


# -- softmax over the wrong dimension ------------------------------------------------------------

def test_softmax_wrong_dim_from_the_values():
    z = randn(6, 3)
    mismatch = compare(torch.softmax(z, dim=0), torch.softmax(z, dim=1), name="P")
    assert mismatch.diagnoses == ["softmax_wrong_dim"]
    assert "dim=1" in diagnosis_messages(mismatch)["softmax_wrong_dim"]


def test_softmax_wrong_dim_checked_exactly_with_the_logits():
    z = randn(4, 4)
    wrong = torch.softmax(z, dim=0)
    assert compare(wrong, torch.softmax(z, dim=1), name="P", context={"logits": z}).diagnoses[0] \
        == "softmax_wrong_dim"
    # column-normalised, but not the softmax of these logits: no claim
    other = torch.softmax(randn(4, 4), dim=0)
    assert "softmax_wrong_dim" not in compare(other, torch.softmax(z, dim=1), name="P",
                                              context={"logits": z}).diagnoses


def test_softmax_wrong_dim_not_claimed():
    z = randn(6, 3)
    expected = torch.softmax(z, dim=1)
    assert "softmax_wrong_dim" not in compare(torch.softmax(randn(6, 3), dim=1), expected, name="P").diagnoses
    assert "softmax_wrong_dim" not in compare(torch.rand(6, 3, generator=GEN), expected, name="P").diagnoses


# -- broadcasting (n,) against (n, 1) ------------------------------------------------------------

@pytest.mark.parametrize("expected_shape", [(6,), (6, 1)])
def test_broadcast_nn(expected_shape):
    pred, target = randn(6, 1), randn(6)
    expected = (pred.reshape(-1) - target).reshape(expected_shape)
    mismatch = compare(pred - target, expected, name="residual")
    assert mismatch.kind == "shape"
    assert mismatch.diagnoses == ["broadcast_nn"]
    assert "(6, 6)" in diagnosis_messages(mismatch)["broadcast_nn"]


def test_broadcast_nn_mean_with_the_author_s_wrong_value():
    pred, target = randn(6, 1), randn(6)
    wrong_mse = ((pred - target) ** 2).mean()
    right_mse = ((pred.reshape(-1) - target) ** 2).mean()
    mismatch = compare(wrong_mse, right_mse, name="mse", context={"broadcast_nn": wrong_mse})
    assert mismatch.diagnoses[0] == "broadcast_nn"
    assert "broadcast_nn_value" in diagnosis_messages(mismatch)


def test_broadcast_nn_not_claimed():
    assert "broadcast_nn" not in compare(randn(6, 6), randn(5), name="r").diagnoses
    assert "broadcast_nn" not in compare(randn(6, 6), randn(6, 6), name="r").diagnoses
    assert "broadcast_nn" not in compare(2.0, 1.0, name="mse", context={"broadcast_nn": 3.0}).diagnoses


# -- extra or missing dimension of size 1 --------------------------------------------------------

def test_extra_dim_with_right_values():
    y = randn(5)
    mismatch = compare(y[:, None], y, name="y")
    assert mismatch.kind == "shape"
    assert mismatch.diagnoses == ["extra_or_missing_dim"]
    text = diagnosis_messages(mismatch)["extra_dim_values_ok"]
    assert "values of y are right" in text and "(5, 1)" in text


def test_extra_dim_with_wrong_values():
    y = randn(5)
    mismatch = compare(y[:, None] + 1, y, name="y")
    assert mismatch.diagnoses == ["extra_or_missing_dim"]
    assert "extra_dim" in diagnosis_messages(mismatch)


def test_missing_dim():
    y = randn(5, 1)
    mismatch = compare(y.reshape(-1), y, name="y")
    assert mismatch.diagnoses == ["extra_or_missing_dim"]
    assert "missing_dim_values_ok" in diagnosis_messages(mismatch)


def test_extra_dim_not_claimed():
    assert compare(randn(5, 2), randn(5), name="y").diagnoses == []
    assert compare(randn(4), randn(5), name="y").diagnoses == []


# -- NaN -----------------------------------------------------------------------------------------

def test_nan_is_its_own_kind_and_no_diagnosis_is_claimed():
    z = torch.tensor([[800.0, 1.0], [2.0, 3.0]])
    naive = torch.exp(z) / torch.exp(z).sum(dim=1, keepdim=True)
    mismatch = compare(naive, torch.softmax(z, dim=1), name="P")
    assert mismatch.kind == "nonfinite" and mismatch.where == (0, 0)
    assert mismatch.diagnoses == []


# -- the registry --------------------------------------------------------------------------------

@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry, so a test's additions do not leak."""
    monkeypatch.setattr(diagnose, "DIAGNOSES", dict(diagnose.DIAGNOSES))
    return diagnose


def test_new_diagnoses_can_be_registered_in_order(registry):
    registry.register_diagnosis("always", lambda case: msg("text", en=f"{case.name} hint", fr="indice"),
                                before="transposed")
    keys = list(registry.DIAGNOSES)
    assert keys.index("always") == keys.index("transposed") - 1
    W = randn(3, 5)
    assert compare(W.T, W, name="Yhat").diagnoses == ["always", "transposed"]
    with pytest.raises(ValueError):
        registry.register_diagnosis("always", lambda case: None)


def test_a_crashing_diagnosis_is_ignored(registry):
    def broken(case):
        raise ZeroDivisionError

    registry.register_diagnosis("broken", broken, before="softmax_wrong_dim")
    W = randn(3, 5)
    assert compare(W.T, W, name="Yhat").diagnoses == ["transposed"]


odd_values = st.one_of(
    hnp.arrays(st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128]),
               hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)),
    st.floats(), st.integers(-10**30, 10**30), st.booleans(), st.none(), st.text(max_size=3),
)


@settings(deadline=None, max_examples=300)
@given(odd_values, odd_values, st.sampled_from([{}, {"batch_size": 3}, {"logits": np.ones((2, 2))},
                                                {"broadcast_nn": 1.0}, {"batch_size": None}]))
def test_property_compare_never_crashes_on_odd_input(actual, expected, context):
    mismatch = compare(actual, expected, name="x", context=context)
    if mismatch is not None:
        for message in mismatch.messages:
            json.dumps(message.to_json())
            message.render("fr")


# -- properties of the diagnoses -----------------------------------------------------------------

square = hnp.arrays(np.float64, st.integers(2, 6).map(lambda n: (n, n)),
                    elements=st.floats(-10, 10, allow_nan=False))


@settings(deadline=None, max_examples=200)
@given(square, st.booleans())
def test_property_transpose_of_a_non_symmetric_matrix_is_diagnosed(x, as_float32):
    assume(not np.allclose(x, x.T, rtol=1e-3, atol=1e-3))
    value = torch.from_numpy(x)
    if as_float32:
        value = value.float()
    mismatch = compare(value.T, value, name="W")
    assert mismatch is not None
    assert mismatch.diagnoses[0] == "transposed"


vectors = hnp.arrays(np.float64, st.integers(2, 20), elements=st.floats(-10, 10, allow_nan=False))


@settings(deadline=None, max_examples=200)
@given(vectors, st.integers(2, 256))
def test_property_n_times_too_large_with_batch_size_n(g, n):
    assume(np.ptp(g) > 1e-3)
    mismatch = compare(torch.from_numpy(g * n).float(), torch.from_numpy(g), name="g",
                       context={"batch_size": n})
    assert mismatch is not None and mismatch.diagnoses[0] == "scaled_by_n"
    assert mismatch.messages[1].key == "scaled_by_n"


@settings(deadline=None, max_examples=200)
@given(vectors)
def test_property_negated_is_sign_flipped(g):
    assume(np.abs(g).max() > 1e-3)
    mismatch = compare(-g, g, name="g")
    assert mismatch is not None and mismatch.diagnoses == ["sign_flipped"]


@settings(deadline=None, max_examples=200)
@given(vectors, vectors)
def test_property_unrelated_values_get_no_structural_claim(a, e):
    # random values of the same shape: none of the value-based stories should be told
    n = min(a.size, e.size)
    a, e = a[:n], e[:n]
    assume(n >= 3)
    assume(np.ptp(e) > 1e-2)
    residual = a - e
    assume(np.ptp(residual) > 1e-2)                                    # not a constant offset
    k = a @ e / (e @ e) if e @ e > 0 else 0.0
    assume(np.abs(a - k * e).max() > 1e-2 * max(1.0, np.abs(a).max()))  # not a multiple
    mismatch = compare(a, e, name="x")
    assert mismatch is not None
    assert mismatch.diagnoses == []
