"""A student's .py or .ipynb file read into blocks of Python, each parsed on its own.

A .py file is one block; a notebook gives one block per code cell, because Jupyter compiles
cells one by one: a syntax error in one cell does not stop the others from defining functions.
Each block knows the section headings in force where it starts (markdown headings, or comment
titles such as `# 2.2 autograd`), which is how a definition is told to belong to part 2.2.

Bounded (limits.py): files over the size caps are not read (`problem` says so), notebook cells
over the cell cap are left out with a note, code nested too deeply for the parser is a syntax
error of its block rather than a crash, and the deadline of the intake is checked between cells
and blocks. A block's lines and heading stacks are computed once, so that asking for them per
statement stays linear.
"""

from __future__ import annotations

import ast
import bisect
import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

from grader.messages import Message, msg
from grader.intake import limits, notebooks
from grader.intake.model import Origin

CHECKPOINT_DIR = ".ipynb_checkpoints"
CHECKPOINT_SUFFIX = "-checkpoint"


@dataclass
class Block:
    file: str                                   # relative path of the student's file
    cell: int | None                            # notebook cell index, None for .py
    text: str                                   # Python text, one line per original line
    order: int                                  # position of the block in its file
    line_offset: int = 0                        # block line + offset = original line
    headings: tuple[tuple[int, str], ...] = ()  # heading stack where the block starts
    line_headings: list[tuple[int, int, str]] = field(default_factory=list)  # (line, level, text)
    tree: ast.Module | None = None
    error: SyntaxError | None = None
    _lines: tuple[str, list[str]] | None = field(default=None, repr=False, compare=False)
    _stacks: tuple[tuple, list[int], list[tuple]] | None = field(default=None, repr=False, compare=False)

    def origin(self, line: int | None = None) -> Origin:
        return Origin(self.file, None if line is None else line + self.line_offset, self.cell)

    def heading_stack(self, line: int) -> tuple[tuple[int, str], ...]:
        """The headings in force just before `line`: the block's own, then its comment titles."""
        key = (self.headings, len(self.line_headings))
        if self._stacks is None or self._stacks[0] != key:
            stack = list(self.headings)
            ats, stacks = [], []
            for at, level, text in self.line_headings:
                _push(stack, level, text)
                ats.append(at)
                stacks.append(tuple(stack))
            self._stacks = (key, ats, stacks)
        _, ats, stacks = self._stacks
        i = bisect.bisect_left(ats, line) - 1       # the last title strictly before `line`
        return stacks[i] if i >= 0 else tuple(self.headings)

    def heading_text(self, line: int) -> str:
        return " / ".join(text for _, text in self.heading_stack(line))

    def lines(self) -> list[str]:
        """The block's lines (computed once: callers must not modify the list)."""
        if self._lines is None or self._lines[0] is not self.text:
            self._lines = (self.text, self.text.split("\n"))
        return self._lines[1]


@dataclass
class SourceFile:
    rel: str                                    # path relative to the submission folder
    path: Path
    kind: str                                   # "py" or "ipynb"
    mtime: float
    blocks: list[Block] = field(default_factory=list)
    problem: Message | None = None              # unreadable: why
    notes: list[Message] = field(default_factory=list)
    writefiles: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (text, cell)
    python2_kernel: bool = False

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def checkpoint(self) -> bool:
        """A Jupyter autosave copy (`.ipynb_checkpoints/TP3-checkpoint.ipynb`), not the file itself."""
        return is_checkpoint_copy(self.rel)

    def importable(self) -> bool:
        """Readable, and a .py that parses as a whole (a notebook's broken cells are only skipped)."""
        if self.problem is not None:
            return False
        return self.kind == "ipynb" or not self.broken_blocks()

    def parsed_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.tree is not None]

    def broken_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.error is not None]

    def has_code(self) -> bool:
        """Anything but comments, blank lines and a docstring."""
        for block in self.blocks:
            if block.tree is None:
                if block.text.strip():
                    return True
                continue
            body = [s for s in block.tree.body
                    if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
                    and not isinstance(s, ast.Pass)]
            if body:
                return True
        return False


def is_checkpoint_copy(rel: str, skip_dirs: Iterable[str] = ()) -> bool:
    """A file inside `.ipynb_checkpoints/`, and in no other hidden folder or one of `skip_dirs`."""
    parts = PurePosixPath(rel.split("#")[0]).parts
    if CHECKPOINT_DIR not in parts[:-1] or parts[-1].startswith("."):
        return False
    return not any(p != CHECKPOINT_DIR and (p in skip_dirs or p.startswith(".")) for p in parts[:-1])


def checkpoint_original(rel: str) -> str:
    """`TP3/.ipynb_checkpoints/tp_nn-checkpoint.py` -> `TP3/tp_nn.py`: the file it is a copy of."""
    path = PurePosixPath(rel)
    parts = [p for p in path.parts[:-1] if p != CHECKPOINT_DIR]
    stem, suffix = path.stem, path.suffix
    if stem.endswith(CHECKPOINT_SUFFIX):
        stem = stem[: -len(CHECKPOINT_SUFFIX)]
    return "/".join(parts + [stem + suffix])


def _push(stack: list[tuple[int, str]], level: int, text: str) -> None:
    while stack and stack[-1][0] >= level:
        stack.pop()
    stack.append((level, text))


