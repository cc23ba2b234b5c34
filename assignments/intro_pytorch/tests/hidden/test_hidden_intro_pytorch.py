"""Hidden tests for « Introduction à PyTorch »: the student's code against the reference.

Questions answered by functions or a script (neq, neq_vectorized, categories, spiral) are graded on
what their training did, as the probe recorded it (see intro_pytorch_support): the errors and
gradients at each iteration are recomputed here with the reference, and the trained parameters are
evaluated here, never by the student's code.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import Phase, given, settings, strategies as st

from grader.api import PartialCredit, expect_close, expect_equal, expect_shape, fail, figure, text
from grader.errors import StudentError
from intro_pytorch_support import (CATEGORIES_TIMEOUT, DRIVERS, HIDDEN_SIZES, MODULE, NEQ_MAX_ITERATIONS,
                                   NEQ_REF, NEQ_TOLERANCE, NEQ_X, NEQ_Y, SPIRAL_ACCURACY, SPIRAL_TIMEOUT,
                                   accuracy, categories_points, converged_at, expect_no_loop, find_linear_2_3,
                                   find_two_layers, linear_layers, neq_training, pixel_grid, shape_pairs,
                                   shapes_of, spiral, spiral_held_out, tensors, work)


@pytest.fixture
def ref(reference):
    """The reference functions (every question's file is intro_pytorch.py)."""
    return reference


def examples(share: float = 1.0, shrink: bool = True, count: int | None = None) -> settings:
    """Settings of an inner Hypothesis check: the run's profile, `share` of its examples.

    Hypothesis runs inside the tests (an inner @given `check`), so that a failing example names
    only drawn values, never the fixtures. shrink=False where each example costs several calls
    into the worker and a smaller failing input would tell the student little more (shrinking
    there took 10-15 s per wrong submission)."""
    phases = tuple(settings.default.phases) if shrink else \
        tuple(p for p in settings.default.phases if p != Phase.shrink)
    count = count or max(3, int(settings.default.max_examples * share))
    return settings(max_examples=count, phases=phases)


# -- 1. tensors ------------------------------------------------------------------------------------

small = st.integers(1, 5)


@st.composite
def nested(draw):
    """A nested list of numbers of a random shape (1 to 3 dimensions), and that shape."""
    shape = tuple(draw(st.lists(small, min_size=1, max_size=3)))
    values = draw(st.lists(st.integers(-50, 50), min_size=math.prod(shape), max_size=math.prod(shape)))
    return np.array(values).reshape(shape).tolist(), shape


@st.composite
def indexing_case(draw):
    """(A (n, m), x, y, a value, a list of row indices, a threshold)."""
    n, m = draw(st.integers(1, 6)), draw(st.integers(1, 7))
    return (draw(tensors((n, m), 9.0)), draw(st.integers(0, m - 1)), draw(st.integers(0, n - 1)),
            draw(st.integers(-99, 99)), draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4)),
            draw(st.floats(-9, 9, width=32)))


@st.composite
def views_case(draw):
    """(T (n, m), k <= min(n, m), a row i)."""
    n, m = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    return draw(tensors((n, m))), draw(st.integers(1, min(n, m))), draw(st.integers(0, n - 1))


@st.composite
def broadcast_case(draw):
    """(A (n, m), a number, a column (n,), a row (m,), a vector (p,)); often square, where a wrong
    broadcast still runs, with wrong values."""
    n, m, p = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    if draw(st.booleans()):
        m = n
    return (draw(tensors((n, m), 9.0)), draw(st.floats(-9, 9, width=32)), draw(tensors((n,), 9.0)),
            draw(tensors((m,), 9.0)), draw(tensors((p,), 9.0)))


@st.composite
def neq_case(draw):
    """(x, y, ref, a) for n samples, some with x = y, the answers right or all wrong."""
    n = draw(st.integers(1, 8))
    xs = draw(tensors((n,), 5.0))
    ys = torch.where(draw(tensors((n,), 1.0)) > 0, xs, draw(tensors((n,), 5.0)))
    rs = (xs != ys).float()
    if draw(st.booleans()):
        rs = 1 - rs
    return xs, ys, rs, draw(st.floats(0, 2, width=32))


def expect_element(got, A, x, y):
    """element(A, x, y) is A[y, x]; say so when the student's is A[x, y]."""
    if torch.as_tensor(got).numel() == 1 and x < A.shape[0] and y < A.shape[1] and \
            float(torch.as_tensor(got).reshape(-1)[0]) == float(A[x, y]) != float(A[y, x]):
        fail(text(f"element(A, x={x}, y={y}) returned A[{x}, {y}] = {float(A[x, y]):g}: column x of row y "
                  f"is A[y, x] = {float(A[y, x]):g} (1.6: the row index comes first)",
                  f"element(A, x={x}, y={y}) a renvoyé A[{x}, {y}] = {float(A[x, y]):g} : la colonne x de la "
                  f"rangée y est A[y, x] = {float(A[y, x]):g} (1.6 : l'indice de rangée vient d'abord)"))
    expect_equal(got, A[y, x], name=f"element(A, x={x}, y={y})")


