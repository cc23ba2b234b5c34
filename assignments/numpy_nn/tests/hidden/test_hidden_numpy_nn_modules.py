"""Hidden tests of numpy_nn: Linear and MSELoss, TanH and Sigmoide, Softmax / CELoss / CElogSoftMax,
BCELoss and the auto-encoder.

Every value is compared with the definition computed with the student's own parameters (found by
shape in the instance, overwritten with random values first). Gradients of parameters are read
through the skeleton's contract, `update_parameters(step)` (parameters -= step * gradient), so that
it does not matter where the student keeps them. The conventions the manifest credits partly
(batch-mean loss with its matching backward, averaged gradient, folded or absent bias, index labels,
backward taking delta only, the softmax/CE chain exact while each module is not) are recognised and
named; anything else fails with the cause.
"""

import numpy as np
import pytest
from hypothesis import strategies as st

from grader.api import StudentError, expect_close, fail, figure, text
from numpy_nn_support import (CHAIN, Targets, Calls, LinearParams, chain_convention, as_array, close, credit, digits, for_cases,
                              linear_cases, loss_scale, normal, one_hot, random_linear, rng, shape_of,
                              softmax, softmax_jacobian_product)
import numpy_nn_drivers

TOL = dict(rtol=1e-6, atol=1e-8)


@st.composite
def arrays(draw, max_batch=4, max_d=5):
    return draw(st.integers(1, max_batch)), draw(st.integers(1, max_d)), draw(st.integers(0, 2**31 - 1))


# == linear ==========================================================================================

def _linear(student, case):
    lin = student.new("Linear", case.d, case.p)
    params = LinearParams.find(lin, case.d, case.p)
    W, b = random_linear(params, case.seed)
    return lin, params, W, b


@pytest.mark.question("linear")
@pytest.mark.weight(2)
def test_linear_forward(student, question):
    """Linear.forward(X) = X @ W + b, with your parameters set to random values
    fr: Linear.forward(X) = X @ W + b, vos paramètres fixés à des valeurs aléatoires"""

    def check(case):
        lin, params, W, b = _linear(student, case)
        X = normal(case.seed + 2, case.batch, case.d)
        got = lin.forward(X)
        if params.form == "bias" and shape_of(got) == (case.batch, case.p) and close(got, X @ W):
            fail(text("forward ignores the bias: X @ W + b expected",
                      "forward ignore le biais : X @ W + b attendu"))
        expect_close(got, params.expected(X, W, b), name="Linear.forward(X)", **TOL)
        return params.convention()

    credit(question, for_cases(linear_cases(), check))


@pytest.mark.question("linear")
@pytest.mark.weight(2)
def test_linear_backward_delta(student, question):
    """Linear.backward_delta(X, delta) = delta @ W.T
    fr: Linear.backward_delta(X, delta) = delta @ W.T"""

    def check(case):
        lin, params, W, b = _linear(student, case)
        X, delta = normal(case.seed + 2, case.batch, case.d), normal(case.seed + 3, case.batch, case.p)
        calls = Calls()
        lin.forward(X)
        got = calls.backward_delta(lin, X, delta)
        expect_close(got, delta @ W.T, name="Linear.backward_delta(X, delta)", **TOL)
        return [n for n in (params.convention(), calls.note()) if n]

    credit(question, for_cases(linear_cases(), check))


AVERAGED = text("the gradient is averaged over the batch (divided by its size): the skeleton "
                "accumulates the sum, the cost of a batch being the sum of its samples' costs",
                "le gradient est moyenné sur le batch (divisé par sa taille) : le squelette accumule "
                "la somme, le coût d'un batch étant la somme des coûts de ses exemples")


def _gradient_once(lin, params, calls, X, delta):
    from numpy_nn_support import gradient_by_update

    lin.zero_grad()
    lin.forward(X)
    calls.backward_update_gradient(lin, X, delta)
    return gradient_by_update(lin, params.read)


