"""Self-check inside a notebook (Jupyter, Colab): one question's public tests, from a kernel.

    from grader import notebook_check
    notebook_check("forward")                 # or: from grader import notebook_check as check

What is graded is what the kernel has now: the code of the cells it executed (IPython's input
history, In [1], In [2]…, in order), taken in by intake as a notebook whose cell N is In [N]:

* IPython syntax is neutralised as intake does for any notebook (shell lines, magics);
* the statements that import the grader or call the check are left out, and so is what follows
  the check in the cell running it (not executed yet when the check runs);
* a definition replaced later (same name; for a function, the same number of positional
  parameters) is left out: the kernel only has the last one. A function of another arity (a later
  part's `sgd(params, eta)` after `sgd(params, grads, eta)`) is kept, and intake picks the one
  whose signature the question asks for, as it does for a notebook handed in;
* a graded function defined outside any cell (`%run`, `exec`) comes from inspect.getsource, and
  the student's modules the cells import, found in the kernel's folder, are copied along;
* intake then keeps definitions only (top-level code such as a training loop is not run).

Nothing the student wrote runs in this process: the kernel writes that text to a temporary folder
and starts `python -m grader.notebook` (the same `check` as `grader check`, restricted to one
question), which runs it in the jail. The student's kernel thus imports neither pytest nor the
tests, and its torch settings are untouched. When the jail cannot start (Windows without WSL),
the result says so and nothing is run; when a confinement layer is missing (no Landlock on Colab,
none on macOS), the result lists it with what it would have enforced, as sandbox.py reports it.
"""

from __future__ import annotations

import argparse
import ast
import html
import inspect
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from grader.assignment import Assignment, Question
from grader.messages import DEFAULT_LANGUAGE, Message, msg, register

ENV_ASSIGNMENT = "GRADER_ASSIGNMENT"      # an assignment id or folder, when the kernel's folder says none
SUBMISSION_STUDENT = "notebook"           # the report's student id
CHECK_FUNCTIONS = frozenset({"notebook_check"})
# The assignments next to the grader package itself: a kit installed with `pip install -e .`.
_OWN_ASSIGNMENTS = Path(__file__).resolve().parent.parent / "assignments"

