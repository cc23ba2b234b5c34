"""Hidden tests of AMAL TP1: MSE and Linear as hand-written Functions, gradcheck, descente, Boston.

The Functions are called by hand (`MSE.forward(ctx, ...)`, `MSE.backward(ctx, grad_output)`) with
the student's own Context and with the grader's, in float64, and through `.apply` with gradcheck.
The scripts run whole in the worker, watched by the probe of amal_tp1_drivers; the costs they
reach and the test error of the Boston parameters are recomputed here. The policy (conventions,
partial credit) is described in amal_tp1_support.
"""

import math

import pytest
import torch
from hypothesis import given

from amal_tp1_support import (GRADER_CONTEXT, YOUR_CONTEXT, changed_shapes, check_script_regimes, class_names, script_curves, CONVENTION_CREDIT_KEY, CONVENTION_TEXT, LAYOUT_CREDIT_KEY, LAYOUT_TEXT, LINEAR_PROBE,
                              MSE_PROBE, TEST_MSE_FACTOR, as_tensor, boston, check_mse_backward, close, cost,
                              detect_layout, drivers, examples, explain_mse_value, finite, floats, gradcheck_records,
                              layout_args, linear_backward_check, linear_case, linear_parts, linear_value_check,
                              mse_case, mse_forward, mse_kind, mse_target, records_of, regimes, sparkline)
from grader.api import expect_shape, fail, figure, partial, text

# -- mse -------------------------------------------------------------------------------------------


def _convention(question, kinds: set) -> None:
    """Partial credit for the first non-canonical reduction seen, with its cause."""
    for kind in sorted(kinds - {"canonical"}):
        partial(question.credit[CONVENTION_CREDIT_KEY[kind]], CONVENTION_TEXT[kind])


@pytest.mark.question("mse")
@pytest.mark.weight(2)
def test_mse_value(student, question):
    """MSE.forward(ctx, yhat, y) with your Context: sum((yhat − y)²) / q, a scalar (float64)
    fr: MSE.forward(ctx, yhat, y) avec votre Context : sum((yhat − y)²) / q, un scalaire (float64)"""
    MSE = student.cls("MSE")
    kinds = set()

    def one(case):
        yhat, y, _ = case
        value = mse_forward(MSE, student.context(), yhat, y, YOUR_CONTEXT)
        kind = mse_kind(value, yhat, y)
        if kind is None:
            explain_mse_value(value, yhat, y)
        kinds.add(kind)

    one(MSE_PROBE)
    examples(given(mse_case())(one), 0.4)()
    _convention(question, kinds)


@pytest.mark.question("mse")
@pytest.mark.weight(2)
def test_mse_backward_by_hand(student):
    """MSE.backward(ctx, grad_output) after your forward, with your Context: the gradient of your
    own forward times grad_output (≠ 1), w.r.t. yhat then y
    fr: MSE.backward(ctx, grad_output) après votre forward, avec votre Context : le gradient de votre propre forward
    multiplié par grad_output (≠ 1), par rapport à yhat puis à y"""
    MSE = student.cls("MSE")

    def one(case):
        check_mse_backward(MSE, student.context, *case, YOUR_CONTEXT)

    one(MSE_PROBE)
    examples(given(mse_case())(one), 0.4)()


@pytest.mark.question("mse")
def test_mse_with_the_grader_context(student, session):
    """forward then backward with the grader's Context (save_for_backward / saved_tensors only)
    fr: forward puis backward avec le Context du correcteur (save_for_backward / saved_tensors seulement)"""
    MSE = student.cls("MSE")
    check_mse_backward(MSE, session.grader_context, *MSE_PROBE, GRADER_CONTEXT)

    def one(case):
        check_mse_backward(MSE, session.grader_context, *case, GRADER_CONTEXT)

    examples(given(mse_case())(one), 0.3)()


@pytest.mark.question("mse")
def test_mse_gradcheck(student):
    """torch.autograd.gradcheck(MSE.apply, (yhat, y)) in float64 passes
    fr: torch.autograd.gradcheck(MSE.apply, (yhat, y)) en float64 réussit"""
    def one(case):
        yhat, y, _ = case
        result = student.gradcheck("MSE", yhat, y)
        if not result["passed"]:
            fail(text(f"gradcheck(mse, (yhat, y)) fails with yhat, y of shape {tuple(yhat.shape)} (float64): "
                      f"{result['error']}",
                      f"gradcheck(mse, (yhat, y)) échoue avec yhat, y de forme {tuple(yhat.shape)} (float64) : "
                      f"{result['error']}"))

    one(MSE_PROBE)
    examples(given(mse_case())(one), 0.3)()


