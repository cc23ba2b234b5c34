"""The feedback message catalogue, in French and English.

Feedback is kept as `Message(key, params)` until a report is written, then rendered in the
language asked for (`--lang fr|en`, French by default for these French labs). Modules register
their own entries with `register`; every entry has both languages, with the same placeholders
(tests/catalogue checks it), so a report is in one language from its first line to its last.

Templates are `str.format` templates with two extra format specs: `{cause:short}` keeps the first
clause of a long text (a verdict names the cause, the lines below explain it) and `{tests:list}`
joins a list of texts with commas. `text(en, fr)` is the one entry whose template is the
parameter of the language itself (an author's sentence, or a test's title).
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from typing import Any, Mapping

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
TEXT_KEY = "text"   # text(en, fr): its template in each language is that language's parameter
LINE_CHARS = 300    # a feedback line is cut there in a report (its params may hold student text)
SHORT_CHARS = 90    # `{x:short}`: at most this long

_CATALOGUE: dict[str, dict[str, str]] = {}
# Where a short form may end: a clause break after the first words ("Yhat : softmax calculé sur la
# mauvaise dimension (ses colonnes…" -> "Yhat : softmax calculé sur la mauvaise dimension").
_CLAUSE_BREAKS = (" (", " : ", ": ", " ; ", "; ", " — ", ", ")
_SHORT_MIN = 24


def register(entries: Mapping[str, Mapping[str, str]]) -> None:
    """Add catalogue entries: {key: {"fr": template, "en": template}} (str.format templates)."""
    for key, texts in entries.items():
        if key in _CATALOGUE and dict(_CATALOGUE[key]) != dict(texts):
            raise ValueError(f"message key {key!r} registered twice with different texts")
        _CATALOGUE[key] = dict(texts)


def known(key: str) -> bool:
    return key in _CATALOGUE


def entries() -> dict[str, dict[str, str]]:
    """A copy of the whole catalogue, the engine's catalogues loaded (for the catalogue checks)."""
    _load_catalogues()
    return {key: dict(texts) for key, texts in _CATALOGUE.items()}


def placeholders(template: str) -> set[str]:
    """The parameters a template uses: "{name} is {n} ×" -> {"name", "n"}."""
    names = set()
    for _, field_name, _, _ in string.Formatter().parse(template):
        if field_name:
            names.add(field_name.split(".")[0].split("[")[0])
    return names


def shorten(rendered: str, limit: int = SHORT_CHARS) -> str:
    """The first clause of a text, at most `limit` characters (a verdict's cause)."""
    cut = len(rendered)
    for mark in _CLAUSE_BREAKS:
        at = rendered.find(mark, _SHORT_MIN)
        if 0 <= at < cut:
            cut = at
    short = rendered[:cut].rstrip(" ,;:")
    if short.count("(") > short.count(")"):   # never a parenthesis left open
        short = short[:short.rfind("(")].rstrip(" ,;:") or short
    return short if len(short) <= limit else short[:limit - 1].rstrip() + "…"


def clip(rendered: str, limit: int = LINE_CHARS) -> str:
    """A rendered line cut to `limit` characters, saying it was cut."""
    return rendered if len(rendered) <= limit else rendered[:limit - 1].rstrip() + "…"


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec == "short":
            return shorten(str(value))
        if format_spec == "list":
            return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def _rendered(value: Any, lang: str) -> Any:
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, (list, tuple)):
        return [_rendered(v, lang) for v in value]
    return value