def decode_python(data: bytes) -> tuple[str, str | None]:
    """(text, fallback): the coding cookie or UTF-8; else cp1252 (French Windows editors), named.

    Python 3 would refuse a cp1252 file with accents in its comments; the prepared module is
    written in UTF-8, so such a file still imports, with a note.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding), None
    except (SyntaxError, LookupError, UnicodeDecodeError):
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def normalise_newlines(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_block(block: Block) -> None:
    limits.check_deadline()
    try:
        block.tree = ast.parse(block.text, filename=block.file)
    except SyntaxError as exc:
        block.error = exc
    except ValueError as exc:  # null bytes, on some Python versions
        block.error = SyntaxError(str(exc), (block.file, 1, 1, ""))
    except (RecursionError, MemoryError):
        # `x = 1+1+…+1` a hundred thousand times, `-` * 100000: the parser gives up (its own stack,
        # not the machine's memory). Python would not run it either.
        block.tree = None
        lines = block.lines()
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))   # the likely culprit
        block.error = SyntaxError("too deeply nested for Python's parser",
                                  (block.file, longest + 1, 1, lines[longest][:200]))


def read_source(path: Path, rel: str, provides: Callable[[str], bool] = lambda m: False) -> SourceFile:
    """Read a .py or .ipynb file of the submission into parsed blocks."""
    kind = "ipynb" if path.suffix.lower() == ".ipynb" else "py"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    source = SourceFile(rel=rel, path=path, kind=kind, mtime=mtime)
    if kind == "py":
        _read_py(source)
    else:
        _read_ipynb(source, provides)
    for block in source.blocks:
        parse_block(block)
    return source


def _too_large(source: SourceFile, size: int, limit: int) -> Message:
    return msg("intake_file_too_large", file=source.rel, size_mb=round(size / (1 << 20), 1),
               limit_mb=round(limit / (1 << 20)))


def _read_py(source: SourceFile) -> None:
    try:
        size = source.path.stat().st_size
        if size > limits.MAX_PY_BYTES:
            source.problem = _too_large(source, size, limits.MAX_PY_BYTES)
            return
        data = source.path.read_bytes()
    except OSError as exc:
        source.problem = msg("intake_file_unreadable", file=source.rel, error=str(exc.strerror or exc))
        return
    text, fallback = decode_python(data)
    if fallback:
        source.notes.append(msg("intake_encoding", file=source.rel, encoding=fallback))
    text = normalise_newlines(text)
    block = Block(file=source.rel, cell=None, text=text, order=0)
    _comment_titles(block)
    source.blocks.append(block)


def _comment_titles(block: Block, stack: list[tuple[int, str]] | None = None) -> None:
    """Comment titles of the block (`# 2.2 autograd`), up to limits.MAX_HEADINGS_PER_BLOCK."""
    for number, line in enumerate(block.lines(), start=1):
        if not line.startswith("#"):
            continue
        heading = notebooks.comment_heading(line)
        if heading:
            block.line_headings.append((number, heading[0], heading[1]))
            if stack is not None:
                _push(stack, heading[0], heading[1])
            if len(block.line_headings) >= limits.MAX_HEADINGS_PER_BLOCK:
                break


def _read_ipynb(source: SourceFile, provides: Callable[[str], bool]) -> None:
    try:
        notebook = notebooks.read_notebook(source.path)
    except notebooks.NotebookTooLarge as exc:
        source.problem = _too_large(source, exc.size, limits.MAX_NOTEBOOK_BYTES)
        return
    except notebooks.NotebookError as exc:
        source.problem = msg("intake_notebook_unreadable", file=source.rel, error=str(exc))
        return
    if notebook.total_cells > len(notebook.cells):
        source.notes.append(msg("intake_too_many_cells", file=source.rel, count=notebook.total_cells,
                                limit=len(notebook.cells)))
    for index, chars in notebook.oversized[:20]:
        source.notes.append(msg("intake_cell_too_large", file=source.rel, cell=index,
                                size_kb=chars >> 10, limit_kb=limits.MAX_CELL_CHARS >> 10))
    source.python2_kernel = notebook.python2
    if notebook.language not in ("python", "python3", "python2", "ipython", ""):
        source.problem = msg("intake_notebook_unreadable", file=source.rel,
                             error=f"the notebook's language is {notebook.language}, not Python")
        return
    stack: list[tuple[int, str]] = []
    for cell in notebook.cells:
        limits.check_deadline()
        if cell.kind == "markdown":
            for level, text in notebooks.markdown_headings(cell.source):
                _push(stack, level, text)
            continue
        if cell.kind != "code":
            continue
        code = notebooks.cell_to_python(cell.source, provides)
        if code.writefile:
            target, body = code.writefile
            source.writefiles[Path(target.replace("\\", "/")).name] = (body, cell.index)
        block = Block(file=source.rel, cell=cell.index, text=normalise_newlines(code.text),
                      order=len(source.blocks), headings=tuple(stack))
        _comment_titles(block, stack)
        source.blocks.append(block)


def source_from_cell_text(text: str, notebook: str, cell: int, name: str) -> SourceFile:
    """The body of a `%%writefile name` cell, parsed like a .py file; its lines map to the cell."""
    source = SourceFile(rel=notebook, path=Path(name), kind="py", mtime=0.0)
    block = Block(file=notebook, cell=cell, text=normalise_newlines(text), order=0, line_offset=1)
    source.blocks.append(block)
    parse_block(block)
    return source
