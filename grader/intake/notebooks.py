"""Jupyter / Colab notebooks to Python, one cell at a time.

A notebook is read with nbformat (never by hand: the JSON has several versions and Colab adds its
own fields). Each code cell becomes Python text with exactly as many lines as the cell, so that a
line of the prepared module maps back to a line of a cell. IPython syntax is neutralised:

* shell lines (`!pip install …`), line magics (`%matplotlib inline`), `x = !ls`, `obj?` help
  become `pass  # [intake] …`, keeping their indentation so that a magic inside an `if` block
  still leaves a valid block;
* `%run helpers.py` becomes `from helpers import *` when the submission provides helpers.py,
  which is what `%run` does to the notebook's namespace;
* cell magics: `%%time`, `%%capture`… run their body as Python, so only the first line goes;
  `%%writefile name.py` cells are given back as files; any other cell magic (`%%bash`, `%%html`…)
  is not Python and the whole cell is commented out.

nbconvert's PythonExporter is not used because without IPython installed (it is not, in the
grader) it leaves magics in place, and it loses the cell boundaries the line map needs.

Everything here runs on untrusted text in the grader's process, so it is linear in the input
(see limits.py): headings are recognised by plain string code, the few patterns left are only
applied to lines of bounded length, outputs are dropped before nbformat validates the notebook,
and notebooks, cells and lines over the caps of limits.py are left out (the caller adds a note).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from grader.intake import limits

MARK = "[intake]"

# Cell magics whose body is Python run by the kernel.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "memit", "mprun", "skip"}

# The patterns below are applied to one line at a time, of at most limits.MAX_MAGIC_LINE /
# MAX_HEADING_LINE characters, and each is linear: every repeated part is followed by a character
# it cannot match itself, so a failed attempt gives nothing back to try again.
_HELP = re.compile(r"^\s*(\?{1,2}[\w.]+|[\w.]+\?{1,2})\s*$")
_ASSIGN_MAGIC = re.compile(r"^\s*[A-Za-z_][\w\s,.\[\]()]*?(?<![!<>=+\-*/%&|^@:])=\s*[!%]")
_RUN = re.compile(r"^%run\s+(?:-\w+\s+)*[\"']?([\w./\\-]+?)\.py[\"']?\s*$")
_COMMENT_HEADING = re.compile(
    r"^#+\s*(?:%%\s*)?((?:partie|part|section|exercice|exercise|question|tp)\b.*|\d+(?:\.\d+)+\b.*)$",
    re.IGNORECASE)
_CELL_MARKER = re.compile(r"^#\s*(?:%%|In\s*\[[\d ]*\]\s*:?)\s*(.*)$")


class NotebookError(Exception):
    """The file is not a notebook nbformat can read."""


class NotebookTooLarge(NotebookError):
    """The notebook is over limits.MAX_NOTEBOOK_BYTES: not read at all."""

    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(f"{size >> 20} MB")


@dataclass
class Cell:
    index: int                 # position among all cells (0-based), as shown to the student
    kind: str                  # "code", "markdown", "raw"
    source: str


@dataclass
class Notebook:
    cells: list[Cell]
    language: str = "python"   # kernel language
    python2: bool = False      # the kernel was Python 2
    total_cells: int = 0       # cells in the file (more than len(cells) past limits.MAX_CELLS)
    oversized: list[tuple[int, int]] = field(default_factory=list)   # (code cell, characters) left out


@dataclass
class CellCode:
    """A code cell as Python: same line count as the cell."""

    text: str
    writefile: tuple[str, str] | None = None    # (%%writefile target, body)
    magics: int = 0                              # lines neutralised


def read_notebook(path: Path) -> Notebook:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NotebookError(str(exc.strerror or exc)) from None
    if size > limits.MAX_NOTEBOOK_BYTES:
        raise NotebookTooLarge(size)
    import nbformat   # here, not at import: the scorers and most batches (.py files) never need it

    try:
        capture: dict = {}
        text = _without_outputs(path.read_bytes())
        nb = nbformat.reads(text, as_version=4, capture_validation_error=capture)
    except Exception as exc:  # nbformat raises JSON, validation, version errors of many types
        raise NotebookError(_short_error(exc)) from None
    cells = []
    oversized = []
    raw_cells = nb.get("cells", []) or []
    for i, cell in enumerate(raw_cells[:limits.MAX_CELLS]):
        source = cell.get("source", "")
        if isinstance(source, list):  # nbformat joins lines, but be lenient with odd writers
            source = "".join(str(s) for s in source)
        kind = str(cell.get("cell_type", "code"))
        source = str(source)
        if len(source) > limits.MAX_CELL_CHARS:
            # A code cell is left out whole (noted), as a cell that was never run; any other cell
            # keeps its beginning, where its headings are.
            if kind == "code":
                oversized.append((i, len(source)))
                source = ""
            else:
                source = source[:limits.MAX_CELL_CHARS]
        cells.append(Cell(i, kind, source))
    meta = nb.get("metadata", {}) or {}
    kernel = meta.get("kernelspec", {}) or {}
    info = meta.get("language_info", {}) or {}
    language = str(kernel.get("language") or info.get("name") or "python").lower()
    version = str(info.get("version", ""))
    python2 = str(kernel.get("name", "")).lower() == "python2" or version.startswith("2.")
    return Notebook(cells, language, python2, len(raw_cells), oversized)


def _without_outputs(data: bytes) -> str:
    """The notebook's JSON with cell outputs and attachments dropped: nothing here reads them, and
    validating megabytes of plots costs time. Not JSON: given back as it is, for nbformat to say why."""
    try:
        nb = json.loads(data)
    except (ValueError, RecursionError):
        return data.decode("utf-8", errors="replace")
    if isinstance(nb, dict):
        sheets = nb.get("worksheets") if isinstance(nb.get("worksheets"), list) else []
        groups = [nb.get("cells")] + [w.get("cells") for w in sheets if isinstance(w, dict)]
        for cells in groups:
            for cell in cells if isinstance(cells, list) else []:
                if isinstance(cell, dict):
                    if isinstance(cell.get("outputs"), list):
                        cell["outputs"] = []
                    cell.pop("attachments", None)
    return json.dumps(nb)


def _short_error(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def markdown_headings(source: str) -> list[tuple[int, str]]:
    """(level, text) of the headings of a markdown cell: `## 2.2 …`, setext, or a bold line.

    Plain string code, linear in the cell: lines longer than limits.MAX_HEADING_LINE are text.
    """
    found = []
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if len(line) > limits.MAX_HEADING_LINE:
            continue
        atx = _atx_heading(line)
        if atx:
            found.append((atx[0], _clean(atx[1])))
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and len(nxt) <= limits.MAX_HEADING_LINE and _is_underline(nxt) \
                and not _is_rule(line):
            found.append((1 if nxt.strip().startswith("=") else 2, _clean(line)))
            continue
        bold = _bold_line(line)
        if bold is not None and len(bold) < 120:
            found.append((_level_from_number(bold, 6), _clean(bold)))
    return found


def _atx_heading(line: str) -> tuple[int, str] | None:
    """`## Title ##` -> (2, "Title"): up to 3 spaces, 1-6 '#', a space, the title, closing #s."""
    start = len(line) - len(line.lstrip())
    if start > 3:
        return None
    hashes = len(line) - start - len(line[start:].lstrip("#"))
    if not 1 <= hashes <= 6:
        return None
    rest = line[start + hashes:]
    if not rest or not rest[0].isspace():
        return None
    content = rest.lstrip()
    if not content:
        return (hashes, "") if len(rest) >= 2 else None
    # The shortest title (at least one character) after which only spaces, #s, spaces remain.
    end = len(content.rstrip())
    end = len(content[:end].rstrip("#"))
    end = len(content[:end].rstrip())
    return hashes, content[:max(end, 1)]


