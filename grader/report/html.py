"""The class report in HTML: OUT/index.html and one page per student, OUT/<stem>.html.

    html.write_student_page(out_dir, stem, report_json)   # as each report arrives
    html.build(out_dir, question_ids, stems, drawn)       # after gradebook.build, from the same reports

Rebuilt from the per-student JSON reports on disk, as the gradebook is: the class table, each
question's score histogram, pass rate and most frequent diagnoses (students grouped by the same
feedback message), and per student the scores, the feedback and the figures the tests measured
(grader.report.model documents them). Every page is self-contained: CSS inline, pictures as PNG
data: URIs, no script, nothing fetched; it opens from a folder, an archive or a mail. Everything
that comes from a report (a student's name, feedback quoting their output) is HTML-escaped. The
language is the reports' own ("lang").
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

from grader.messages import DEFAULT_LANGUAGE, msg
from grader.report.model import write_atomically

MESSAGE_CHARS = 400       # a diagnosis or feedback line is cut there on the pages (its JSON has it whole)
TOP_DIAGNOSES = 6

_UI = {
    "en": {
        "class_report": "class report", "students": "students", "student": "Student", "name": "Name",
        "total": "Total", "mean": "mean", "score": "Score", "question": "Question", "points": "Points",
        "tests": "Tests", "not_graded": "not graded", "bonus": "bonus", "full_marks": "full marks",
        "pass_rate": "{full} of {n} students with full marks ({percent:.0f} %), mean {mean:.2f} / {max:g}",
        "no_student": "no student graded this question here",
        "diagnoses": "Most frequent diagnoses", "no_diagnosis": "no diagnosis: every student has full marks",
        "no_message": "no feedback message to group",
        "count_one": "1 student", "count_many": "{n} students", "number": "number of students",
        "notes": "Notes", "feedback": "Feedback", "back": "class report", "questions": "Questions",
        "grader_errors": "Grader errors (not the students' fault; the instructor must look at them)",
        "figure_failed": "this figure could not be drawn", "totals": "Total scores",
        "no_report": "no report in this folder",
    },
    "fr": {
        "class_report": "rapport de la classe", "students": "étudiants", "student": "Étudiant", "name": "Nom",
        "total": "Total", "mean": "moyenne", "score": "Note", "question": "Question", "points": "Points",
        "tests": "Tests", "not_graded": "non noté", "bonus": "bonus", "full_marks": "note maximale",
        "pass_rate": "{full} étudiants sur {n} ont la note maximale ({percent:.0f} %), moyenne {mean:.2f} / {max:g}",
        "no_student": "aucun étudiant n'a été noté sur cette question ici",
        "diagnoses": "Diagnostics les plus fréquents", "no_diagnosis": "aucun diagnostic : tous les étudiants ont la note maximale",
        "no_message": "aucun message de retour à regrouper",
        "count_one": "1 étudiant", "count_many": "{n} étudiants", "number": "nombre d'étudiants",
        "notes": "Remarques", "feedback": "Retours", "back": "rapport de la classe", "questions": "Questions",
        "grader_errors": "Erreurs du correcteur (pas de la faute des étudiants ; l'enseignant doit les examiner)",
        "figure_failed": "cette figure n'a pas pu être dessinée", "totals": "Notes totales",
        "no_report": "aucun rapport dans ce dossier",
    },
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:1.5rem auto;
max-width:72rem;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
td.full{background:#e3f4e1}td.zero{background:#fbe3e1}td.part{background:#fdf3d8}td.skip{color:#888}
figure{display:inline-block;margin:.5rem 1rem .5rem 0;vertical-align:top}
figcaption{font-size:.85rem;color:#444;max-width:26rem}img{border:1px solid #eee}
.warn{background:#fbe3e1;padding:.5rem}.muted{color:#777}ul.feedback li{margin:.15rem 0}
"""


# A histogram of one score says what the table says: one student's batch (the self-check, a CI
# job, Gradescope) draws none, which saves a tenth of a second per question (tp_nn: 1.5 s).
MIN_FOR_HISTOGRAM = 2


