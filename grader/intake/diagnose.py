"""Say precisely why a file does not parse, and spot Python 2.

Python 3's own message for `print "x"` is helpful, but for backticks, `<>`, `0777` or `10L` it
only says "invalid syntax": a student who learnt Python 2 needs to be told that this is the
problem, not to hunt for a missing bracket.

Linear time on any input (see limits.py): string literals are blanked by a scanner, not by a
pattern (`"(?:\\.|[^"\\\n])*"` retried at every quote of a line of `\\"` is quadratic), and the
line patterns below have no repetition that a failed attempt can give back to try again.
"""

from __future__ import annotations

import re

from grader.messages import Message, msg
from grader.intake.sources import Block

# (pattern on the offending line, construct name shown to the student)
_PY2_LINE = [
    (re.compile(r"^\s*print\b\s*(?:>>|[^\s(=.,\[)\]:;#+\-*/%<>!&|^@])"), "print statement"),
    (re.compile(r"^\s*exec\s+[\"'\w]"), "exec statement"),
    (re.compile(r"^\s*except\s+(?:[\w.]+|\([^)]*\))\s*,\s*\w+\s*:"), "`except X, e`"),
    (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "`raise E, \"message\"`"),
    (re.compile(r"<>"), "the `<>` operator"),
    (re.compile(r"\b\d+[lL]\b"), "long integer literal (`10L`)"),
    (re.compile(r"(?<![\w.])0\d+\b"), "octal literal (`0777`)"),
    (re.compile(r"\bur[\"']", re.IGNORECASE), "`ur\"…\"` string prefix"),
]
_PY2_MESSAGES = {
    "Missing parentheses in call to 'print'": "print statement",
    "Missing parentheses in call to 'exec'": "exec statement",
    "multiple exception types must be parenthesized": "`except X, e`",
}
_PY2_NAMES = re.compile(r"\b(xrange|raw_input|unicode|iteritems|has_key|basestring)\b")


def blank_strings(text: str) -> str:
    """Every string literal replaced by `''`, in linear time.

    The same result as the pattern it replaces (a triple quote up to the next same triple quote,
    or a one-line string with backslash escapes), without its quadratic retries: a triple-quoted
    string ends at the next same triple quote (no escapes); a one-line string at its unescaped
    quote, and fails at the end of the line. When a one-line string fails from a quote, it fails
    from every later quote of the same kind up to where it stopped (they were all escaped), so
    those are not tried again.
    """
    out: list[str] = []
    n = len(text)
    i = kept = 0
    no_close = set()                       # triple quotes with no closing one further on
    fails_until = {'"': -1, "'": -1}       # a one-line string from a quote before this fails
    while True:
        found = _QUOTE.search(text, i)
        if found is None:
            break
        i = found.start()
        c = text[i]
        triple = text[i:i + 3]
        if triple in ('"""', "'''") and triple not in no_close:
            end = text.find(triple, i + 3)
            if end >= 0:
                out.append(text[kept:i])
                out.append("''")
                i = kept = end + 3
                continue
            no_close.add(triple)
        if i >= fails_until[c]:
            # Possessive: the body of a one-line string, never given back (no retry to backtrack).
            j = _ONE_LINE_BODY[c].match(text, i + 1).end()
            closed = j < n and text[j] == c
            if closed:
                out.append(text[kept:i])
                out.append("''")
                i = kept = j + 1
                continue
            fails_until[c] = j
        i += 1
    out.append(text[kept:])
    return "".join(out)


_QUOTE = re.compile(r"[\"']")
_ONE_LINE_BODY = {q: re.compile("(?:[^" + q + r"\\\n]++|\\.)*+") for q in ('"', "'")}


def python2_construct(line: str, error_message: str = "") -> str | None:
    """The Python 2 construct on `line`, if there is one."""
    for prefix, construct in _PY2_MESSAGES.items():
        if error_message.startswith(prefix):
            return construct
    if "`" in blank_strings(line.split("#", 1)[0]):
        return "backticks (repr)"
    code = blank_strings(line)
    code = code.split("#", 1)[0]
    for pattern, construct in _PY2_LINE:
        if pattern.search(code if construct != "`ur\"…\"` string prefix" else line):
            return construct
    return None


def where_label(block: Block) -> str:
    """How the file is named in a syntax message: the file, plus the cell for notebooks."""
    return block.file if block.cell is None else f"{block.file}, cell {block.cell}"


def syntax_message(block: Block, python2_hint: bool = False) -> Message:
    """The message for a block that does not parse: Python 2 when it looks like it."""
    error = block.error
    assert error is not None
    line = error.lineno or 1
    lines = block.text.split("\n")
    text = lines[line - 1] if 0 < line <= len(lines) else (error.text or "")
    construct = python2_construct(text, error.msg or "")
    if construct is None and python2_hint:
        construct = next((c for c in (python2_construct(t) for t in lines) if c), None)
    shown = line + block.line_offset
    if construct:
        return msg("intake_python2", file=where_label(block), line=shown, construct=construct)
    detail = error.msg or "invalid syntax"
    if text.strip():
        detail = f"{detail} ({text.strip()[:80]})"
    return msg("intake_syntax_error", file=where_label(block), line=shown, error=detail)


def cell_syntax_note(block: Block) -> Message:
    error = block.error
    assert error is not None
    lines = block.text.split("\n")
    line = error.lineno or 1
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    construct = python2_construct(text, error.msg or "")
    detail = f"{construct} — Python 2?" if construct else (error.msg or "invalid syntax")
    return msg("intake_cell_syntax_error", file=where_label(block), line=line, error=detail)


def python2_names(text: str) -> list[str]:
    """Python 2 names in code that parses (xrange, raw_input…): they fail only when run."""
    code = blank_strings(text)
    code = "\n".join(l.split("#", 1)[0] for l in code.split("\n"))
    return sorted(set(_PY2_NAMES.findall(code)))