@pytest.mark.question("linear")
@pytest.mark.weight(2)
def test_linear_parameter_gradient(student, question):
    """backward_update_gradient(X, delta) adds X.T @ delta to W's gradient and delta summed over the batch to b's
    fr: backward_update_gradient(X, delta) ajoute X.T @ delta au gradient de W et delta sommé sur le batch à celui
    de b"""

    def check(case):
        lin, params, W, b = _linear(student, case)
        X, delta = normal(case.seed + 2, case.batch, case.d), normal(case.seed + 3, case.batch, case.p)
        calls = Calls()
        gW, gb = _gradient_once(lin, params, calls, X, delta)
        eW, eb = X.T @ delta, delta.sum(axis=0)
        notes = [params.convention(), calls.note()]
        if case.batch > 1 and close(gW, eW / case.batch) and (params.form == "no_bias" or close(gb, eb / case.batch)):
            return notes + [("averaged_gradient", AVERAGED)]
        if close(gW, np.zeros_like(eW)):
            fail(text("update_parameters did not move W after backward_update_gradient: no gradient "
                      "was accumulated, or update_parameters(step) does not do W -= step * gradient",
                      "update_parameters n'a pas modifié W après backward_update_gradient : aucun "
                      "gradient accumulé, ou update_parameters(step) ne fait pas W -= step * gradient"))
        expect_close(gW, eW, name=text("the gradient of W (X.T @ delta, read through update_parameters)",
                                              "le gradient de W (X.T @ delta, lu via update_parameters)"), **TOL)
        if params.form != "no_bias":
            expect_close(gb, eb, name=text("the gradient of b (delta summed over the batch)",
                                                  "le gradient de b (delta sommé sur le batch)"), **TOL)
        return [n for n in notes if n]

    credit(question, for_cases(linear_cases(), check))


@pytest.mark.question("linear")
@pytest.mark.weight(2)
def test_linear_gradient_accumulates_and_zero_grad_resets(student, question):
    """two calls of backward_update_gradient give the sum of both gradients; zero_grad resets it
    fr: deux appels de backward_update_gradient donnent la somme des deux gradients ; zero_grad le remet à zéro"""

    def check(case):
        from numpy_nn_support import gradient_by_update

        lin, params, W, b = _linear(student, case)
        X1, d1 = normal(case.seed + 2, case.batch, case.d), normal(case.seed + 3, case.batch, case.p)
        X2, d2 = normal(case.seed + 4, case.batch + 1, case.d), normal(case.seed + 5, case.batch + 1, case.p)
        calls = Calls()
        lin.zero_grad()
        lin.forward(X1)
        calls.backward_update_gradient(lin, X1, d1)
        lin.forward(X2)
        calls.backward_update_gradient(lin, X2, d2)
        gW, gb = gradient_by_update(lin, params.read)
        notes = [params.convention(), calls.note()]
        summed, averaged = X1.T @ d1 + X2.T @ d2, X1.T @ d1 / len(X1) + X2.T @ d2 / len(X2)
        if close(gW, X2.T @ d2) or close(gW, X2.T @ d2 / len(X2)):
            fail(text("the second call of backward_update_gradient replaced the gradient of the first "
                      "instead of adding to it: backward_update_gradient must accumulate (+=), "
                      "zero_grad is what resets",
                      "le second appel de backward_update_gradient a remplacé le gradient du premier au "
                      "lieu de s'y ajouter : backward_update_gradient doit accumuler (+=), c'est "
                      "zero_grad qui remet à zéro"))
        if close(gW, averaged) and not close(gW, summed):
            notes.append(("averaged_gradient", AVERAGED))
        else:
            expect_close(gW, summed, name=text("the gradient of W after two calls",
                                                  "le gradient de W après deux appels"), **TOL)
        lin.zero_grad()
        gW0, gb0 = gradient_by_update(lin, params.read)
        if not (close(gW0, np.zeros_like(gW0)) and close(gb0, np.zeros_like(gb0))):
            fail(text("after zero_grad(), update_parameters still moved the parameters: zero_grad must "
                      "reset the accumulated gradient to zero",
                      "après zero_grad(), update_parameters a encore modifié les paramètres : zero_grad "
                      "doit remettre le gradient accumulé à zéro"))
        return [n for n in notes if n]

    credit(question, for_cases(linear_cases(max_batch=3), check, max_examples=5))


def _mse_inputs(seed, batch, d):
    return normal(seed, batch, d), normal(seed + 1, batch, d)


@pytest.mark.question("linear")
def test_mse_forward(student, question):
    """MSELoss.forward(y, yhat) = ||y - yhat||² for each sample, shape (batch,)
    fr: MSELoss.forward(y, yhat) = ||y - yhat||² pour chaque exemple, de forme (batch,)"""

    def check(case):
        batch, d, seed = case
        y, yhat = _mse_inputs(seed, batch, d)
        got = student.new("MSELoss").forward(y, yhat)
        scale = loss_scale(got, np.sum((y - yhat) ** 2, axis=1), d)
        if scale is not None:
            return (scale.name, scale.message) if scale.name else None
        expect_close(got, np.sum((y - yhat) ** 2, axis=1), name="MSELoss.forward(y, yhat)", **TOL)

    credit(question, for_cases(arrays(), check))