@dataclass(frozen=True)
class Message:
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: str = DEFAULT_LANGUAGE, limit: int | None = None) -> str:
        """The message in `lang`; `limit`: cut to that many characters (a report's line)."""
        if self.key not in _CATALOGUE:
            _load_catalogues()
        texts = _CATALOGUE.get(self.key)
        if texts is None:
            return f"{self.key}: {dict(self.params)}"
        template = texts.get(lang) or texts.get("en") or next(iter(texts.values()))
        params = {k: _rendered(v, lang) for k, v in self.params.items()}
        try:
            rendered = _FORMATTER.format(template, **params)
        except (KeyError, IndexError, ValueError, TypeError):
            rendered = f"{template} {params}"
        return rendered if limit is None else clip(rendered, limit)

    def identity(self) -> str:
        """Key and parameters as one canonical string: two messages that say the same thing in
        every language have the same identity (feedback is deduplicated by it, not by text)."""
        return json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False, default=repr)

    def to_json(self) -> dict:
        return {"key": self.key, "params": {k: _to_json(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Message":
        return cls(str(data["key"]), {k: _from_json(v) for k, v in data.get("params", {}).items()})


def _to_json(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "key" in value and "params" in value:
        return Message.from_json(value)
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _load_catalogues() -> None:
    """The engine's other catalogues, wherever a report is rendered (they register on import)."""
    import grader.catalogue  # noqa: F401


def msg(key: str, **params: Any) -> Message:
    if key not in _CATALOGUE:
        _load_catalogues()
    if key not in _CATALOGUE:
        raise KeyError(f"unknown message key {key!r}")
    return Message(key, params)


def text(en: str, fr: str | None = None) -> Message:
    """A one-off message written by an assignment author, in English and French (an assignment's
    tests must give both: tests/catalogue checks it)."""
    return Message(TEXT_KEY, {"en": en, "fr": fr or en})


def joined(*parts: "str | Message") -> "str | Message":
    """Strings and messages put end to end, in every language: a check's name with a path added
    (`joined(name, "['Wh']")`). Plain strings stay a plain string."""
    if all(isinstance(p, str) for p in parts):
        return "".join(parts)  # type: ignore[arg-type]
    by_lang = {lang: "".join(p.render(lang) if isinstance(p, Message) else str(p) for p in parts)
               for lang in LANGUAGES}
    return text(by_lang["en"], by_lang["fr"])


register({
    "text": {"en": "{en}", "fr": "{fr}"},
    # outcomes of running student code
    "student_exception": {
        "en": "your {function} raised {error}",
        "fr": "votre {function} a levé {error}",
    },
    "student_timeout": {
        "en": "{function} timed out after {seconds:g} s (an infinite loop, or far too slow?)",
        "fr": "{function} a dépassé la limite de {seconds:g} s (boucle infinie, ou beaucoup trop lent ?)",
    },
    "worker_died": {
        "en": "the process running your code stopped during {function}: {reason}",
        "fr": "le processus qui exécute votre code s'est arrêté pendant {function} : {reason}",
    },
    "missing_function": {
        "en": "{function} is not defined in {file}",
        "fr": "{function} n'est pas définie dans {file}",
    },
    "stub_function": {
        "en": "{function} is still the starter's template (not implemented)",
        "fr": "{function} est encore le modèle fourni (non implémentée)",
    },
    "import_failed": {
        "en": "{file} could not be loaded: {error}",
        "fr": "{file} n'a pas pu être chargé : {error}",
    },
    "falsifying_example": {
        "en": "smallest failing input found: {example}",
        "fr": "plus petite entrée en échec trouvée : {example}",
    },
    "harness_error": {
        "en": "grader error (not your fault, the instructor has been told): {error}",
        "fr": "erreur du correcteur (pas de votre faute, l'enseignant est prévenu) : {error}",
    },
    "test_failed": {
        "en": "{test}: {reason}",
        "fr": "{test} : {reason}",
    },
    "partial_credit": {
        "en": "partial credit ({percent:.0f} %): {reason}",
        "fr": "crédit partiel ({percent:.0f} %) : {reason}",
    },
    "all_passed": {
        "en": "all checks passed",
        "fr": "toutes les vérifications réussies",
    },
    "graded_from": {
        "en": "graded: {function} from {origin}",
        "fr": "noté : {function} pris dans {origin}",
    },
    "missing_class": {
        "en": "no class {name} in your files{aliases}",
        "fr": "aucune classe {name} dans vos fichiers{aliases}",
    },
    "stub_class": {
        "en": "class {name} is still the starter's template (its methods are not implemented)",
        "fr": "la classe {name} est encore le modèle fourni (ses méthodes ne sont pas implémentées)",
    },
    "incidental_withheld": {
        "en": "checks of shapes and other properties count once the values are right",
        "fr": "les vérifications de forme et des autres propriétés ne comptent qu'une fois les valeurs justes",
    },
    "question_skipped": {
        "en": "not graded here: {reason}",
        "fr": "non noté ici : {reason}",
    },
    "data_not_configured": {
        "en": "the data set {name} is not configured ({description}); the instructor sets it with --data {name}=PATH",
        "fr": "le jeu de données {name} n'est pas configuré ({description}) ; l'enseignant l'indique avec --data {name}=CHEMIN",
    },
    "budget_exhausted": {
        "en": "not run to the end: your code used up the {seconds:g} s it has for this {scope} (far too slow, or a loop that never ends?)",
        "fr": "pas exécuté jusqu'au bout : votre code a épuisé les {seconds:g} s dont il dispose pour ce {scope} (beaucoup trop lent, ou une boucle sans fin ?)",
    },
    "graded_under_alias": {
        "en": "{function}: your {alias} was graded (a name the instructor accepts)",
        "fr": "{function} : votre {alias} a été noté (un nom accepté par l'enseignant)",
    },
    "nothing_to_grade": {
        "en": "nothing to grade: define {functions} in {file}, or hand in the script « {script} »",
        "fr": "rien à noter : définissez {functions} dans {file}, ou rendez le script « {script} »",
    },
    "not_graded": {
        "en": "not graded: {reason}",
        "fr": "non noté : {reason}",
    },
    # a question's feedback, as grader.summary lays it out: verdict, causes, smallest failing input
    "verdict": {
        "en": "{count} — {cause:short}",
        "fr": "{count} — {cause:short}",
    },
    "tests_none_passed": {
        "en": "none of the {total} tests passed",
        "fr": "aucun des {total} tests n'a réussi",
    },
    "tests_one_passed": {
        "en": "1 of {total} tests passed",
        "fr": "1 test sur {total} réussi",
    },
    "tests_some_passed": {
        "en": "{passed} of {total} tests passed",
        "fr": "{passed} tests sur {total} réussis",
    },
    "only_test_failed": {
        "en": "the question's only test failed",
        "fr": "l'unique test de la question a échoué",
    },
    "tests_in_part": {
        "en": "{count}, {partial} with partial credit",
        "fr": "{count}, {partial} avec crédit partiel",
    },
    "cause_in_tests": {
        "en": "{cause} ({count} tests)",
        "fr": "{cause} ({count} tests)",
    },
    "more_remarks": {
        "en": "… and {count} more remarks",
        "fr": "… et {count} autres remarques",
    },
    "smallest_failing_input": {
        "en": "smallest failing input found (test {test}): {example}",
        "fr": "plus petite entrée en échec trouvée (test {test}) : {example}",
    },
    "clauses": {
        "en": "{first}; {second}",
        "fr": "{first} ; {second}",
    },
    "quoted": {
        "en": "“{text}”",
        "fr": "« {text} »",
    },
    "failed_tests": {
        "en": "tests failed: {tests:list}",
        "fr": "tests en échec : {tests:list}",
    },
    "failed_tests_and_more": {
        "en": "tests failed: {tests:list} and {more} more",
        "fr": "tests en échec : {tests:list} et {more} autres",
    },
})
