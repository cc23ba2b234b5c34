"""A test's title, in English and French, from its docstring: what a report calls the test.

The convention (README, "Writing an assignment"): the docstring's first paragraph is the title,
English first, then a line starting with `fr:` and the French; either may wrap over several lines.
Whatever follows a blank line is the author's own notes and never reaches a report.

    def test_forward_fixed_example(student):
        \"\"\"forward on a small example computed by hand
        fr: forward sur un petit exemple calculé à la main\"\"\"

Read from the function's `__doc__` at run time and from the source's AST by the catalogue checks
(tests/catalogue), which refuse a test without both titles.
"""

from __future__ import annotations

import inspect
import re

FRENCH = "fr:"
_PARAGRAPH = re.compile(r"\n[ \t]*\n")


def split_title(doc: str | None) -> tuple[str, str]:
    """(English title, French title) of a docstring; "" for a title it does not give."""
    if not doc or not doc.strip():
        return "", ""
    paragraph = _PARAGRAPH.split(inspect.cleandoc(doc).strip(), maxsplit=1)[0]
    lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
    french_at = next((i for i, line in enumerate(lines) if line.lower().startswith(FRENCH)), len(lines))
    english = " ".join(lines[:french_at])
    french = " ".join([lines[french_at][len(FRENCH):].strip(), *lines[french_at + 1:]]) \
        if french_at < len(lines) else ""
    return _tidy(english), _tidy(french)


def _tidy(title: str) -> str:
    return " ".join(title.split()).rstrip(".").strip()