@pytest.mark.uses("creer_tenseur", "vers_liste", "vers_numpy", "valeur", "taille")
@pytest.mark.question("tensors")
def test_creation_conversion_and_shape(work, ref):
    """creer_tenseur, vers_liste, vers_numpy, valeur and taille on random nested lists
    fr: creer_tenseur, vers_liste, vers_numpy, valeur et taille sur des listes imbriquées aléatoires"""
    m = work.module

    @examples(0.5, shrink=False)
    @given(nested(), st.booleans())
    def check(case, from_array):
        L, shape = case
        T = m.creer_tenseur(np.array(L) if from_array else L)
        if not isinstance(T, torch.Tensor) or T.dtype != torch.float32:
            fail(text(f"creer_tenseur must return a FloatTensor (float32), got {getattr(T, 'dtype', type(T).__name__)}",
                      f"creer_tenseur doit renvoyer un FloatTensor (float32), pas {getattr(T, 'dtype', type(T).__name__)}"))
        expected = ref.creer_tenseur(L)
        expect_equal(T, expected, name="creer_tenseur(L)")
        as_list = m.vers_liste(expected)
        if not isinstance(as_list, list):
            fail(text("vers_liste must return a list", "vers_liste doit renvoyer une liste"))
        expect_equal(as_list, ref.vers_liste(expected), name="vers_liste(T)")
        array = m.vers_numpy(expected)
        if not isinstance(array, np.ndarray):
            fail(text("vers_numpy must return a NumPy array", "vers_numpy doit renvoyer un tableau Numpy"))
        expect_equal(array, ref.vers_numpy(expected), name="vers_numpy(T)")
        one = expected.reshape(-1)[:1]
        number = m.valeur(one)
        if not isinstance(number, (int, float)) or isinstance(number, bool):
            fail(text("valeur must return a Python number (item())", "valeur doit renvoyer un nombre Python (item())"))
        expect_equal(number, ref.valeur(one), name="valeur(T)")
        got = m.taille(L)
        expect_equal(list(got) if isinstance(got, (tuple, list, torch.Size)) else got, list(shape), name="taille(L)")

    check()


@pytest.mark.uses("element", "affecte_colonnes_paires", "selection_indices", "selection_booleens")
@pytest.mark.question("tensors")
def test_indexing_slicing_and_selection(work, ref):
    """element, affecte_colonnes_paires (in place), selection by indices and by booleans
    fr: element, affecte_colonnes_paires (sur place), sélection par indices et par booléens"""
    mod = work.module

    @examples(0.5, shrink=False)
    @given(indexing_case())
    def check(case):
        A, x, y, value, indices, threshold = case
        n, m = A.shape
        expect_element(mod.element(A, x, y), A, x, y)
        _, (after, _) = mod.affecte_colonnes_paires.observe(A.clone(), value)
        expect_equal(after, ref.affecte_colonnes_paires(A.clone(), value),
                     name=text(f"A after affecte_colonnes_paires(A, {value}) (A of shape {(n, m)})",
                               f"A après affecte_colonnes_paires(A, {value}) (A de taille {(n, m)})"))
        expect_equal(mod.selection_indices(A, indices), ref.selection_indices(A, indices),
                     name=f"selection_indices(A, {indices})")
        mask = A > threshold
        expect_equal(mod.selection_booleens(A, mask), ref.selection_booleens(A, mask),
                     name="selection_booleens(A, masque)")

    check()


@pytest.mark.uses("copie", "vue_slicing", "vue_selection", "vue_reshape")
@pytest.mark.question("tensors")
def test_copies_and_views(work, ref):
    """copie is a detached copy; vue_slicing, vue_selection and vue_reshape share T's data
    fr: copie est une recopie détachée ; vue_slicing, vue_selection et vue_reshape partagent les données de T"""

    def facts(function, T, *args, **kwargs):
        out = work.session.run_driver(DRIVERS, "storage_facts", function, T, *args, **kwargs)
        if not out["tensor"]:
            fail(text(f"{function} must return a tensor", f"{function} doit renvoyer un tenseur"))
        return out

    def check_one(T, k, i):
        n, m = T.shape
        copy = facts("copie", T, requires_grad=True)
        expect_equal(copy["value"], ref.copie(T), name="copie(T)")
        if copy["shares"]:
            fail(text("copie(T) shares T's data: A = T (or detach() alone) does not copy, use clone()",
                      "copie(T) partage les données de T : A = T (ou detach() seul) ne copie pas, utilisez clone()"))
        if copy["requires_grad"]:
            fail(text("copie(T) keeps T's computation graph (clone() without detach())",
                      "copie(T) garde le graphe de calcul de T (clone() sans detach())"))
        for function, args in (("vue_slicing", (k,)), ("vue_selection", (i,)), ("vue_reshape", ((m, n),))):
            view = facts(function, T, *args)
            expect_equal(view["value"], getattr(ref, function)(T, *args), name=f"{function}(T, {args[0]})")
            if not view["shares"]:
                fail(text(f"{function}(T, {args[0]}) is a copy of T: a view shares T's data",
                          f"{function}(T, {args[0]}) est une copie de T : une vue partage les données de T"))

    check_one(torch.arange(12.0).reshape(3, 4), 2, 1)   # copy or view: the same answer for any T

    @examples(0.3, shrink=False)
    @given(views_case())
    def check(case):
        check_one(*case)

    check()


# -- 2. broadcasting -------------------------------------------------------------------------------


def _torch_broadcast(a, b):
    try:
        return tuple(torch.broadcast_shapes(a, b))
    except RuntimeError:
        return None