def _is_underline(line: str) -> bool:
    """A setext underline: `=====` or `-----`, nothing else but spaces."""
    text = line.strip()
    return bool(text) and (text == "=" * len(text) or text == "-" * len(text))


def _is_rule(line: str) -> bool:
    text = line.strip()
    return bool(text) and not text.strip("-=")


def _bold_line(line: str) -> str | None:
    """`**2.3 torch.nn** :` -> "2.3 torch.nn": a line that is only a bold phrase (and a colon)."""
    text = line.lstrip()
    if not text.startswith("**"):
        return None
    rest = text[2:].rstrip()
    if rest.endswith(":"):
        rest = rest[:-1].rstrip()
    if not rest.endswith("**") or len(rest) < 3:
        return None
    return rest[:-2]


def comment_heading(line: str) -> tuple[int, str] | None:
    """A column-0 comment that reads as a section title: `# 2.2 autograd`, `#%% Partie 3`."""
    if not line.startswith("#") or len(line) > limits.MAX_HEADING_LINE:
        return None
    match = _CELL_MARKER.match(line)
    if match and match.group(1).strip():
        text = match.group(1).strip().lstrip("#").strip()
    else:
        match = _COMMENT_HEADING.match(line)
        if not match:
            return None
        text = match.group(1).strip()
    lowered = text.lower()
    if lowered.startswith(("partie", "part", "tp")):
        default = 1
    elif lowered.startswith("question"):
        default = 3
    else:
        default = 2
    return (_level_from_number(text, default), _clean(text))


