"""JUnit XML (`--junit FILE` on `grade` and `check`): parsed back with xml.etree, one test case per
question per student, failures where points were lost, skipped where not graded, errors where the
grader failed, valid XML whatever the students printed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from grader.report import junit

PROJECT = Path(__file__).resolve().parents[2]
TINY = PROJECT / "tests" / "fixtures" / "assignments" / "tiny_linear"


def question(score, max_score, feedback, **extra) -> dict:
    return {"title": extra.pop("title", "Forward"), "score": score, "max_score": max_score, "bonus": False,
            "tests": "1/2", "feedback": feedback, **extra}


def report(student: str, questions: dict, **extra) -> dict:
    return {"student": student, "assignment": "demo", "score": sum(q["score"] for q in questions.values()),
            "max_score": 5, "questions": questions, "harness_errors": [], **extra}


def cases(root: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {(case.get("classname"), case.get("name")): case for case in root.iter("testcase")}


def test_one_case_per_question_per_student_failures_where_points_were_lost():
    reports = [report("bob", {"forward": question(1.5, 3, ["backward: wrong sign"]),
                              "loss": question(2, 2, ["all checks passed"], title="Loss")}),
               report("alice", {"forward": question(3, 3, ["all checks passed"]),
                                "loss": question(2, 2, ["all checks passed"], title="Loss")})]
    root = ET.fromstring(junit.render(reports, "demo"))
    assert root.tag == "testsuites"
    assert [s.get("name") for s in root.iter("testsuite")] == ["alice", "bob"]
    found = cases(root)
    assert set(found) == {("demo.alice", "forward: Forward"), ("demo.alice", "loss: Loss"),
                          ("demo.bob", "forward: Forward"), ("demo.bob", "loss: Loss")}
    failure = found[("demo.bob", "forward: Forward")].find("failure")
    assert failure is not None and failure.get("message") == "1.5 / 3" and "wrong sign" in failure.text
    # a question at full marks is a passing case: nothing inside it
    for key in [("demo.alice", "forward: Forward"), ("demo.bob", "loss: Loss")]:
        assert found[key].find("failure") is None and found[key].find("skipped") is None
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("4", "1", "0", "0")
    bob = next(s for s in root.iter("testsuite") if s.get("name") == "bob")
    assert {p.get("name"): p.get("value") for p in bob.iter("property")} == {"score": "3.5", "max_score": "5"}


def test_not_graded_is_skipped_and_a_grader_fault_is_an_error_not_a_failure():
    reports = [report("carol", {"cifar": question(0, 2, ["not graded here: cifar10 is not configured"],
                                                  title="CIFAR", skipped=True)},
                      harness_errors=["tests/hidden/test_x.py::test_y"])]
    root = ET.fromstring(junit.render(reports, "demo"))
    found = cases(root)
    cifar = found[("demo.carol", "cifar: CIFAR")]
    assert cifar.find("skipped") is not None and cifar.find("failure") is None
    grader = found[("demo.carol", "grader")]
    assert grader.find("error") is not None and "test_y" in grader.find("error").text
    assert (root.get("failures"), root.get("errors"), root.get("skipped")) == ("0", "1", "1")


def test_what_students_printed_cannot_break_the_xml(tmp_path):
    nasty = "forward printed \x1b[31mred\x1b[0m, a NUL \x00, a form feed \x0c and a lone \ud800 surrogate <&>"
    path = junit.write(tmp_path / "out.xml", [report("dave\x07", {"forward": question(0, 3, [nasty])})], "demo")
    root = ET.parse(path).getroot()     # would raise on a control character
    failure = next(root.iter("failure"))
    assert "\\x1b[31mred" in failure.text and "\\x00" in failure.text and "<&>" in failure.text
    assert next(root.iter("testsuite")).get("name") == "dave\\x07"
    # the escaping is what makes it parse: the raw characters do not
    raw = ET.Element("failure")
    raw.text = nasty
    try:
        ET.fromstring(ET.tostring(raw, encoding="unicode"))
    except (ET.ParseError, UnicodeError):
        pass
    else:
        raise AssertionError("ElementTree accepted control characters: this test checks nothing")


def test_grade_writes_junit_for_the_whole_batch_kept_reports_too(tmp_path):
    subs = tmp_path / "subs"
    shutil.copytree(TINY / "reference", subs / "alice")
    shutil.copytree(TINY / "starter", subs / "bob")
    out, xml_file = tmp_path / "out", tmp_path / "grades.xml"
    command = [sys.executable, "-m", "grader", "grade", str(TINY), str(subs), "--out", str(out), "--workers", "1",
               "--max-examples", "5", "--lang", "en", "--junit", str(xml_file)]
    done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "graded 2/2" in done.stderr                 # not a terminal: one plain line per submission
    assert "\x1b[" not in done.stderr

    def verdicts() -> dict[str, str]:
        root = ET.parse(xml_file).getroot()
        return {case.get("classname"): ("failure" if case.find("failure") is not None else "passed")
                for case in root.iter("testcase")}

    assert verdicts() == {"tiny_linear.alice": "passed", "tiny_linear.bob": "failure"}
    xml_file.unlink()
    again = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "2 up-to-date reports kept" in again.stdout, again.stdout + again.stderr
    assert verdicts() == {"tiny_linear.alice": "passed", "tiny_linear.bob": "failure"}
