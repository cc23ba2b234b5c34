"""Feedback the intake stage gives, in French and English.

Every note or fatal reason the intake produces is a `grader.messages.Message` built from one of
these keys. Parameters are plain strings or numbers so that a `PreparedSubmission` round-trips
through JSON unchanged.
"""

from __future__ import annotations

from grader.messages import register

INTAKE_MESSAGES: dict[str, dict[str, str]] = {
    # --- discover: the batch and its archives -------------------------------------------------
    "intake_ignored_file": {
        "en": "{file} is not inside a student's folder: ignored",
        "fr": "{file} n'est dans le dossier d'aucun étudiant : ignoré",
    },
    "intake_archive_extracted": {
        "en": "the archive {archive} was extracted ({count} files)",
        "fr": "l'archive {archive} a été décompressée ({count} fichiers)",
    },
    "intake_archive_unsafe_entry": {
        "en": "{archive}: entry {entry!r} skipped ({reason})",
        "fr": "{archive} : entrée {entry!r} ignorée ({reason})",
    },
    "intake_archive_more_skipped": {
        "en": "{archive}: {count} more entries skipped (links, special files or paths outside the archive)",
        "fr": "{archive} : {count} autres entrées ignorées (liens, fichiers spéciaux ou chemins hors de l'archive)",
    },
    "intake_archive_too_large": {
        "en": "{archive} is too large to be extracted (more than {limit}): it was not opened",
        "fr": "{archive} est trop volumineuse pour être décompressée (plus de {limit}) : elle n'a pas été ouverte",
    },
    "intake_archive_unreadable": {
        "en": "the archive {archive} could not be opened: {error}",
        "fr": "l'archive {archive} n'a pas pu être ouverte : {error}",
    },
    "intake_archive_unsupported": {
        "en": "{archive}: this kind of archive is not supported (use .zip or .tar.gz); it was not opened",
        "fr": "{archive} : ce type d'archive n'est pas pris en charge (utilisez .zip ou .tar.gz) ; elle n'a pas été ouverte",
    },
    "intake_archive_too_deep": {
        "en": "{archive}: archives nested too deeply; this one was not opened",
        "fr": "{archive} : trop d'archives imbriquées ; celle-ci n'a pas été ouverte",
    },
    "intake_archive_names_not_utf8": {
        "en": "{archive}: {count} names were not valid UTF-8; they were read as {encoding} (e.g. {example})",
        "fr": "{archive} : {count} noms n'étaient pas en UTF-8 valide ; ils ont été lus comme {encoding} (par ex. {example})",
    },
    "intake_symlink_skipped": {
        "en": "{file} is a symbolic link: skipped",
        "fr": "{file} est un lien symbolique : ignoré",
    },
    "intake_onlinetext": {
        "en": "the text typed in Moodle's online editor was saved as {file}",
        "fr": "le texte saisi dans l'éditeur en ligne de Moodle a été enregistré dans {file}",
    },
    "intake_name_not_utf8": {
        "en": "the name {name} was not valid UTF-8; it was read as {encoding}",
        "fr": "le nom {name} n'était pas en UTF-8 valide ; il a été lu comme {encoding}",
    },
    "intake_copy_failed": {
        "en": "{file} could not be copied ({error}): it was left out",
        "fr": "{file} n'a pas pu être copié ({error}) : il a été laissé de côté",
    },
    "intake_onlinetext_too_large": {
        "en": "the text typed in Moodle's online editor ({size_kb} kB) is too large to be read as code: only the HTML was kept",
        "fr": "le texte saisi dans l'éditeur en ligne de Moodle ({size_kb} ko) est trop long pour être lu comme du code : seul le HTML a été gardé",
    },
    "intake_discover_failed": {
        "en": "your files could not all be taken in ({error})",
        "fr": "vos fichiers n'ont pas tous pu être récupérés ({error})",
    },
    # --- guard: an intake that failed or ran out of time ------------------------------------------
    "intake_failed": {
        "en": "the grader could not prepare your submission: {reason}. Nothing could be graded; your teacher has been told",
        "fr": "le correcteur n'a pas pu préparer votre rendu : {reason}. Rien n'a pu être corrigé ; votre enseignant a été prévenu",
    },
    "intake_reason_timeout": {
        "en": "reading it took more than {seconds} s",
        "fr": "sa lecture a pris plus de {seconds} s",
    },
    "intake_reason_error": {
        "en": "internal error of the intake ({error})",
        "fr": "erreur interne de la préparation ({error})",
    },
    # --- prepare: which file is graded ----------------------------------------------------------
    "intake_empty_submission": {
        "en": "nothing was handed in (the submission folder is empty)",
        "fr": "rien n'a été rendu (le dossier de rendu est vide)",
    },
    "intake_missing_file": {
        "en": "{file} was not found in your submission (files found: {found})",
        "fr": "{file} est introuvable dans votre rendu (fichiers trouvés : {found})",
    },
    "intake_class_alias": {
        "en": "class {canonical}: your {name} (in {file}) was graded",
        "fr": "classe {canonical} : votre {name} (dans {file}) a été corrigée",
    },
    "intake_file_renamed": {
        "en": "{file} was not found under that name: {used} was graded instead",
        "fr": "{file} n'a pas été trouvé sous ce nom : {used} a été corrigé à la place",
    },
    "intake_file_chosen": {
        "en": "several files could be {file}: {used} was graded (also considered: {others})",
        "fr": "plusieurs fichiers pouvaient être {file} : {used} a été corrigé (aussi envisagés : {others})",
    },
    "intake_file_passed_over": {
        "en": "{file}: {other} was not graded: {reason}",
        "fr": "{file} : {other} n'a pas été corrigé : {reason}",
    },
    "intake_checkpoint_used": {
        "en": "{file}: {used} is a Jupyter checkpoint copy (.ipynb_checkpoints); it was graded because it is the only file where the functions are filled in",
        "fr": "{file} : {used} est une copie de sauvegarde de Jupyter (.ipynb_checkpoints) ; elle a été corrigée car c'est le seul fichier où les fonctions sont complétées",
    },
    "intake_reason_python2": {
        "en": "it is Python 2, which does not run under Python 3 (line {line}: {construct})",
        "fr": "c'est du Python 2, qui ne tourne pas sous Python 3 (ligne {line} : {construct})",
    },
    "intake_reason_syntax": {
        "en": "it has a syntax error (line {line})",
        "fr": "il contient une erreur de syntaxe (ligne {line})",
    },
    "intake_reason_unreadable": {
        "en": "it could not be read",
        "fr": "il n'a pas pu être lu",
    },
    "intake_reason_stubs": {
        "en": "its functions are still the starter's stubs (raise NotImplementedError / pass)",
        "fr": "ses fonctions sont encore celles du modèle fourni (raise NotImplementedError / pass)",
    },
    "intake_reason_checkpoint": {
        "en": "it is a Jupyter checkpoint copy (.ipynb_checkpoints), and {used} is filled in",
        "fr": "c'est une copie de sauvegarde de Jupyter (.ipynb_checkpoints), et {used} est complété",
    },
    "intake_reason_fewer": {
        "en": "it fills in fewer of the graded functions ({count}, against {best} in {used})",
        "fr": "il complète moins de fonctions notées ({count}, contre {best} dans {used})",
    },
    "intake_reason_tie": {
        "en": "{used} fills in as many of the graded functions and was preferred (its name, then the most recent)",
        "fr": "{used} complète autant de fonctions notées et a été préféré (son nom, puis le plus récent)",
    },
    "intake_empty_file": {
        "en": "{file} contains no code",
        "fr": "{file} ne contient pas de code",
    },
    "intake_notebook_unreadable": {
        "en": "the notebook {file} could not be read: {error}",
        "fr": "le notebook {file} n'a pas pu être lu : {error}",
    },
    "intake_file_too_large": {
        "en": "{file} ({size_mb} MB) is larger than the {limit_mb} MB the grader reads: it was not read",
        "fr": "{file} ({size_mb} Mo) dépasse les {limit_mb} Mo que le correcteur lit : il n'a pas été lu",
    },
    "intake_too_many_cells": {
        "en": "{file} has {count} cells: only the first {limit} were read",
        "fr": "{file} a {count} cellules : seules les {limit} premières ont été lues",
    },
    "intake_cell_too_large": {
        "en": "{file}, cell {cell}: {size_kb} kB of text, more than the {limit_kb} kB the grader reads in a cell: its code was left out",
        "fr": "{file}, cellule {cell} : {size_kb} ko de texte, plus que les {limit_kb} ko que le correcteur lit dans une cellule : son code a été laissé de côté",
    },
    "intake_file_unreadable": {
        "en": "{file} could not be read: {error}",
        "fr": "{file} n'a pas pu être lu : {error}",
    },
    "intake_encoding": {
        "en": "{file} is not UTF-8; it was read as {encoding}",
        "fr": "{file} n'est pas en UTF-8 ; il a été lu comme {encoding}",
    },
    # --- prepare: syntax ------------------------------------------------------------------------
    "intake_syntax_error": {
        "en": "{file}: SyntaxError line {line}: {error}",
        "fr": "{file} : SyntaxError ligne {line} : {error}",
    },
    "intake_python2": {
        "en": "{file}: SyntaxError line {line}: {construct} — Python 2? The grader runs Python 3",
        "fr": "{file} : SyntaxError ligne {line} : {construct} — du Python 2 ? Le correcteur utilise Python 3",
    },
    "intake_cell_syntax_error": {
        "en": "{file}: this cell has a syntax error and was skipped (line {line}: {error})",
        "fr": "{file} : cette cellule contient une erreur de syntaxe et a été ignorée (ligne {line} : {error})",
    },
    # --- prepare: what was kept -----------------------------------------------------------------
    "intake_skipped_toplevel": {
        "en": "{file}: skipped {count} top-level statements ({lines}): training code is not run by the grader",
        "fr": "{file} : {count} instructions de premier niveau ignorées ({lines}) : le code d'entraînement n'est pas exécuté par le correcteur",
    },
    "intake_unrun_globals": {
        "en": "{file}: your functions use {names}, set by top-level code the grader does not run; they fail if they need them",
        "fr": "{file} : vos fonctions utilisent {names}, définies par du code de premier niveau que le correcteur n'exécute pas ; elles échouent si elles en ont besoin",
    },
    "intake_unfilled_template": {
        "en": "{file}: every graded function is still the starter's template (raise NotImplementedError / pass)",
        "fr": "{file} : toutes les fonctions notées sont encore le modèle fourni (raise NotImplementedError / pass)",
    },
    "intake_definition_chosen": {
        "en": "{module}: {function} is defined {count} times in {file}; the one graded is at {where}",
        "fr": "{module} : {function} est définie {count} fois dans {file} ; celle qui est corrigée est en {where}",
    },
    "intake_signature_mismatch": {
        "en": "{module}: {function} is defined as {function}({found}) but the assignment asks for {function}({expected})",
        "fr": "{module} : {function} est définie comme {function}({found}) alors que le sujet demande {function}({expected})",
    },
    "intake_python2_names": {
        "en": "{file} uses Python 2 names ({names}); the grader runs Python 3",
        "fr": "{file} utilise des noms de Python 2 ({names}) ; le correcteur utilise Python 3",
    },
    # --- prepare: imports -----------------------------------------------------------------------
    "intake_missing_module": {
        "en": "{file}: the module '{module}' is not available in the grader; what you import from it fails only when used",
        "fr": "{file} : le module '{module}' n'est pas disponible dans le correcteur ; ce que vous en importez échoue seulement à l'utilisation",
    },
    "intake_star_import_dropped": {
        "en": "{file}: 'from {module} import *' was removed: the module '{module}' is not available in the grader",
        "fr": "{file} : 'from {module} import *' a été retiré : le module '{module}' n'est pas disponible dans le correcteur",
    },
    "intake_course_helper": {
        "en": "{module}.py was not handed in: the grader's own version of the course helpers (CirclesData, MNISTData…) is used",
        "fr": "{module}.py n'a pas été rendu : la version du correcteur des outils du cours (CirclesData, MNISTData…) est utilisée",
    },
    "intake_large_file_skipped": {
        "en": "{file} ({size_mb} MB) is too large and was not copied",
        "fr": "{file} ({size_mb} Mo) est trop volumineux et n'a pas été copié",
    },
    "intake_writefile": {
        "en": "{file} was written from the %%writefile cell of {notebook}",
        "fr": "{file} a été écrit à partir de la cellule %%writefile de {notebook}",
    },
}

register(INTAKE_MESSAGES)
