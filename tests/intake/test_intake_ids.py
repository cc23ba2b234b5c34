"""Student ids are kept exactly (issue 16.4 / 10.15), their report file names are safe and never
shared, and names that are not UTF-8 never cost a student their report (issue 10.4)."""

from __future__ import annotations

import importlib
import io
import json
import os
import tarfile
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.intake import ReportNameCollision, check_report_names, discover, intake_failed, prepare_bounded
from grader.intake.archives import clean_name
from grader.ids import REPORT_STEM_MAX_BYTES, report_key, report_stem, student_id_from_stem
from intake_helpers import MOODLE, demo_assignment, probe

discover_module = importlib.import_module("grader.intake.discover")

GOOD = (Path(__file__).parent / "fixtures" / "students" / "several_candidates" / "circlesV2.py").read_bytes()
IDS = ["a_b", "a__b", "é", "dupont__tp3", "Jean Dupont", "张伟", "O'Brien", "x.y"]


def _batch(tmp_path: Path, names: list[str | bytes]) -> Path:
    batch = tmp_path / "batch"
    batch.mkdir()
    for name in names:
        folder = os.path.join(os.fsencode(batch), name if isinstance(name, bytes) else os.fsencode(name))
        os.mkdir(folder)
        with open(os.path.join(folder, b"tp_nn.py"), "wb") as handle:
            handle.write(GOOD)
    return batch


def test_folder_names_are_the_ids_exactly(tmp_path: Path) -> None:
    sources, messages = discover(_batch(tmp_path, IDS), tmp_path / "work")
    assert [s.student_id for s in sources] == sorted(IDS)
    assert messages == []
    assignment = demo_assignment(tmp_path / "reference")
    for source in sources:
        assert source.path.name == report_stem(source.student_id)
        prepared = prepare_bounded(source, assignment, tmp_path / "prepared" / report_stem(source.student_id))
        assert prepared.ok("tp_nn.py"), source.student_id
        saved = json.loads((prepared.dir / ".intake.json").read_text(encoding="utf-8"))
        assert saved["source"]["student_id"] == source.student_id          # exact, é included
    by_id = {s.student_id: s for s in sources}
    assert by_id["dupont__tp3"].path.name == "dupont__tp3" and by_id["é"].path.name == "é"


def test_moodle_ids_keep_their_form(tmp_path: Path) -> None:
    """Moodle folders keep "Firstname_Lastname_12345": the participant id keeps them apart, the
    exact name is the display name."""
    sources, _ = discover(MOODLE / "batch", tmp_path / "work")
    assert [(s.student_id, s.display_name, s.moodle_id) for s in sources] == [
        ("Alice_Martin_12345", "Alice Martin", "12345"), ("Bob_Stone_34567", "Bob Stone", "34567"),
        ("Chloe_Bernard_45678", "Chloé Bernard", "45678")]


@pytest.mark.parametrize("names,clash", [
    (["Alice_Martin_12345", "Alice Martin_12345_assignsubmission_file_"], "the same student id"),
    (["Dupont", "dupont"], "differ in case"),
    (["\u00c5ngstr\u00f6m", "\u212bngstr\u00f6m"], "Unicode normalization"),   # Å and the Angstrom sign
])
def test_a_batch_where_two_submissions_share_a_report_is_refused(tmp_path: Path, names: list[str], clash: str) -> None:
    batch = _batch(tmp_path, names)
    with pytest.raises(ReportNameCollision) as info:
        discover(batch, tmp_path / "work")
    text = str(info.value)
    assert clash in text and "rename one of them" in text
    for name in names:
        assert repr(name) in text                    # both folders are named
    assert not (tmp_path / "work" / "students").exists() or not any((tmp_path / "work" / "students").iterdir())


def test_check_report_names() -> None:
    check_report_names([("a_b", "a_b"), ("a__b", "a__b"), ("é", "é"), ("e", "e")])
    with pytest.raises(ReportNameCollision):
        check_report_names([("Zoé", "one"), ("ZOÉ", "two")])