def _loss_backward(loss, y, yhat, per_sample, expected, features, name):
    """backward against `expected` rescaled like the student's own forward (self-consistent)."""
    scale = loss_scale(loss.forward(y, yhat), per_sample, features)
    got = loss.backward(y, yhat)
    factor = scale.factor if scale is not None else 1.0
    if close(got, -expected * factor):
        fail(text(f"{name}: the sign is flipped (the gradient with respect to yhat is expected)",
                  f"{name} : le signe est inversé (le gradient par rapport à yhat est attendu)"))
    if factor != 1.0 and close(got, expected):
        fail(text(f"{name} is the gradient of the summed cost while your forward returns {scale.message.render('en') if hasattr(scale.message, 'render') else 'a rescaled cost'}: forward and backward must agree",
                  f"{name} est le gradient du coût sommé alors que votre forward est remis à l'échelle : forward et backward doivent être cohérents"))
    expect_close(got, expected * factor, name=name, **TOL)
    return (scale.name, scale.message) if scale is not None and scale.name else None


@pytest.mark.question("linear")
@pytest.mark.weight(2)
def test_mse_backward(student, question):
    """MSELoss.backward(y, yhat) = -2 (y - yhat), consistent with forward
    fr: MSELoss.backward(y, yhat) = -2 (y - yhat), cohérent avec forward"""

    def check(case):
        batch, d, seed = case
        y, yhat = _mse_inputs(seed, batch, d)
        return _loss_backward(student.new("MSELoss"), y, yhat, np.sum((y - yhat) ** 2, axis=1),
                              -2 * (y - yhat), d, "MSELoss.backward(y, yhat)")

    credit(question, for_cases(arrays(), check))


# == nonlinear =======================================================================================

def _activation_forward(student, question, cls, function, name):
    def check(case):
        batch, d, seed = case
        X = normal(seed, batch, d, scale=3.0)
        expect_close(student.new(cls).forward(X), function(X), name=f"{name}.forward(X)", **TOL)

    for_cases(arrays(), check)


def _activation_backward(student, question, cls, derivative, name, from_input_en, from_input_fr, wrong):
    def check(case):
        batch, d, seed = case
        X, delta = normal(seed, batch, d, scale=2.0), normal(seed + 1, batch, d)
        module, calls = student.new(cls), Calls()
        module.forward(X)
        got = calls.backward_delta(module, X, delta)
        if close(got, delta * wrong(X)):
            fail(text(from_input_en, from_input_fr))
        if close(got, derivative(X)) and not close(delta, np.ones_like(delta)):
            fail(text(f"{name}.backward_delta returns the derivative without multiplying it by delta",
                      f"{name}.backward_delta renvoie la dérivée sans la multiplier par delta"))
        expect_close(got, delta * derivative(X), name=f"{name}.backward_delta(X, delta)", **TOL)
        return calls.note()

    credit(question, for_cases(arrays(), check))


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


@pytest.mark.question("nonlinear")
def test_activations_forward(student, question):
    """TanH.forward(X) = tanh(X) and Sigmoide.forward(X) = 1 / (1 + exp(-X))
    fr: TanH.forward(X) = tanh(X) et Sigmoide.forward(X) = 1 / (1 + exp(-X))"""
    _activation_forward(student, question, "TanH", np.tanh, "TanH")
    _activation_forward(student, question, "Sigmoide", _sigmoid, "Sigmoide")


@pytest.mark.question("nonlinear")
@pytest.mark.weight(2)
def test_tanh_backward_delta(student, question):
    """TanH.backward_delta(X, delta) = delta * (1 - tanh(X)²)
    fr: TanH.backward_delta(X, delta) = delta * (1 - tanh(X)²)"""
    _activation_backward(
        student, question, "TanH", lambda x: 1 - np.tanh(x) ** 2, "TanH",
        "TanH.backward_delta uses 1 - X² (the derivative at the output's value applied to the input): "
        "the derivative of tanh at X is 1 - tanh(X)²",
        "TanH.backward_delta utilise 1 - X² (appliqué à l'entrée au lieu de la sortie) : la dérivée de "
        "tanh en X vaut 1 - tanh(X)²", lambda x: 1 - x ** 2)


