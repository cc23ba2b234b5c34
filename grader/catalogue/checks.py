"""Catalogue entries of the checks (grader/checks: compare, diagnose, gradients, expect, parameters).

Every line a student sees after a failed comparison is one of these templates. They are kept to
one line each: the first says what is wrong, the diagnoses say why it probably is, the rest show
where and how much. Parameters are plain strings and numbers (shapes and values are formatted
before they get here), so messages stay JSON-serialisable.
"""

from __future__ import annotations

from grader.messages import register

ENTRIES: dict[str, dict[str, str]] = {
    # -- what is wrong -----------------------------------------------------------------------------
    "value_type": {
        "en": "{name} is of type {actual} but {expected} was expected",
        "fr": "{name} est de type {actual} alors que {expected} était attendu",
    },
    "value_shape": {
        "en": "{name} has shape {actual} but {expected} was expected",
        "fr": "{name} a la forme {actual} alors que {expected} était attendue",
    },
    "value_dtype": {
        "en": "{name} has dtype {actual} but {expected} was expected",
        "fr": "{name} a le type d'éléments (dtype) {actual} alors que {expected} était attendu",
    },
    "values_wrong": {
        "en": "{name} is wrong in {count} of {total} entries (tolerance rtol={rtol:.1g}, atol={atol:.1g})",
        "fr": "{name} est faux pour {count} des {total} éléments (tolérance rtol={rtol:.1g}, atol={atol:.1g})",
    },
    "value_wrong": {
        "en": "{name} is {actual} but {expected} was expected",
        "fr": "{name} vaut {actual} alors que {expected} était attendu",
    },
    "nonfinite": {
        "en": "{name} contains {value} at index {where} where {expected} was expected (non-finite "
              "entries: {count}): an overflow (exp of a large number?) or a division by zero?",
        "fr": "{name} contient {value} à l'indice {where} là où {expected} était attendu (valeurs "
              "non finies : {count}) : un dépassement (exp d'un grand nombre ?) ou une division par zéro ?",
    },
    "nonfinite_scalar": {
        "en": "{name} is {value} where {expected} was expected: an overflow (exp of a large number?) "
              "or a division by zero?",
        "fr": "{name} vaut {value} alors que {expected} était attendu : un dépassement (exp d'un grand "
              "nombre ?) ou une division par zéro ?",
    },
    "missing_key": {
        "en": "{name} has no key {missing} (keys present: {keys})",
        "fr": "{name} n'a pas de clé {missing} (clés présentes : {keys})",
    },
    "length": {
        "en": "{name} has {actual} items but {expected} were expected",
        "fr": "{name} a {actual} éléments alors que {expected} étaient attendus",
    },
    "input_mutated": {
        "en": "your code modified its input {name} in place: work on a copy (x.clone(), x.copy()) "
              "or use out-of-place operations (x = x + 1, not x += 1)",
        "fr": "votre code a modifié son entrée {name} sur place : travaillez sur une copie "
              "(x.clone(), x.copy()) ou utilisez des opérations non en place (x = x + 1, pas x += 1)",
    },
    "input_changed_at": {
        "en": "for instance at index {where}: was {before}, now {after}",
        "fr": "par exemple à l'indice {where} : valait {before}, vaut maintenant {after}",
    },
    # -- where and how much ------------------------------------------------------------------------
    "largest_error": {
        "en": "largest error {err:.3g} at index {where} (expected {expected}, got {actual})",
        "fr": "plus grande erreur {err:.3g} à l'indice {where} (attendu {expected}, obtenu {actual})",
    },
    "expected_value": {
        "en": "expected: {value}",
        "fr": "attendu : {value}",
    },
    "actual_value": {
        "en": "got: {value}",
        "fr": "obtenu : {value}",
    },
    # -- diagnoses: why it is probably wrong -------------------------------------------------------
    "transposed": {
        "en": "{name} is the transpose of the expected result: did you transpose W "
              "(or swap the operands of a product)?",
        "fr": "{name} est la transposée du résultat attendu : avez-vous transposé W "
              "(ou inversé les opérandes d'un produit) ?",
    },
    "transposed_shape": {
        "en": "shape {actual} is the transpose of {expected}: did you transpose W "
              "(or swap the operands of a product)?",
        "fr": "la forme {actual} est la transposée de {expected} : avez-vous transposé W "
              "(ou inversé les opérandes d'un produit) ?",
    },
    "sign_flipped": {
        "en": "the sign of {name} is flipped: did you step up the gradient, or forget a minus?",
        "fr": "le signe de {name} est inversé : avez-vous remonté le gradient au lieu de le descendre, "
              "ou oublié un signe moins ?",
    },
    "percent_vs_fraction": {
        "en": "{value} looks like a percentage; a fraction in [0, 1] was expected (do not multiply by 100)",
        "fr": "{value} ressemble à un pourcentage ; une fraction dans [0, 1] était attendue "
              "(ne multipliez pas par 100)",
    },
    "fraction_vs_percent": {
        "en": "{value} looks like a fraction in [0, 1]; a percentage was expected (multiply by 100)",
        "fr": "{value} ressemble à une fraction dans [0, 1] ; un pourcentage était attendu "
              "(multipliez par 100)",
    },
    "scaled_by_n": {
        "en": "{name} is {n} × the expected value, and {n} is the batch size: the sum of the loss over "
              "the batch instead of its mean?",
        "fr": "{name} vaut {n} × la valeur attendue, et {n} est la taille du lot : la somme de la perte "
              "sur le lot au lieu de sa moyenne ?",
    },
    "divided_by_n": {
        "en": "{name} is 1/{n} of the expected value, and {n} is the batch size: divided by the batch "
              "size once too often (a mean where a sum was expected)?",
        "fr": "{name} vaut 1/{n} de la valeur attendue, et {n} est la taille du lot : une division de trop "
              "par la taille du lot (une moyenne au lieu d'une somme) ?",
    },
    "scaled_by_factor": {
        "en": "{name} is {factor} × the expected value: off by a constant factor",
        "fr": "{name} vaut {factor} × la valeur attendue : erreur d'un facteur constant",
    },
    "constant_offset": {
        "en": "{name} is off by the same constant {offset:.4g} everywhere: a constant or bias term "
              "missing or added twice?",
        "fr": "{name} est décalé de la même constante {offset:.4g} partout : un terme constant ou un biais "
              "oublié ou ajouté deux fois ?",
    },
    "constant_offset_per_column": {
        "en": "{name} is off by a constant per column: a bias term (+ b) missing or added twice?",
        "fr": "{name} est décalé d'une constante par colonne : un biais (+ b) oublié ou ajouté deux fois ?",
    },
    "constant_offset_per_row": {
        "en": "{name} is off by a constant per row: a row-wise term missing or extra "
              "(e.g. the log-sum-exp of a log-softmax)?",
        "fr": "{name} est décalé d'une constante par ligne : un terme par ligne oublié ou en trop "
              "(par ex. le log-sum-exp d'un log-softmax) ?",
    },
    "softmax_wrong_dim": {
        "en": "{name}: softmax taken over the wrong dimension (its columns sum to 1, not its rows): "
              "use dim=1 (axis=1), not dim=0",
        "fr": "{name} : softmax calculé sur la mauvaise dimension (ses colonnes somment à 1, pas ses "
              "lignes) : utilisez dim=1 (axis=1), pas dim=0",
    },
    "broadcast_nn": {
        "en": "{name} has shape ({n}, {n}) where {expected} was expected: a ({n},) vector was combined "
              "with a ({n}, 1) one and broadcast; check the shapes before subtracting/multiplying",
        "fr": "{name} a la forme ({n}, {n}) alors que {expected} était attendue : un vecteur ({n},) a été "
              "combiné à un ({n}, 1) et diffusé (broadcast) ; vérifiez les formes avant de "
              "soustraire/multiplier",
    },
    "broadcast_nn_value": {
        "en": "{name} is what you get when an (n,) vector is combined with an (n, 1) one: broadcasting "
              "makes an (n, n) matrix; check the shapes before subtracting/multiplying",
        "fr": "{name} correspond à un vecteur (n,) combiné à un (n, 1) : la diffusion (broadcast) donne "
              "une matrice (n, n) ; vérifiez les formes avant de soustraire/multiplier",
    },
    "extra_dim": {
        "en": "{name} has an extra dimension of size 1: shape {actual} instead of {expected} "
              "(squeeze it, or keepdim=False?)",
        "fr": "{name} a une dimension de taille 1 en trop : forme {actual} au lieu de {expected} "
              "(squeeze, ou keepdim=False ?)",
    },
    "extra_dim_values_ok": {
        "en": "the values of {name} are right, only the shape is not: an extra dimension of size 1, "
              "{actual} instead of {expected} (squeeze it, or keepdim=False?)",
        "fr": "les valeurs de {name} sont justes, seule la forme ne l'est pas : une dimension de taille 1 "
              "en trop, {actual} au lieu de {expected} (squeeze, ou keepdim=False ?)",
    },
    "missing_dim": {
        "en": "{name} lacks a dimension of size 1: shape {actual} instead of {expected} "
              "(unsqueeze, or keepdim=True?)",
        "fr": "il manque à {name} une dimension de taille 1 : forme {actual} au lieu de {expected} "
              "(unsqueeze, ou keepdim=True ?)",
    },
    "missing_dim_values_ok": {
        "en": "the values of {name} are right, only the shape is not: a dimension of size 1 is missing, "
              "{actual} instead of {expected} (unsqueeze, or keepdim=True?)",
        "fr": "les valeurs de {name} sont justes, seule la forme ne l'est pas : il manque une dimension "
              "de taille 1, {actual} au lieu de {expected} (unsqueeze, ou keepdim=True ?)",
    },
    "size_one_dims": {
        "en": "shape {actual} differs from {expected} only in dimensions of size 1 (reshape/view?)",
        "fr": "la forme {actual} ne diffère de {expected} que par des dimensions de taille 1 "
              "(reshape/view ?)",
    },
    # -- standard shape / type checks (grader.checks.expect) ------------------------------------
    "expected_type": {
        "en": "{name} must be {expected}, not {actual}",
        "fr": "{name} doit être {expected}, pas {actual}",
    },
    "missing_keys": {
        "en": "{name} lacks the key(s) {missing} (keys found: {found})",
        "fr": "il manque à {name} la ou les clés {missing} (clés trouvées : {found})",
    },
    "expected_tuple": {
        "en": "{name} must be a tuple of {count} values, got {actual}",
        "fr": "{name} doit être un tuple de {count} valeurs, pas {actual}",
    },
    "python_loop": {
        "en": "{function} still has a Python loop ({kind}, {where}){inside}",
        "fr": "{function} contient encore une boucle Python ({kind}, {where}){inside}",
    },
    "parameters_not_found": {
        "en": "no array of shape {shape} for {name} among your object's attributes (arrays found: {found})",
        "fr": "aucun tableau de forme {shape} pour {name} parmi les attributs de votre objet (tableaux trouvés : {found})",
    },
}

# How a question's feedback orders these lines (grader.summary): a message that names a cause
# (a diagnosis above, an author's sentence, an exception) comes first; these say only *that* a
# value is wrong, and these last ones only where and how much.
STATEMENTS = frozenset({"value_type", "value_shape", "value_dtype", "values_wrong", "value_wrong",
                        "missing_key", "length", "expected_type", "missing_keys", "expected_tuple"})
DETAILS = frozenset({"largest_error", "expected_value", "actual_value", "input_changed_at"})

register(ENTRIES)
