"""A question's title in both languages: `title` (French) and `title_en` in the manifest."""

from __future__ import annotations

import textwrap

import pytest

from grader import assignment as assignment_model
from grader.errors import HarnessError

MANIFEST = '''
id = "demo"
[[files]]
name = "tp.py"
[questions.train]
points = 1
file = "tp.py"
'''


def load(tmp_path, question_lines: str):
    root = tmp_path / "demo"
    root.mkdir(exist_ok=True)
    (root / "assignment.toml").write_text(textwrap.dedent(MANIFEST) + textwrap.dedent(question_lines))
    return assignment_model.load(root)


def test_the_english_title_is_used_in_english_only(tmp_path):
    question = load(tmp_path, '''
        title = "Apprentissage sur Circles"
        title_en = "Training on Circles"
    ''').questions["train"]
    assert question.title_in("fr") == "Apprentissage sur Circles"
    assert question.title_in("en") == "Training on Circles"
    # without one, the title is the same in both languages (the catalogue checks refuse it in an assignment)
    bare = load(tmp_path, 'title = "forward(X)"\n').questions["train"]
    assert bare.title_in("en") == bare.title_in("fr") == "forward(X)"


@pytest.mark.parametrize("key", ["title_fr", "english_title", "titles"])
def test_a_misspelt_title_key_is_refused_with_the_right_names(tmp_path, key):
    with pytest.raises(HarnessError, match=r"unknown field\(s\) " + key + r".*`title`, in French, and `title_en`"):
        load(tmp_path, f'{key} = "Training on Circles"\n')


def test_a_title_must_be_a_non_empty_string(tmp_path):
    with pytest.raises(HarnessError, match="title_en must be a non-empty string"):
        load(tmp_path, 'title = "Apprentissage"\ntitle_en = ["Training"]\n')
    with pytest.raises(HarnessError, match="title_en must be a non-empty string"):
        load(tmp_path, 'title = "Apprentissage"\ntitle_en = " "\n')
