"""Public self-checks for « Introduction à PyTorch ». They need no reference solution.

Run them with:  grader check intro_pytorch <your folder>

Exercises 4.5, 5.5 and 5.6 may be handed in as functions of intro_pytorch.py or as the course's
scripts; the checks of those exercises run whichever you completed, and are marked `self_check`
(grading measures the same things with its own hidden tests).
"""

import numpy as np
import pytest
import torch

from grader.api import expect_close, expect_equal, expect_shape, fail, text
from grader.errors import StudentError
from intro_pytorch_support import (CATEGORIES_TIMEOUT, DRIVERS, HIDDEN_SIZES, MODULE, NEQ_MAX_ITERATIONS,
                                   NEQ_TOLERANCE, SPIRAL_ACCURACY, SPIRAL_TIMEOUT, accuracy, categories_points,
                                   converged_at, expect_no_loop, find_linear_2_3, find_two_layers, neq_training,
                                   shapes_of, spiral, spiral_held_out, work)

# -- 1. tensors ------------------------------------------------------------------------------------


@pytest.mark.uses("creer_tenseur", "vers_liste", "vers_numpy", "valeur", "taille", "element", "affecte_colonnes_paires", "selection_indices", "selection_booleens")
@pytest.mark.question("tensors")
def test_creation_conversion_indexing_and_slicing(work):
    """1.3-1.8: creation, conversion, shape, A[y, x], a[:, 0:6:2] = 99 in place, selections
    fr: 1.3-1.8 : création, conversion, taille, A[y, x], a[:, 0:6:2] = 99 sur place, sélections"""
    m = work.module
    for source in ([[1, 2, 3], [4, 5, 6]], np.array([[1, 2, 3], [4, 5, 6]])):
        T = m.creer_tenseur(source)
        if not isinstance(T, torch.Tensor) or T.dtype != torch.float32:
            fail(text(f"creer_tenseur must return a tensor of 32-bit floats (FloatTensor), got "
                      f"{getattr(T, 'dtype', type(T).__name__)}",
                      f"creer_tenseur doit renvoyer un tenseur de flottants 32 bits (FloatTensor), pas "
                      f"{getattr(T, 'dtype', type(T).__name__)}"))
        expect_equal(T, torch.tensor([[1.0, 2, 3], [4, 5, 6]]), name="creer_tenseur(...)")
    A = torch.tensor([[1.0, 2, 3], [4, 5, 6]])
    as_list = m.vers_liste(A)
    if not isinstance(as_list, list):
        fail(text(f"vers_liste must return a list, got {type(as_list).__name__}",
                  f"vers_liste doit renvoyer une liste, pas {type(as_list).__name__}"))
    expect_equal(as_list, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], name="vers_liste(A)")
    array = m.vers_numpy(A)
    if not isinstance(array, np.ndarray):
        fail(text(f"vers_numpy must return a NumPy array, got {type(array).__name__}",
                  f"vers_numpy doit renvoyer un tableau Numpy, pas {type(array).__name__}"))
    expect_equal(array, A.numpy(), name="vers_numpy(A)")
    number = m.valeur(torch.tensor([2.0]))
    if not isinstance(number, (int, float)) or isinstance(number, bool):
        fail(text(f"valeur must return a Python number (item()), got {type(number).__name__}",
                  f"valeur doit renvoyer un nombre Python (item()), pas {type(number).__name__}"))
    expect_equal(number, 2.0, name="valeur(FloatTensor([2]))")
    L = [[[0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2]], [[0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2]]]
    expect_equal(list(work.module.taille(L)), [2, 3, 4], name="taille(L)")
    a = torch.tensor([[1, 2, 3, 4], [6, 7, 8, 9]])
    got = work.module.element(a, 1, 0)
    if isinstance(got, (int, float, torch.Tensor)) and torch.as_tensor(got).numel() == 1 and int(got) == 6:
        fail(text("element(a, x=1, y=0) returned a[1, 0] = 6: column x of row y is a[y, x] = 2 "
                  "(1.6: the row index comes first)",
                  "element(a, x=1, y=0) a renvoyé a[1, 0] = 6 : la colonne x de la rangée y est a[y, x] = 2 "
                  "(1.6 : l'indice de rangée vient d'abord)"))
    expect_equal(got, 2, name="element(a, x=1, y=0)")
    expect_equal(work.module.element(a, 3, 1), 9, name="element(a, x=3, y=1)")
    a = torch.tensor([[10, 11, 12, 13, 14, 15], [20, 21, 22, 23, 24, 25],
                      [30, 31, 32, 33, 34, 35], [40, 41, 42, 43, 44, 45]])
    expected = torch.tensor([[99, 11, 99, 13, 99, 15], [99, 21, 99, 23, 99, 25],
                             [99, 31, 99, 33, 99, 35], [99, 41, 99, 43, 99, 45]])
    _, (after, _) = work.module.affecte_colonnes_paires.observe(a, 99)
    expect_equal(after, expected, name=text("a after affecte_colonnes_paires(a, 99)",
                                                    "a après affecte_colonnes_paires(a, 99)"))
    T = torch.tensor([10.0, 11, 12, 13, 14])
    expect_equal(work.module.selection_indices(T, [0, 2, 4]), torch.tensor([10.0, 12, 14]),
                 name="selection_indices(T, [0, 2, 4])")
    mask = torch.tensor([True, False, False, True, True])
    expect_equal(work.module.selection_booleens(T, mask), torch.tensor([10.0, 13, 14]),
                 name="selection_booleens(T, masque)")