@pytest.mark.parametrize("student_id,stem", [
    ("a_b", "a_b"), ("a__b", "a__b"), ("é", "é"), ("dupont__tp3", "dupont__tp3"),
    ("Eloise_Dupont_23456", "Eloise_Dupont_23456"), ("Jean Dupont", "Jean Dupont"),
    ("a/b", "a%2Fb"), ("..", "%2E%2E"), (".hidden", "%2Ehidden"), ("50%", "50%25"), ("con", "%63on"),
    ("LPT1.tp3", "%4CPT1.tp3"), ("x.", "x%2E"), (" x ", "%20x%20"), ("a\x00b", "a%00b"), ("tab\t", "tab%09"),
    ("e\u0301", "e%CC%81"), ("a~b", "a%7Eb"), ("\u202eevil", "%E2%80%AEevil"), ("a\\b:c", "a%5Cb%3Ac"),
])
def test_report_stem(student_id: str, stem: str) -> None:
    assert report_stem(student_id) == stem
    assert student_id_from_stem(stem) == student_id


def _safe(stem: str) -> bool:
    return (bool(stem) and "/" not in stem and "\\" not in stem and not stem.startswith(".")
            and not any(ord(c) < 32 or ord(c) == 127 for c in stem)
            and not any(c in '<>:"|?*' for c in stem)
            and not stem.endswith((".", " ")) and len(stem.encode("utf-8")) <= REPORT_STEM_MAX_BYTES)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300), st.text(max_size=300))
def test_report_stems_are_safe_reversible_and_distinct(a: str, b: str) -> None:
    for student_id in (a, b):
        stem = report_stem(student_id)
        assert _safe(stem), (student_id, stem)
        back = student_id_from_stem(stem)
        assert back == student_id or (back is None and "~" in stem)
    if a != b:
        assert report_stem(a) != report_stem(b)


def test_long_ids_are_capped_with_a_hash() -> None:
    long_a, long_b = "é" * 200 + "a", "é" * 200 + "b"
    stem_a, stem_b = report_stem(long_a), report_stem(long_b)
    assert stem_a != stem_b and "~" in stem_a and len(stem_a.encode()) <= REPORT_STEM_MAX_BYTES
    assert student_id_from_stem(stem_a) is None
    assert report_stem(long_a) == stem_a                     # stable
    assert report_key("ABC") == report_key("abc")
    # NFC and NFD "é" are two ids with two report files ("é", "e%CC%81"): not a collision
    assert report_key("é") != report_key(unicodedata.normalize("NFD", "é"))


# --- names that are not UTF-8 ---------------------------------------------------------------------