# -- linear ----------------------------------------------------------------------------------------


def _layout(student, session, per_student) -> str:
    return per_student.once("linear_layout", lambda: detect_layout(student, session))


def _layout_credit(question, layout: str) -> None:
    key = LAYOUT_CREDIT_KEY[layout]
    if key is not None:
        partial(question.credit[key], LAYOUT_TEXT[layout])


@pytest.mark.question("linear")
@pytest.mark.weight(2)
def test_linear_forward(student, session, per_student, question):
    """Linear.forward(ctx, X, W, b) with your Context: X @ W + b (X (q, d), W (d, p), b (p,), float64)
    fr: Linear.forward(ctx, X, W, b) avec votre Context : X @ W + b (X (q, d), W (d, p), b (p,), float64)"""
    Linear = student.cls("Linear")
    layout = _layout(student, session, per_student)

    def one(case):
        X, W, b, _ = case
        linear_value_check(Linear, student.context(), layout, X, W, b, YOUR_CONTEXT)

    one(LINEAR_PROBE)
    examples(given(linear_case())(one), 0.4)()
    _layout_credit(question, layout)


@pytest.mark.question("linear")
@pytest.mark.weight(3)
def test_linear_backward_by_hand(student, session, per_student):
    """Linear.backward(ctx, grad_output) by hand: grad_X, grad_W, grad_b, values and shapes
    (grad_b of shape (p,), which gradcheck cannot check)
    fr: Linear.backward(ctx, grad_output) à la main : grad_X, grad_W, grad_b, valeurs et formes (grad_b de forme
    (p,), ce que gradcheck ne peut pas vérifier)"""
    Linear = student.cls("Linear")
    layout = _layout(student, session, per_student)

    def one(case):
        linear_backward_check(Linear, student.context, layout, *case, YOUR_CONTEXT)

    one(LINEAR_PROBE)
    examples(given(linear_case())(one), 0.4)()


@pytest.mark.question("linear")
def test_linear_with_the_grader_context(student, session, per_student):
    """forward and backward with the grader's Context
    fr: forward et backward avec le Context du correcteur"""
    Linear = student.cls("Linear")
    layout = _layout(student, session, per_student)

    def one(case):
        X, W, b, G = case
        linear_value_check(Linear, session.grader_context(), layout, X, W, b, GRADER_CONTEXT)
        linear_backward_check(Linear, session.grader_context, layout, X, W, b, G, GRADER_CONTEXT)

    one(LINEAR_PROBE)
    examples(given(linear_case())(one), 0.3)()


@pytest.mark.question("linear")
def test_linear_gradcheck(student, session, per_student):
    """torch.autograd.gradcheck(Linear.apply, (X, W, b)) in float64 passes
    fr: torch.autograd.gradcheck(Linear.apply, (X, W, b)) en float64 réussit"""
    layout = _layout(student, session, per_student)

    def one(case):
        X, W, b, _ = case
        result = student.gradcheck("Linear", *layout_args(layout, X, W, b))
        if not result["passed"]:
            fail(text(f"gradcheck(linear, (X, W, b)) fails with X {tuple(X.shape)}, W {tuple(W.shape)} (float64): "
                      f"{result['error']}",
                      f"gradcheck(linear, (X, W, b)) échoue avec X {tuple(X.shape)}, W {tuple(W.shape)} (float64) : "
                      f"{result['error']}"))

    one(LINEAR_PROBE)
    examples(given(linear_case())(one), 0.3)()


# -- gradcheck (script) ------------------------------------------------------------------------------


def _gradchecks(session, student, per_student):
    return per_student.once("gradchecks", lambda: gradcheck_records(session, student))