@pytest.mark.uses("copie", "vue_slicing", "vue_selection", "vue_reshape")
@pytest.mark.question("tensors")
def test_copy_versus_views(work):
    """1.9-1.10: clone().detach() copies; slicing, selection and reshape give views
    fr: 1.9-1.10 : clone().detach() recopie ; slicing, sélection et reshape donnent des vues"""
    run = lambda *args, **kwargs: work.session.run_driver(DRIVERS, "storage_facts", *args, **kwargs)  # noqa: E731
    T = torch.ones((4, 4))
    facts = run("copie", T, requires_grad=True)
    if not facts["tensor"] or facts["shares"]:
        fail(text("copie(T) shares T's data: it is not a copy (clone())",
                  "copie(T) partage les données de T : ce n'est pas une copie (clone())"))
    if facts["requires_grad"]:
        fail(text("copie(T) is still attached to T's computation graph: add detach()",
                  "copie(T) est encore rattachée au graphe de calcul de T : ajoutez detach()"))
    for function, args, expected in (("vue_slicing", (2,), torch.ones((2, 2))),
                                     ("vue_selection", (1,), torch.ones(4)),
                                     ("vue_reshape", ((16,),), torch.ones(16))):
        facts = run(function, T, *args)
        if not facts["tensor"]:
            fail(text(f"{function} must return a tensor", f"{function} doit renvoyer un tenseur"))
        expect_equal(facts["value"], expected, name=f"{function}(T, ...)")
        if not facts["shares"]:
            fail(text(f"{function}(T, ...) is a copy: a view shares T's data",
                      f"{function}(T, ...) est une copie : une vue partage les données de T"))


# -- 2. broadcasting -------------------------------------------------------------------------------

HANDOUT_SHAPES = [((3, 4), (3,), None), ((1, 1, 4), (1, 3), None), ((3, 4), (1,), (3, 4)),
                  ((3, 4), (1, 1), (3, 4)), ((3, 1), (4,), (3, 4)), ((3, 1), (1, 4), (3, 4)),
                  ((1, 1, 4), (1, 3, 1), (1, 3, 4)), ((1, 1, 4), (3, 2, 1), (3, 2, 4))]