@pytest.mark.uses("broadcast_shape")
@pytest.mark.question("broadcasting")
@pytest.mark.weight(3)
def test_broadcast_shape_against_torch(work):
    """broadcast_shape agrees with torch.broadcast_shapes on random pairs of shapes
    fr: broadcast_shape concorde avec torch.broadcast_shapes sur des paires de tailles aléatoires"""

    @examples()
    @given(shape_pairs())
    def check(shapes):
        a, b = shapes
        expected = _torch_broadcast(a, b)
        try:
            got = work.module.broadcast_shape(a, b)
        except StudentError:
            if expected is None:
                return  # an exception is a clear "incompatible" too
            raise
        incompatible = got is None or got is False or (isinstance(got, str) and "incompatible" in got.lower())
        if expected is None:
            if not incompatible:
                fail(text(f"broadcast_shape({a}, {b}) returned {got}: these shapes are incompatible (None expected)",
                          f"broadcast_shape({a}, {b}) a renvoyé {got} : ces tailles sont incompatibles (None attendu)"))
            return
        if incompatible or not isinstance(got, (tuple, list, torch.Size)) or list(got) != list(expected):
            hint_en = hint_fr = ""
            if len(a) != len(b):
                hint_en = " (pad the shorter shape on the left, as in 2.1)"
                hint_fr = " (complétez la taille la plus courte par la gauche, comme en 2.1)"
            fail(text(f"broadcast_shape({a}, {b}) returned {got}, {expected} expected{hint_en}",
                      f"broadcast_shape({a}, {b}) a renvoyé {got}, {expected} attendu{hint_fr}"))

    check()


@pytest.mark.uses("ajoute_valeur", "ajoute_colonne", "ajoute_ligne", "colonne_plus_ligne", "ajoute_colonne_3d")
@pytest.mark.question("broadcasting")
@pytest.mark.weight(2)
def test_worked_examples_against_the_reference(work, ref):
    """ajoute_valeur, ajoute_colonne, ajoute_ligne, colonne_plus_ligne, ajoute_colonne_3d
    fr: ajoute_valeur, ajoute_colonne, ajoute_ligne, colonne_plus_ligne, ajoute_colonne_3d comparées à la référence"""
    mod = work.module

    @examples(0.5, shrink=False)
    @given(broadcast_case())
    def check(case):
        A, v, col, row, vec = case
        (n, m), p = A.shape, len(vec)
        expect_close(mod.ajoute_valeur(A, v), ref.ajoute_valeur(A, v), name="ajoute_valeur(A, v)")
        expect_close(mod.ajoute_colonne(A, col), ref.ajoute_colonne(A, col),
                     name=f"ajoute_colonne(A {(n, m)}, v {(n,)})")
        expect_close(mod.ajoute_ligne(A, row), ref.ajoute_ligne(A, row), name=f"ajoute_ligne(A {(n, m)}, v {(m,)})")
        expect_close(mod.colonne_plus_ligne(col, row), ref.colonne_plus_ligne(col, row),
                     name=f"colonne_plus_ligne(c {(n,)}, l {(m,)})")
        expect_close(mod.ajoute_colonne_3d(A, vec), ref.ajoute_colonne_3d(A, vec),
                     name=f"ajoute_colonne_3d(A {(n, m)}, v {(p,)})")

    check()


@pytest.mark.uses("grille_pixels", "ComputeCatPerPixel")
@pytest.mark.question("broadcasting")
@pytest.mark.weight(2)
def test_pixel_grid_and_categories_of_the_handout(work, ref):
    """grille_pixels and ComputeCatPerPixel (random Linear(2, 3)) on the handout's 200 × 200 grid
    fr: grille_pixels et ComputeCatPerPixel (Linear(2, 3) aléatoire) sur la grille 200 × 200 de l'énoncé"""
    XXXX, YYYY = pixel_grid()
    T = work.module.grille_pixels(XXXX, YYYY)
    expect_shape(T, (200, 200, 2), name="grille_pixels(XXXX, YYYY)")
    expect_close(T, ref.grille_pixels(XXXX, YYYY), name="grille_pixels(XXXX, YYYY)")

    @examples(count=2, shrink=False)
    @given(linear_layers((2, 3)))
    def check(layers):
        got = work.session.run_driver(DRIVERS, "call_with_model", "ComputeCatPerPixel", layers,
                                      XXXX, YYYY, timeout=20)
        if not isinstance(got, np.ndarray):
            fail(text(f"ComputeCatPerPixel must return a NumPy array, got {type(got).__name__}",
                      f"ComputeCatPerPixel doit renvoyer un tableau Numpy, pas {type(got).__name__}"))
        expect_shape(got, XXXX.shape, name="ComputeCatPerPixel(model, XXXX, YYYY)")
        (W, b), = layers
        scores = torch.tensor(np.stack([XXXX, YYYY], axis=2)) @ W.double().T + b.double()
        expected = scores.argmax(dim=2).numpy()
        wrong = got.astype(np.int64) != expected
        if wrong.any():
            # a pixel on a border (two scores equal to float32 precision) may go either way
            chosen = np.take_along_axis(scores.numpy(), np.clip(got.astype(np.int64), 0, 2)[..., None], 2)[..., 0]
            best = scores.max(dim=2).values.numpy()
            if (wrong & (best - chosen > 1e-4)).any() or ((got < 0) | (got > 2)).any():
                expect_equal(got, expected, name="ComputeCatPerPixel(model, XXXX, YYYY)")

    check()


