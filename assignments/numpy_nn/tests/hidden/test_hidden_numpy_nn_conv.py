"""Hidden tests of numpy_nn: Conv1D, MaxPool1D, Flatten, ReLU (question `conv1d`).

Against direct loop implementations (numpy_nn_support), on the shapes real implementations get
wrong: stride > 1, chan_in > 1, the last window ending exactly at the end of the input (or not),
overlapping pooling windows. The explicit shapes (CONV_SHAPES, POOL_SHAPES) always run; Hypothesis
adds more. When some shapes pass and others fail, the feedback names what the failing ones share.
"""

import numpy as np
import pytest

from grader.api import CheckFailed, expect_close, fail, text
from numpy_nn_support import (CONV_SHAPES, POOL_SHAPES, Calls, ConvParams, as_array, close, conv1d_backward_loops,
                              conv1d_loops, conv_cases, credit, distinct_values, for_cases,
                              gradient_by_update, maxpool1d_backward_loops, maxpool1d_loops, normal,
                              pool_cases, shape_of)

pytestmark = pytest.mark.question("conv1d")
TOL = dict(rtol=1e-6, atol=1e-8)


def _what_fails(failed, passed) -> tuple[str, str]:
    """What the failing shapes have in common that the passing ones do not."""
    en, fr = [], []
    def only(pred):
        return failed and all(pred(c) for c in failed) and not any(pred(c) for c in passed)
    if only(lambda c: c.stride > 1):
        en.append("right at stride 1, wrong when stride > 1")
        fr.append("juste avec un stride de 1, faux quand stride > 1")
    if only(lambda c: getattr(c, "chan_in", 1) > 1):
        en.append("right with one input channel, wrong when chan_in > 1")
        fr.append("juste avec un canal d'entrée, faux quand chan_in > 1")
    if only(lambda c: c.rest == 0 and c.stride > 1) or only(lambda c: c.rest == 0):
        en.append("wrong when the last window ends exactly at the end of the input")
        fr.append("faux quand la dernière fenêtre se termine exactement à la fin de l'entrée")
    if only(lambda c: c.stride < c.k_size):
        en.append("wrong when the windows overlap (stride < k_size)")
        fr.append("faux quand les fenêtres se chevauchent (stride < k_size)")
    return "; ".join(en), "; ".join(fr)


def _run_shapes(check, explicit, strategy, max_examples=4):
    """check on every explicit shape (collecting which fail), then Hypothesis; the notes it returns."""
    failed, passed, first, notes = [], [], None, []
    for case in explicit:
        try:
            note = check(case)
        except CheckFailed as exc:
            failed.append(case)
            first = first or (case, exc)
            continue
        passed.append(case)
        if note:
            notes.append(note)
    if failed:
        case, exc = first
        common_en, common_fr = _what_fails(failed, passed)
        lead = [text(common_en, common_fr)] if common_en else []
        fail(*lead, text(f"with {case.describe()}:", f"avec {case.describe('fr')} :"), *exc.messages)
    return notes + for_cases(strategy, check, max_examples=max_examples)


def _output_shape_check(got, case, name):
    expected_len = (case.length - case.k_size) // case.stride + 1
    shape = shape_of(got)
    if len(shape) == 3 and shape[1] == expected_len - 1:
        fail(text(f"{name} has {shape[1]} output positions, {expected_len} expected: the last window "
                  f"(from {case.length - case.rest - case.k_size} to {case.length - case.rest - 1}) is "
                  "dropped; there are (length - k_size) // stride + 1 windows",
                  f"{name} a {shape[1]} positions de sortie, {expected_len} attendues : la dernière fenêtre "
                  f"(de {case.length - case.rest - case.k_size} à {case.length - case.rest - 1}) est "
                  "oubliée ; il y a (length - k_size) // stride + 1 fenêtres"))


