"""One language per report: every message, test title, author text and question title exists in
French and in English, for every assignment (the five labs, the fixtures, any added later).

Each check is also fed the wrong input it exists to catch."""

from __future__ import annotations

import textwrap

import pytest

from catalogue_lint import (assignment_roots, catalogue_problems, code_files, manifest_problems,
                            suite_files, text_problems, title_problems)
from grader.harness.titles import split_title
from grader.messages import entries

ROOTS = assignment_roots()


def test_the_five_assignments_and_the_fixtures_are_checked():
    names = {root.name for root in ROOTS}
    assert {"tp_nn", "intro_pytorch", "amal_tp1", "numpy_nn", "mnist_cnn", "tiny_linear", "pool_faults"} <= names
    assert all(suite_files(root) for root in ROOTS)


# -- the message catalogue --------------------------------------------------------------------------

def test_every_message_has_both_languages_and_the_same_placeholders():
    catalogue = entries()
    assert len(catalogue) > 100          # the engine's catalogues are loaded, not just messages.py
    assert catalogue_problems(catalogue) == []


def test_the_catalogue_check_catches_a_missing_language():
    problems = catalogue_problems({"only_french": {"fr": "{name} est faux"}})
    assert problems == ["only_french: no en text"]
    assert catalogue_problems({"blank_english": {"fr": "faux", "en": "  "}}) == ["blank_english: no en text"]


def test_the_catalogue_check_catches_placeholders_that_differ():
    problems = catalogue_problems({"values_wrong": {"en": "{name} is wrong in {count} entries",
                                                    "fr": "{nom} est faux pour {count} éléments"}})
    assert len(problems) == 1 and "placeholders differ" in problems[0] and "nom" in problems[0]
    # a format spec is not a placeholder of its own
    assert catalogue_problems({"ok": {"en": "{n:g} s, {cause:short}", "fr": "{n:.1f} s, {cause}"}}) == []


def test_the_catalogue_check_knows_text_is_per_language():
    assert catalogue_problems({"text": {"en": "{en}", "fr": "{fr}"}}) == []
    assert catalogue_problems({"text": {"en": "{en}", "fr": "{en}"}}) != []


# -- test titles --------------------------------------------------------------------------------------

@pytest.mark.parametrize("root", ROOTS, ids=lambda r: r.name)
def test_every_test_has_an_english_and_a_french_title(root):
    problems = [p for path in suite_files(root) for p in title_problems(path)]
    assert problems == []


def test_the_title_check_catches_a_test_without_its_french_title(tmp_path):
    path = tmp_path / "test_example.py"
    path.write_text(textwrap.dedent('''
        def test_translated(student):
            """forward on a small example
            fr: forward sur un petit exemple"""

        def test_english_only(student):
            """forward on a small example computed by hand"""

        class TestGroup:
            def test_no_docstring(self):
                pass

        def helper():
            """not a test: no title needed"""
    '''))
    problems = title_problems(path)
    assert len(problems) == 3
    assert "test_english_only: no French title" in problems[0]
    assert "test_no_docstring: no English title" in problems[1] and "no French title" in problems[2]


def test_titles_wrap_and_the_notes_after_a_blank_line_stay_out():
    assert split_title('''the gradient of your own forward
        times grad_output
        fr: le gradient de votre propre forward
        multiplié par grad_output.

        An author's note, never shown: fr: not a title either.''') == (
        "the gradient of your own forward times grad_output",
        "le gradient de votre propre forward multiplié par grad_output")
    assert split_title("forward gives (batch, output)") == ("forward gives (batch, output)", "")
    assert split_title(None) == ("", "")


# -- author texts and question titles -----------------------------------------------------------------

@pytest.mark.parametrize("root", ROOTS, ids=lambda r: r.name)
def test_every_author_text_gives_both_languages(root):
    assert [p for path in code_files(root) for p in text_problems(path)] == []


def test_the_text_check_catches_a_text_in_one_language(tmp_path):
    path = tmp_path / "support.py"
    path.write_text(textwrap.dedent('''
        from grader.api import fail, text
        fail(text("the loss must decrease", "le coût doit diminuer"))
        fail(text(f"accuracy {acc:.1%}"))
        fail(text(en="wrong", fr=None))
    '''))
    problems = text_problems(path)
    assert len(problems) == 2 and ":4:" in problems[0] and ":5:" in problems[1]


@pytest.mark.parametrize("root", ROOTS, ids=lambda r: r.name)
def test_every_question_has_a_french_and_an_english_title(root):
    assert manifest_problems(root / "assignment.toml") == []


def test_the_manifest_check_catches_a_question_without_its_english_title(tmp_path):
    path = tmp_path / "assignment.toml"
    path.write_text(textwrap.dedent('''
        id = "x"
        [questions.a]
        title = "Apprentissage sur Circles"
        title_en = "Training on Circles"
        [questions.b]
        title = "Descente de gradient"
        [questions.c]
        title_en = "Gradient descent"
    '''))
    assert manifest_problems(path) == [f"{path}: questions.b has no English title (`title_en`)",
                                       f"{path}: questions.c has no French title (`title`)"]