# -- 3.7 -------------------------------------------------------------------------------------------


def _curve(values, n, name):
    array = np.asarray(values.detach() if isinstance(values, torch.Tensor) else values, dtype=float)
    if array.size != n or array.ndim > 2:
        fail(text(f"{name} has shape {array.shape}: one ordinate per point ({n},) expected",
                  f"{name} a la taille {array.shape} : une ordonnée par point ({n},) attendue"))
    return array.reshape(-1)


def _layers(pairs):
    built = []
    for weight, bias in pairs:
        layer = torch.nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            layer.weight.copy_(weight)
            layer.bias.copy_(bias)
        built.append(layer)
    return built


@pytest.mark.uses("courbe_neurone", "courbe_reseau")
@pytest.mark.question("graph_linear")
@pytest.mark.weight(4)
def test_curves_against_the_reference(work, ref):
    """courbe_neurone and courbe_reseau on random Linear(1, 1), Linear(1, 3) and Linear(3, 1) layers
    fr: courbe_neurone et courbe_reseau sur des couches Linear(1, 1), Linear(1, 3) et Linear(3, 1) aléatoires"""

    @examples(0.5, shrink=False)
    @given(linear_layers((1, 1)), linear_layers((1, 3, 1)), st.integers(2, 60))
    def check(neuron, network, n):
        Lx = np.linspace(-2, 2, n)
        got = work.session.run_driver(DRIVERS, "call_with_layers", "courbe_neurone", neuron, Lx)
        expect_close(_curve(got, n, "courbe_neurone(layer, Lx)"), ref.courbe_neurone(*_layers(neuron), Lx),
                     name="courbe_neurone(layer, Lx)")
        got = work.session.run_driver(DRIVERS, "call_with_layers", "courbe_reseau", network, Lx)
        expect_close(_curve(got, n, "courbe_reseau(layer1, layer2, Lx)"), ref.courbe_reseau(*_layers(network), Lx),
                     name="courbe_reseau(layer1, layer2, Lx)")

    check()


# -- 5.5 hinge and 5.6 step 5: two conventions -------------------------------------------------------


def _hinge_conventions(handout, delta, count):
    """The handout's value (Σ over every j) and the usual one (j = id_cat left out)."""
    return float(handout), float(handout) - count * float(delta)


def _convention_note(question, usual: bool, name: str) -> None:
    share = float(question.credit.get("usual_hinge", 0.0))
    if usual:
        if share <= 0:
            fail(text(f"{name} skips j = id_cat: the handout sums over every j (the δ of j = id_cat)",
                      f"{name} omet j = id_cat : l'énoncé somme sur tous les j (le δ de j = id_cat)"))
        raise PartialCredit(share, text(
            f"{name} follows the usual hinge (j ≠ id_cat), not the handout's sum over every j (which "
            "adds δ for j = id_cat): accepted",
            f"{name} suit la hinge habituelle (j ≠ id_cat), pas la somme de l'énoncé sur tous les j (qui "
            "ajoute δ pour j = id_cat) : accepté"))
    raise PartialCredit(1.0, text(
        f"{name} follows the handout: the sum over every j, j = id_cat included, adds the constant δ",
        f"{name} suit l'énoncé : la somme sur tous les j, j = id_cat compris, ajoute la constante δ"))


@st.composite
def scores_case(draw, batch: bool):
    n = draw(st.integers(1, 10)) if batch else None
    cats = draw(st.integers(2, 5)) if not batch else 3
    Scores = draw(tensors((n, cats) if batch else (cats,), 4.0))
    delta = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
    if batch:
        CAT = torch.tensor(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=torch.int64)
        return Scores, CAT, delta
    return Scores, draw(st.integers(0, cats - 1)), delta


def _expect_either(got, handout, usual, name):
    value = torch.as_tensor(got).detach().double().reshape(-1)
    if value.numel() != 1:
        fail(text(f"{name} must be one number (a tensor of one value), got shape {tuple(value.shape)}",
                  f"{name} doit être un nombre (un tenseur d'une valeur), pas de taille {tuple(value.shape)}"))
    x = float(value[0])
    if not any(math.isclose(x, e, rel_tol=1e-4, abs_tol=1e-4) for e in (handout, usual)):
        fail(text(f"{name} = {x:.6g}: {handout:.6g} expected (the handout's Σ over every j; "
                  f"{usual:.6g} for the usual hinge that skips j = id_cat)",
                  f"{name} = {x:.6g} : {handout:.6g} attendu (la somme de l'énoncé sur tous les j ; "
                  f"{usual:.6g} pour la hinge habituelle sans j = id_cat)"))
    return math.isclose(x, usual, rel_tol=1e-4, abs_tol=1e-4) and not math.isclose(x, handout, rel_tol=1e-4, abs_tol=1e-4)