@pytest.mark.question("nonlinear")
@pytest.mark.weight(2)
def test_sigmoid_backward_delta(student, question):
    """Sigmoide.backward_delta(X, delta) = delta * s(X) (1 - s(X))
    fr: Sigmoide.backward_delta(X, delta) = delta * s(X) (1 - s(X))"""
    _activation_backward(
        student, question, "Sigmoide", lambda x: _sigmoid(x) * (1 - _sigmoid(x)), "Sigmoide",
        "Sigmoide.backward_delta uses X (1 - X): the derivative of the sigmoid at X is s(X) (1 - s(X)), "
        "with s(X) = 1 / (1 + exp(-X))",
        "Sigmoide.backward_delta utilise X (1 - X) : la dérivée de la sigmoïde en X vaut s(X) (1 - s(X)), "
        "avec s(X) = 1 / (1 + exp(-X))", lambda x: x * (1 - x))


# == multiclass ======================================================================================

@st.composite
def scores(draw, max_batch=4):
    batch, classes, seed = draw(st.integers(1, max_batch)), draw(st.integers(2, 5)), draw(st.integers(0, 2**31 - 1))
    Z = normal(seed, batch, classes, scale=2.0)
    labels = rng(seed + 1).integers(0, classes, batch)
    return Z, labels


NOT_CE = text("1 - sum(y * yhat) is not a cross-entropy: the cross-entropy of probabilities yhat "
              "with one-hot y is -sum(y * log(yhat))",
              "1 - somme(y * yhat) n'est pas une cross-entropie : la cross-entropie de probabilités "
              "yhat avec y one-hot vaut -somme(y * log(yhat))")


@pytest.mark.question("multiclass")
def test_softmax_forward(student, question):
    """Softmax.forward(Z): exp(Z) / sum(exp(Z)) on each row
    fr: Softmax.forward(Z) : exp(Z) / sum(exp(Z)) sur chaque ligne"""

    def check(case):
        Z, _ = case
        expect_close(student.new("Softmax").forward(Z), softmax(Z), name="Softmax.forward(Z)", **TOL)

    for_cases(scores(), check)


@pytest.mark.question("multiclass")
@pytest.mark.weight(3)
def test_softmax_backward_full_jacobian(student, question):
    """Softmax.backward_delta(Z, delta) multiplies delta by the full Jacobian diag(s) - s sᵀ
    fr: Softmax.backward_delta(Z, delta) multiplie delta par la jacobienne complète diag(s) - s sᵀ"""

    def check(case):
        Z, labels = case
        delta = normal(int(abs(Z[0, 0]) * 1e6) % 1000, *Z.shape)
        sm, calls = student.new("Softmax"), Calls()
        sm.forward(Z)
        got = calls.backward_delta(sm, Z, delta)
        s = softmax(Z)
        if close(got, s * (1 - s) * delta):
            fail(text("Softmax.backward_delta uses only the diagonal of the Jacobian, s (1 - s) delta: "
                      "each output depends on every input, the Jacobian is diag(s) - s sᵀ, so the result "
                      "is s * (delta - sum(delta * s))",
                      "Softmax.backward_delta n'utilise que la diagonale de la jacobienne, s (1 - s) delta : "
                      "chaque sortie dépend de toutes les entrées, la jacobienne est diag(s) - s sᵀ, d'où "
                      "s * (delta - somme(delta * s))"))
        if close(got, delta):
            if chain_convention(student, Z, labels):
                return ("chain_exact", CHAIN)
            fail(text("Softmax.backward_delta returns delta unchanged", "Softmax.backward_delta renvoie delta inchangé"))
        expect_close(got, softmax_jacobian_product(Z, delta), name="Softmax.backward_delta(Z, delta)", **TOL)
        return calls.note()

    credit(question, for_cases(scores(), check))


def _ce_values(Z, labels):
    s = softmax(Z)
    Y = one_hot(labels, Z.shape[1])
    return s, Y, -np.sum(Y * np.log(s), axis=1)