@pytest.mark.question("gradcheck")
@pytest.mark.weight(2)
def test_gradcheck_script_checks_linear(session, student, per_student):
    """the script runs gradcheck on your Linear (the skeleton's TODO)
    fr: le script lance gradcheck sur votre Linear (le TODO du squelette)"""
    records = _gradchecks(session, student, per_student)
    if not records:
        fail(text("the script never calls torch.autograd.gradcheck",
                  "le script n'appelle jamais torch.autograd.gradcheck"))
    if not records_of(records, "Linear"):
        checked = sorted({f for r in records for f in r["functions"]}) or [r["target"] for r in records]
        fail(text(f"the script never runs gradcheck on your Linear (it checks {', '.join(checked)}): check "
                  f"linear = Linear.apply as the skeleton checks mse, with float64 X, W and b",
                  f"le script ne lance jamais gradcheck sur votre Linear (il vérifie {', '.join(checked)}) : "
                  f"vérifiez linear = Linear.apply comme le squelette vérifie mse, avec X, W et b en float64"))


@pytest.mark.question("gradcheck")
@pytest.mark.incidental
def test_gradcheck_script_checks_mse(session, student, per_student):
    """the script runs gradcheck on your MSE too
    fr: le script lance aussi gradcheck sur votre MSE"""
    if not records_of(_gradchecks(session, student, per_student), "MSE"):
        fail(text("the script never runs gradcheck on your MSE: check both functions, mse and linear",
                  "le script ne lance jamais gradcheck sur votre MSE : vérifiez les deux fonctions, mse et linear"))


@pytest.mark.question("gradcheck")
@pytest.mark.incidental
def test_gradcheck_script_uses_float64(session, student, per_student):
    """every gradcheck of MSE / Linear has float64 inputs that require grad
    fr: chaque gradcheck de MSE / Linear a des entrées float64 avec requires_grad"""
    for record in _gradchecks(session, student, per_student):
        if not record["functions"]:
            continue
        what, what_fr = " and ".join(record["functions"]), " et ".join(record["functions"])
        wrong = sorted({dt for dt in record["dtypes"] if dt != "float64"})
        if wrong:
            fail(text(f"gradcheck of {what} gets {', '.join(wrong)} inputs: its finite differences (eps = 1e-6) need "
                      f"float64 inputs (dtype=torch.float64), in float32 the check is meaningless",
                      f"gradcheck de {what_fr} reçoit des entrées {', '.join(wrong)} : ses différences finies "
                      f"(eps = 1e-6) demandent des entrées float64 (dtype=torch.float64), en float32 la "
                      f"vérification n'a pas de sens"))
        if not any(record["requires_grad"]):
            fail(text(f"no input of the gradcheck of {what} requires grad: nothing is checked (requires_grad=True)",
                      f"aucune entrée du gradcheck de {what_fr} n'a requires_grad : rien n'est vérifié "
                      f"(requires_grad=True)"))


@pytest.mark.question("gradcheck")
@pytest.mark.incidental
def test_gradcheck_script_passes(session, student, per_student):
    """every gradcheck the script runs passes
    fr: chaque gradcheck lancé par le script réussit"""
    for record in _gradchecks(session, student, per_student):
        if not record["passed"]:
            what = " and ".join(record["functions"]) or record["target"]
            what_fr = " et ".join(record["functions"]) or record["target"]
            fail(text(f"gradcheck of {what} fails in your script: {record['error'] or 'it returned False'} "
                      f"(see questions mse and linear for what is wrong in the backward)",
                      f"le gradcheck de {what_fr} échoue dans votre script : {record['error'] or 'il a renvoyé False'} "
                      f"(voir les questions mse et linear pour ce qui ne va pas dans le backward)"))


# -- descente (script) -------------------------------------------------------------------------------

AUTOGRAD_TEXT = text(
    "the loop computes the gradients with autograd (.backward() through mse / linear = .apply) instead of calling "
    "your Functions' backward by hand with a Context (MSE.backward(ctx, ...), Linear.backward(ctx, ...)), as the "
    "exercise asks — it works: a convention, partly credited",
    "la boucle calcule les gradients avec autograd (.backward() à travers mse / linear = .apply) au lieu d'appeler "
    "à la main le backward de vos Functions avec un Context (MSE.backward(ctx, ...), Linear.backward(ctx, ...)), "
    "comme le demande l'exercice — cela marche : une convention, créditée en partie")


def descente_run(session, student):
    session.run_driver(drivers, "install_probe", names=class_names(session))
    student.run_script()
    return {"probe": session.run_driver(drivers, "collect"), "scalars": session.scalars()}


def _descente(session, student, per_student):
    return per_student.once("descente", lambda: descente_run(session, student))