@pytest.mark.uses("broadcast_shape", "ajoute_valeur", "ajoute_colonne", "ajoute_ligne", "colonne_plus_ligne", "ajoute_colonne_3d")
@pytest.mark.question("broadcasting")
def test_broadcasting_on_the_handouts_examples(work):
    """2.1-2.6: broadcast_shape and the worked examples of the handout
    fr: 2.1-2.6 : broadcast_shape et les exemples de l'énoncé"""
    for a, b, expected in HANDOUT_SHAPES:
        try:
            got = work.module.broadcast_shape(a, b)
        except StudentError:
            if expected is None:
                continue  # an exception is a clear "incompatible" too
            raise
        if expected is None:
            if got is not None and got is not False and not (isinstance(got, str) and "incompatible" in got.lower()):
                fail(text(f"broadcast_shape({a}, {b}) returned {got}: the shapes are incompatible "
                          "(None expected)",
                          f"broadcast_shape({a}, {b}) a renvoyé {got} : les tailles sont incompatibles "
                          "(None attendu)"))
        elif got is None or list(got) != list(expected):
            fail(text(f"broadcast_shape({a}, {b}) returned {got}, {expected} expected",
                      f"broadcast_shape({a}, {b}) a renvoyé {got}, {expected} attendu"))
    m = work.module
    A = torch.tensor([[0.0, 0, 0], [10, 10, 10], [20, 20, 20], [30, 30, 30]])
    expect_equal(m.ajoute_valeur(A, 7.0), A + 7, name="ajoute_valeur(A, 7)")
    expect_equal(m.ajoute_colonne(A, torch.tensor([1.0, 2, 3, 4])),
                 torch.tensor([[1.0, 1, 1], [12, 12, 12], [23, 23, 23], [34, 34, 34]]),
                 name="ajoute_colonne(A, [1, 2, 3, 4])")
    expect_equal(m.ajoute_ligne(A, torch.tensor([0.0, 1, 2])),
                 torch.tensor([[0.0, 1, 2], [10, 11, 12], [20, 21, 22], [30, 31, 32]]),
                 name="ajoute_ligne(A, [0, 1, 2])")
    expect_equal(m.colonne_plus_ligne(torch.tensor([10.0, 10, 10, 10]), torch.tensor([0.0, 1, 2])),
                 torch.tensor([[10.0, 11, 12]] * 4), name="colonne_plus_ligne([10]*4, [0, 1, 2])")
    A3 = torch.tensor([[0.0, 0, 0], [10, 10, 10], [20, 20, 20]])
    expect_equal(m.ajoute_colonne_3d(A3, torch.tensor([4.0, 5, 6])),
                 torch.stack([A3 + 4, A3 + 5, A3 + 6]), name="ajoute_colonne_3d(A, [4, 5, 6])")


@pytest.mark.uses("grille_pixels", "ComputeCatPerPixel")
@pytest.mark.question("broadcasting")
def test_pixel_grid_and_category_per_pixel(work):
    """5.5 step 1: the (H, W, 2) pixel tensor and the argmax category of every pixel
    fr: 5.5 étape 1 : le tenseur (H, W, 2) des pixels et la catégorie argmax de chaque pixel"""
    XXXX, YYYY = np.meshgrid(np.array([-0.5, -0.1, 0.5]), np.array([-1.0, 1.0]))
    T = work.module.grille_pixels(XXXX, YYYY)
    expect_shape(T, (2, 3, 2), name="grille_pixels(XXXX, YYYY)")
    expect_close(T, np.stack([XXXX, YYYY], axis=2), name="grille_pixels(XXXX, YYYY)")
    # scores (x, -x, y): category 0 where x is largest, 1 where -x is, 2 where y is
    layer = (torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]]), torch.zeros(3))
    cats = work.session.run_driver(DRIVERS, "call_with_model", "ComputeCatPerPixel", [layer],
                                   XXXX, YYYY)
    if not isinstance(cats, np.ndarray):
        fail(text(f"ComputeCatPerPixel must return a NumPy array (for plt.contourf), got "
                  f"{type(cats).__name__}",
                  f"ComputeCatPerPixel doit renvoyer un tableau Numpy (pour plt.contourf), pas "
                  f"{type(cats).__name__}"))
    expect_equal(cats, np.array([[1, 1, 0], [2, 2, 2]]), name="ComputeCatPerPixel(model, XXXX, YYYY)")


# -- 3.7 graph of a neuron, then of a 1-3-1 network -------------------------------------------------

LX = np.linspace(-2, 2, 5)


def _as_curve(values, name):
    values = np.asarray(values.detach() if isinstance(values, torch.Tensor) else values, dtype=float)
    if values.size != len(LX) or values.ndim > 2:
        fail(text(f"{name} has shape {values.shape}: one ordinate per abscissa ({len(LX)},) expected",
                  f"{name} a la taille {values.shape} : une ordonnée par abscisse ({len(LX)},) attendue"))
    return values.reshape(-1)