@pytest.mark.question("multiclass")
@pytest.mark.weight(2)
def test_celoss_forward(student, question):
    """CELoss.forward(y, yhat) = -sum(y * log(yhat)) for probabilities yhat and one-hot y
    fr: CELoss.forward(y, yhat) = -sum(y * log(yhat)) pour des probabilités yhat et un y one-hot"""

    def check(case):
        Z, labels = case
        s, Y, per_sample = _ce_values(Z, labels)
        targets = Targets()
        got = targets.call(student.new("CELoss").forward, Y, labels, s)
        if close(got, 1 - np.sum(Y * s, axis=1)) or close(got, np.mean(1 - np.sum(Y * s, axis=1))) \
                or close(got, -np.sum(Y * s, axis=1)):
            fail(NOT_CE)
        scale = loss_scale(got, per_sample, Z.shape[1])
        if scale is None:
            expect_close(got, per_sample, name="CELoss.forward(y, yhat)", **TOL)
        return [n for n in (targets.note(), (scale.name, scale.message) if scale and scale.name else None) if n]

    credit(question, for_cases(scores(), check))


@pytest.mark.question("multiclass")
@pytest.mark.weight(2)
def test_celoss_backward(student, question):
    """CELoss.backward(y, yhat) = -y / yhat
    fr: CELoss.backward(y, yhat) = -y / yhat"""

    def check(case):
        Z, labels = case
        s, Y, per_sample = _ce_values(Z, labels)
        targets, ce = Targets(), student.new("CELoss")
        got = targets.call(ce.backward, Y, labels, s)
        if close(got, -Y) and close(targets.call(ce.forward, Y, labels, s), 1 - np.sum(Y * s, axis=1)):
            fail(NOT_CE)
        if close(got, s - Y):
            if chain_convention(student, Z, labels):
                return ("chain_exact", CHAIN)
            fail(text("CELoss.backward returns yhat - y, the gradient with respect to the scores "
                      "through a softmax, while your Softmax.backward_delta applies the softmax's "
                      "Jacobian again: the chain is wrong. CELoss.backward is -y / yhat",
                      "CELoss.backward renvoie yhat - y, le gradient par rapport aux scores à travers "
                      "une softmax, alors que votre Softmax.backward_delta applique encore la jacobienne "
                      "de la softmax : la chaîne est fausse. CELoss.backward vaut -y / yhat"))
        scale = loss_scale(targets.call(ce.forward, Y, labels, s), per_sample, Z.shape[1])
        factor = scale.factor if scale is not None else 1.0
        expect_close(got, -Y / s * factor, name="CELoss.backward(y, yhat)", **TOL)
        return [n for n in (targets.note(), (scale.name, scale.message) if scale and scale.name else None) if n]

    credit(question, for_cases(scores(), check))


@pytest.mark.question("multiclass")
@pytest.mark.weight(2)
def test_softmax_celoss_chain(student, question):
    """Softmax.backward_delta(Z, CELoss.backward(y, softmax(Z))) = softmax(Z) - y
    fr: Softmax.backward_delta(Z, CELoss.backward(y, softmax(Z))) = softmax(Z) - y"""

    def check(case):
        Z, labels = case
        s, Y, per_sample = _ce_values(Z, labels)
        sm, ce, calls, targets = student.new("Softmax"), student.new("CELoss"), Calls(), Targets()
        out = sm.forward(Z)
        delta = targets.call(ce.backward, Y, labels, as_array(out))
        got = calls.backward_delta(sm, Z, as_array(delta))
        scale = loss_scale(targets.call(ce.forward, Y, labels, s), per_sample, Z.shape[1])
        factor = scale.factor if scale is not None else 1.0
        if not close(got, (s - Y) * factor):
            ce_ok = close(delta, -Y / s * factor)
            sm_ok = close(Calls().backward_delta(sm, Z, -Y / s), s - Y)
            cause = ("Softmax.backward_delta is wrong" if ce_ok else "CELoss.backward is wrong" if sm_ok
                     else "both Softmax.backward_delta and CELoss.backward are wrong")
            cause_fr = ("Softmax.backward_delta est faux" if ce_ok else "CELoss.backward est faux" if sm_ok
                        else "Softmax.backward_delta et CELoss.backward sont faux")
            fail(text(f"the chain Softmax → CELoss does not give softmax(z) - y: {cause}",
                      f"la chaîne Softmax → CELoss ne donne pas softmax(z) - y : {cause_fr}"))
        return [n for n in (targets.note(), calls.note(), (scale.name, scale.message) if scale and scale.name else None) if n]

    credit(question, for_cases(scores(), check))


