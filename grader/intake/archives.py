"""Extract .zip and .tar(.gz|.bz2|.xz) archives without trusting them.

A Moodle download and the archives students upload inside it are untrusted input. Extraction:

* never writes outside the destination: absolute names, drive letters and `..` components are
  refused, backslashes (Windows zips) are read as separators;
* creates regular files and folders only: symbolic links, hard links, devices and FIFOs are
  skipped with a note (a link to /etc/passwd must not end up readable by student code);
* stops at a total size and a file count, counted on the bytes actually written (a zip's declared
  sizes can lie), so a zip bomb fills at most the budget;
* skips macOS resource forks (`__MACOSX/`, `._*`, `.DS_Store`);
* gives every entry a valid Unicode name: a tar made on Windows or an old Linux stores names in a
  legacy code page, which Python reads as lone surrogates that cannot be written into a report;
  such names are re-read as cp1252 (else Latin-1) by `clean_name`, with a note.

One archive that cannot be extracted, for whatever reason, is a note for that student
(`intake_archive_unreadable`), never an error that stops the batch.

Archives found among a student's files are extracted in place (into the folder holding the
archive, or into a folder named after it when that would overwrite something), recursively up to
a small depth, and then removed.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.errors import SubmissionError
from grader.messages import Message, msg

ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz")
# A bare .gz (mnist.pkl.gz) is a data file, not a folder: left alone.
UNSUPPORTED_SUFFIXES = (".rar", ".7z", ".arj", ".cab")
JUNK_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
JUNK_DIRS = {"__MACOSX"}
_CHUNK = 1 << 16


class ArchiveError(SubmissionError):
    """The archive cannot be (fully) extracted; `message` says why, for feedback."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(message.render("en"))


@dataclass
class Budget:
    """What may still be written: shared by an archive and the archives nested in it."""

    bytes_left: int
    files_left: int
    max_depth: int = 3

    @property
    def limit(self) -> str:
        return self._limit

    def __post_init__(self) -> None:
        self._limit = f"{self.bytes_left >> 20} MB / {self.files_left} files"


# Top-level batch (a whole class's Moodle download) and one student's own archives.
BATCH_MAX_BYTES = 8 << 30
BATCH_MAX_FILES = 100_000
STUDENT_MAX_BYTES = 500 << 20
STUDENT_MAX_FILES = 5_000


def batch_budget() -> Budget:
    return Budget(BATCH_MAX_BYTES, BATCH_MAX_FILES)


def student_budget() -> Budget:
    return Budget(STUDENT_MAX_BYTES, STUDENT_MAX_FILES)


def archive_kind(path: Path) -> str | None:
    """"zip", "tar", "unsupported" (.rar, .7z…) or None (not an archive)."""
    name = path.name.lower()
    if name.endswith(ZIP_SUFFIXES):
        return "zip"
    if name.endswith(TAR_SUFFIXES):
        return "tar"
    if name.endswith(UNSUPPORTED_SUFFIXES):
        return "unsupported"
    return None


def archive_stem(path: Path) -> str:
    name = path.name
    for suffix in sorted(ZIP_SUFFIXES + TAR_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or "archive"
    return path.stem


def safe_relpath(name: str) -> str | None:
    """The entry's path inside the destination, or None when it would escape it."""
    if "\x00" in name:
        return None
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = []
    for part in PurePosixPath(name).parts:
        if part in ("", "."):
            continue
        if part == "..":
            return None
        parts.append(part)
    if not parts:
        return None
    return "/".join(parts)


def clean_name(name: str) -> tuple[str, str | None]:
    """`name` as valid Unicode, and the encoding it was re-read with when it was not UTF-8.

    Names from the file system and from tar headers come as Python decodes them: UTF-8, with
    undecodable bytes as lone surrogates (surrogateescape). Those bytes are decoded again as cp1252
    (French Windows), else Latin-1 (any byte).
    """
    try:
        name.encode("utf-8")
        return name, None
    except UnicodeEncodeError:
        pass
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:    # lone surrogates that are not escaped bytes: nothing to recover
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in name), "utf-8"
    for encoding in ("cp1252", "latin-1"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "replace"), "utf-8"   # not reached: latin-1 decodes anything


