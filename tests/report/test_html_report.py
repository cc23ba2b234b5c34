"""The HTML class report built from report JSON files: escaped, self-contained, the diagnoses
counted, the histograms and the measured figures drawn, in the reports' language."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.ids import report_stem
from grader.messages import msg
from grader.report import html
from grader.report.model import write_json
from report_helpers import CURVE, DIM0, HOSTILE_NAME, OTHER, pngs, report, write_class

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out, stems = write_class(tmp_path_factory.mktemp("html"))
    index = html.build(out, ["forward", "mnist"], stems)
    return out, index


def test_student_names_and_feedback_are_escaped(built):
    out, index = built
    pages = [index.read_text(encoding="utf-8"), (out / "alice.html").read_text(encoding="utf-8"),
             (out / f"{report_stem('eve/../x')}.html").read_text(encoding="utf-8")]
    for page in pages:
        assert "<script" not in page and "onerror=\"" not in page
    assert html.html.escape(HOSTILE_NAME) in pages[0] and html.html.escape(HOSTILE_NAME) in pages[1]
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in pages[2]


def test_the_diagnoses_are_counted_among_the_students_who_lost_points(built):
    out, _ = built
    reports = [report for _, report in html._load(out, None)]
    found = html.diagnoses(reports, "forward", "en")
    # alice has full marks (her DIM0 line is not a diagnosis); bob's smallest failing input and the
    # "all passed" line diagnose nothing.
    assert found[0] == (3, DIM0.render("en"))
    assert found[1] == (2, OTHER.render("en"))
    assert not any("smallest failing input" in m or m == msg("all_passed").render("en") for _, m in found)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert f"<b>3 students</b>: {html.html.escape(DIM0.render('en'))}" in page
    assert html.diagnoses(reports, "mnist", "en") == []   # every graded student has full marks


def test_the_class_page_has_a_table_histograms_and_pass_rates(built):
    out, index = built
    page = index.read_text(encoding="utf-8")
    # the totals' histogram and one per question
    assert len(pngs(page)) == 3 and all(w > 100 and h > 100 for w, h in pngs(page))
    assert "2 of 6 students with full marks (33 %)" in page   # forward: alice and index
    assert "5 of 5 students with full marks (100 %)" in page  # mnist: dan's is not graded
    assert page.count('<td class="n skip">not graded</td>') == 1
    for stem in ("alice", "bob", "carol", report_stem("eve/../x")):
        assert (out / f"{stem}.html").is_file()
    assert 'href="eve%252F..%252Fx.html"' in page           # the file name, URL-quoted
    assert 'href="index~student.html"' in page and (out / "index~student.html").is_file()


def test_a_student_page_draws_the_measured_figures(built):
    out, _ = built
    alice = (out / "alice.html").read_text(encoding="utf-8")
    assert len(pngs(alice)) == 3
    for title in ("Training", "Regions", "Reconstructions"):
        assert f'alt="{title}"' in alice
    assert len(pngs((out / "carol.html").read_text(encoding="utf-8"))) == 0


def test_pages_fetch_nothing(built):
    out, _ = built
    for path in out.glob("*.html"):
        page = path.read_text(encoding="utf-8")
        for target in re.findall(r'(?:src|href)="([^"]*)"', page):
            assert target.startswith(("data:", "#")) or (not re.match(r"[a-z]+:", target) and target.endswith(".html")), target


def test_the_reports_language_is_used(tmp_path):
    out, stems = write_class(tmp_path, "fr")
    index = html.build(out, ["forward", "mnist"], stems)
    page = index.read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "<b>3 étudiants</b> :" in page and "non noté" in page
    assert 'alt="Apprentissage"' in (out / "alice.html").read_text(encoding="utf-8")


def test_a_figure_that_cannot_be_drawn_leaves_the_page_whole(tmp_path):
    data = report("zoe", 1.0, [OTHER]).to_json("en")
    data["questions"]["forward"]["figures"] = [{"kind": "curve", "title": "broken", "series": "nonsense"},
                                               {"kind": "pie", "title": "unknown"}, "not a figure"]
    write_json(tmp_path / "zoe.json", data)
    html.build(tmp_path, ["forward"], ["zoe"])
    page = (tmp_path / "zoe.html").read_text(encoding="utf-8")
    assert page.count("this figure could not be drawn") == 2 and page.rstrip().endswith("</html>")


def test_only_the_batch_reports_are_in_the_class_page(tmp_path):
    out, stems = write_class(tmp_path)
    html.build(out, ["forward"], ["bob", "carol"])
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "bob.html" in page and "carol.html" in page and "alice.html" not in page


def test_importing_the_report_and_the_pipeline_does_not_import_matplotlib():
    code = ("import sys, grader.pipeline, grader.report.html, grader.cli; "
            "print(sorted(m for m in ('matplotlib', 'torch') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_cause_counts_once_whatever_its_test_count_and_the_verdict_is_no_diagnosis():
    cause = DIM0.render("en")

    def report(student: str, tests: int) -> dict:
        verdict = msg("verdict", count=msg("tests_none_passed", total=5), cause=DIM0).render("en")
        feedback = [verdict, msg("cause_in_tests", cause=DIM0, count=tests).render("en"),
                    msg("failed_tests", tests=[msg("quoted", text="forward on a small example")]).render("en"),
                    msg("more_remarks", count=2).render("en")]
        return {"student": student, "questions": {"forward": {"score": 0, "max_score": 4, "verdict": verdict,
                                                             "feedback": feedback}}}

    found = html.diagnoses([report("ana", 3), report("ben", 2)], "forward", "en")
    assert found == [(2, cause)]


def test_one_students_class_page_draws_no_histogram_of_one_score(tmp_path):
    """A batch of one (the self-check, a CI job) gets the table and the pass rates, and no
    histogram of a single score (a tenth of a second per question to draw nothing useful)."""
    write_json(tmp_path / "alice.json", report("alice", 1.0, [DIM0], [CURVE]).to_json("en"))
    page = html.build(tmp_path, ["forward", "mnist"], ["alice"]).read_text(encoding="utf-8")
    assert pngs(page) == []
    assert "0 of 1 students with full marks (0 %)" in page and 'href="alice.html"' in page
    assert len(pngs((tmp_path / "alice.html").read_text(encoding="utf-8"))) == 1   # her own curve still