@pytest.mark.uses("courbe_neurone", "courbe_reseau")
@pytest.mark.question("graph_linear")
def test_curves_on_fixed_layers(work):
    """step 1: ReLU(2x - 1) on linspace(-2, 2, 5); step 2: Linear(1, 3) + ReLU then Linear(3, 1)
    fr: étape 1 : ReLU(2x - 1) sur linspace(-2, 2, 5) ; étape 2 : Linear(1, 3) + ReLU puis Linear(3, 1)"""
    layer = (torch.tensor([[2.0]]), torch.tensor([-1.0]))
    Ly = work.session.run_driver(DRIVERS, "call_with_layers", "courbe_neurone", [layer], LX)
    expect_close(_as_curve(Ly, "Ly"), [0.0, 0.0, 0.0, 1.0, 3.0], name="Ly")
    layer1 = (torch.tensor([[1.0], [-1.0], [2.0]]), torch.tensor([0.0, 0.0, -1.0]))
    layer2 = (torch.tensor([[1.0, 1.0, -1.0]]), torch.tensor([0.5]))
    Ly = work.session.run_driver(DRIVERS, "call_with_layers", "courbe_reseau", [layer1, layer2], LX)
    hidden = np.maximum(0, np.stack([LX, -LX, 2 * LX - 1], axis=1))
    expect_close(_as_curve(Ly, "Ly"), hidden @ np.array([1.0, 1.0, -1.0]) + 0.5, name="Ly")


@pytest.mark.uses("courbe_neurone", "courbe_reseau")
@pytest.mark.question("graph_linear")
@pytest.mark.weight(2)
@pytest.mark.incidental
def test_curves_have_no_python_loop(work):
    """the curves are computed on all points at once (no Python loop)
    fr: les courbes sont calculées sur tous les points à la fois (sans boucle Python)"""
    why_en = "give the layer all the points at once, as a (k, 1) tensor (3.6)"
    why_fr = "donnez tous les points en une fois à la couche, sous forme d'un tenseur (k, 1) (3.6)"
    expect_no_loop(work, "courbe_neurone", what_en=why_en, what_fr=why_fr)
    expect_no_loop(work, "courbe_reseau", what_en=why_en, what_fr=why_fr)


# -- 5.5 hinge, 5.6 step 5 -------------------------------------------------------------------------


@pytest.mark.uses("ErrScores")
@pytest.mark.question("hinge")
def test_hinge_on_the_handouts_example(work):
    """Err((1, 5, 3), id_cat) with δ = 0: 0 for the right category, 6 for category 0
    fr: Err((1, 5, 3), id_cat) avec δ = 0 : 0 pour la bonne catégorie, 6 pour la catégorie 0"""
    Scores = torch.tensor([1.0, 5.0, 3.0])
    expect_close(work.module.ErrScores(Scores, 1, 0), 0.0, name="ErrScores((1, 5, 3), 1, delta=0)")
    expect_close(work.module.ErrScores(Scores, 0, 0), 6.0, name="ErrScores((1, 5, 3), 0, delta=0)")
    expect_close(work.module.ErrScores(Scores, 2, 0), 2.0, name="ErrScores((1, 5, 3), 2, delta=0)")


@pytest.mark.uses("ErrScoresVectorisee")
@pytest.mark.question("spiral_vectorized")
def test_vectorized_error_on_a_small_batch(work):
    """ErrScoresVectorisee with δ = 0 on two samples equals the sum of their errors
    fr: ErrScoresVectorisee avec δ = 0 sur deux échantillons égale la somme de leurs erreurs"""
    Scores = torch.tensor([[1.0, 5.0, 3.0], [2.0, 0.0, 1.0]])
    got = work.module.ErrScoresVectorisee(Scores, torch.tensor([0, 0]), 0)
    expect_close(got, 6.0, name="ErrScoresVectorisee(Scores, CAT=[0, 0], delta=0)")


@pytest.mark.uses("ErrScoresVectorisee")
@pytest.mark.question("spiral_vectorized")
@pytest.mark.weight(2)
@pytest.mark.incidental
def test_vectorized_error_has_no_python_loop(work):
    """ErrScoresVectorisee has no Python loop
    fr: ErrScoresVectorisee n'a pas de boucle Python"""
    expect_no_loop(work, "ErrScoresVectorisee",
                   what_en="index the right scores with Scores[I, CAT], I = torch.arange(0, n)",
                   what_fr="prenez les bons scores avec Scores[I, CAT], I = torch.arange(0, n)")


# -- exercises handed in as functions or scripts (self-checks) --------------------------------------


