"""The feedback message catalogue, in French and English.

Feedback is kept as `Message(key, params)` until a report is written, then rendered in the
language asked for (`--lang fr|en`, French by default for these French labs). Modules register
their own entries with `register`; a key missing in one language falls back to the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

_CATALOGUE: dict[str, dict[str, str]] = {}


def register(entries: Mapping[str, Mapping[str, str]]) -> None:
    """Add catalogue entries: {key: {"fr": template, "en": template}} (str.format templates)."""
    for key, texts in entries.items():
        if key in _CATALOGUE and dict(_CATALOGUE[key]) != dict(texts):
            raise ValueError(f"message key {key!r} registered twice with different texts")
        _CATALOGUE[key] = dict(texts)


def known(key: str) -> bool:
    return key in _CATALOGUE


@dataclass(frozen=True)
class Message:
    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: str = DEFAULT_LANGUAGE) -> str:
        if self.key not in _CATALOGUE:
            _load_catalogues()
        texts = _CATALOGUE.get(self.key)
        if texts is None:
            return f"{self.key}: {dict(self.params)}"
        template = texts.get(lang) or texts.get("en") or next(iter(texts.values()))
        params = {k: (v.render(lang) if isinstance(v, Message) else v) for k, v in self.params.items()}
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return f"{template} {params}"

    def to_json(self) -> dict:
        return {"key": self.key, "params": {k: (v.to_json() if isinstance(v, Message) else v)
                                            for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Message":
        params = {k: (cls.from_json(v) if isinstance(v, dict) and "key" in v and "params" in v else v)
                  for k, v in data.get("params", {}).items()}
        return cls(str(data["key"]), params)


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
    """A one-off message written by an assignment author, in one or both languages."""
    return Message("text", {"en": en, "fr": fr or en})


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
})
