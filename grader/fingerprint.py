"""What a report was made from: a hash of the student's files, the assignment, the grader and the
options that change scores. A finished report whose hash is unchanged is kept when a batch is run
again (a batch killed half-way resumes where it stopped); any change regrades."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from grader.assignment import Assignment
from grader.options import Options

_SKIP = {"__pycache__", ".pytest_cache", ".hypothesis"}
_GRADER = Path(__file__).resolve().parent
_TREES: dict[Path, str] = {}


def tree_digest(root: Path) -> str:
    """SHA-256 over the relative paths and bytes of every file below `root` (or of `root`)."""
    digest = hashlib.sha256()
    root = Path(root)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    for path in files:
        rel = path.relative_to(root).as_posix() if path != root else path.name
        if _SKIP & set(Path(rel).parts):
            continue
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def _cached_tree(root: Path) -> str:
    root = Path(root).resolve()
    if root not in _TREES:
        _TREES[root] = tree_digest(root)
    return _TREES[root]


def content_hash(assignment: Assignment, student_files: Path, options: Options, student_id: str = "") -> str:
    scoring = {"include_hidden": options.include_hidden, "max_examples": options.max_examples,
               "lang": options.lang, "seed": options.seed, "call_timeout": options.call_timeout,
               "questions": options.questions_for(student_id),
               "data": {k: _cached_tree(Path(v)) if Path(v).exists() else v for k, v in sorted(options.data.items())}}
    parts = [tree_digest(student_files), _cached_tree(assignment.root), _cached_tree(_GRADER),
             json.dumps(scoring, sort_keys=True)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def kept_report(path: Path, expected_hash: str) -> dict | None:
    """The finished report at `path` if it was made from the same content, without grader errors."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("content_hash") != expected_hash or data.get("harness_errors"):
        return None
    return data
