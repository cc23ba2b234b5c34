"""Finding students and extracting their archives without trusting them."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from grader.errors import HarnessError, SubmissionError
from grader.intake import discover, prepare
from grader.intake.archives import ArchiveError, Budget, extract, extract_nested, safe_relpath
from grader.intake.discover import slugify
from intake_helpers import STUDENTS, build_moodle_zip, demo_assignment


@pytest.mark.parametrize("name,safe", [
    ("a/b.py", "a/b.py"), ("./a//b.py", "a/b.py"), ("a\\b.py", "a/b.py"), ("../x", None), ("a/../../x", None),
    ("/etc/passwd", None), ("C:\\Windows\\x", None), ("a\x00b", None), ("", None),
])
def test_safe_relpath(name: str, safe: str | None) -> None:
    assert safe_relpath(name) == safe


def test_moodle_zip(tmp_path: Path) -> None:
    sources, messages = discover(build_moodle_zip(tmp_path), tmp_path / "work")
    assert [s.student_id for s in sources] == ["Alice_Martin_12345", "Bob_Stone_34567", "Chloe_Bernard_45678",
                                               "Eloise_Dupont_23456"]
    alice, bob, chloe, eloise = sources
    assert (alice.display_name, alice.moodle_id) == ("Alice Martin", "12345")
    assert eloise.display_name == "Éloïse Dupont"
    # file_ and onlinetext_ folders of one participant are merged
    assert sorted(p.name for p in alice.path.iterdir()) == ["onlinetext.html", "tp_nn.py"]
    # the code pasted in the online editor became a module; the message around it comments
    assert (bob.path / "onlinetext.py").read_text().startswith("# Je n'ai pas réussi")
    # old flat layout
    assert [p.name for p in chloe.path.iterdir()] == ["tp_nn.py"]
    # the zip Éloïse uploaded was extracted in place and removed
    assert (eloise.path / "TP3_Dupont" / "TP3_Dupont.py").exists() and not list(eloise.path.glob("*.zip"))
    assert [n.key for n in eloise.notes] == ["intake_archive_extracted"]
    keys = [m.key for m in messages]
    assert keys.count("intake_archive_unsafe_entry") == 4 and "intake_ignored_file" in keys
    # nothing escaped the work folder, and the symbolic link was not created
    assert not (tmp_path / "escaped.py").exists() and not Path("/tmp/absolute_intake_test.py").exists()
    assert not list((tmp_path / "work").rglob("passwd")) and not list(tmp_path.rglob("windows_escape.py"))


def test_folder_of_student_folders(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    (batch / "zoé").mkdir(parents=True)
    (batch / "zoé" / "tp_nn.py").write_text("x = 1\n")
    (batch / "adam").mkdir()                       # empty: still a student, prepare makes it fatal
    (batch / "readme.txt").write_text("not a student")
    os.symlink("/etc/passwd", batch / "zoé" / "passwd")
    sources, messages = discover(batch, tmp_path / "work")
    assert [s.student_id for s in sources] == ["adam", "zoé"]       # ids are kept exactly
    assert [m.key for m in messages] == ["intake_ignored_file"]
    assert not (sources[1].path / "passwd").exists()
    assert [n.key for n in sources[1].notes] == ["intake_symlink_skipped"]
    prepared = prepare(sources[0], demo_assignment(tmp_path / "ref"), tmp_path / "prep")
    assert {m.key for m in prepared.fatal.values()} == {"intake_empty_submission"}
    # running again replaces the intake's own folders, never a stranger's
    discover(batch, tmp_path / "work")
    (tmp_path / "other" / "students").mkdir(parents=True)
    (tmp_path / "other" / "students" / "keep.txt").write_text("mine")
    with pytest.raises(HarnessError):
        discover(batch, tmp_path / "other")


def test_slugify() -> None:
    assert slugify("Éloïse Dupont_23456") == "Eloise_Dupont_23456"
    assert slugify("O'Brien  (groupe 2)") == "O_Brien_groupe_2"
    assert slugify("张伟") == "student"


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_zip_bomb_stops_at_the_budget(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "bomb.zip", {"big.bin": b"\0" * (5 << 20)})
    with pytest.raises(ArchiveError) as info:
        extract(bomb, tmp_path / "out", Budget(1 << 20, 100))
    assert info.value.message.key == "intake_archive_too_large"
    many = _zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(50)})
    with pytest.raises(ArchiveError):
        extract(many, tmp_path / "out2", Budget(1 << 20, 10))


def test_budget_is_shared_by_a_student_s_archives(tmp_path: Path) -> None:
    """Bytes are counted as written, across all the archives of one student."""
    student = tmp_path / "student"
    student.mkdir()
    _zip(student / "a.zip", {"a.bin": b"\1" * (600 << 10)})
    _zip(student / "b.zip", {"b.bin": b"\2" * (600 << 10)})
    notes = extract_nested(student, Budget(1 << 20, 100))
    assert sorted(n.key for n in notes) == ["intake_archive_extracted", "intake_archive_too_large"]
    assert (student / "a.bin").exists() and not (student / "b.bin").exists()


def test_tar_links_devices_and_traversal_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "t.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        def add(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> None:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.size = kind, link, len(data)
            tf.addfile(info, io.BytesIO(data) if data else None)
        add("ok/tp_nn.py", b"x = 1\n")
        add("ok/link", kind=tarfile.SYMTYPE, link="/etc/passwd")
        add("ok/hard", kind=tarfile.LNKTYPE, link="ok/tp_nn.py")
        add("ok/dev", kind=tarfile.CHRTYPE)
        add("../../evil.py", b"x")
        add("/abs.py", b"x")
    result = extract(path, tmp_path / "out", Budget(1 << 20, 100))
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")) == [
        "ok", "ok/tp_nn.py"]
    assert sorted(n.params["reason"] for n in result.notes) == [
        "hard link", "path outside the archive's folder", "path outside the archive's folder", "special file",
        "symbolic link"]


def test_nested_archives_in_place_and_unsupported(tmp_path: Path) -> None:
    student = tmp_path / "student"
    student.mkdir()
    inner = _zip(tmp_path / "inner.zip", {"deep/tp_nn.py": b"x = 1\n"})
    _zip(student / "rendu.zip", {"rendu/notebook.ipynb": b"{}", "rendu/inner.zip": inner.read_bytes()})
    (student / "rendu.rar").write_bytes(b"Rar!\x1a\x07\x00")
    (student / "mnist.pkl.gz").write_bytes(b"\x1f\x8b")            # a data file, not a folder
    (student / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    notes = extract_nested(student, Budget(10 << 20, 100))
    assert (student / "rendu" / "notebook.ipynb").exists()
    assert (student / "rendu" / "deep" / "tp_nn.py").exists()
    assert (student / "mnist.pkl.gz").exists()
    keys = sorted(n.key for n in notes)
    assert keys == ["intake_archive_extracted", "intake_archive_extracted", "intake_archive_unreadable",
                    "intake_archive_unsupported"]


def test_nested_archive_that_would_overwrite_goes_in_its_own_folder(tmp_path: Path) -> None:
    student = tmp_path / "student"
    student.mkdir()
    (student / "tp_nn.py").write_text("new = 1\n")
    _zip(student / "old.zip", {"tp_nn.py": b"old = 1\n"})
    extract_nested(student, Budget(1 << 20, 100))
    assert (student / "tp_nn.py").read_text() == "new = 1\n"
    assert (student / "old" / "tp_nn.py").read_text() == "old = 1\n"


def test_unreadable_batch_archive(tmp_path: Path) -> None:
    bad = tmp_path / "moodle.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SubmissionError):
        discover(bad, tmp_path / "work")
    with pytest.raises(HarnessError):
        discover(tmp_path / "missing", tmp_path / "work")


def test_fixture_folders_are_a_batch(tmp_path: Path) -> None:
    sources, messages = discover(STUDENTS, tmp_path / "work")
    assert [s.student_id for s in sources] == sorted(p.name for p in STUDENTS.iterdir() if p.is_dir())
    assert messages == []