register({
    "notebook_not_in_kernel": {
        "en": "notebook_check runs in a Jupyter, Colab or IPython kernel; in a terminal, run "
              "`python -m grader check {assignment} FOLDER`",
        "fr": "notebook_check s'utilise dans un noyau Jupyter, Colab ou IPython ; dans un terminal, lancez "
              "`python -m grader check {assignment} DOSSIER`",
    },
    "notebook_no_assignment": {
        "en": "which assignment? None was found above {where}: give its id, notebook_check(\"{question}\", "
              "\"ID\"), or set the environment variable " + ENV_ASSIGNMENT,
        "fr": "quel TP ? Aucun n'a été trouvé au-dessus de {where} : donnez son identifiant, "
              "notebook_check(\"{question}\", \"ID\"), ou la variable d'environnement " + ENV_ASSIGNMENT,
    },
    "notebook_unknown_assignment": {
        "en": "no assignment {name!r} (looked in {where})",
        "fr": "aucun TP {name!r} (cherché dans {where})",
    },
    "notebook_several_assignments": {
        "en": "several assignments in {folder} ({ids}): say which one, notebook_check(\"{question}\", \"ID\")",
        "fr": "plusieurs TP dans {folder} ({ids}) : précisez lequel, notebook_check(\"{question}\", \"ID\")",
    },
    "notebook_unknown_question": {
        "en": "{assignment} has no question {question!r}; its questions: {ids}",
        "fr": "{assignment} n'a pas de question {question!r} ; ses questions : {ids}",
    },
    "notebook_graded_cells": {
        "en": "graded: the definitions of the cells this kernel executed, as a notebook {file} whose cell N "
              "is In [N], run again in the grader's jail; public tests only (the final grade also uses "
              "hidden tests)",
        "fr": "noté : les définitions des cellules exécutées par ce noyau, comme un notebook {file} dont la "
              "cellule N est In [N], exécutées à nouveau dans la prison du correcteur ; tests publics "
              "seulement (la note finale utilise aussi des tests cachés)",
    },
    "notebook_cell_unparsable": {
        "en": "In [{cell}] was left out: it is not valid Python ({error}), so it defined nothing in the kernel either",
        "fr": "In [{cell}] a été ignorée : ce n'est pas du Python valide ({error}), elle n'a donc rien défini "
              "dans le noyau non plus",
    },
    "notebook_from_getsource": {
        "en": "{name} is defined in no executed cell: its current definition was taken from inspect.getsource",
        "fr": "{name} n'est définie dans aucune cellule exécutée : sa définition actuelle a été prise "
              "avec inspect.getsource",
    },
    "notebook_module_copied": {
        "en": "your module {file}, imported by the cells, was taken along from {folder}",
        "fr": "votre module {file}, importé par les cellules, a été pris dans {folder}",
    },
    "notebook_jail_unavailable": {
        "en": "your code was not run: the grader's jail cannot start here ({reason}), and the grader never runs "
              "your code outside it. Run the check on Linux, macOS or in WSL: `python -m grader check {assignment} FOLDER`",
        "fr": "votre code n'a pas été exécuté : la prison du correcteur ne peut pas démarrer ici ({reason}), et le "
              "correcteur n'exécute jamais votre code hors d'elle. Lancez la vérification sous Linux, macOS ou "
              "dans WSL : `python -m grader check {assignment} DOSSIER`",
    },
    "notebook_full_jail": {
        "en": "run in the grader's jail, every confinement layer applied",
        "fr": "exécuté dans la prison du correcteur, toutes les couches de confinement appliquées",
    },
    "notebook_degraded_jail": {
        "en": "run in the grader's jail, but this machine does not provide every layer (what each one would "
              "enforce is not enforced here; grading itself runs on Linux with all of them):",
        "fr": "exécuté dans la prison du correcteur, mais cette machine n'en fournit pas toutes les couches "
              "(ce que chacune impose ne l'est pas ici ; la correction elle-même tourne sous Linux avec toutes) :",
    },
    "notebook_layer": {"en": "{explanation} (`{layer}`)", "fr": "{explanation} (`{layer}`)"},
    "notebook_layer_none": {
        "en": "no namespaces, Landlock or seccomp on this system: time limits and resource limits only",
        "fr": "ni espaces de noms, ni Landlock, ni seccomp sur ce système : limites de temps et de ressources seulement",
    },
    "notebook_layer_landlock": {
        "en": "no Landlock: no read-only allowlist of files (the code can read what the worker's user can "
              "read), TCP and signals not restricted by Landlock",
        "fr": "pas de Landlock : pas de liste blanche de fichiers en lecture seule (le code peut lire ce que "
              "l'utilisateur du processus peut lire), TCP et signaux non restreints par Landlock",
    },
    "notebook_layer_seccomp": {
        "en": "no seccomp filter: sockets, starting programs and forking are not refused",
        "fr": "pas de filtre seccomp : sockets, lancement de programmes et fork ne sont pas refusés",
    },
    "notebook_layer_pid": {
        "en": "no pid namespace or fresh /proc: the code can see the machine's other processes",
        "fr": "pas d'espace de noms de pid ni de /proc neuf : le code voit les autres processus de la machine",
    },
    "notebook_layer_namespaces": {
        "en": "no mount or network namespace: the network is cut only by seccomp, the grader's folders are not hidden",
        "fr": "pas d'espace de noms de montage ni de réseau : le réseau n'est coupé que par seccomp, les "
              "dossiers du correcteur ne sont pas masqués",
    },
    "notebook_layer_disk": {
        "en": "no disk quota: the job folder is on this machine's disk, bounded per file only",
        "fr": "pas de quota disque : le dossier de travail est sur le disque de la machine, limité fichier par fichier",
    },
    "notebook_layer_uid": {
        "en": "no user id of its own: the code runs as the kernel's user",
        "fr": "pas d'identifiant d'utilisateur propre : le code tourne sous l'utilisateur du noyau",
    },
    "notebook_layer_threads": {
        "en": "no thread cap for this user",
        "fr": "pas de plafond de threads pour cet utilisateur",
    },
    "notebook_grader_failed": {
        "en": "the check itself failed (the grader's fault, not yours): {error}",
        "fr": "la vérification elle-même a échoué (faute du correcteur, pas la vôtre) : {error}",
    },
    "notebook_timeout": {
        "en": "the check took longer than {seconds:.0f} s and was stopped",
        "fr": "la vérification a pris plus de {seconds:.0f} s et a été arrêtée",
    },
    "notebook_verdict_passed": {"en": "passed", "fr": "réussi"},
    "notebook_verdict_failed": {"en": "not yet", "fr": "pas encore"},
    "notebook_verdict_not_run": {"en": "not checked", "fr": "non vérifié"},
    "notebook_notes": {"en": "Notes", "fr": "Remarques"},
    "notebook_jail": {"en": "Jail", "fr": "Prison"},
})