def build(out_dir: Path, question_ids: list[str], stems: list[str] | None = None,
          drawn: set[str] = frozenset()) -> Path:
    """Write index.html and one page per report; `stems` as in gradebook.build (this batch's
    reports; None: every report in the folder); `drawn`: stems whose page `write_student_page`
    wrote during the batch. Returns index.html's path."""
    out_dir = Path(out_dir)
    reports = _load(out_dir, stems)
    langs = Counter(str(r.get("lang") or DEFAULT_LANGUAGE) for _, r in reports)
    lang = _ui_language(langs.most_common(1)[0][0] if langs else DEFAULT_LANGUAGE)
    ids = list(question_ids) or list(dict.fromkeys(q for _, r in reports for q in r["questions"]))
    titles = {q: r["questions"][q].get("title") or q for _, r in reversed(reports) for q in r["questions"]}
    for stem, report in reports:
        if stem not in drawn:
            write_student_page(out_dir, stem, report)
    index = out_dir / "index.html"
    write_atomically(index, class_page(reports, ids, titles, lang))
    return index


def write_student_page(out_dir: Path, stem: str, report: dict) -> None:
    """One student's page, as soon as the report is written (the batch draws while it grades)."""
    page = student_page(report, _ui_language(str(report.get("lang") or DEFAULT_LANGUAGE)))
    write_atomically(Path(out_dir) / page_name(stem), page)


def warm_up() -> None:
    """Import what drawing needs (about half a second): a batch calls it in a thread at its start,
    so that the first page is not where matplotlib gets imported."""
    from grader.report import plots

    plots.warm_up()


def _ui_language(lang: str) -> str:
    return lang if lang in _UI else "en"


def page_name(stem: str) -> str:
    """The student's page: <stem>.html, except for a stem that would be the class page's name."""
    return f"{stem}~student.html" if stem.casefold() == "index" else f"{stem}.html"


def _load(out_dir: Path, stems: list[str] | None) -> list[tuple[str, dict]]:
    paths = sorted(out_dir.glob("*.json")) if stems is None else [out_dir / f"{s}.json" for s in sorted(stems)]
    reports = []
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and isinstance(data.get("questions"), dict) and "student" in data:
            reports.append((path.stem, data))
    return reports


# -- pages ----------------------------------------------------------------------------------------

def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _cut(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS - 1] + "…"


def _page(lang: str, title: str, body: list[str]) -> str:
    return "\n".join([
        "<!DOCTYPE html>", f'<html lang="{_e(lang)}">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',   # no favicon request, even from file://
        f"<title>{_e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>", *body,
        "</body>", "</html>", ""])


def _number(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return _e(value)


def _cell(question: dict | None, ui: dict) -> str:
    if not question:
        return '<td class="n skip">–</td>'
    if question.get("skipped"):
        return f'<td class="n skip">{_e(ui["not_graded"])}</td>'
    score, maximum = float(question.get("score", 0)), float(question.get("max_score", 0))
    kind = "full" if score >= maximum > 0 else "zero" if score <= 0 else "part"
    return f'<td class="n {kind}">{_number(score)}</td>'


def _image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _drawn(draw: Callable[[], bytes], alt: str, ui: dict) -> str:
    """The picture, or a line saying it could not be drawn (a malformed figure never stops a page)."""
    try:
        return _image(draw(), alt)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, ImportError):
        return f'<span class="muted">{_e(ui["figure_failed"])}</span>'


