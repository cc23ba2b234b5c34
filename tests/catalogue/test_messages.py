"""grader.messages: what feedback lines are made of, in both languages."""

from __future__ import annotations

import pytest

from grader.checks.compare import compare, expect_close
from grader.checks.outcomes import CheckFailed
from grader.messages import Message, clip, joined, msg, shorten, text


def test_a_verdict_keeps_the_first_clause_of_its_cause():
    assert shorten("Yhat : softmax calculé sur la mauvaise dimension (ses colonnes somment à 1) : utilisez dim=1") \
        == "Yhat : softmax calculé sur la mauvaise dimension"
    assert shorten("your forward raised ZeroDivisionError: division by zero (line 3)") == \
        "your forward raised ZeroDivisionError"
    assert shorten("short") == "short"
    assert shorten("grader error (not your fault, the instructor has been told): boom") == "grader error"
    long = "a" * 200
    assert shorten(long).endswith("…") and len(shorten(long)) <= 90


def test_a_line_is_clipped_saying_so():
    assert clip("abc", 10) == "abc"
    assert clip("x" * 20, 10) == "x" * 9 + "…"
    message = text("y" * 50, "z" * 50)
    assert message.render("fr", limit=10) == "z" * 9 + "…" and message.render("fr") == "z" * 50


def test_a_list_of_messages_is_rendered_in_the_language():
    line = msg("failed_tests", tests=[msg("quoted", text=text("one", "un")), msg("quoted", text=text("two", "deux"))])
    assert line.render("fr") == "tests en échec : « un », « deux »"
    assert line.render("en") == "tests failed: “one”, “two”"
    assert Message.from_json(line.to_json()) == line


def test_a_bilingual_name_keeps_its_language_inside_a_container():
    """A check's name may be text(en, fr); the paths into a dict or a list stay in both languages."""
    name = text("the parameters after two steps", "les paramètres après deux pas")
    mismatch = compare({"W": [1.0, 2.0]}, {"W": [1.0, 3.0]}, name=name)
    first = mismatch.messages[0]
    assert first.render("fr").startswith("les paramètres après deux pas['W'][1] vaut 2")
    assert first.render("en").startswith("the parameters after two steps['W'][1] is 2")
    assert joined("params", "['W']") == "params['W']"   # plain names stay plain strings
    with pytest.raises(CheckFailed) as info:
        expect_close(1.0, 2.0, name=name)
    assert "les paramètres" in info.value.messages[0].render("fr")