def _junk(rel: str) -> bool:
    parts = rel.split("/")
    return any(p in JUNK_DIRS for p in parts) or parts[-1] in JUNK_NAMES or parts[-1].startswith("._")


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Zips from Windows store names in the OEM code page without saying so; macOS in UTF-8."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


MAX_UNSAFE_NOTES = 20        # entries skipped (links, devices, escapes) noted one by one; then a count


@dataclass
class Extraction:
    files: int = 0
    bytes: int = 0
    notes: list[Message] = field(default_factory=list)
    skipped: int = 0

    def unsafe(self, archive: str, entry: str, reason: str) -> None:
        self.skipped += 1
        if self.skipped <= MAX_UNSAFE_NOTES:
            self.notes.append(msg("intake_archive_unsafe_entry", archive=archive, entry=entry, reason=reason))


def extract(archive: Path, dest: Path, budget: Budget, label: str | None = None) -> Extraction:
    """Extract `archive` into `dest` within `budget`. Raises ArchiveError when it cannot."""
    label = label or archive.name
    kind = archive_kind(archive)
    if kind == "unsupported" or kind is None:
        raise ArchiveError(msg("intake_archive_unsupported", archive=label))
    dest.mkdir(parents=True, exist_ok=True)
    result = Extraction()
    try:
        if kind == "zip":
            _extract_zip(archive, dest, budget, label, result)
        else:
            _extract_tar(archive, dest, budget, label, result)
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError, RuntimeError,
            NotImplementedError) as exc:  # corrupt, encrypted, truncated, unknown compression
        raise ArchiveError(msg("intake_archive_unreadable", archive=label, error=str(exc)[:200])) from None
    if result.skipped > MAX_UNSAFE_NOTES:
        result.notes.append(msg("intake_archive_more_skipped", archive=label,
                                count=result.skipped - MAX_UNSAFE_NOTES))
    return result


def _too_large(label: str, budget: Budget) -> ArchiveError:
    return ArchiveError(msg("intake_archive_too_large", archive=label, limit=budget.limit))


def _target(dest: Path, rel: str) -> Path:
    target = dest.joinpath(*rel.split("/"))
    # Belt and braces: the resolved path must stay inside dest (a folder entry could be a link
    # left by an earlier, hostile extraction in the same place).
    if not str(target.resolve()).startswith(str(dest.resolve()) + os.sep):
        raise ValueError(f"entry escapes the destination: {rel}")
    return target


def _write_stream(stream, target: Path, budget: Budget, label: str, result: Extraction) -> None:
    if budget.files_left <= 0:
        raise _too_large(label, budget)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink():
        target.unlink()
    with open(target, "wb") as out:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            budget.bytes_left -= len(chunk)
            if budget.bytes_left < 0:
                out.close()
                target.unlink(missing_ok=True)
                raise _too_large(label, budget)
            out.write(chunk)
            result.bytes += len(chunk)
    budget.files_left -= 1
    result.files += 1


def _extract_zip(archive: Path, dest: Path, budget: Budget, label: str, result: Extraction) -> None:
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        declared = sum(i.file_size for i in infos)
        if sum(1 for i in infos if not i.is_dir()) > budget.files_left or declared > budget.bytes_left:
            raise _too_large(label, budget)
        for info in infos:
            name = _zip_name(info)
            rel = safe_relpath(name)
            if rel is None:
                result.unsafe(label, name, "path outside the archive's folder")
                continue
            if _junk(rel):
                continue
            mode = (info.external_attr >> 16) & 0xFFFF
            if stat.S_ISLNK(mode):
                result.unsafe(label, name, "symbolic link")
                continue
            target = _target(dest, rel)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            with zf.open(info) as stream:
                _write_stream(stream, target, budget, label, result)


def _extract_tar(archive: Path, dest: Path, budget: Budget, label: str, result: Extraction) -> None:
    renamed: list[tuple[str, str]] = []          # (name as read, encoding) of names not in UTF-8
    with tarfile.open(archive, mode="r:*", encoding="utf-8", errors="surrogateescape") as tf:
        try:
            _extract_tar_members(tf, dest, budget, label, result, renamed)
        finally:
            if renamed:
                result.notes.append(msg("intake_archive_names_not_utf8", archive=label, count=len(renamed),
                                        encoding=renamed[0][1], example=renamed[0][0]))