@pytest.mark.question("descente")
@pytest.mark.weight(3)
def test_descente_cost_decreases(session, student, per_student, question):
    """the script's loop, with your Linear and MSE and their backward by hand, lowers the cost
    (recomputed by the grader at the first and last parameters it used)
    fr: la boucle du script, avec vos Linear et MSE et leur backward à la main, fait baisser le coût (recalculé par
    le correcteur aux premiers et derniers paramètres qu'elle a utilisés)"""
    probe = _descente(session, student, per_student)["probe"]
    calls = probe["calls"]
    used = {name: sum(calls[f"{name}.forward"].values()) for name in ("Linear", "MSE")}
    unused = [name for name, n in used.items() if n == 0]
    if unused:
        fail(text(f"the script never calls your {' and '.join(unused)}: the descent uses the Functions of tp1.py",
                  f"le script n'appelle jamais votre {' ni votre '.join(unused)} : la descente utilise les "
                  f"Functions de tp1.py"))
    changed = changed_shapes(probe["first"]["Linear"], probe["last"]["Linear"])
    if changed:
        shown = ", ".join(f"{a} → {b}" for a, b in changed)
        fail(text(f"the parameters change shape during the descent ({shown}): a gradient does not have its "
                  f"parameter's shape (grad_b must be grad_output summed over the batch, shape (p,))",
                  f"les paramètres changent de forme pendant la descente ({shown}) : un gradient n'a pas la "
                  f"forme de son paramètre (grad_b doit être grad_output sommé sur le batch, de forme (p,))"))
    first, last = linear_parts(probe["first"]["Linear"]), linear_parts(probe["last"]["Linear"])
    y0, y1 = mse_target(probe["first"]["MSE"]), mse_target(probe["last"]["MSE"])
    if first is None or last is None or y0 is None or y1 is None:
        fail(text("the arguments of Linear / MSE are not (X, W, b) / (yhat, y) tensors",
                  "les arguments de Linear / MSE ne sont pas des tenseurs (X, W, b) / (yhat, y)"))
    (X0, W0, b0), (X1, W1, b1) = first, last
    if used["Linear"] < 2 or (close(W0, W1) and close(b0, b1)):
        fail(text("the parameters never change: the loop must update w and b (w ← w − ε ∇w)",
                  "les paramètres ne changent jamais : la boucle doit mettre à jour w et b (w ← w − ε ∇w)"))
    c0, c1 = cost(X0, W0, b0, y0), cost(X1, W1, b1, y1)
    if not (math.isfinite(c1) and c1 < c0):
        fail(text(f"the cost goes from {c0:.4g} (first iteration) to {c1:.4g} (last one), as measured by the grader "
                  f"with the parameters your loop used: it must decrease (check the sign of the update, "
                  f"w ← w − ε ∇w, and ε)",
                  f"le coût passe de {c0:.4g} (première itération) à {c1:.4g} (dernière), mesuré par le correcteur "
                  f"avec les paramètres de votre boucle : il doit diminuer (vérifiez le signe de la mise à jour, "
                  f"w ← w − ε ∇w, et ε)"))
    by_hand = calls["Linear.backward"]["manual"] > 0 and calls["MSE.backward"]["manual"] > 0
    if by_hand:
        return
    if probe["autograd_backward"] > 0 or calls["Linear.backward"]["autograd"] > 0:
        partial(question.credit["autograd"], AUTOGRAD_TEXT)
    fail(text("the loop never calls the backward of your MSE and Linear: the gradients must come from "
              "MSE.backward(ctx, ...) and Linear.backward(ctx, ...)",
              "la boucle n'appelle jamais le backward de vos MSE et Linear : les gradients doivent venir de "
              "MSE.backward(ctx, ...) et Linear.backward(ctx, ...)"))