@pytest.mark.uses("ErrScores")
@pytest.mark.question("hinge")
@pytest.mark.weight(3)
def test_hinge_against_the_reference(work, ref, question):
    """ErrScores on random scores, categories and margins δ (either convention)
    fr: ErrScores sur des scores, des catégories et des marges δ aléatoires (l'une ou l'autre convention)"""
    Scores = torch.tensor([1.0, 5.0, 3.0])
    handout, usual = _hinge_conventions(ref.ErrScores(Scores, 1, 1.0), 1.0, 1)
    used_usual = _expect_either(work.module.ErrScores(Scores, torch.tensor(1), 1.0), handout, usual,
                                "ErrScores((1, 5, 3), id_cat=tensor(1), delta=1)")

    @examples()
    @given(scores_case(batch=False))
    def check(case):
        Scores, id_cat, delta = case
        handout, usual = _hinge_conventions(ref.ErrScores(Scores, id_cat, delta), delta, 1)
        _expect_either(work.module.ErrScores(Scores, id_cat, delta), handout, usual,
                       f"ErrScores({Scores.tolist()}, {id_cat}, delta={delta})")

    check()
    _convention_note(question, used_usual, "ErrScores")


@pytest.mark.uses("ErrScoresVectorisee")
@pytest.mark.question("spiral_vectorized")
@pytest.mark.weight(3)
def test_vectorized_error_equals_the_looped_one(work, ref, question):
    """ErrScoresVectorisee equals the sum of the per-sample errors on random batches (either convention)
    fr: ErrScoresVectorisee égale la somme des erreurs par échantillon sur des lots aléatoires (l'une ou l'autre
    convention)"""
    Scores, CAT = torch.tensor([[1.0, 5.0, 3.0], [2.0, 0.0, 1.0]]), torch.tensor([1, 0])
    looped = sum(float(ref.ErrScores(Scores[i], CAT[i], 1.0)) for i in range(2))
    handout, usual = _hinge_conventions(looped, 1.0, 2)
    used_usual = _expect_either(work.module.ErrScoresVectorisee(Scores, CAT, 1.0), handout, usual,
                                "ErrScoresVectorisee([[1, 5, 3], [2, 0, 1]], CAT=[1, 0], delta=1)")

    @examples()
    @given(scores_case(batch=True))
    def check(case):
        Scores, CAT, delta = case
        looped = sum(float(ref.ErrScores(Scores[i], CAT[i], delta)) for i in range(len(CAT)))
        handout, usual = _hinge_conventions(looped, delta, len(CAT))
        _expect_either(work.module.ErrScoresVectorisee(Scores, CAT, delta), handout, usual,
                       f"ErrScoresVectorisee(Scores {tuple(Scores.shape)}, CAT={CAT.tolist()}, delta={delta})")

    check()
    _convention_note(question, used_usual, "ErrScoresVectorisee")


# -- 4.5 "≠": functions or « Ex grad intro.py » ------------------------------------------------------


def _neq_losses(ref, a: float) -> tuple[float, float]:
    """(Σ (f − ref)², Σ |f − ref|) at a, on the four samples, with the reference f."""
    x, y, r = torch.tensor(NEQ_X), torch.tensor(NEQ_Y), torch.tensor(NEQ_REF)
    estim = ref.f(x, y, torch.tensor([a]))
    return float(torch.sum((estim - r) ** 2)), float(torch.sum(torch.abs(estim - r)))


def _neq_gradient(ref, a: float, absolute: bool) -> float:
    x, y, r = torch.tensor(NEQ_X), torch.tensor(NEQ_Y), torch.tensor(NEQ_REF)
    leaf = torch.tensor([a], requires_grad=True)
    estim = ref.f(x, y, leaf)
    loss = torch.sum(torch.abs(estim - r)) if absolute else torch.sum((estim - r) ** 2)
    loss.backward()
    return float(leaf.grad[0])


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-5)


def _loss_convention(ref, iterations, limit: int = 40) -> bool:
    """True for |f − ref|, False for (f − ref)²; fails when the recorded errors are neither."""
    squared = absolute = True
    for it in iterations[:limit]:
        sq, ab = _neq_losses(ref, it.a)
        squared &= _close(it.loss, sq)
        absolute &= _close(it.loss, ab)
        if not (squared or absolute):
            fail(text(f"at a = {it.a:.6g} your total error is {it.loss:.6g}: the sum over the four samples "
                      f"of (f − ref)² gives {sq:.6g} (of |f − ref|: {ab:.6g})",
                      f"pour a = {it.a:.6g} votre erreur totale vaut {it.loss:.6g} : la somme sur les quatre "
                      f"échantillons de (f − ref)² donne {sq:.6g} (de |f − ref| : {ab:.6g})"))
    return absolute and not squared


def _absolute_note(question, absolute: bool) -> None:
    if not absolute:
        return
    share = float(question.credit.get("absolute_error", 0.0))
    if share <= 0:
        fail(text("the error is |f − ref|: the handout asks for (f − ref)²",
                  "l'erreur est |f − ref| : l'énoncé demande (f − ref)²"))
    raise PartialCredit(share, text("the error is |f − ref| (the course's template), the handout's is "
                                    "(f − ref)²: both accepted",
                                    "l'erreur est |f − ref| (le modèle du cours), celle de l'énoncé "
                                    "(f − ref)² : les deux sont acceptées"))


def _expect_converged(a, iterations):
    reached = converged_at(iterations, a)
    if reached is None or reached > NEQ_MAX_ITERATIONS:
        after = f"after {len(iterations)} iterations" if reached is None else f"only after {reached} iterations"
        after_fr = f"après {len(iterations)} itérations" if reached is None else f"seulement après {reached} itérations"
        fail(text(f"a = {a:.6g} at the end, and min(a·|x − y|, 1) is within {NEQ_TOLERANCE} of the "
                  f"answers on the four samples {after}: {NEQ_MAX_ITERATIONS} at most expected (choose the step)",
                  f"a = {a:.6g} à la fin, et min(a·|x − y|, 1) est à {NEQ_TOLERANCE} près des réponses sur "
                  f"les quatre échantillons {after_fr} : {NEQ_MAX_ITERATIONS} au plus attendues (choisissez le pas)"))