def _level_from_number(text: str, default: int) -> int:
    match = re.match(r"^\W*(\d+(?:\.\d+)*)", text[:limits.MAX_HEADING_LINE])
    if match and "." in match.group(1):
        return min(match.group(1).count(".") + 1, limits.MAX_HEADING_LEVEL)
    return default


def _clean(text: str) -> str:
    text = re.sub(r"[*_`]+", "", text)
    return re.sub(r"\s+", " ", text).strip()[:200]


def cell_to_python(source: str, provides: Callable[[str], bool] = lambda name: False) -> CellCode:
    """The Python text of a code cell, IPython syntax neutralised, line for line.

    `provides(module)` says whether the submission has that module, for `%run module.py`.
    """
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split()
        name = magic[0] if magic else ""
        if name == "writefile":
            args = [a for a in magic[1:] if not a.startswith("-")]
            target = args[0].strip("'\"") if args else ""
            body = "\n".join(lines[1:])
            return CellCode("\n".join(f"# {MARK} {line}" for line in lines),
                            (target, body) if target else None, len(lines))
        if name not in _PYTHON_CELL_MAGICS:
            return CellCode("\n".join(f"# {MARK} {line}" for line in lines), None, len(lines))
        lines = [f"# {MARK} {lines[0]}"] + lines[1:]
        rest = _neutralise_lines(lines[1:], provides)
        return CellCode("\n".join([lines[0]] + rest[0]), None, 1 + rest[1])
    out, count = _neutralise_lines(lines, provides)
    return CellCode("\n".join(out), None, count)


def _neutralise_lines(lines: list[str], provides: Callable[[str], bool]) -> tuple[list[str], int]:
    """Replace IPython-only lines found where a Python statement would start."""
    out: list[str] = []
    scanner = _Scanner()
    magic_continues = False
    count = 0
    for line in lines:
        if magic_continues:
            out.append(f"# {MARK} {line}")
            magic_continues = line.rstrip().endswith("\\")
            continue
        if scanner.at_statement_start():
            stripped = line.lstrip()
            indent = line[: len(line) - len(stripped)]
            short = len(line) <= limits.MAX_MAGIC_LINE
            if stripped.startswith(("!", "%")) or (short and (_ASSIGN_MAGIC.match(line) or _HELP.match(line))):
                count += 1
                magic_continues = line.rstrip().endswith("\\")
                run = _RUN.match(stripped) if short else None
                if run and not magic_continues:
                    module = Path(run.group(1).replace("\\", "/")).name
                    if module.isidentifier() and provides(module):
                        out.append(f"{indent}from {module} import *  # {MARK} {stripped}")
                        continue
                out.append(f"{indent}pass  # {MARK} {stripped}")
                continue
        out.append(line)
        scanner.feed(line)
    return out, count


_CODE_SPECIAL = re.compile(r"[#'\"()\[\]{}\\]")
_IN_STRING = {q: re.compile(r"\\|" + re.escape(q)) for q in ('"""', "'''", '"', "'")}


class _Scanner:
    """Just enough of Python's tokenizer to know whether a line starts a new statement.

    Magics must not be looked for inside a triple-quoted string, inside brackets, or after a
    backslash continuation. The real tokenizer cannot be used: it stops at the first `!pip`.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.quote: str | None = None
        self.continued = False

    def at_statement_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.continued

    def feed(self, line: str) -> None:
        # Jumps from one character that matters to the next (a C search), rather than looping
        # over every character in Python: the same walk, fast on megabyte cells.
        self.continued = False
        i, n = 0, len(line)
        while i < n:
            if self.quote:
                match = _IN_STRING[self.quote].search(line, i)
                if match is None:
                    break
                if match.group() == "\\":
                    i = match.start() + 2
                    continue
                i = match.end()
                self.quote = None
                continue
            match = _CODE_SPECIAL.search(line, i)
            if match is None:
                break
            i = match.start()
            c = line[i]
            if c == "#":
                break
            if c in "'\"":
                triple = line[i:i + 3]
                self.quote = triple if triple in ('"""', "'''") else c
                i += len(self.quote)
                continue
            if c in "([{":
                self.depth += 1
            elif c in ")]}":
                self.depth = max(0, self.depth - 1)
            elif c == "\\" and i == n - 1:
                self.continued = True
            i += 1
        if self.quote in ("'", '"'):  # a one-line string cannot span lines: recover
            self.quote = None