def _log_softmax(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@pytest.mark.question("multiclass")
@pytest.mark.weight(2)
def test_celogsoftmax_forward(student, question):
    """CElogSoftMax.forward(y, z) = -z_y + log(sum(exp(z))) on raw scores z
    fr: CElogSoftMax.forward(y, z) = -z_y + log(sum(exp(z))) sur des scores bruts z"""

    def check(case):
        Z, labels = case
        Y = one_hot(labels, Z.shape[1])
        per_sample = -np.sum(Y * _log_softmax(Z), axis=1)
        targets = Targets()
        got = targets.call(student.new("CElogSoftMax").forward, Y, labels, Z)
        if close(got, -np.sum(Y * np.log(np.clip(Z, 1e-12, None)), axis=1)) and not close(got, per_sample):
            fail(text("CElogSoftMax.forward treats its input as probabilities: it receives raw scores "
                      "and takes their log-softmax itself",
                      "CElogSoftMax.forward traite son entrée comme des probabilités : elle reçoit des "
                      "scores bruts et en calcule elle-même le log-softmax"))
        scale = loss_scale(got, per_sample, Z.shape[1])
        if scale is None:
            expect_close(got, per_sample, name="CElogSoftMax.forward(y, z)", **TOL)
        return [n for n in (targets.note(), (scale.name, scale.message) if scale and scale.name else None) if n]

    credit(question, for_cases(scores(), check))


@pytest.mark.question("multiclass")
@pytest.mark.weight(2)
def test_celogsoftmax_backward(student, question):
    """CElogSoftMax.backward(y, z) = softmax(z) - y
    fr: CElogSoftMax.backward(y, z) = softmax(z) - y"""

    def check(case):
        Z, labels = case
        Y = one_hot(labels, Z.shape[1])
        per_sample = -np.sum(Y * _log_softmax(Z), axis=1)
        loss, targets = student.new("CElogSoftMax"), Targets()
        got = targets.call(loss.backward, Y, labels, Z)
        if close(got, Z - Y):
            fail(text("CElogSoftMax.backward returns z - y: the softmax of the scores is missing, "
                      "softmax(z) - y expected",
                      "CElogSoftMax.backward renvoie z - y : il manque la softmax des scores, "
                      "softmax(z) - y attendu"))
        scale = loss_scale(targets.call(loss.forward, Y, labels, Z), per_sample, Z.shape[1])
        factor = scale.factor if scale is not None else 1.0
        expect_close(got, (softmax(Z) - Y) * factor, name="CElogSoftMax.backward(y, z)", **TOL)
        return [n for n in (targets.note(), (scale.name, scale.message) if scale and scale.name else None) if n]

    credit(question, for_cases(scores(), check))


@pytest.mark.question("multiclass")
@pytest.mark.incidental
def test_celogsoftmax_large_scores(student, question):
    """CElogSoftMax stays finite and exact for large scores (log-sum-exp shifted by the max)
    fr: CElogSoftMax reste fini et exact pour de grands scores (log-sum-exp décalé du max)"""
    Z = np.array([[800.0, 0.0, -800.0], [1000.0, 1001.0, 999.0]])
    labels = np.array([1, 0])
    Y = one_hot(labels, 3)
    loss, targets = student.new("CElogSoftMax"), Targets()
    got = as_array(targets.call(loss.forward, Y, labels, Z))
    back = as_array(targets.call(loss.backward, Y, labels, Z))
    if not (np.all(np.isfinite(got)) and np.all(np.isfinite(back))):
        fail(text("CElogSoftMax gives inf or nan for large scores (e.g. 1000): exp overflows; subtract "
                  "each row's max before the exp (log-sum-exp)",
                  "CElogSoftMax donne inf ou nan pour de grands scores (par ex. 1000) : exp déborde ; "
                  "soustrayez le max de chaque ligne avant l'exp (log-sum-exp)"))
    expected = -np.sum(Y * _log_softmax(Z), axis=1)
    scale = loss_scale(got, expected, 3)
    if scale is None:
        expect_close(got, expected, name=text("CElogSoftMax.forward(y, z) for large z",
                                                      "CElogSoftMax.forward(y, z) pour de grands z"), rtol=1e-9, atol=1e-9)


@pytest.mark.question("multiclass")
def test_digits_with_your_celogsoftmax(student, session, question, params, data_path):
    """a linear classifier trained on digits with your CElogSoftMax reaches the expected accuracy (measured by the grader)
    fr: un classifieur linéaire entraîné sur les chiffres avec votre CElogSoftMax atteint la précision attendue
    (mesurée par le correcteur)"""
    X, labels, source = digits(data_path, n=600)
    Y = one_hot(labels, 10)
    train, test = slice(0, 400), slice(400, 600)
    W0, b0 = normal(1, X.shape[1], 10, scale=0.01), np.zeros(10)
    indices = False
    try:
        student.new("CElogSoftMax").forward(Y[:3], X[:3] @ W0)
    except StudentError:
        indices = True
    targets = labels[train] if indices else Y[train]
    result = session.run_driver(numpy_nn_drivers, "multiclass", W0, b0, X[train], targets,
                                0.05, 20, 20, timeout=30)
    W, b = as_array(result["W"]), as_array(result["b"])
    accuracy = float(np.mean(np.argmax(X[test] @ W + b, axis=1) == labels[test]))
    threshold = float(params.get("accuracy", 0.8))
    if not accuracy >= threshold:
        fail(text(f"{source}: test accuracy {accuracy:.0%} after training with your CElogSoftMax "
                  f"(the grader's Linear and loop), {threshold:.0%} expected",
                  f"{source} : précision en test {accuracy:.0%} après apprentissage avec votre "
                  f"CElogSoftMax (Linear et boucle du correcteur), {threshold:.0%} attendus"))


# == autoencoder =====================================================================================

@st.composite
def probabilities(draw, max_batch=4, max_d=5):
    batch, d, seed = draw(st.integers(1, max_batch)), draw(st.integers(1, max_d)), draw(st.integers(0, 2**31 - 1))
    r = rng(seed)
    return r.uniform(0, 1, (batch, d)), r.uniform(0.05, 0.95, (batch, d))


def _bce(y, yhat):
    return -np.sum(y * np.log(yhat) + (1 - y) * np.log(1 - yhat), axis=1)


@pytest.mark.question("autoencoder")
@pytest.mark.weight(2)
def test_bce_forward(student, question):
    """BCELoss.forward(y, yhat) = -sum(y log(yhat) + (1 - y) log(1 - yhat)) for each sample
    fr: BCELoss.forward(y, yhat) = -sum(y log(yhat) + (1 - y) log(1 - yhat)) pour chaque exemple"""

    def check(case):
        y, yhat = case
        got = student.new("BCELoss").forward(y, yhat)
        scale = loss_scale(got, _bce(y, yhat), y.shape[1])
        if scale is None:
            expect_close(got, _bce(y, yhat), name="BCELoss.forward(y, yhat)", rtol=1e-6, atol=1e-8)
        return (scale.name, scale.message) if scale is not None and scale.name else None

    credit(question, for_cases(probabilities(), check))


@pytest.mark.question("autoencoder")
@pytest.mark.weight(2)
def test_bce_backward(student, question):
    """BCELoss.backward(y, yhat) = -(y / yhat - (1 - y) / (1 - yhat)), consistent with forward
    fr: BCELoss.backward(y, yhat) = -(y / yhat - (1 - y) / (1 - yhat)), cohérent avec forward"""

    def check(case):
        y, yhat = case
        return _loss_backward(student.new("BCELoss"), y, yhat, _bce(y, yhat),
                              -(y / yhat - (1 - y) / (1 - yhat)), y.shape[1], "BCELoss.backward(y, yhat)")

    credit(question, for_cases(probabilities(), check))


@pytest.mark.question("autoencoder")
def test_bce_clips_log_zero(student):
    """BCELoss stays finite when yhat is exactly 0 or 1 (log(0) clipped)
    fr: BCELoss reste fini quand yhat vaut exactement 0 ou 1 (log(0) écrêté)"""
    y = np.array([[1.0, 0.0, 1.0, 0.0]])
    yhat = np.array([[0.0, 1.0, 1.0, 0.0]])
    loss = student.new("BCELoss")
    value, grad = as_array(loss.forward(y, yhat)), as_array(loss.backward(y, yhat))
    if not (np.all(np.isfinite(value)) and np.all(np.isfinite(grad))):
        fail(text("BCELoss gives inf or nan when yhat is exactly 0 or 1 (a saturated sigmoid): clip yhat, "
                  "e.g. to [1e-12, 1 - 1e-12], before log(0) and the divisions",
                  "BCELoss donne inf ou nan quand yhat vaut exactement 0 ou 1 (sigmoïde saturée) : "
                  "bornez yhat, par ex. à [1e-12, 1 - 1e-12], avant log(0) et les divisions"))
    if not float(np.sum(value)) > 10:
        fail(text("BCELoss of a certain but wrong prediction (yhat = 0 for y = 1) should be large, "
                  f"got {float(np.sum(value)):.3g}",
                  "le BCELoss d'une prédiction sûre mais fausse (yhat = 0 pour y = 1) doit être grand, "
                  f"obtenu {float(np.sum(value)):.3g}"))


def _reconstruction(arrays, probe, X, d, h):
    from numpy_nn_support import linear_from_arrays

    enc = linear_from_arrays(arrays[0], d, h, probe["hidden"], X)
    dec = linear_from_arrays(arrays[1], h, d, probe["output"], np.tanh(as_array(probe["hidden"])))
    if enc is None or dec is None:
        return None
    return _sigmoid(np.tanh(X @ enc[0] + enc[1]) @ dec[0] + dec[1])


def _draw_autoencoder(probe, after, curve, eps) -> None:
    """The report's pictures: a few digits above their reconstruction by your trained auto-encoder
    (computed by the grader from its W and b), and the cost per epoch in the grader's loop."""
    side = int(round(probe.shape[1] ** 0.5))
    if after is not None and side * side == probe.shape[1]:
        figure("images", text("Digits (top) and their reconstruction by your trained auto-encoder",
                              "Chiffres (en haut) et leur reconstruction par votre auto-encodeur entraîné"),
               rows=[(text("input", "entrée"), probe[:8].reshape(-1, side, side)),
                     (text("output", "sortie"), after[:8].reshape(-1, side, side))], value_range=(0, 1))
    figure("curve", text(f"Auto-encoder: your BCELoss per epoch in the grader's training loop (eps = {eps:.4g})",
                         f"Auto-encodeur : votre BCELoss par époque dans la boucle du correcteur (eps = {eps:.4g})"),
           series=[(text("training cost", "coût d'apprentissage"), curve)], x_label=text("epoch", "époque"))


@pytest.mark.question("autoencoder")
@pytest.mark.weight(3)
def test_autoencoder_reconstruction_error_falls(student, session, question, params, data_path):
    """Linear → TanH → Linear → Sigmoide trained with your BCELoss reconstructs digits (error measured by the grader)
    fr: Linear → TanH → Linear → Sigmoide entraîné avec votre BCELoss reconstruit les chiffres (erreur mesurée par
    le correcteur)"""
    X, _, source = digits(data_path, n=500, seed=1)
    train, probe = X[:400], X[400:460]
    d, h = X.shape[1], int(params.get("hidden", 16))
    ratio = float(params.get("ratio", 0.5))
    baseline = float(np.mean((train.mean(axis=0) - probe) ** 2))
    tried = []
    # The cost is summed over the pixels: the step shrinks with their number (0.01 for 8x8 digits,
    # 0.0025 for USPS's 16x16). The second try is for a gradient averaged over the batch of 20 (a
    # convention `linear` already credits partly), which needs a 20 times larger step.
    base_eps = 0.64 / d
    for eps in (base_eps, 20 * base_eps):
        result = session.run_driver(numpy_nn_drivers, "autoencoder", train, probe, h, eps, 20, 20, timeout=60)
        before = _reconstruction(result["before"], result["start"], probe, d, h)
        after = _reconstruction(result["after"], result["end"], probe, d, h)
        if before is None or after is None:
            fail(text("could not read the encoder's and decoder's W and b (the forward of your Linear "
                      "does not match X @ W + b with any of the arrays it holds)",
                      "impossible de lire W et b de l'encodeur et du décodeur (le forward de votre "
                      "Linear ne correspond à X @ W + b pour aucun des tableaux qu'il contient)"))
        e0, e1 = float(np.mean((before - probe) ** 2)), float(np.mean((after - probe) ** 2))
        tried.append((eps, e0, e1))
        if np.isfinite(e1) and e1 <= ratio * e0 and e1 < baseline:
            _draw_autoencoder(probe, after, result.get("curve") or [], eps)
            return
    _draw_autoencoder(probe, after, result.get("curve") or [], eps)
    summary = "; ".join(f"eps={eps:.4g}: {e0:.4f} → {e1:.4f}" for eps, e0, e1 in tried)
    fail(text(f"{source}: the reconstruction error (per pixel, measured by the grader) does not fall "
              f"clearly ({summary}); at most {ratio:g} × the initial error and below the error of the "
              f"mean image ({baseline:.4f}) expected",
              f"{source} : l'erreur de reconstruction (par pixel, mesurée par le correcteur) ne baisse pas "
              f"nettement ({summary}) ; au plus {ratio:g} × l'erreur initiale et moins que l'erreur de "
              f"l'image moyenne ({baseline:.4f}) attendus"))
