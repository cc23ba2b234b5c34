"""JUnit XML from the per-student reports, for CI servers (GitLab, Jenkins, GitHub test reporters).

    write(path, [report.to_json(lang), ...], suite="tp_nn")

Input is the report contract (`StudentReport.to_json`, what `<student>.json` holds), not the
in-memory model: a resumed batch's kept reports exist only on disk, and they must be in the file
too. One <testsuite> per student, one <testcase> per question (classname = the student, name =
the question's id and title):

* full marks: a bare <testcase>;
* fewer points: <failure message="1.5 / 3"> with the question's feedback, one message a line;
* not graded here (its data set is not configured): <skipped> with the reason;
* a grader fault (`harness_errors`): one more <testcase name="grader"> holding an <error>, so a
  CI server shows the grader's problem as an error, never as the student's failure.

Student output reaches the feedback, so every text is made valid XML 1.0 first: control
characters (an ANSI colour, a NUL a student printed) are written as visible `\\x1b`-style escapes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Iterable, Mapping

from grader.report.model import write_atomically

# Characters XML 1.0 does not allow, even escaped: C0 controls but tab / newline / carriage
# return, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: object) -> str:
    """`text` as a string XML 1.0 can hold, the characters it cannot shown as escapes."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", str(text))


def _points(value: Any) -> str:
    return f"{float(value):g}"


def _testsuite(report: Mapping[str, Any], suite: str) -> ET.Element:
    student = clean(report.get("student", "?"))
    element = ET.Element("testsuite", name=student)
    properties = ET.SubElement(element, "properties")
    for key in ("score", "max_score"):
        ET.SubElement(properties, "property", name=key, value=_points(report.get(key, 0)))
    failures = skipped = errors = 0
    cases = 0
    for qid, question in report.get("questions", {}).items():
        cases += 1
        title = question.get("title") or qid
        case = ET.SubElement(element, "testcase", classname=clean(f"{suite}.{student}"),
                             name=clean(f"{qid}: {title}" if title != qid else qid))
        feedback = "\n".join(clean(line) for line in question.get("feedback", []))
        score, maximum = float(question.get("score", 0)), float(question.get("max_score", 0))
        if question.get("skipped"):
            skipped += 1
            ET.SubElement(case, "skipped", message=clean(feedback.splitlines()[0] if feedback else "not graded")
                          ).text = feedback
        elif score < maximum:
            failures += 1
            ET.SubElement(case, "failure", message=f"{_points(score)} / {_points(maximum)}",
                          type="points").text = feedback
        if question.get("bonus"):
            ET.SubElement(ET.SubElement(case, "properties"), "property", name="bonus", value="true")
    harness = report.get("harness_errors") or []
    if harness:
        cases += 1
        errors += 1
        case = ET.SubElement(element, "testcase", classname=clean(f"{suite}.{student}"), name="grader")
        ET.SubElement(case, "error", message="grader error (not the student's fault)",
                      type="harness").text = "\n".join(clean(e) for e in harness)
    element.set("tests", str(cases))
    element.set("failures", str(failures))
    element.set("errors", str(errors))
    element.set("skipped", str(skipped))
    return element


def render(reports: Iterable[Mapping[str, Any]], suite: str) -> str:
    """The JUnit XML document of these reports (contract dicts), `suite` naming the assignment."""
    root = ET.Element("testsuites", name=clean(suite))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in sorted(reports, key=lambda r: str(r.get("student", ""))):
        element = _testsuite(report, clean(suite))
        root.append(element)
        for key in totals:
            totals[key] += int(element.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(path: Path, reports: Iterable[Mapping[str, Any]], suite: str) -> Path:
    write_atomically(Path(path), render(reports, suite))
    return Path(path)