def student_page(report: dict, lang: str) -> str:
    from grader.report import plots

    ui = _UI[lang]
    name = report.get("student_name") or report["student"]
    who = _e(name) if name == report["student"] else f"{_e(name)} <span class=\"muted\">({_e(report['student'])})</span>"
    body = [f'<p><a href="index.html">← {_e(ui["back"])}</a></p>',
            f"<h1>{_e(report.get('assignment'))} — {who}</h1>",
            f"<p><b>{_e(ui['score'])} : {_number(report.get('score'))} / {_number(report.get('max_score'))}</b></p>"
            if lang == "fr" else
            f"<p><b>{_e(ui['score'])}: {_number(report.get('score'))} / {_number(report.get('max_score'))}</b></p>"]
    if report.get("harness_errors"):
        body.append(f'<p class="warn">{_e(ui["grader_errors"])}</p>')
    body += ["<table>", f"<tr><th>{_e(ui['question'])}</th><th>{_e(ui['points'])}</th><th>{_e(ui['tests'])}</th></tr>"]
    questions = report["questions"]
    for qid, q in questions.items():
        title = (q.get("title") or qid) + (f" ({ui['bonus']})" if q.get("bonus") else "")
        points = ui["not_graded"] if q.get("skipped") else f"{_number(q.get('score'))} / {_number(q.get('max_score'))}"
        body.append(f'<tr><td><a href="#q-{_e(quote(qid))}">{_e(title)}</a></td>'
                    f'<td class="n">{_e(points)}</td><td class="n">{_e(q.get("tests", ""))}</td></tr>')
    body.append("</table>")
    if report.get("notes"):
        body += [f"<h2>{_e(ui['notes'])}</h2>", '<ul class="feedback">',
                 *[f"<li>{_e(_cut(n))}</li>" for n in report["notes"]], "</ul>"]
    for qid, q in questions.items():
        points = ui["not_graded"] if q.get("skipped") else f"{_number(q.get('score'))} / {_number(q.get('max_score'))}"
        body.append(f'<h2 id="q-{_e(quote(qid))}">{_e(q.get("title") or qid)} — {_e(points)}</h2>')
        body += ['<ul class="feedback">', *[f"<li>{_e(_cut(m))}</li>" for m in q.get("feedback", [])], "</ul>"]
        for fig in q.get("figures", []) or []:
            if not isinstance(fig, dict):
                continue
            title = str(fig.get("title", ""))
            body.append(f"<figure>{_drawn(lambda: plots.draw(fig), title, ui)}"
                        f"<figcaption>{_e(title)}</figcaption></figure>")
    return _page(lang, f"{report.get('assignment')} — {name}", body)


def diagnoses(reports: list[dict], qid: str, lang: str) -> list[tuple[int, str]]:
    """(students, message) for the feedback messages of the students who lost points on `qid`,
    most frequent first; each student counts once per message. Lines that diagnose nothing (all
    passed, properties withheld, where the code was graded from, the smallest failing input) are
    left out."""
    generic = {msg("all_passed").render(lang), msg("incidental_withheld").render(lang)}
    prefixes = tuple(p for p in (_prefix("graded_from", lang, "function", "origin"),
                                 _prefix("falsifying_example", lang, "example"),
                                 _prefix("smallest_failing_input", lang, "test", "example"),
                                 _prefix("more_remarks", lang, "count"),
                                 _prefix("failed_tests", lang, tests=["\x00"]),
                                 _prefix("failed_tests_and_more", lang, more="", tests=["\x00"])) if p)
    counts: Counter = Counter()
    for report in reports:
        q = report["questions"].get(qid)
        if not q or q.get("skipped") or float(q.get("score", 0)) >= float(q.get("max_score", 0)):
            continue
        verdict = q.get("verdict")
        for message in dict.fromkeys(_without_test_count(str(m), lang) for m in q.get("feedback", [])
                                     if m != verdict):
            if message not in generic and not message.startswith(prefixes):
                counts[message] += 1
    return sorted(((n, m) for m, n in counts.items()), key=lambda item: (-item[0], item[1]))


def _prefix(key: str, lang: str, *params: str, **values) -> str:
    """The fixed beginning of a catalogue message, before its first parameter."""
    return msg(key, **{p: "\x00" for p in params}, **values).render(lang).split("\x00", 1)[0]


def _without_test_count(message: str, lang: str) -> str:
    """A cause without the "(3 tests)" that says how many of one student's tests showed it."""
    suffix = msg("cause_in_tests", cause="\x00", count="\x01").render(lang).split("\x00", 1)[1]
    before, _, after = suffix.partition("\x01")
    return re.sub(re.escape(before) + r"\d+" + re.escape(after) + "$", "", message)