# The layers sandbox.py reports as skipped, by the start of their text -> what is not enforced.
_LAYER_EXPLANATIONS = (
    ("namespaces, landlock, seccomp", "notebook_layer_none"),
    ("landlock", "notebook_layer_landlock"),
    ("seccomp", "notebook_layer_seccomp"),
    ("pid namespace", "notebook_layer_pid"),
    ("fresh /proc", "notebook_layer_pid"),
    ("mount, network and ipc namespaces", "notebook_layer_namespaces"),
    ("mount namespace", "notebook_layer_namespaces"),
    ("hiding grader folders", "notebook_layer_namespaces"),
    ("disk quota", "notebook_layer_disk"),
    ("unprivileged uid", "notebook_layer_uid"),
    ("user namespace", "notebook_layer_uid"),
    ("thread cap", "notebook_layer_threads"),
)


class _Problem(Exception):
    """The check cannot be made: the message says why (shown as the result, not a traceback)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.key)
        self.message = message


# --- the kernel's code ------------------------------------------------------------------------


@dataclass
class KernelCells:
    """The executed cells as they will be graded: cells[n] is In [n] ("" when left out)."""

    cells: list[str]
    notes: list[Message] = field(default_factory=list)

    def defines(self, name: str) -> bool:
        for text in self.cells:
            tree = _parse(text)
            if tree and any(isinstance(s, _DEFS) and s.name == name for s in tree.body):
                return True
        return False


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def kernel_cells(history: Sequence[str], running: bool = True) -> KernelCells:
    """The code of the executed cells `history` (IPython's raw input history: history[n] is
    In [n], history[0] empty) as it will be graded. `running`: the last entry is the cell calling
    the check, whose statements after the call have not run yet."""
    from grader.intake.notebooks import cell_to_python   # intake's own neutralisation of IPython syntax

    texts = [cell_to_python(str(h or "")).text if i else "" for i, h in enumerate(history)]
    trees: list[ast.Module | None] = []
    notes: list[Message] = []
    for i, text in enumerate(texts):
        try:
            trees.append(ast.parse(text) if text.strip() else None)
        except (SyntaxError, ValueError) as exc:
            trees.append(None)
            texts[i] = ""
            notes.append(msg("notebook_cell_unparsable", cell=i, error=getattr(exc, "msg", str(exc))))
    checks, grader_modules = _check_names(trees)
    dropped: list[set[int]] = [set() for _ in texts]      # per cell: indexes of statements left out
    for i, tree in enumerate(trees):
        if tree is None:
            continue
        for j, stmt in enumerate(tree.body):
            if _imports_grader(stmt) or (not isinstance(stmt, _DEFS) and _calls_check(stmt, checks, grader_modules)):
                dropped[i].add(j)
                if running and i == len(trees) - 1 and not _imports_grader(stmt):
                    dropped[i].update(range(j + 1, len(tree.body)))   # not run yet when the check runs
                    break
    last: dict[tuple, tuple[int, int]] = {}
    for i, tree in enumerate(trees):
        for j, stmt in enumerate(tree.body if tree else []):
            if isinstance(stmt, _DEFS) and j not in dropped[i]:
                key = _definition_key(stmt)
                if key in last:
                    dropped[last[key][0]].add(last[key][1])       # replaced in the kernel by this one
                last[key] = (i, j)
    cells = [_without(texts[i], tree, dropped[i]) if tree else "" for i, tree in enumerate(trees)]
    return KernelCells(cells, notes)


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text) if text.strip() else None
    except (SyntaxError, ValueError):
        return None


def _check_names(trees: list[ast.Module | None]) -> tuple[set[str], set[str]]:
    """(names the check function is bound to, names the grader package is bound to) in the cells."""
    checks, modules = set(CHECK_FUNCTIONS), {"grader"}
    for tree in trees:
        for stmt in tree.body if tree else []:
            if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and _is_grader(stmt.module or ""):
                checks.update(a.asname or a.name for a in stmt.names if a.name in CHECK_FUNCTIONS)
            elif isinstance(stmt, ast.Import):
                modules.update((a.asname or a.name).split(".")[0] for a in stmt.names if _is_grader(a.name))
    return checks, modules


def _is_grader(module: str) -> bool:
    return module == "grader" or module.startswith("grader.")


def _imports_grader(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Import):
        return any(_is_grader(a.name) for a in stmt.names)
    return isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and _is_grader(stmt.module or "")


def _calls_check(stmt: ast.stmt, checks: set[str], modules: set[str]) -> bool:
    for node in ast.walk(stmt):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in checks:
                return True
            if isinstance(func, ast.Attribute) and func.attr in CHECK_FUNCTIONS | {"check"} \
                    and isinstance(func.value, ast.Name) and func.value.id in modules:
                return True
    return False


def _definition_key(stmt: ast.stmt) -> tuple:
    """Definitions with the same key replace one another; a function of another arity is another
    candidate (a later part's version, which intake tells apart by signature)."""
    if isinstance(stmt, ast.ClassDef):
        return ("class", stmt.name)
    args = stmt.args  # type: ignore[attr-defined]
    return ("def", stmt.name, len(args.posonlyargs) + len(args.args))  # type: ignore[attr-defined]


def _without(text: str, tree: ast.Module, dropped: set[int]) -> str:
    """`text` with the statements `dropped` blanked, line for line (cell lines keep their numbers)."""
    if not dropped:
        return text
    lines = text.split("\n")
    kept: set[int] = set()
    blank: set[int] = set()
    for j, stmt in enumerate(tree.body):
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        span = set(range(first, (stmt.end_lineno or stmt.lineno) + 1))
        (blank if j in dropped else kept).update(span)
    # A line shared with a statement that stays (`x = 1; check("f")`) stays: intake drops the call.
    return "\n".join("" if n + 1 in blank - kept else line for n, line in enumerate(lines))


def _history() -> list[str]:
    """IPython's raw input history of this kernel (In [0] empty), or _Problem outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        shell = None
    else:
        shell = get_ipython()
    if shell is not None:
        raw = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
        if raw:
            return [str(h) for h in raw]
    main = sys.modules.get("__main__")
    for name in ("In", "_ih"):     # the history lists IPython puts in the namespace
        value = getattr(main, name, None)
        if isinstance(value, list) and value:
            return [str(h) for h in value]
    raise _Problem(msg("notebook_not_in_kernel", assignment="ID"))


def _from_getsource(cells: KernelCells, assignment: Assignment, question: Question) -> None:
    """Graded functions the kernel has but no executed cell defines (`%run`, exec): their current
    source, as a cell after the others. Only plain functions: asking a student's class or object
    for its source could run the student's code here."""
    main = sys.modules.get("__main__")
    for function in question.functions:
        names = assignment.function_names(function.name.split(".")[0])
        if any(cells.defines(name) for name in names):
            continue
        for name in names:
            obj = (getattr(main, "__dict__", {}) or {}).get(name)
            if isinstance(obj, types.FunctionType):
                try:
                    source = textwrap.dedent(inspect.getsource(obj))
                except (OSError, TypeError):
                    continue
                if _parse(source) is not None:
                    cells.cells.append(source)
                    cells.notes.append(msg("notebook_from_getsource", name=name))
                    break


def _imported_modules(cells: KernelCells, folder: Path) -> list[Path]:
    """The student's own modules the cells import (`from helpers import f`), found in `folder`."""
    found: list[Path] = []
    for text in cells.cells:
        tree = _parse(text)
        for stmt in tree.body if tree else []:
            roots = []
            if isinstance(stmt, ast.Import):
                roots = [a.name.split(".")[0] for a in stmt.names]
            elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
                roots = [stmt.module.split(".")[0]]
            for root in roots:
                path = folder / f"{root}.py"
                if root.isidentifier() and not _is_grader(root) and path.is_file() and path not in found:
                    found.append(path)
    return found


def write_submission(cells: KernelCells, dest: Path, file_name: str) -> Path:
    """The cells as a notebook `dest/<file_name>.ipynb` whose cell N is In [N]."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(text) for text in cells.cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python", "version": platform.python_version()}
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / _notebook_name(file_name)
    nbformat.write(notebook, str(path))
    return path


def _notebook_name(file_name: str) -> str:
    """tp_nn.py -> tp_nn.ipynb: intake takes it in for that manifest file, as a notebook handed in."""
    return f"{Path(file_name).stem}.ipynb"


# --- which assignment -------------------------------------------------------------------------


def _start_folders() -> list[Path]:
    """Where the notebook is: the kernel's folder, and the notebook's own path where the front end
    says it (Jupyter Server sets JPY_SESSION_NAME, VS Code `__vsc_ipynb_file__`)."""
    folders = [Path.cwd()]
    main = sys.modules.get("__main__")
    for value in (os.environ.get("JPY_SESSION_NAME"), getattr(main, "__vsc_ipynb_file__", None),
                  getattr(main, "__session__", None)):
        if isinstance(value, str) and value.endswith(".ipynb") and Path(value).is_absolute():
            folders.append(Path(value).parent)
    return folders


def find_assignment(name: str | os.PathLike | None, question: str,
                    starts: Sequence[Path] | None = None) -> Assignment:
    """The assignment `name` (an id or a folder), else the environment variable GRADER_ASSIGNMENT,
    else the one found above the notebook: the folder of an assignment.toml (a notebook inside
    assignments/<id>/), or an `assignments/` folder holding a single assignment (the kit
    `grader export-student` writes); the grader's own project folder comes last."""
    from grader import assignment as manifest

    name = name if name is not None else os.environ.get(ENV_ASSIGNMENT) or None
    if name is not None and (Path(name) / "assignment.toml").is_file():
        return manifest.load(Path(name))
    starts = list(starts if starts is not None else _start_folders())
    direct: list[Path] = []
    shelves: list[Path] = []          # assignments/ folders, nearest first
    for start in starts:
        for folder in [start, *start.parents]:
            if (folder / "assignment.toml").is_file():
                direct.append(folder)
            if (folder / "assignments").is_dir() and folder / "assignments" not in shelves:
                shelves.append(folder / "assignments")
    if _OWN_ASSIGNMENTS.is_dir() and _OWN_ASSIGNMENTS not in shelves:
        shelves.append(_OWN_ASSIGNMENTS)
    where = ", ".join(str(s) for s in shelves) or str(starts[0] if starts else Path.cwd())
    if name is not None:
        for root in [shelf / str(name) for shelf in shelves] + direct:
            if (root / "assignment.toml").is_file() and manifest.load(root).id == str(name):
                return manifest.load(root)
        raise _Problem(msg("notebook_unknown_assignment", name=str(name), where=where))
    if direct:
        return manifest.load(direct[0])
    for shelf in shelves:
        ids = sorted(p.name for p in shelf.iterdir() if (p / "assignment.toml").is_file())
        if len(ids) == 1:
            return manifest.load(shelf / ids[0])
        if ids:
            raise _Problem(msg("notebook_several_assignments", folder=str(shelf), ids=", ".join(ids),
                               question=question))
    raise _Problem(msg("notebook_no_assignment", where=str(starts[0] if starts else Path.cwd()),
                       question=question))


# --- the result -------------------------------------------------------------------------------


@dataclass
class NotebookCheck:
    """What `notebook_check` returns: shown as rich output in Jupyter / Colab, as text elsewhere.

    `score`, `max_score`, `passed` (full marks on the question's public tests) and `checked` (a
    report was made: the tests ran in the jail, or intake found why they could not) are for code;
    `feedback` and `notes` are the report's messages, rendered; `problem` says why there is no
    report; `applied` / `skipped_layers` are the jail's layers on this machine."""

    question: str
    assignment: str
    lang: str = DEFAULT_LANGUAGE
    title: str = ""
    score: float = 0.0
    max_score: float = 0.0
    checked: bool = False
    skipped: bool = False
    feedback: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problem: str | None = None          # why nothing was checked (no jail, unknown question...)
    applied: list[str] = field(default_factory=list)    # confinement layers, as sandbox.py names them
    skipped_layers: list[str] = field(default_factory=list)
    jail: list[str] = field(default_factory=list)       # what ran where, rendered

    @property
    def passed(self) -> bool:
        return self.checked and not self.skipped and self.problem is None and self.score >= self.max_score > 0

    def _verdict(self) -> str:
        key = "passed" if self.passed else "failed" if self.checked else "not_run"
        return msg(f"notebook_verdict_{key}").render(self.lang)

    def _headline(self) -> str:
        title = self.title or self.question
        if not self.checked:
            return f"{title} — {self._verdict()}"
        return f"{title} : {self.score:g} / {self.max_score:g} — {self._verdict()}" if self.lang == "fr" \
            else f"{title}: {self.score:g} / {self.max_score:g} — {self._verdict()}"

    def __repr__(self) -> str:
        lines = [self._headline()]
        lines += [f"  {self.problem}"] if self.problem else []
        lines += [f"  - {m}" for m in self.feedback]
        if self.notes:
            lines += [f"{msg('notebook_notes').render(self.lang)}:"] + [f"  - {m}" for m in self.notes]
        if self.jail:
            lines += [f"{msg('notebook_jail').render(self.lang)}:"] + [f"  {m}" for m in self.jail]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        lines = [f"**{self._headline()}**", ""]
        lines += [f"> {self.problem}", ""] if self.problem else []
        lines += [f"- {m}" for m in self.feedback] + ([""] if self.feedback else [])
        if self.notes:
            lines += [f"*{msg('notebook_notes').render(self.lang)}*", ""] + [f"- {m}" for m in self.notes] + [""]
        if self.jail:
            lines += [f"*{msg('notebook_jail').render(self.lang)}*", ""] + [f"- {m}" for m in self.jail]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#b35900" if self.checked else "#888888"
        out = [f'<div class="grader-check" style="border-left: 4px solid {colour}; padding-left: 0.8em">',
               f'<p><strong style="color: {colour}">{html.escape(self._headline())}</strong></p>']
        if self.problem:
            out.append(f"<p>{html.escape(self.problem)}</p>")
        if self.feedback:
            out.append("<ul>" + "".join(f"<li>{_html_text(m)}</li>" for m in self.feedback) + "</ul>")
        for heading, items in ((msg("notebook_notes").render(self.lang), self.notes),
                               (msg("notebook_jail").render(self.lang), self.jail)):
            if items:
                out.append(f"<details><summary>{html.escape(heading)}</summary><ul>"
                           + "".join(f"<li>{_html_text(m)}</li>" for m in items) + "</ul></details>")
        out.append("</div>")
        return "\n".join(out)


def _html_text(text: str) -> str:
    """Escaped, with `code` spans and line breaks kept (feedback quotes code and inputs)."""
    parts = html.escape(text).split("`")
    joined = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    return joined.replace("\n", "<br>")


def _confinement_lines(skipped: list[str], lang: str) -> list[str]:
    if not skipped:
        return [msg("notebook_full_jail").render(lang)]
    lines = [msg("notebook_degraded_jail").render(lang)]
    for layer in skipped:
        key = next((k for prefix, k in _LAYER_EXPLANATIONS if layer.lower().startswith(prefix)), None)
        explanation = msg(key).render(lang) if key else layer
        lines.append(msg("notebook_layer", explanation=explanation, layer=layer).render(lang) if key else f"`{layer}`")
    return lines


# --- the check --------------------------------------------------------------------------------


def notebook_check(question: str, assignment: str | os.PathLike | None = None, *,
                   lang: str = DEFAULT_LANGUAGE) -> NotebookCheck:
    """Check `question` with its public tests, on the definitions this kernel has now.

    `assignment`: an id (`"tp_nn"`) or a folder; by default the GRADER_ASSIGNMENT environment
    variable, else the assignment of the kit the notebook is in. Never raises for a problem of the
    set-up: the result says what it is (an unknown question, no jail on this machine...)."""
    result = NotebookCheck(question=str(question), assignment=str(assignment or ""), lang=lang)
    try:
        spec = find_assignment(assignment, str(question))
        result.assignment = spec.id
        if question not in spec.questions:
            raise _Problem(msg("notebook_unknown_question", assignment=spec.id, question=str(question),
                               ids=", ".join(spec.questions)))
        q = spec.questions[question]
        result.title = q.title_in(lang) if hasattr(q, "title_in") else q.title
        result.max_score = q.points
        cells = kernel_cells(_history())
        _from_getsource(cells, spec, q)
        with tempfile.TemporaryDirectory(prefix="grader-notebook-") as work:
            submission = Path(work) / SUBMISSION_STUDENT
            write_submission(cells, submission, q.file)
            for module in _imported_modules(cells, Path.cwd()):
                if not (submission / module.name).exists():
                    (submission / module.name).write_bytes(module.read_bytes())
                    cells.notes.append(msg("notebook_module_copied", file=module.name, folder=str(module.parent)))
            answer = _run_check(spec, submission, q, lang, Path(work) / "answer.json")
    except _Problem as problem:
        result.problem = problem.message.render(lang)
        return result
    result.notes = [m.render(lang) for m in cells.notes]
    return _fill(result, answer, spec, lang)


def _run_check(spec: Assignment, submission: Path, question: Question, lang: str, out: Path) -> dict:
    """`python -m grader.notebook` on the submission: the same `check` as the command line, in a
    process of its own (which starts the jail), so that nothing of the grading runs in the kernel."""
    if not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
        # Workers are forked from a zygote that hands them sockets: Windows has neither.
        return {"jail_error": f"{platform.system()} has no fork()"}
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)     # the kernel's inline backend: the check draws nothing on screen
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [env.get("PYTHONPATH")])])
    command = [sys.executable, "-m", "grader.notebook", "--assignment", str(spec.root), "--question",
               question.id, "--lang", lang, "--out", str(out), str(submission)]
    budget = 3 * spec.limits.submission_seconds + 120     # as a batch allows one submission
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env, start_new_session=True)
    try:
        _, err = process.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        _kill(process)
        return {"timeout": budget}
    except BaseException:          # the student interrupted the kernel: stop the check with it
        _kill(process)
        raise
    try:
        return json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        lines = err.decode("utf-8", "replace").strip().splitlines()
        return {"error": (lines[-1] if lines else f"exit code {process.returncode}")[:500]}


