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
    "intake_symlink_skipped": {
        "en": "{file} is a symbolic link: skipped",
        "fr": "{file} est un lien symbolique : ignoré",
    },
    "intake_onlinetext": {
        "en": "the text typed in Moodle's online editor was saved as {file}",
        "fr": "le texte saisi dans l'éditeur en ligne de Moodle a été enregistré dans {file}",
    },
    "intake_duplicate_student": {
        "en": "two folders give the student id {student}: the second one is {folder}",
        "fr": "deux dossiers donnent l'identifiant étudiant {student} : le second est {folder}",
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
    "intake_file_renamed": {
        "en": "{file} was not found under that name: {used} was graded instead",
        "fr": "{file} n'a pas été trouvé sous ce nom : {used} a été corrigé à la place",
    },
    "intake_file_chosen": {
        "en": "several files could be {file}: {used} was graded (also considered: {others})",
        "fr": "plusieurs fichiers pouvaient être {file} : {used} a été corrigé (aussi envisagés : {others})",
    },
    "intake_empty_file": {
        "en": "{file} contains no code",
        "fr": "{file} ne contient pas de code",
    },
    "intake_notebook_unreadable": {
        "en": "the notebook {file} could not be read: {error}",
        "fr": "le notebook {file} n'a pas pu être lu : {error}",
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