def _expect_decreasing(iterations):
    for k in range(1, len(iterations)):
        before, now = iterations[k - 1].loss, iterations[k].loss
        if now > before + 1e-6 + 1e-4 * abs(before):
            fail(text(f"the total error goes up at iteration {k}: {before:.6g} then {now:.6g} (step too large?)",
                      f"l'erreur totale remonte à l'itération {k} : {before:.6g} puis {now:.6g} (pas trop grand ?)"))


@pytest.mark.question("neq")
@pytest.mark.weight(2)
def test_neq_converges_within_100_iterations(work):
    """a converges on the four samples within 100 iterations, the error decreasing
    fr: a converge sur les quatre échantillons en 100 itérations au plus, l'erreur diminuant"""
    a, iterations, record, _ = neq_training(work, "descente_gradient")
    _expect_converged(a, iterations)
    _expect_decreasing(iterations)


@pytest.mark.question("neq")
@pytest.mark.weight(2)
def test_neq_f_and_error_match_the_handout(work, ref, question):
    """f(x, y, a) = min(a·|x − y|, 1) and the error (f − ref)²
    fr: f(x, y, a) = min(a·|x − y|, 1) et l'erreur (f − ref)²"""
    if work.form() == "function":
        m = work.module
        absolute = _close(float(torch.as_tensor(m.Err(torch.tensor([0.25]), torch.tensor(1.0))).reshape(-1)[0]), 0.75)

        @examples()
        @given(st.floats(-6, 6, width=32), st.floats(-6, 6, width=32), st.floats(0, 2, width=32),
               st.booleans(), st.floats(0, 1, width=32), st.sampled_from([0.0, 1.0]))
        def check(x, y, a, same, estim, answer):
            x, a_ = torch.tensor(x), torch.tensor([a])
            y = x.clone() if same else torch.tensor(y)
            expect_close(m.f(x, y, a_), ref.f(x, y, a_), name=f"f({float(x):g}, {float(y):g}, a={a:g})")
            e, r = torch.tensor([estim]), torch.tensor(answer)
            expected = torch.abs(e - r) if absolute else ref.Err(e, r)
            expect_close(m.Err(e, r), expected, name=f"Err({estim:g}, {answer:g})")

        check()
    else:
        a, iterations, record, _ = neq_training(work, "descente_gradient")
        absolute = _loss_convention(ref, iterations)
    _absolute_note(question, absolute)


@pytest.mark.question("neq")
@pytest.mark.weight(2)
def test_neq_gradients_come_from_autograd(work, ref):
    """a.grad is the gradient of the total error (backward), reset each iteration, a fixed step
    fr: a.grad est le gradient de l'erreur totale (backward), remis à zéro à chaque itération, un pas fixe"""
    a, iterations, record, _ = neq_training(work, "descente_gradient")
    _expect_autograd_descent(ref, a, iterations, record)


def _expect_autograd_descent(ref, a, iterations, record):
    if any(it.grad is None for it in iterations):
        fail(text("a.grad is None after backward(): a must have requires_grad = True",
                  "a.grad vaut None après backward() : a doit avoir requires_grad = True"))
    # the update: a -= pas * a.grad, with one fixed step
    following = [it.a for it in iterations[1:]] + [a]
    step = None
    for k, (it, after) in enumerate(zip(iterations, following)):
        moved = after - it.a
        if step is None and abs(it.grad) > 1e-6:
            step = -moved / it.grad
            if not step > 0:
                fail(text(f"the first update moves a from {it.a:.6g} to {after:.6g}, up the gradient "
                          f"({it.grad:.6g}): a -= pas * a.grad",
                          f"la première mise à jour fait passer a de {it.a:.6g} à {after:.6g}, dans le sens "
                          f"du gradient ({it.grad:.6g}) : a -= pas * a.grad"))
            continue
        if step is not None and abs(moved + step * it.grad) > 1e-5 + 1e-3 * abs(step * it.grad):
            fail(text(f"at iteration {k}, a goes from {it.a:.6g} to {after:.6g} with a.grad = {it.grad:.6g}: "
                      f"a fixed step pas = {step:.4g} gives {it.a - step * it.grad:.6g} (a -= pas * a.grad)",
                      f"à l'itération {k}, a passe de {it.a:.6g} à {after:.6g} avec a.grad = {it.grad:.6g} : "
                      f"un pas fixe pas = {step:.4g} donne {it.a - step * it.grad:.6g} (a -= pas * a.grad)"))
    if step is None:
        fail(text("a never moves: update it with a -= pas * a.grad (inside torch.no_grad())",
                  "a ne change jamais : mettez-le à jour avec a -= pas * a.grad (dans torch.no_grad())"))
    # the gradient: that of the total error at a, reset at each iteration
    absolute = _loss_convention(ref, iterations)
    total = 0.0
    for k, it in enumerate(iterations[:60]):
        expected = _neq_gradient(ref, it.a, absolute)
        total += expected
        if not math.isclose(it.grad, expected, rel_tol=1e-3, abs_tol=1e-4):
            if k > 0 and math.isclose(it.grad, total, rel_tol=1e-3, abs_tol=1e-4):
                fail(text(f"at iteration {k}, a.grad = {it.grad:.6g} is the sum of the gradients so far "
                          f"({expected:.6g} expected): reset it with a.grad.zero_() after each update",
                          f"à l'itération {k}, a.grad = {it.grad:.6g} est la somme des gradients "
                          f"précédents ({expected:.6g} attendu) : remettez-le à zéro avec a.grad.zero_() "
                          "après chaque mise à jour"))
            fail(text(f"at iteration {k} (a = {it.a:.6g}), a.grad = {it.grad:.6g}, the gradient of the total "
                      f"error is {expected:.6g}",
                      f"à l'itération {k} (a = {it.a:.6g}), a.grad = {it.grad:.6g}, le gradient de l'erreur "
                      f"totale vaut {expected:.6g}"))