@pytest.mark.question("descente")
@pytest.mark.incidental
def test_descente_logs_the_loss(session, student, per_student):
    """the loss is logged with SummaryWriter.add_scalar at each iteration, and the curve decreases
    fr: la loss est enregistrée avec SummaryWriter.add_scalar à chaque itération, et la courbe diminue"""
    scalars = _descente(session, student, per_student)["scalars"]
    curves: dict[str, list[float]] = {}
    for item in scalars:
        try:
            curves.setdefault(str(item["tag"]), []).append(float(torch.as_tensor(item["value"]).double().sum()))
        except (TypeError, ValueError, RuntimeError):
            continue
    if not curves or max(len(v) for v in curves.values()) < 2:
        fail(text("the loss is not logged: writer.add_scalar('Loss/train', loss, n_iter) at each iteration "
                  "(SummaryWriter of torch.utils.tensorboard)",
                  "la loss n'est pas enregistrée : writer.add_scalar('Loss/train', loss, n_iter) à chaque itération "
                  "(SummaryWriter de torch.utils.tensorboard)"))
    tag, values = max(curves.items(), key=lambda kv: len(kv[1]))
    figure("curve", text("The loss your descent logged (SummaryWriter.add_scalar), per iteration",
                         "La loss enregistrée par votre descente (SummaryWriter.add_scalar), par itération"),
           series=[(tag, values)], x_label=text("iteration", "itération"))
    if not finite(values) or not values[-1] < values[0]:
        fail(text(f"the logged curve '{tag}' does not decrease: {sparkline(values)}",
                  f"la courbe enregistrée '{tag}' ne diminue pas : {sparkline(values)}"))
    partial(1.0, text(f"logged '{tag}': {sparkline(values)}", f"courbe '{tag}' : {sparkline(values)}"))


# -- boston ------------------------------------------------------------------------------------------

_REFERENCE_TEST_MSE: dict = {}
FR_REGIME = {"stochastic": "stochastique", "mini-batch": "mini-batch", "batch": "batch"}


def reference_test_mse(reference) -> dict[str, float]:
    """The reference's test MSE per regime (same data, budget and seed), computed once per process."""
    if not _REFERENCE_TEST_MSE:
        Xtr, Ytr, Xte, Yte = boston()
        for name, (batch_size, n_epochs, eps) in regimes().items():
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                W, b, _, _ = reference.descente(Xtr, Ytr, Xte, Yte, batch_size, n_epochs, eps)
            _REFERENCE_TEST_MSE[name] = cost(Xte, W, b, Yte)
    return dict(_REFERENCE_TEST_MSE)


SUMMED_KINDS = {"sum", "per_column_sum", "unreduced"}


def boston_eps_scale(student) -> str | None:
    """The kind of the student's MSE on a probe (a summed cost gets ε / batch_size, so that its
    steps are the handout's)."""
    try:
        yhat, y, _ = MSE_PROBE
        return mse_kind(as_tensor(student.cls("MSE").forward(student.context(), yhat, y), "MSE"), yhat, y)
    except Exception:
        return None


def boston_results(session, student, per_student):
    def compute():
        kind = boston_eps_scale(student)
        plan = []
        for name, (batch_size, n_epochs, eps) in regimes().items():
            plan.append((batch_size, n_epochs, eps / batch_size if kind in SUMMED_KINDS else eps))
        runs = session.run_driver(drivers, "boston_runs", boston(), plan, names=class_names(session))
        return {"kind": kind, "runs": dict(zip(regimes(), runs))}

    return per_student.once("boston", compute)


def is_script(student) -> bool:
    return getattr(student, "form", "function") == "script"


def boston_script(session, student, per_student):
    """The script form: run it with the probe (counts only); its curves come from the SummaryWriter."""
    def compute():
        session.run_driver(drivers, "install_probe", keep_values=False, names=class_names(session))
        student.run_script()
        probe = session.run_driver(drivers, "collect")
        return {"batches": {int(k): int(v) for k, v in probe["backward_batches"].items()},
                "scalars": session.scalars()}

    return per_student.once("boston_script", compute)


def unpack_descente(run: dict, name: str):
    out = run["returned"]
    if not isinstance(out, (list, tuple)) or len(out) != 4:
        fail(text(f"descente must return (W, b, train_losses, test_losses), got {type(out).__name__}"
                  f"{' of ' + str(len(out)) if isinstance(out, (list, tuple)) else ''}",
                  f"descente doit renvoyer (W, b, train_losses, test_losses), pas {type(out).__name__}"
                  f"{' de ' + str(len(out)) if isinstance(out, (list, tuple)) else ''}"))
    W, b, train, test = out
    d, p = boston()[0].shape[1], boston()[1].shape[1]
    if not isinstance(W, torch.Tensor) or not isinstance(b, torch.Tensor):
        fail(text("descente must return the tensors W and b first", "descente doit renvoyer d'abord les tenseurs W et b"))
    if tuple(W.shape) == (p, d) and d != p:
        W = W.T
    expect_shape(W, (d, p), name=text(f"W returned by descente ({name})",
                                      f"W renvoyé par descente ({FR_REGIME.get(name, name)})"))
    if b.numel() != p:
        expect_shape(b, (p,), name=text(f"b returned by descente ({name})",
                                        f"b renvoyé par descente ({FR_REGIME.get(name, name)})"))
    return W, b.reshape(-1), train, test