def _extract_tar_members(tf: tarfile.TarFile, dest: Path, budget: Budget, label: str, result: Extraction,
                         renamed: list[tuple[str, str]]) -> None:
    for member in tf:
        name, encoding = clean_name(member.name)
        if encoding:
            renamed.append((name, encoding))
        rel = safe_relpath(name)
        if rel is None:
            result.unsafe(label, name, "path outside the archive's folder")
            continue
        if _junk(rel):
            continue
        if member.isdir():
            _target(dest, rel).mkdir(parents=True, exist_ok=True)
            continue
        if not member.isfile():
            kind = "symbolic link" if member.issym() else "hard link" if member.islnk() else "special file"
            result.unsafe(label, name, kind)
            continue
        if member.size > budget.bytes_left:
            raise _too_large(label, budget)
        stream = tf.extractfile(member)
        if stream is None:
            continue
        with stream:
            _write_stream(stream, _target(dest, rel), budget, label, result)


def extract_nested(folder: Path, budget: Budget) -> list[Message]:
    """Extract, in place, every archive under `folder` (a student's files); returns notes."""
    notes: list[Message] = []
    queue = [(p, 0) for p in _archives_in([folder])]
    while queue:
        archive, depth = queue.pop(0)
        label = clean_name(archive.relative_to(folder).as_posix())[0]
        if archive_kind(archive) == "unsupported":
            notes.append(msg("intake_archive_unsupported", archive=label))
            continue
        if depth >= budget.max_depth:
            notes.append(msg("intake_archive_too_deep", archive=label))
            continue
        staging = archive.parent / f".{archive.name}.extracting"
        try:
            result = extract(archive, staging, budget, label)
        except ArchiveError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            notes.append(exc.message)
            continue
        except Exception as exc:  # noqa: BLE001 - whatever it is, one archive only costs a note
            shutil.rmtree(staging, ignore_errors=True)
            notes.append(msg("intake_archive_unreadable", archive=label, error=f"{type(exc).__name__}: {exc}"[:200]))
            continue
        try:
            queue.extend(_place(archive, staging, depth))
        except Exception as exc:  # noqa: BLE001
            shutil.rmtree(staging, ignore_errors=True)
            notes.append(msg("intake_archive_unreadable", archive=label, error=f"{type(exc).__name__}: {exc}"[:200]))
            continue
        notes.extend(result.notes)
        notes.append(msg("intake_archive_extracted", archive=label, count=result.files))
    return notes


def _place(archive: Path, staging: Path, depth: int) -> list[tuple[Path, int]]:
    """Move what `archive` held (in `staging`) beside it; the archives found in it, to extract next."""
    # In place when nothing gets overwritten, else in a folder named after the archive.
    entries = sorted(staging.iterdir())
    clash = any((archive.parent / e.name).exists() and e.name != archive.name for e in entries)
    place = archive.parent
    if clash:
        place = archive.parent / archive_stem(archive)
        if place.exists():
            place = archive.parent / f"{archive_stem(archive)}_extracted"
    place.mkdir(parents=True, exist_ok=True)
    archive.unlink()
    for entry in entries:
        _merge_move(entry, place / entry.name)
    shutil.rmtree(staging, ignore_errors=True)
    return [(p, depth + 1) for p in _archives_in([place / e.name for e in entries])]


def _archives_in(paths: list[Path]) -> list[Path]:
    found = []
    for path in paths:
        candidates = [path] if path.is_file() else sorted(path.rglob("*")) if path.is_dir() else []
        for p in candidates:
            if p.is_file() and not p.is_symlink() and archive_kind(p) is not None \
                    and not any(part.endswith(".extracting") for part in p.parts):
                found.append(p)
    return found


def _merge_move(src: Path, dst: Path) -> None:
    if src.is_dir() and dst.is_dir():
        for child in src.iterdir():
            _merge_move(child, dst / child.name)
        return
    if dst.exists():
        if dst.is_dir():
            shutil.rmtree(dst)
        else:
            dst.unlink()
    shutil.move(str(src), str(dst))