def class_page(reports: list[tuple[str, dict]], question_ids: list[str], titles: dict[str, str], lang: str) -> str:
    from grader.report import plots

    ui = _UI[lang]
    data = [r for _, r in reports]
    assignment = data[0].get("assignment", "") if data else ""
    body = [f"<h1>{_e(assignment)} — {_e(ui['class_report'])}</h1>"]
    if not data:
        body.append(f"<p>{_e(ui['no_report'])}</p>")
        return _page(lang, f"{assignment} — {ui['class_report']}", body)
    totals = [float(r.get("score", 0)) for r in data]
    maximum = max(float(r.get("max_score", 0)) for r in data)
    body.append(f"<p>{len(data)} {_e(ui['students'])}, {_e(ui['mean'])} "
                f"{sum(totals) / len(totals):.2f} / {maximum:g}</p>")
    if len(totals) >= MIN_FOR_HISTOGRAM:
        body.append(f"<figure>{_drawn(lambda: plots.histogram(totals, maximum, ui['total'], ui['number']), ui['totals'], ui)}"
                    f"<figcaption>{_e(ui['totals'])}</figcaption></figure>")
    faulty = [(stem, r) for stem, r in reports if r.get("harness_errors")]
    if faulty:
        body += [f'<div class="warn"><p>{_e(ui["grader_errors"])}</p><ul>',
                 *[f'<li><a href="{_e(quote(page_name(stem)))}">{_e(r["student"])}</a></li>' for stem, r in faulty],
                 "</ul></div>"]
    header = "".join(f'<th title="{_e(titles.get(q, q))}">{_e(q)}</th>' for q in question_ids)
    body += ["<table>", f"<tr><th>{_e(ui['student'])}</th><th>{_e(ui['name'])}</th><th>{_e(ui['total'])}</th>{header}</tr>"]
    for stem, r in reports:
        cells = "".join(_cell(r["questions"].get(q), ui) for q in question_ids)
        body.append(f'<tr><td><a href="{_e(quote(page_name(stem)))}">{_e(r["student"])}</a></td>'
                    f'<td>{_e(r.get("student_name") or "")}</td>'
                    f'<td class="n">{_number(r.get("score"))} / {_number(r.get("max_score"))}</td>{cells}</tr>')
    body.append("</table>")
    body.append(f"<h2>{_e(ui['questions'])}</h2>")
    for qid in question_ids:
        body += _question_section(data, qid, titles.get(qid, qid), lang, plots)
    return _page(lang, f"{assignment} — {ui['class_report']}", body)


def _question_section(data: list[dict], qid: str, title: str, lang: str, plots) -> list[str]:
    ui = _UI[lang]
    graded = [r["questions"][qid] for r in data if qid in r["questions"] and not r["questions"][qid].get("skipped")]
    section = [f'<h2 id="q-{_e(quote(qid))}">{_e(title)} <span class="muted">({_e(qid)})</span></h2>']
    if not graded:
        return section + [f'<p class="muted">{_e(ui["no_student"])}</p>']
    scores = [float(q.get("score", 0)) for q in graded]
    maximum = max(float(q.get("max_score", 0)) for q in graded)
    full = sum(1 for q in graded if float(q.get("score", 0)) >= float(q.get("max_score", 0)))
    section.append("<p>" + _e(ui["pass_rate"].format(full=full, n=len(graded), percent=100 * full / len(graded),
                                                     mean=sum(scores) / len(scores), max=maximum)) + "</p>")
    if len(scores) >= MIN_FOR_HISTOGRAM:
        section.append(f"<figure>{_drawn(lambda: plots.histogram(scores, maximum, ui['points'], ui['number']), title, ui)}</figure>")
    found = diagnoses(data, qid, lang)
    section.append(f"<h3>{_e(ui['diagnoses'])}</h3>")
    if not found:
        return section + [f'<p class="muted">{_e(ui["no_diagnosis"] if full == len(graded) else ui["no_message"])}</p>']
    section.append("<ul>")
    for count, message in found[:TOP_DIAGNOSES]:
        who = ui["count_one"] if count == 1 else ui["count_many"].format(n=count)
        section.append(f"<li><b>{_e(who)}</b>{' :' if lang == 'fr' else ':'} {_e(_cut(message))}</li>")
    section.append("</ul>")
    return section
