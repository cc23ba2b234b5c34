"""Find the students in what the teacher hands the grader.

Accepted:

* a folder of per-student folders (the folder name is the student id);
* a Moodle "download all submissions" zip (or its extracted folder): folders named
  "Firstname Lastname_12345_assignsubmission_file_" — and "_assignsubmission_onlinetext_" for
  text typed in Moodle's editor, merged with the same participant's files — or, from older Moodle
  versions, flat files "Firstname Lastname_12345_assignsubmission_file_tp_nn.py".

Student ids are the key an instructor matches against the LMS, so they are kept exactly:

* a plain folder's id is its name, character for character (`dupont__tp3`, `a_b` and `a__b`,
  `é`); a name that is not valid UTF-8 is read as cp1252 (else Latin-1), with a note;
* a Moodle folder's id stays "Firstname_Lastname_12345" (the name slugified, ASCII-safe, and
  always the participant id, which keeps distinct participants distinct; the exact name is the
  source's `display_name`, the participant id its `moodle_id`).

The report of a student is named `grader.report.model.report_stem(id)`: the id itself when it is a
safe file name everywhere, else a reversible encoding. A batch in which two submissions would share
one report file (the same id from two folders, or ids equal but for case or Unicode normalization,
which Windows and macOS file names ignore) is refused with ReportNameCollision, naming both.

Every student's files are copied (or extracted) into `workdir/students/<report_stem(id)>/`, so the
later stages never touch the teacher's copy, and archives a student uploaded are extracted there in
place (see archives.py). Symbolic links are never followed. Names that are not UTF-8 (a Windows
tar, a folder copied from an old disk) are re-read as valid text on the way (archives.clean_name).
A student whose files cannot all be copied is still a submission: the files that could not are
noted, and if copying failed altogether the note `intake_discover_failed` makes
`guard.prepare_bounded` report the intake as failed rather than find nothing handed in.
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
from grader.intake import archives, limits
from grader.intake.model import SubmissionSource
from grader.ids import report_key, report_stem

MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?$")
MOODLE_FLAT = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)$")
# (Both on names of at most 255 bytes; linear anyway: `.+?` only stops at a `_`, from which `\d+`
# and the literal fail or succeed within the digits that follow.)
_CODE_START = re.compile(r"^[^\S\n]*(def |import |from \S+ import |class )", re.MULTILINE)
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


class ReportNameCollision(HarnessError):
    """Two submissions of the batch would be written to one report file: the batch is refused."""

    def __init__(self, first: tuple[str, str], second: tuple[str, str]) -> None:
        self.first, self.second = first, second
        (id_a, where_a), (id_b, where_b) = first, second
        same = "the same student id" if id_a == id_b else \
            "report names that only differ in case or Unicode normalization (one file on Windows and macOS)"
        super().__init__(
            f"two submissions would share one report: {where_a!r} (student id {id_a!r}) and {where_b!r} "
            f"(student id {id_b!r}) give {same}, report file {report_stem(id_b)!r}.json; "
            f"rename one of them and run again")


def check_report_names(submissions: list[tuple[str, str]]) -> None:
    """Refuse (ReportNameCollision) a batch where two (student id, folder) pairs share a report."""
    seen: dict[str, tuple[str, str]] = {}
    for student_id, where in submissions:
        key = report_key(student_id)
        if key in seen:
            raise ReportNameCollision(seen[key], (student_id, where))
        seen[key] = (student_id, where)


@dataclass
class _Student:
    student_id: str
    display_name: str | None = None
    moodle_id: str | None = None
    folders: list[Path] = field(default_factory=list)
    files: list[tuple[Path, str]] = field(default_factory=list)     # (file, name to give it)
    onlinetext: list[Path] = field(default_factory=list)            # Moodle online text folders
    entries: list[str] = field(default_factory=list)                # names in the batch, for messages
    notes: list[Message] = field(default_factory=list)


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
    index: dict[str, str] = {}
    for entry in sorted(batch.iterdir(), key=lambda p: p.name):
        if entry.name in SKIP_NAMES or entry.name == MARKER or entry.name.startswith("."):
            continue
        name, encoding = archives.clean_name(entry.name)
        if entry.is_symlink():
            messages.append(msg("intake_symlink_skipped", file=name))
            continue
        folder_match = MOODLE_FOLDER.match(name) if entry.is_dir() else None
        flat_match = MOODLE_FLAT.match(name) if entry.is_file() else None
        match = folder_match or flat_match
        if match:
            moodle_id = match.group("id")
            student = _student_for(students, index, slugify(f"{match.group('name')}_{moodle_id}"),
                                   name, match.group("name").strip(), moodle_id)
            if entry.is_dir():
                (student.onlinetext if match.group("plugin") == "onlinetext" else student.folders).append(entry)
            else:
                student.files.append((entry, match.group("file")))
        elif entry.is_dir():
            student = _student_for(students, index, name, name, None, None)
            student.folders.append(entry)
        else:
            messages.append(msg("intake_ignored_file", file=name))
            continue
        if encoding:
            student.notes.append(msg("intake_name_not_utf8", name=name, encoding=encoding))

    root = _fresh(workdir / "students")
    sources = []
    for student_id in sorted(students):
        student = students[student_id]
        dest = root / report_stem(student_id)
        notes: list[Message] = list(student.notes)
        try:
            dest.mkdir()
            for folder in student.folders:
                _copy_tree(folder, dest, notes)
            for file, name in student.files:
                _copy_file(file, dest / _safe_name(name), name, notes)
            for folder in student.onlinetext:
                _save_onlinetext(folder, dest, notes)
            notes.extend(archives.extract_nested(dest, archives.student_budget()))
        except Exception as exc:  # noqa: BLE001 - one student's files must not stop the batch
            notes.append(msg("intake_discover_failed", error=f"{type(exc).__name__}: {exc}"[:300]))
            try:
                dest.mkdir(parents=True, exist_ok=True)
            except OSError:
                pass            # prepare_bounded reports the failure without reading the folder
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


def _student_for(students: dict[str, _Student], index: dict[str, str], student_id: str, entry: str,
                 display: str | None, moodle_id: str | None) -> _Student:
    """The student an entry of the batch belongs to; a second entry giving an id already taken
    (by another participant, or by a plain folder) is a collision: the batch is refused.
    `index` maps Moodle participant ids, and "key:" + report_key(id), to student ids."""
    if moodle_id is not None and moodle_id in index:
        student = students[index[moodle_id]]     # the same participant's file_ and onlinetext_ parts
        student.entries.append(entry)
        return student
    key = report_key(student_id)
    other = students.get(index.get("key:" + key, ""))
    if other is not None:
        raise ReportNameCollision((other.student_id, other.entries[0]), (student_id, entry))
    students[student_id] = _Student(student_id, display, moodle_id, entries=[entry])
    index["key:" + key] = student_id
    if moodle_id is not None:
        index[moodle_id] = student_id
    return students[student_id]


def _safe_name(name: str) -> str:
    rel = archives.safe_relpath(name)
    return Path(rel).name if rel else "file"


def _copy_file(src: Path, dst: Path, label: str, notes: list[Message]) -> None:
    try:
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
    except OSError as exc:          # unreadable, a name too long once re-encoded, a full disk…
        notes.append(msg("intake_copy_failed", file=label, error=str(exc.strerror or exc)[:200]))


def _copy_tree(src: Path, dst: Path, notes: list[Message], rel: str = "") -> None:
    try:
        entries = sorted(src.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        notes.append(msg("intake_copy_failed", file=rel or src.name, error=str(exc.strerror or exc)[:200]))
        return
    for entry in entries:
        if entry.name in SKIP_NAMES:
            continue
        name, encoding = archives.clean_name(entry.name)
        label = f"{rel}{name}"
        if encoding:
            notes.append(msg("intake_name_not_utf8", name=label, encoding=encoding))
        if entry.is_symlink():
            notes.append(msg("intake_symlink_skipped", file=label))
        elif entry.is_dir():
            try:
                (dst / name).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                notes.append(msg("intake_copy_failed", file=label, error=str(exc.strerror or exc)[:200]))
                continue
            _copy_tree(entry, dst / name, notes, f"{label}/")
        elif entry.is_file():
            _copy_file(entry, dst / name, label, notes)


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
        name = archives.clean_name(page.name)[0]
        _copy_file(page, dest / name, name, notes)
        size = page.stat().st_size
        if size > limits.MAX_ONLINETEXT_BYTES:     # HTMLParser is not linear on malformed input
            notes.append(msg("intake_onlinetext_too_large", size_kb=size >> 10))
            continue
        parser = _TextOfHtml()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        parser.close()
        code = html.unescape(parser.text()).strip()
        # `[^\S\n]*`, not `\s*`: from each line start only that line's indentation is scanned
        # (`\s*` ran over every following blank line, from every blank line: quadratic).
        start = _CODE_START.search(code)
        if start:
            # The message around the code ("voici mon code :") becomes comments, line for line.
            before = code[:start.start()].split("\n")[:-1] if start.start() else []
            code = "\n".join([f"# {line}" if line.strip() else "" for line in before]
                              + code[start.start():].split("\n"))
            target = dest / ("onlinetext.py" if not (dest / "onlinetext.py").exists() else f"{Path(name).stem}.py")
            target.write_text(code + "\n", encoding="utf-8")
            notes.append(msg("intake_onlinetext", file=target.name))
    for other in sorted(folder.iterdir()):   # images pasted into the editor, etc.
        if other.is_file() and not other.name.lower().endswith((".html", ".htm")):
            name = archives.clean_name(other.name)[0]
            _copy_file(other, dest / name, name, notes)