@pytest.mark.weight(3)
def test_conv1d_forward_matches_loops(student, question):
    """Conv1D(k_size, chan_in, chan_out, stride).forward on (batch, length, chan_in) equals the direct loops
    fr: Conv1D(k_size, chan_in, chan_out, stride).forward sur (batch, length, chan_in) égale les boucles directes"""
    layout = ConvParams.detect_layout(student)

    def check(case):
        conv = ConvParams.build(student, case, layout)
        W, b = conv.randomize()
        X = normal(case.seed + 2, case.batch, case.length, case.chan_in)
        got = conv.obj.forward(X)
        _output_shape_check(got, case, "Conv1D.forward(X)")
        expect_close(got, conv1d_loops(X, W, b, case.stride), name="Conv1D.forward(X)", **TOL)
        return None if conv.has_bias else ("no_bias", text("your Conv1D has no bias", "votre Conv1D n'a pas de biais"))

    credit(question, _run_shapes(check, CONV_SHAPES, conv_cases()))


@pytest.mark.weight(2)
def test_conv1d_backward_delta_matches_loops(student, question):
    """Conv1D.backward_delta(X, delta) equals the loops' gradient with respect to the input
    fr: Conv1D.backward_delta(X, delta) égale le gradient des boucles par rapport à l'entrée"""
    layout = ConvParams.detect_layout(student)

    def check(case):
        conv = ConvParams.build(student, case, layout)
        W, b = conv.randomize()
        X = normal(case.seed + 2, case.batch, case.length, case.chan_in)
        delta = normal(case.seed + 3, case.batch, case.n_out, case.chan_out)
        calls = Calls()
        conv.obj.forward(X)
        got = calls.backward_delta(conv.obj, X, delta)
        dX, _, _ = conv1d_backward_loops(X, W, delta, case.stride)
        if shape_of(got) != X.shape:
            fail(text(f"Conv1D.backward_delta returns shape {shape_of(got)}, the input's {X.shape} expected",
                      f"Conv1D.backward_delta renvoie la taille {shape_of(got)}, celle de l'entrée {X.shape} attendue"))
        expect_close(got, dX, name="Conv1D.backward_delta(X, delta)", **TOL)
        return calls.note()

    credit(question, _run_shapes(check, CONV_SHAPES, conv_cases()))


@pytest.mark.weight(2)
def test_conv1d_parameter_gradient_accumulates(student, question):
    """Conv1D.backward_update_gradient accumulates the loops' gradient of W and b (two calls, twice the gradient)
    fr: Conv1D.backward_update_gradient accumule le gradient des boucles par rapport à W et b (deux appels, deux
    fois le gradient)"""
    layout = ConvParams.detect_layout(student)

    def check(case):
        conv = ConvParams.build(student, case, layout)
        W, b = conv.randomize()
        X = normal(case.seed + 2, case.batch, case.length, case.chan_in)
        delta = normal(case.seed + 3, case.batch, case.n_out, case.chan_out)
        calls = Calls()
        conv.obj.zero_grad()
        conv.obj.forward(X)
        calls.backward_update_gradient(conv.obj, X, delta)
        calls.backward_update_gradient(conv.obj, X, delta)
        gW, gb = gradient_by_update(conv.obj, conv.read)
        _, dW, db = conv1d_backward_loops(X, W, delta, case.stride)
        notes = [calls.note()]
        if close(gW, dW) and not close(dW, np.zeros_like(dW)):
            fail(text("two calls of backward_update_gradient gave the gradient of one: it must accumulate (+=)",
                      "deux appels de backward_update_gradient ont donné le gradient d'un seul : il doit accumuler (+=)"))
        if case.batch > 1 and close(gW, 2 * dW / case.batch):
            notes.append(("averaged_gradient", text("the gradient is averaged over the batch",
                                                    "le gradient est moyenné sur le batch")))
            return [n for n in notes if n]
        expect_close(gW, 2 * dW, name=text("the gradient of W after two calls (read through update_parameters)",
                                              "le gradient de W après deux appels (lu via update_parameters)"), **TOL)
        if conv.has_bias:
            expect_close(gb, 2 * db, name=text("the gradient of b after two calls",
                                                  "le gradient de b après deux appels"), **TOL)
        return [n for n in notes if n]

    credit(question, _run_shapes(check, CONV_SHAPES[:5], conv_cases(), max_examples=3))


