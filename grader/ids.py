"""Student ids and the names of their report files: the id is kept exactly (it is the key an
instructor matches against the LMS); the file name is derived from it, reversibly. Plain functions
at the bottom of the package: intake refuses colliding ids with them, reports are named with them.
"""

from __future__ import annotations

# --- report file names ----------------------------------------------------------------------------
# The student id is kept exactly in the report (`student`); the report's file name is
# `report_stem(id)` + ".json" / ".md": the id itself when that is a safe name on every filesystem
# (ext4, APFS, NTFS, FAT…), else a reversible percent-encoding of it. Distinct ids never share a
# stem; two ids whose stems differ only in case or Unicode normalization would share a file on
# Windows or macOS — `grader.intake.discover` refuses such a batch (`report_key` is what it compares).

REPORT_STEM_MAX_BYTES = 120          # + ".json" and write_atomically's ".<name>.XXXXXXXX.tmp" < 255
_HASH_MARK = "~"                     # only in stems of ids too long to keep whole; never verbatim
_HASH_CHARS = 20                     # hex digits of sha256(id): 80 bits
_VERBATIM_PUNCTUATION = frozenset("_-.+@=,() ")
_WINDOWS_DEVICES = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
                             | {f"{d}{n}" for d in ("COM", "LPT") for n in "0123456789¹²³"})


def _verbatim(char: str, first: bool, last: bool) -> bool:
    if char.isalnum():
        return char.isascii() or char.isprintable()
    if char not in _VERBATIM_PUNCTUATION:
        return False
    if char == "." and first:
        return False                 # hidden file, "." and ".."
    if char in ". " and last:
        return False                 # Windows drops a trailing dot or space
    return not (char == " " and first)


def _escape(char: str) -> str:
    return "".join(f"%{b:02X}" for b in char.encode("utf-8", "surrogatepass"))


def report_stem(student_id: str) -> str:
    """The file name (without extension) of `student_id`'s report.

    The id itself when every character is a letter or digit (any script) or one of `_-.+@=,()`
    and space — except a leading dot or space, a trailing dot or space — and it is no Windows
    device name (CON, NUL, COM1…); otherwise those characters are percent-encoded (`%2F`, `%25`
    for `%` itself, UTF-8 bytes), which `student_id_from_stem` reverses. Never empty, never with
    `/`, `\\`, NUL or control characters. An id whose stem would be longer than
    REPORT_STEM_MAX_BYTES keeps its beginning and gets `~` and 20 hex digits of its SHA-256: still
    distinct, no longer reversible (the report's `student` field has the id).
    """
    n = len(student_id)
    parts = [c if _verbatim(c, i == 0, i == n - 1) else _escape(c) for i, c in enumerate(student_id)]
    base = student_id.split(".")[0].rstrip(" ").upper()
    if base in _WINDOWS_DEVICES and parts:
        parts[0] = _escape(student_id[0])
    stem = "".join(parts)
    if stem and len(stem.encode("utf-8")) <= REPORT_STEM_MAX_BYTES:
        return stem
    import hashlib
    digest = hashlib.sha256(student_id.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    room = REPORT_STEM_MAX_BYTES - len(_HASH_MARK) - _HASH_CHARS
    kept, used = [], 0
    for part in parts:               # whole characters and whole escapes only
        size = len(part.encode("utf-8"))
        if used + size > room:
            break
        kept.append(part)
        used += size
    return "".join(kept) + _HASH_MARK + digest


def student_id_from_stem(stem: str) -> str | None:
    """The id `report_stem` made `stem` from; None for a shortened (hashed) or foreign stem."""
    if _HASH_MARK in stem or not stem:
        return None
    data = bytearray()
    i = 0
    while i < len(stem):
        if stem[i] == "%":
            try:
                data.append(int(stem[i + 1:i + 3], 16))
            except ValueError:
                return None
            if len(stem[i + 1:i + 3]) != 2:
                return None
            i += 3
        else:
            data += stem[i].encode("utf-8")
            i += 1
    try:
        student_id = bytes(data).decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None
    return student_id if report_stem(student_id) == stem else None


def report_key(student_id: str) -> str:
    """What two report file names are compared by on the most forgiving filesystems (case and
    Unicode normalization ignored, as on Windows and macOS)."""
    import unicodedata
    return unicodedata.normalize("NFC", report_stem(student_id)).casefold()