# -- 4.5 without the loop over the samples -----------------------------------------------------------


@pytest.mark.question("neq_vectorized")
@pytest.mark.weight(2)
def test_vectorized_neq_error_matches_the_handout(work, ref, question):
    """the total error of the four samples, computed at once, is Σ (f − ref)²
    fr: l'erreur totale des quatre échantillons, calculée en une fois, est Σ (f − ref)²"""
    if work.form() == "function":
        m = work.module
        x, y, r = torch.tensor(NEQ_X), torch.tensor(NEQ_Y), torch.tensor(NEQ_REF)
        sq, ab = _neq_losses(ref, 0.3)
        first = float(torch.as_tensor(m.ErrTot_vectorisee(x, y, r, torch.tensor([0.3]))).reshape(-1)[0])
        absolute = _close(first, ab) and not _close(first, sq)

        @examples(shrink=False)
        @given(neq_case())
        def check(case):
            xs, ys, rs, a = case
            n = len(xs)
            estim = ref.f(xs, ys, torch.tensor([a]))
            expected = torch.sum(torch.abs(estim - rs)) if absolute else torch.sum(ref.Err(estim, rs))
            expect_close(m.ErrTot_vectorisee(xs, ys, rs, torch.tensor([a])), expected,
                         name=text(f"ErrTot_vectorisee(x, y, ref, a={a:g}) ({n} samples)",
                                   f"ErrTot_vectorisee(x, y, ref, a={a:g}) ({n} échantillons)"))

        check()
    else:
        a, iterations, record, _ = neq_training(work, "descente_gradient_vectorisee")
        _expect_one_pass_per_iteration(record, iterations)   # else it is the looped version of neq
        absolute = _loss_convention(ref, iterations)
    _absolute_note(question, absolute)


def _expect_one_pass_per_iteration(record, iterations):
    """At run time: one backward per iteration, and no operation repeated once per sample."""
    if iterations[0].passes > 1:
        fail(text(f"backward() runs {iterations[0].passes} times per iteration, once per sample: the error "
                  "of the four samples must be one tensor, and one backward() per iteration",
                  f"backward() est appelé {iterations[0].passes} fois par itération, une fois par échantillon : "
                  "l'erreur des quatre échantillons doit être un seul tenseur, et un seul backward() par itération"))
    repeated = record.repeated_operations(len(NEQ_X))
    if repeated:
        listed = ", ".join(f"{name} × {count}" for name, count in sorted(repeated.items()))
        fail(text(f"the error is still computed sample by sample: its computation graph repeats {listed}",
                  f"l'erreur est encore calculée échantillon par échantillon : son graphe de calcul répète {listed}"))


@pytest.mark.question("neq_vectorized")
@pytest.mark.weight(2)
@pytest.mark.incidental
def test_vectorized_neq_has_no_loop_over_the_samples(work):
    """no loop over the samples: one backward pass per iteration, no operation repeated per sample
    fr: pas de boucle sur les échantillons : une passe backward par itération, aucune opération répétée par
    échantillon"""
    a, iterations, record, form = neq_training(work, "descente_gradient_vectorisee")
    if form == "function":
        why_en, why_fr = "one tensor holds the four samples", "un seul tenseur contient les quatre échantillons"
        expect_no_loop(work, "ErrTot_vectorisee", what_en=why_en, what_fr=why_fr)
        expect_no_loop(work, "descente_gradient_vectorisee", allow_outer=True, what_en=why_en, what_fr=why_fr)
    _expect_one_pass_per_iteration(record, iterations)


@pytest.mark.question("neq_vectorized")
def test_vectorized_neq_converges(work):
    """the descent without the loop converges within 100 iterations
    fr: la descente sans la boucle converge en 100 itérations au plus"""
    a, iterations, record, _ = neq_training(work, "descente_gradient_vectorisee")
    _expect_one_pass_per_iteration(record, iterations)
    _expect_converged(a, iterations)


# -- 5.5 categories: functions or « Ex apprentissage de forme V1.py » --------------------------------


def _categories(work):
    X, CAT = categories_points()
    params, record = work.trained_parameters("apprend_categories", (X, CAT), CATEGORIES_TIMEOUT)
    layer = find_linear_2_3(params)
    if layer is None:
        fail(text(f"the trained model must be one Linear(2, 3) (weight (3, 2), bias (3,)); its parameters "
                  f"have shapes {shapes_of(params)}",
                  f"le modèle entraîné doit être une couche Linear(2, 3) (poids (3, 2), biais (3,)) ; ses "
                  f"paramètres ont les tailles {shapes_of(params)}"))
    return X, CAT, layer, record