def _latin1_tar(path: Path) -> None:
    with tarfile.open(path, "w:gz", format=tarfile.GNU_FORMAT, encoding="latin-1") as tf:
        for name, data in (("r\xe9sultat/tp_nn.py", GOOD), ("donn\xe9es/\xe9t\xe9.csv", b"1,2\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("r\xe9sultat/lien")                       # a link, with such a name
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(info)
    raw = path.read_bytes()
    assert b"r\xe9sultat" in __import__("gzip").decompress(raw)          # really Latin-1 bytes


def test_nested_tar_with_names_not_in_utf8(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    (batch / "dupont").mkdir(parents=True)
    _latin1_tar(batch / "dupont" / "rendu.tar.gz")
    (batch / "martin").mkdir()
    (batch / "martin" / "tp_nn.py").write_bytes(GOOD)
    sources, _ = discover(batch, tmp_path / "work")
    assert [s.student_id for s in sources] == ["dupont", "martin"]      # nobody dropped
    dupont = sources[0]
    notes = [n.render("en") for n in dupont.notes]
    assert "rendu.tar.gz: 3 names were not valid UTF-8; they were read as cp1252 (e.g. résultat/tp_nn.py)" in notes
    assert "rendu.tar.gz: entry 'résultat/lien' skipped (symbolic link)" in notes
    assert (dupont.path / "résultat" / "tp_nn.py").exists() and (dupont.path / "données" / "été.csv").exists()
    assignment = demo_assignment(tmp_path / "reference")
    for source in sources:
        prepared = prepare_bounded(source, assignment, tmp_path / "prepared" / report_stem(source.student_id))
        assert not intake_failed(prepared) and prepared.ok("tp_nn.py"), prepared.fatal
    assert prepared.modules == {"tp_nn.py": "tp_nn.py"}
    dupont_prepared = prepare_bounded(dupont, assignment, tmp_path / "prepared" / "dupont")
    assert dupont_prepared.modules["tp_nn.py"] == "résultat/tp_nn.py"
    json.loads((dupont_prepared.dir / ".intake.json").read_text(encoding="utf-8"))
    assert "error" not in probe(dupont_prepared.dir, ["tp_nn"])["tp_nn"]


def test_folder_and_file_names_not_in_utf8(tmp_path: Path) -> None:
    batch = _batch(tmp_path, [b"caf\xe9", b"x\x81y"])     # 0x81 is not even cp1252: Latin-1
    with open(os.path.join(os.fsencode(batch), b"caf\xe9", b"donn\xe9es.csv"), "wb") as handle:
        handle.write(b"1\n")
    sources, _ = discover(batch, tmp_path / "work")
    assert [s.student_id for s in sources] == ["café", "x\x81y"]
    cafe = sources[0]
    assert [n.render("en") for n in cafe.notes] == [
        "the name café was not valid UTF-8; it was read as cp1252",
        "the name données.csv was not valid UTF-8; it was read as cp1252"]
    assert (cafe.path / "données.csv").exists()
    assert sources[1].notes[0].params["encoding"] == "latin-1"
    prepared = prepare_bounded(cafe, demo_assignment(tmp_path / "r"), tmp_path / "p")
    assert prepared.ok("tp_nn.py")


def test_clean_name() -> None:
    assert clean_name("plain") == ("plain", None)
    assert clean_name(os.fsdecode(b"r\xe9sum\xe9")) == ("résumé", "cp1252")
    assert clean_name(os.fsdecode(b"\x81")) == ("\x81", "latin-1")
    assert clean_name("lone \ud800") == ("lone \ufffd", "utf-8")


def test_a_student_whose_files_cannot_be_copied_still_gets_a_source(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    batch = _batch(tmp_path, ["ok", "unlucky"])
    real = discover_module.archives.extract_nested

    def flaky(folder: Path, budget):
        if folder.name == "unlucky":
            raise RuntimeError("the disk went away")
        return real(folder, budget)

    monkeypatch.setattr(discover_module.archives, "extract_nested", flaky)
    sources, _ = discover(batch, tmp_path / "work")
    assert [s.student_id for s in sources] == ["ok", "unlucky"]
    assert [n.key for n in sources[1].notes] == ["intake_discover_failed"]
    assignment = demo_assignment(tmp_path / "r")
    assert not intake_failed(prepare_bounded(sources[0], assignment, tmp_path / "p0"))
    failed = prepare_bounded(sources[1], assignment, tmp_path / "p1")
    assert intake_failed(failed) and "the disk went away" in failed.fatal["tp_nn.py"].render("en")


def test_an_archive_that_breaks_extraction_is_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    student = tmp_path / "student"
    student.mkdir()
    with zipfile.ZipFile(student / "rendu.zip", "w") as zf:
        zf.writestr("tp_nn.py", GOOD)
    archives = discover_module.archives

    def broken_move(src, dst):
        raise OSError(36, "File name too long")

    monkeypatch.setattr(archives, "_merge_move", broken_move)
    notes = archives.extract_nested(student, archives.student_budget())
    assert [n.key for n in notes] == ["intake_archive_unreadable"]
    assert "File name too long" in notes[0].render("en")


def test_large_data_files_never_push_the_graded_file_out(tmp_path):
    """Item 10 of the reliability issue: 300 MB of data beside tp_nn.py; the code is copied first,
    data within the budget, the rest skipped with a note."""
    from grader import intake
    from grader.intake.prepare import MAX_TOTAL_COPY_BYTES

    folder = tmp_path / "student"
    (folder / "data").mkdir(parents=True)
    for i in range(3):   # sparse files: large, cheap
        with open(folder / "data" / f"aaa_{i}.bin", "wb") as handle:
            handle.truncate(45 << 20)
    (folder / "tp_nn.py").write_text("def init_params(nx, nh, ny):\n    return {}\n")
    prepared = intake.prepare(intake.SubmissionSource("s", folder), demo_assignment(tmp_path / "ref"),
                              tmp_path / "prepared")
    assert "tp_nn.py" not in prepared.fatal
    copied = sum(p.stat().st_size for p in (tmp_path / "prepared").rglob("*") if p.is_file())
    assert copied <= MAX_TOTAL_COPY_BYTES
    assert any(n.key == "intake_large_file_skipped" for n in prepared.notes)