@pytest.mark.weight(1)
def test_maxpool_forward_matches_loops(student, question):
    """MaxPool1D(k_size, stride).forward: the max of each window, channel by channel
    fr: MaxPool1D(k_size, stride).forward : le max de chaque fenêtre, canal par canal"""

    def check(case):
        X = distinct_values(case.seed, case.batch, case.length, case.chan)
        got = student.new("MaxPool1D", case.k_size, case.stride).forward(X)
        _output_shape_check(got, case, "MaxPool1D.forward(X)")
        expect_close(got, maxpool1d_loops(X, case.k_size, case.stride), name="MaxPool1D.forward(X)", **TOL)

    _run_shapes(check, POOL_SHAPES, pool_cases())


@pytest.mark.weight(2)
def test_maxpool_backward_routes_delta_to_the_max(student, question):
    """MaxPool1D.backward_delta sends each delta to the position of its window's max (added up where windows overlap)
    fr: MaxPool1D.backward_delta envoie chaque delta à la position du max de sa fenêtre (additionnés là où les
    fenêtres se chevauchent)"""

    def check(case):
        X = distinct_values(case.seed, case.batch, case.length, case.chan)
        delta = normal(case.seed + 2, case.batch, case.n_out, case.chan)
        pool, calls = student.new("MaxPool1D", case.k_size, case.stride), Calls()
        pool.forward(X)
        got = as_array(calls.backward_delta(pool, X, delta))
        expected = maxpool1d_backward_loops(X, case.k_size, case.stride, delta)
        if got.shape == X.shape and not close(got, expected):
            # the max's index inside its window used as a position in the input
            wrong = np.zeros_like(X)
            for n in range(case.batch):
                for i in range(case.n_out):
                    for c in range(case.chan):
                        j = int(np.argmax([X[n, i * case.stride + k, c] for k in range(case.k_size)]))
                        wrong[n, j, c] += delta[n, i, c]
            if close(got, wrong):
                fail(text("MaxPool1D.backward_delta sends delta to the max's index inside its window "
                          "instead of its position in the input (add the window's start, i * stride)",
                          "MaxPool1D.backward_delta envoie delta à l'indice du max dans sa fenêtre au lieu "
                          "de sa position dans l'entrée (ajoutez le début de la fenêtre, i * stride)"))
            if case.stride < case.k_size:
                fail(text("MaxPool1D.backward_delta is wrong where windows overlap: when one input is the "
                          "max of two windows, both deltas add up (+=)",
                          "MaxPool1D.backward_delta est faux là où les fenêtres se chevauchent : quand une "
                          "entrée est le max de deux fenêtres, les deux deltas s'additionnent (+=)"))
        expect_close(got, expected, name="MaxPool1D.backward_delta(X, delta)", **TOL)
        return calls.note()

    credit(question, _run_shapes(check, POOL_SHAPES, pool_cases()))


def test_flatten(student, question):
    """Flatten: (batch, length, chan) → (batch, length × chan), and backward_delta reshapes back
    fr: Flatten : (batch, length, chan) → (batch, length × chan), et backward_delta rend la forme d'origine"""
    X = normal(1, 2, 3, 4)
    flat, calls = student.new("Flatten"), Calls()
    got = flat.forward(X)
    expect_close(got, X.reshape(2, 12), name="Flatten.forward(X)", **TOL)
    delta = normal(2, 2, 12)
    back = calls.backward_delta(flat, X, delta)
    expect_close(back, delta.reshape(2, 3, 4), name="Flatten.backward_delta(X, delta)", **TOL)
    credit(question, [calls.note()])


def test_relu(student, question):
    """ReLU: max(0, X), and backward_delta = delta where X > 0, 0 elsewhere
    fr: ReLU : max(0, X), et backward_delta = delta là où X > 0, 0 ailleurs"""
    X, delta = normal(3, 3, 5), normal(4, 3, 5)
    relu, calls = student.new("ReLU"), Calls()
    expect_close(relu.forward(X), np.maximum(X, 0), name="ReLU.forward(X)", **TOL)
    got = calls.backward_delta(relu, X, delta)
    if close(got, (X > 0).astype(float)):
        fail(text("ReLU.backward_delta returns the derivative without multiplying it by delta",
                  "ReLU.backward_delta renvoie la dérivée sans la multiplier par delta"))
    expect_close(got, delta * (X > 0), name="ReLU.backward_delta(X, delta)", **TOL)
    credit(question, [calls.note()])