@pytest.mark.question("categories")
@pytest.mark.weight(3)
def test_categories_every_point_in_its_zone(work):
    """after training, each of the 10 points is in its category's zone (measured by the grader)
    fr: après apprentissage, chacun des 10 points est dans la zone de sa catégorie (mesuré par le correcteur)"""
    X, CAT, (W, b), _ = _categories(work)
    predicted = torch.argmax(X.double() @ W.T + b, dim=1)
    wrong = [i for i in range(len(CAT)) if int(predicted[i]) != int(CAT[i])]
    if wrong:
        listed = ", ".join(f"{tuple(round(v, 2) for v in X[i].tolist())} ({int(CAT[i])} → {int(predicted[i])})"
                           for i in wrong[:4])
        fail(text(f"{len(wrong)} of the 10 points are not in their zone: {listed}",
                  f"{len(wrong)} des 10 points ne sont pas dans leur zone : {listed}"))


@pytest.mark.question("categories")
def test_categories_trained_by_backward(work):
    """the Linear(2, 3) is trained by gradient descent with PyTorch's gradients
    fr: la Linear(2, 3) est apprise par descente de gradient avec les gradients de PyTorch"""
    _, _, _, record = _categories(work)
    if record.calls == 0:
        fail(text("no backward() during training: the gradient must come from PyTorch",
                  "aucun backward() pendant l'apprentissage : le gradient doit être calculé par PyTorch"))


# -- 5.6 the spiral: functions or « Ex Appr formes V2.py » ------------------------------------------


def _spiral_layers(work):
    X, CAT = spiral()
    params, _ = work.trained_parameters("apprend_helice", (X, CAT), SPIRAL_TIMEOUT)
    layers = find_two_layers(params)
    if layers is None:
        fail(text(f"the trained model must be Linear(2, nb) + ReLU, then Linear(nb, 3); its parameters have "
                  f"shapes {shapes_of(params)}",
                  f"le modèle entraîné doit être Linear(2, nb) + ReLU, puis Linear(nb, 3) ; ses paramètres "
                  f"ont les tailles {shapes_of(params)}"))
    return layers


SPIRAL_EXTENT, SPIRAL_GRID = (-1.1, 1.1, -1.1, 1.1), 48


def _draw_spiral_regions(W1, b1, W2, b2, X, C) -> None:
    """The report's picture: the class your trained network gives each point of the plane (computed
    by the grader with its Linear + ReLU + Linear), with the fresh points it was measured on."""
    x0, x1, y0, y1 = SPIRAL_EXTENT
    steps = (torch.arange(SPIRAL_GRID, dtype=torch.float64) + 0.5) / SPIRAL_GRID
    gy, gx = torch.meshgrid(y0 + steps * (y1 - y0), x0 + steps * (x1 - x0), indexing="ij")
    grid = torch.stack([gx, gy], dim=-1).reshape(-1, 2)     # cell centres; row i: y_i, column j: x_j
    classes = (torch.relu(grid @ W1.T + b1) @ W2.T + b2).argmax(dim=1).reshape(SPIRAL_GRID, SPIRAL_GRID)
    figure("regions", text("Regions of your trained network on the spiral (points: fresh points of the spiral)",
                           "Régions de votre réseau entraîné sur l'hélice (points : nouveaux points de l'hélice)"),
           grid=classes, extent=SPIRAL_EXTENT, points=X, classes=C)


@pytest.mark.question("spiral")
@pytest.mark.weight(3)
def test_spiral_accuracy_on_held_out_points(work):
    """the trained network classifies fresh points of the spiral (measured by the grader)
    fr: le réseau appris classe de nouveaux points de l'hélice (mesuré par le correcteur)"""
    W1, b1, W2, b2 = _spiral_layers(work)
    Xh, Ch = spiral_held_out()
    acc = accuracy(torch.relu(Xh.double() @ W1.T + b1) @ W2.T + b2, Ch)
    _draw_spiral_regions(W1, b1, W2, b2, Xh, Ch)
    if acc < SPIRAL_ACCURACY:
        fail(text(f"accuracy {acc:.1%} on {len(Ch)} fresh points of the spiral (measured by the grader with "
                  f"Linear + ReLU + Linear), {SPIRAL_ACCURACY:.0%} expected",
                  f"précision {acc:.1%} sur {len(Ch)} nouveaux points de l'hélice (mesurée par le correcteur "
                  f"avec Linear + ReLU + Linear), {SPIRAL_ACCURACY:.0%} attendus"))


@pytest.mark.question("spiral")
def test_spiral_hidden_size_from_the_handouts_list(work):
    """the hidden layer has 10, 30, 100, 300, 500 or 1000 neurons
    fr: la couche cachée a 10, 30, 100, 300, 500 ou 1000 neurones"""
    W1, _, _, _ = _spiral_layers(work)
    if W1.shape[0] not in HIDDEN_SIZES:
        fail(text(f"{W1.shape[0]} neurons in the first layer: the handout asks to choose among {HIDDEN_SIZES}",
                  f"{W1.shape[0]} neurones dans la première couche : l'énoncé demande de choisir parmi {HIDDEN_SIZES}"))
