"""Find the students in what the teacher hands the grader.

Accepted:

* a folder of per-student folders (the folder name is the student id);
* a Moodle "download all submissions" zip (or its extracted folder): folders named
  "Firstname Lastname_12345_assignsubmission_file_" — and "_assignsubmission_onlinetext_" for
  text typed in Moodle's editor, merged with the same participant's files — or, from older Moodle
  versions, flat files "Firstname Lastname_12345_assignsubmission_file_tp_nn.py".

Every student's files are copied (or extracted) into `workdir/students/<student_id>/`, so the
later stages never touch the teacher's copy, and archives a student uploaded are extracted there in
place (see archives.py). Symbolic links are never followed. Student ids are ASCII-safe slugs:
"Éloïse Dupont_12345" -> "Eloise_Dupont_12345".
"""

from __future__ import annotations

import html
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from grader.errors import HarnessError, SubmissionError
from grader.messages import Message, msg
from grader.intake import archives
from grader.intake.model import SubmissionSource

MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?$")
MOODLE_FLAT = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)$")
MAX_FILE_BYTES = 50 << 20
MARKER = ".intake-workdir"
SKIP_NAMES = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}


def slugify(text: str) -> str:
    """ASCII letters, digits, '_', '-' and '.'; accents dropped, anything else becomes '_'."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z0-9_.-]+", "_", text.encode("ascii", "ignore").decode("ascii"))
    text = re.sub(r"_+", "_", text).strip("_.")
    return text or "student"


@dataclass
class _Student:
    student_id: str
    display_name: str | None = None
    moodle_id: str | None = None
    folders: list[Path] = field(default_factory=list)
    files: list[tuple[Path, str]] = field(default_factory=list)     # (file, name to give it)
    onlinetext: list[Path] = field(default_factory=list)            # Moodle online text folders


def _fresh(folder: Path) -> Path:
    """An empty folder we own: refuse to wipe a folder the intake did not create."""
    if folder.exists():
        if not (folder / MARKER).exists():
            if any(folder.iterdir()):
                raise HarnessError(f"{folder} exists and was not made by the intake: refusing to overwrite it")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by grader.intake.discover; deleted on the next run\n")
    return folder


def discover(path: Path, workdir: Path) -> tuple[list[SubmissionSource], list[Message]]:
    """The students found in `path` (a folder or a Moodle zip), their files under `workdir`."""
    path, workdir = Path(path), Path(workdir)
    messages: list[Message] = []
    if path.is_file():
        kind = archives.archive_kind(path)
        if kind not in ("zip", "tar"):
            raise HarnessError(f"{path}: not a folder nor a .zip / .tar.gz archive of submissions")
        batch = _fresh(workdir / "archive")
        try:
            result = archives.extract(path, batch, archives.batch_budget(), path.name)
        except archives.ArchiveError as exc:
            raise SubmissionError(exc.message.render("en")) from None
        messages.extend(result.notes)
        batch = _unwrap(batch)
    elif path.is_dir():
        batch = path
    else:
        raise HarnessError(f"{path}: no such file or folder")

    students: dict[str, _Student] = {}
    by_moodle: dict[str, str] = {}
    for entry in sorted(batch.iterdir(), key=lambda p: p.name):
        if entry.name in SKIP_NAMES or entry.name == MARKER or entry.name.startswith("."):
            continue
        if entry.is_symlink():
            messages.append(msg("intake_symlink_skipped", file=entry.name))
            continue
        folder_match = MOODLE_FOLDER.match(entry.name) if entry.is_dir() else None
        flat_match = MOODLE_FLAT.match(entry.name) if entry.is_file() else None
        match = folder_match or flat_match
        if match:
            moodle_id = match.group("id")
            student = _student_for(students, by_moodle, messages, slugify(f"{match.group('name')}_{moodle_id}"),
                                   entry, match.group("name").strip(), moodle_id)
            if entry.is_dir():
                (student.onlinetext if match.group("plugin") == "onlinetext" else student.folders).append(entry)
            else:
                student.files.append((entry, match.group("file")))
        elif entry.is_dir():
            student = _student_for(students, by_moodle, messages, slugify(entry.name), entry, None, None)
            student.folders.append(entry)
        else:
            messages.append(msg("intake_ignored_file", file=entry.name))

    root = _fresh(workdir / "students")
    sources = []
    for student_id in sorted(students):
        student = students[student_id]
        dest = root / student_id
        dest.mkdir()
        notes: list[Message] = []
        for folder in student.folders:
            _copy_tree(folder, dest, notes)
        for file, name in student.files:
            _copy_file(file, dest / _safe_name(name), name, notes)
        for folder in student.onlinetext:
            _save_onlinetext(folder, dest, notes)
        notes.extend(archives.extract_nested(dest, archives.student_budget()))
        sources.append(SubmissionSource(student_id=student_id, path=dest, display_name=student.display_name,
                                        moodle_id=student.moodle_id, notes=tuple(notes)))
    return sources, messages


def _unwrap(batch: Path) -> Path:
    """A zip whose only content is one folder holding the student folders: use that folder."""
    while True:
        entries = [e for e in batch.iterdir() if e.name != MARKER and e.name not in SKIP_NAMES]
        if len(entries) == 1 and entries[0].is_dir() and not MOODLE_FOLDER.match(entries[0].name) \
                and any(MOODLE_FOLDER.match(e.name) or MOODLE_FLAT.match(e.name) for e in entries[0].iterdir()):
            batch = entries[0]
        else:
            return batch


def _student_for(students: dict[str, _Student], by_moodle: dict[str, str], messages: list[Message],
                 student_id: str, entry: Path, display: str | None, moodle_id: str | None) -> _Student:
    if moodle_id is not None and moodle_id in by_moodle:
        return students[by_moodle[moodle_id]]     # the same participant's file_ and onlinetext_ parts
    if student_id in students:
        base, n = student_id, 2
        while f"{base}-{n}" in students:
            n += 1
        student_id = f"{base}-{n}"
        messages.append(msg("intake_duplicate_student", student=base, folder=entry.name))
    students[student_id] = _Student(student_id, display, moodle_id)
    if moodle_id is not None:
        by_moodle[moodle_id] = student_id
    return students[student_id]


def _safe_name(name: str) -> str:
    rel = archives.safe_relpath(name)
    return Path(rel).name if rel else "file"


def _copy_file(src: Path, dst: Path, label: str, notes: list[Message]) -> None:
    if src.is_symlink():
        notes.append(msg("intake_symlink_skipped", file=label))
        return
    size = src.stat().st_size
    if size > MAX_FILE_BYTES:
        notes.append(msg("intake_large_file_skipped", file=label, size_mb=round(size / (1 << 20))))
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    shutil.copystat(src, dst)   # keep the modification time: it breaks ties between candidate files


def _copy_tree(src: Path, dst: Path, notes: list[Message], rel: str = "") -> None:
    for entry in sorted(src.iterdir(), key=lambda p: p.name):
        label = f"{rel}{entry.name}"
        if entry.name in SKIP_NAMES:
            continue
        if entry.is_symlink():
            notes.append(msg("intake_symlink_skipped", file=label))
        elif entry.is_dir():
            (dst / entry.name).mkdir(parents=True, exist_ok=True)
            _copy_tree(entry, dst / entry.name, notes, f"{label}/")
        elif entry.is_file():
            _copy_file(entry, dst / entry.name, label, notes)


class _TextOfHtml(HTMLParser):
    _BREAKS = {"br", "p", "div", "li", "pre", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)

    def text(self) -> str:
        return "".join(self.parts).replace("\xa0", " ")


def _save_onlinetext(folder: Path, dest: Path, notes: list[Message]) -> None:
    """Moodle's online text: keep the HTML; when it is Python code, also as onlinetext.py."""
    for page in sorted(folder.glob("*.htm*")):
        if page.is_symlink() or not page.is_file():
            continue
        _copy_file(page, dest / page.name, page.name, notes)
        parser = _TextOfHtml()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        code = html.unescape(parser.text()).strip()
        start = re.search(r"^\s*(def |import |from \S+ import |class )", code, re.MULTILINE)
        if start:
            # The message around the code ("voici mon code :") becomes comments, line for line.
            before = code[:start.start()].split("\n")[:-1] if start.start() else []
            code = "\n".join([f"# {line}" if line.strip() else "" for line in before]
                              + code[start.start():].split("\n"))
            target = dest / ("onlinetext.py" if not (dest / "onlinetext.py").exists() else f"{page.stem}.py")
            target.write_text(code + "\n", encoding="utf-8")
            notes.append(msg("intake_onlinetext", file=target.name))
    for other in sorted(folder.iterdir()):   # images pasted into the editor, etc.
        if other.is_file() and not other.name.lower().endswith((".html", ".htm")):
            _copy_file(other, dest / other.name, other.name, notes)