def _kill(process: subprocess.Popen) -> None:
    """The check's own process group (its pytest; the zygote leaves when its pipe closes)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    process.wait()


def _fill(result: NotebookCheck, answer: dict, spec: Assignment, lang: str) -> NotebookCheck:
    if "jail_error" in answer:
        result.problem = msg("notebook_jail_unavailable", reason=str(answer["jail_error"]),
                             assignment=spec.id).render(lang)
        return result
    if "timeout" in answer:
        result.problem = msg("notebook_timeout", seconds=float(answer["timeout"])).render(lang)
        return result
    if "error" in answer or "report" not in answer:
        result.problem = msg("notebook_grader_failed", error=str(answer.get("error", "?"))).render(lang)
        return result
    from grader.report.model import StudentReport

    report = StudentReport.from_wire(answer["report"])
    # Intake says the notebook stands for the question's .py: true of any notebook, and the
    # notebook is ours, not the student's.
    report.notes = [m for m in report.notes if m.key != "intake_file_renamed"]
    score = report.questions.get(result.question)
    confinement = answer.get("confinement") or {}
    result.applied = [str(x) for x in confinement.get("applied", [])]
    result.skipped_layers = [str(x) for x in confinement.get("skipped", [])]
    graded = msg("notebook_graded_cells", file=_notebook_name(spec.questions[result.question].file))
    result.notes = [graded.render(lang)] + result.notes + [m.render(lang) for m in report.notes]
    if report.harness_errors:
        result.problem = msg("notebook_grader_failed", error=report.harness_errors[0][:300]).render(lang)
    if score is None:
        return result
    result.score, result.max_score, result.skipped = score.score, score.max_score, score.skipped
    # The verdict line first where scoring gives one (QuestionScore.lines), as the reports show it.
    lines = score.lines() if hasattr(score, "lines") else score.feedback
    result.feedback = [m.render(lang) for m in lines]
    result.title = score.title_in(lang) if hasattr(score, "title_in") else score.title
    result.checked = True
    if confinement:
        result.jail = _confinement_lines(result.skipped_layers, lang)
    return result


# --- the check's own process ------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """`python -m grader.notebook --assignment DIR --question Q --lang L --out FILE SUBMISSION`:
    the public tests of one question on a submission folder; the report as JSON in FILE."""
    parser = argparse.ArgumentParser(prog="python -m grader.notebook")
    parser.add_argument("submission")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--question", required=True)
    parser.add_argument("--lang", default=DEFAULT_LANGUAGE)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    from grader import assignment as manifest
    from grader.check import check
    from grader.errors import HarnessError
    from grader.options import Options

    spec = manifest.load(Path(args.assignment))
    confinement: dict[str, Any] = {}
    try:
        report, _ = check(spec, Path(args.submission), Options(include_hidden=False, lang=args.lang),
                          questions=[args.question], confinement=confinement)
        answer: dict[str, Any] = {"report": report.to_wire(), "confinement": confinement}
    except HarnessError as exc:
        # The zygote that forks the workers did not start or died: no student code ran at all.
        key = "jail_error" if "zygote" in str(exc) else "error"
        answer = {key: str(exc)[:2000]}
    Path(args.out).write_text(json.dumps(answer), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
