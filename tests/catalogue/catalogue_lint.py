"""The checks behind tests/catalogue: one language per report, whatever the assignment.

Each function returns the problems it finds, one readable line each (an empty list: nothing to
fix), so that a test can show them all at once and feed each check a wrong input.

    catalogue_problems(entries)    every message in French and English, with the same placeholders
    title_problems(path)           every test of a test file has an English and a French title
    text_problems(path)            every text(...) of an assignment's code gives both languages
    manifest_problems(path)        every question of a manifest has `title` and `title_en`
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Iterator, Mapping

from grader.harness.titles import split_title
from grader.messages import LANGUAGES, TEXT_KEY, placeholders

PROJECT = Path(__file__).resolve().parents[2]


def assignment_roots() -> list[Path]:
    """The five assignments and the fixture ones, and any assignment added later."""
    roots = [*sorted((PROJECT / "assignments").iterdir()), *sorted((PROJECT / "tests/fixtures/assignments").iterdir())]
    return [root for root in roots if (root / "assignment.toml").is_file()]


def suite_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "tests").rglob("test_*.py") if "__pycache__" not in p.parts)


def code_files(root: Path) -> list[Path]:
    """The files whose text(...) can reach a report: the tests and the support modules."""
    return sorted(p for folder in ("tests", "support") for p in (root / folder).rglob("*.py")
                  if "__pycache__" not in p.parts)


def catalogue_problems(entries: Mapping[str, Mapping[str, str]]) -> list[str]:
    problems = []
    for key, texts in entries.items():
        missing = [lang for lang in LANGUAGES if not str(texts.get(lang) or "").strip()]
        if missing:
            problems.append(f"{key}: no {', '.join(missing)} text")
            continue
        extra = sorted(set(texts) - set(LANGUAGES))
        if extra:
            problems.append(f"{key}: languages {extra} are not report languages {LANGUAGES}")
        if key == TEXT_KEY:
            # text(en, fr): each language's template is that language's own parameter
            wrong = [lang for lang in LANGUAGES if placeholders(texts[lang]) != {lang}]
            if wrong:
                problems.append(f"{key}: the {', '.join(wrong)} template must be {{lang}} itself")
            continue
        used = {lang: placeholders(texts[lang]) for lang in LANGUAGES}
        first = LANGUAGES[0]
        for lang in LANGUAGES[1:]:
            if used[lang] != used[first]:
                problems.append(f"{key}: placeholders differ: {first} {sorted(used[first])}, "
                                f"{lang} {sorted(used[lang])}")
    return problems


def _tests(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The functions pytest collects: test_* at module level and in Test* classes."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            yield node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            yield from (n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                        and n.name.startswith("test"))


def title_problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    for node in _tests(tree):
        english, french = split_title(ast.get_docstring(node, clean=False))
        where = f"{path}:{node.lineno} {node.name}"
        if not english:
            problems.append(f"{where}: no English title (the docstring's first line)")
        if not french:
            problems.append(f"{where}: no French title (a line `fr: ...` right after the English one)")
    return problems


def text_problems(path: Path) -> list[str]:
    """text("...") with one language: the other report reads it untranslated."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else \
            node.func.attr if isinstance(node.func, ast.Attribute) else None
        if name != "text":
            continue
        given = len(node.args) + sum(1 for k in node.keywords if k.arg in ("en", "fr"))
        none_given = any(isinstance(a, ast.Constant) and a.value is None for a in node.args[1:2]) or \
            any(k.arg == "fr" and isinstance(k.value, ast.Constant) and k.value.value is None for k in node.keywords)
        if given < 2 or none_given:
            problems.append(f"{path}:{node.lineno}: text(...) without its French: {ast.unparse(node)[:80]}")
    return problems


def manifest_problems(path: Path) -> list[str]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    problems = []
    for qid, question in data.get("questions", {}).items():
        for key, language in (("title", "French"), ("title_en", "English")):
            if not str(question.get(key) or "").strip():
                problems.append(f"{path}: questions.{qid} has no {language} title (`{key}`)")
    return problems