@pytest.mark.question("boston")
@pytest.mark.weight(2)
def test_boston_updates_per_regime(session, student, per_student):
    """stochastic (1), mini-batch (32) and batch (all 404): one update per batch, so the number of
    updates per epoch is ⌈N / batch_size⌉
    fr: stochastique (1), mini-batch (32) et batch (les 404) : une mise à jour par batch, soit ⌈N / batch_size⌉
    mises à jour par époque"""
    if is_script(student):
        check_script_regimes(boston_script(session, student, per_student))
        return
    runs = boston_results(session, student, per_student)["runs"]
    n = boston()[0].shape[0]
    for name, (batch_size, n_epochs, _) in regimes().items():
        updates = runs[name]["updates"]
        low, high = n_epochs * (n // batch_size), n_epochs * math.ceil(n / batch_size)
        if updates == 0:
            fail(text(f"descente ({name}, batch_size = {batch_size}) never calls Linear.backward: the descent must "
                      f"use your Functions' gradients",
                      f"descente ({FR_REGIME[name]}, batch_size = {batch_size}) n'appelle jamais Linear.backward : la descente "
                      f"doit utiliser les gradients de vos Functions"))
        if not low <= updates <= high:
            fail(text(f"descente made {updates} updates with batch_size = {batch_size} ({name}) and n_epochs = "
                      f"{n_epochs} on N = {n} examples: one update per mini-batch gives {n_epochs} × ⌈{n} / "
                      f"{batch_size}⌉ = {high} (the batch size must change the number of updates)",
                      f"descente a fait {updates} mises à jour avec batch_size = {batch_size} ({FR_REGIME[name]}) et n_epochs = "
                      f"{n_epochs} sur N = {n} exemples : une mise à jour par mini-batch en donne {n_epochs} × "
                      f"⌈{n} / {batch_size}⌉ = {high} (la taille des batchs doit changer le nombre de mises à jour)"))


@pytest.mark.question("boston")
@pytest.mark.weight(2)
def test_boston_test_mse_near_the_reference(session, student, per_student, reference, question):
    """the test MSE the grader measures with the returned W, b is at most 1.5 × the reference's, per regime
    fr: la MSE en test que le correcteur mesure avec les W, b renvoyés vaut au plus 1,5 × celle de la référence,
    pour chaque régime"""
    if is_script(student):
        check_script_regimes(boston_script(session, student, per_student))
        partial(question.credit["script_form"], text(
            "Boston is handed in as a script: the grader cannot measure the test MSE of its parameters (it does not "
            "know which are which); define descente(Xtrain, Ytrain, Xtest, Ytest, batch_size, n_epochs, eps) as in "
            "the starter's tp1_boston.py to have it measured",
            "Boston est rendu sous forme de script : le correcteur ne peut pas mesurer la MSE en test de ses "
            "paramètres (il ne sait pas lesquels sont lesquels) ; définissez descente(Xtrain, Ytrain, Xtest, Ytest, "
            "batch_size, n_epochs, eps) comme dans le tp1_boston.py fourni pour qu'elle soit mesurée"))
    runs = boston_results(session, student, per_student)["runs"]
    expected = reference_test_mse(reference)
    Xte, Yte = boston()[2], boston()[3]
    for name, (batch_size, n_epochs, eps) in regimes().items():
        W, b, _, _ = unpack_descente(runs[name], name)
        got = cost(Xte, W, b, Yte)
        bound = TEST_MSE_FACTOR * expected[name]
        if not (math.isfinite(got) and got <= bound):
            fail(text(f"{name} descent (batch_size = {batch_size}, {n_epochs} epochs, ε = {eps:g}): the grader measures a "
                      f"test MSE of {got:.4g} with the returned W and b; the reference reaches {expected[name]:.4g} "
                      f"with the same budget, at most {bound:.4g} expected (standardised Boston Housing)",
                      f"descente {FR_REGIME[name]} (batch_size = {batch_size}, {n_epochs} époques, ε = {eps:g}) : le correcteur "
                      f"mesure une MSE en test de {got:.4g} avec les W et b renvoyés ; la référence atteint "
                      f"{expected[name]:.4g} avec le même budget, au plus {bound:.4g} attendu (Boston Housing "
                      f"standardisé)"))


def _draw_boston_curves(runs: dict) -> None:
    """The report's pictures: the train and test losses descente returned, one figure per regime
    (drawn before they are checked: a curve that goes wrong is the one to see)."""
    for name, (batch_size, _, _) in regimes().items():
        out = runs.get(name, {}).get("returned")
        if not isinstance(out, (list, tuple)) or len(out) != 4:
            continue
        series = [(label, values) for label, values in ((text("train", "apprentissage"), floats(out[2])),
                                                        (text("test", "test"), floats(out[3]))) if values]
        if series:
            figure("curve", text(f"Boston Housing, {name} descent (batch_size = {batch_size}): the losses your "
                                 f"descente returned",
                                 f"Boston Housing, descente {FR_REGIME[name]} (batch_size = {batch_size}) : les coûts "
                                 f"renvoyés par votre descente"),
                   series=series, x_label=text("epoch", "époque"), y_label="MSE")


@pytest.mark.question("boston")
@pytest.mark.incidental
def test_boston_curves(session, student, per_student):
    """train and test losses, one per epoch, finite, the training one decreasing; drawn below
    fr: coûts d'apprentissage et de test, un par époque, finis, celui d'apprentissage décroissant ; tracés
    ci-dessous"""
    if is_script(student):
        curves = script_curves(boston_script(session, student, per_student)["scalars"])
        curves = {tag: v for tag, v in curves.items() if len(v) >= 2}
        if curves:
            figure("curve", text("Boston Housing: the curves your script logged (SummaryWriter.add_scalar)",
                                 "Boston Housing : les courbes enregistrées par votre script (SummaryWriter.add_scalar)"),
                   series=sorted(curves.items())[:6], x_label=text("call", "appel"))
        if len(curves) < 2 or not any("test" in tag.lower() for tag in curves):
            fail(text(f"the Boston script logs {sorted(curves) or 'no curve'}: a training and a test curve are asked "
                      f"for (writer.add_scalar('.../train', ...), writer.add_scalar('.../test', ...))",
                      f"le script Boston enregistre {sorted(curves) or 'aucune courbe'} : une courbe d'apprentissage "
                      f"et une de test sont demandées (writer.add_scalar('.../train', ...), "
                      f"writer.add_scalar('.../test', ...))"))
        bad = sorted(tag for tag, v in curves.items() if not finite(v))
        if bad:
            fail(text(f"the curves {bad} reach inf or NaN", f"les courbes {bad} atteignent inf ou NaN"))
        shown = " | ".join(f"{tag}: {sparkline(v)}" for tag, v in sorted(curves.items()))
        partial(1.0, text(f"curves — {shown}", f"courbes — {shown}"))
    runs = boston_results(session, student, per_student)["runs"]
    _draw_boston_curves(runs)
    lines_en, lines_fr = [], []
    for name, (batch_size, n_epochs, _) in regimes().items():
        _, _, train, test = unpack_descente(runs[name], name)
        train, test = floats(train), floats(test)
        if train is None or test is None or not (n_epochs <= len(train) <= n_epochs + 1) or len(test) != len(train):
            fail(text(f"train_losses and test_losses must be lists of numbers, one per epoch ({n_epochs} for {name})",
                      f"train_losses et test_losses doivent être des listes de nombres, un par époque ({n_epochs} "
                      f"pour {FR_REGIME[name]})"))
        # an epoch of stochastic steps already converges: its curve is flat and noisy, not decreasing
        if not finite(train + test) or not train[-1] <= 1.1 * train[0]:
            fail(text(f"the training loss of the {name} descent goes up: {sparkline(train)}",
                      f"le coût d'apprentissage de la descente {FR_REGIME[name]} augmente : {sparkline(train)}"))
        lines_en.append(f"{name}: train {sparkline(train)}; test {sparkline(test)}")
        lines_fr.append(f"{FR_REGIME[name]} : apprentissage {sparkline(train)} ; test {sparkline(test)}")
    partial(1.0, text("curves — " + " | ".join(lines_en), "courbes — " + " | ".join(lines_fr)))