@pytest.mark.question("neq")
@pytest.mark.self_check
def test_neq_converges_in_under_100_iterations(work):
    """the descent on a converges on the four samples in at most 100 iterations
    fr: la descente sur a converge sur les quatre échantillons en 100 itérations au plus"""
    a, iterations, record, form = neq_training(work, "descente_gradient")
    reached = converged_at(iterations, a)
    if reached is None or reached > NEQ_MAX_ITERATIONS:
        fail(text(f"a = {a:.4g} at the end: min(a·|x − y|, 1) is not within {NEQ_TOLERANCE} of the "
                  f"answers after {NEQ_MAX_ITERATIONS} iterations (choose the step)",
                  f"a = {a:.4g} à la fin : min(a·|x − y|, 1) n'est pas à {NEQ_TOLERANCE} près des "
                  f"réponses après {NEQ_MAX_ITERATIONS} itérations (choisissez le pas)"))


@pytest.mark.question("neq_vectorized")
@pytest.mark.self_check
def test_neq_without_loop_converges(work):
    """the descent without the loop over the samples converges and repeats no operation per sample
    fr: la descente sans la boucle sur les échantillons converge et ne répète aucune opération par échantillon"""
    a, iterations, record, form = neq_training(work, "descente_gradient_vectorisee")
    if form == "function":
        expect_no_loop(work, "ErrTot_vectorisee", what_en="one tensor holds the four samples",
                       what_fr="un seul tenseur contient les quatre échantillons")
    repeated = record.repeated_operations(4)
    if repeated or (iterations and iterations[0].passes > 1):
        fail(text("the error is still computed sample by sample", "l'erreur est encore calculée échantillon par échantillon"))
    reached = converged_at(iterations, a)
    if reached is None or reached > NEQ_MAX_ITERATIONS:
        fail(text(f"a = {a:.4g} at the end: not converged in {NEQ_MAX_ITERATIONS} iterations",
                  f"a = {a:.4g} à la fin : pas de convergence en {NEQ_MAX_ITERATIONS} itérations"))


@pytest.mark.question("categories")
@pytest.mark.self_check
def test_categories_every_point_in_its_zone(work):
    """after training, each of the 10 points is in the zone of its category
    fr: après apprentissage, chacun des 10 points est dans la zone de sa catégorie"""
    X, CAT = categories_points()
    params, _ = work.trained_parameters("apprend_categories", (X, CAT), CATEGORIES_TIMEOUT)
    layer = find_linear_2_3(params)
    if layer is None:
        fail(text(f"no Linear(2, 3) found (parameters of shapes {shapes_of(params)})",
                  f"pas de Linear(2, 3) trouvée (paramètres de tailles {shapes_of(params)})"))
    W, b = layer
    wrong = int((torch.argmax(X.double() @ W.T + b, dim=1) != CAT).sum())
    if wrong:
        fail(text(f"{wrong} of the 10 points are not in their zone", f"{wrong} des 10 points ne sont pas dans leur zone"))


@pytest.mark.question("spiral")
@pytest.mark.self_check
def test_spiral_is_learnt(work):
    """the 2-layer network learns the spiral (accuracy on fresh points)
    fr: le réseau à 2 couches apprend l'hélice (précision sur de nouveaux points)"""
    X, CAT = spiral()
    params, _ = work.trained_parameters("apprend_helice", (X, CAT), SPIRAL_TIMEOUT)
    layers = find_two_layers(params)
    if layers is None:
        fail(text(f"no Linear(2, nb) + Linear(nb, 3) found (parameters of shapes {shapes_of(params)})",
                  f"pas de Linear(2, nb) + Linear(nb, 3) trouvées (paramètres de tailles {shapes_of(params)})"))
    W1, b1, W2, b2 = layers
    if W1.shape[0] not in HIDDEN_SIZES:
        fail(text(f"{W1.shape[0]} hidden neurons: choose among {HIDDEN_SIZES}",
                  f"{W1.shape[0]} neurones cachés : choisissez parmi {HIDDEN_SIZES}"))
    Xh, Ch = spiral_held_out()
    acc = accuracy(torch.relu(Xh.double() @ W1.T + b1) @ W2.T + b2, Ch)
    if acc < SPIRAL_ACCURACY:
        fail(text(f"accuracy {acc:.1%} on fresh points of the spiral, {SPIRAL_ACCURACY:.0%} expected",
                  f"précision {acc:.1%} sur de nouveaux points de l'hélice, {SPIRAL_ACCURACY:.0%} attendus"))
