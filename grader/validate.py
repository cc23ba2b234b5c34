"""`grader validate`: an assignment's tests are only as good as the bugs they catch.

Grades, with the full (hidden + public) tests:
- the reference solution: must score full marks;
- the blank starter: must score 0;
- every mutant in `assignments/<id>/mutants/mutants.toml`: a one-bug variant of the reference,
  written as text replacements, that must lose points on the questions it names (and only there)
  and, where it says so, receive a given diagnosis.

    [[mutant]]
    name = "softmax_dim0"
    file = "tp_nn.py"
    replace = [["dim=1, keepdim=True", "dim=0, keepdim=True"]]
    loses = ["forward", "train_circles"]
    diagnosis = "dimension"        # a substring of the English feedback of a lost question

Prints a table: mutant, expected, got, diagnosis, verdict.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.assignment import Assignment
from grader.errors import HarnessError
from grader.pipeline import Options, run_batch
from grader.report.model import StudentReport


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    replace: tuple[tuple[str, str], ...]
    loses: tuple[str, ...]
    diagnosis: str = ""


@dataclass
class Verdict:
    name: str
    expected: str
    got: str
    diagnosis: str
    ok: bool
    problems: list[str] = field(default_factory=list)


def load_mutants(assignment: Assignment) -> list[Mutant]:
    path = assignment.mutants_dir / "mutants.toml"
    if not path.is_file():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    mutants = []
    for raw in data.get("mutant", []):
        unknown = set(raw.get("loses", [])) - set(assignment.questions)
        if unknown:
            raise HarnessError(f"{path}: mutant {raw.get('name')}: unknown questions {sorted(unknown)}")
        mutants.append(Mutant(raw["name"], raw["file"], tuple(tuple(pair) for pair in raw["replace"]),
                              tuple(raw.get("loses", [])), raw.get("diagnosis", "")))
    return mutants


def build_mutant(assignment: Assignment, mutant: Mutant, dest: Path) -> None:
    shutil.copytree(assignment.reference_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    target = dest / mutant.file
    source = target.read_text(encoding="utf-8")
    for old, new in mutant.replace:
        if old not in source:
            raise HarnessError(f"mutant {mutant.name}: {old!r} is not in the reference's {mutant.file}")
        source = source.replace(old, new, 1)
    target.write_text(source, encoding="utf-8")


def _lost(report: StudentReport) -> list[str]:
    return [qid for qid, q in report.questions.items() if q.score < q.max_score]


def judge(assignment: Assignment, reports: dict[str, StudentReport], mutants: list[Mutant]) -> list[Verdict]:
    verdicts = []
    ref = reports["reference"]
    verdicts.append(Verdict("reference", "full marks", f"{ref.score:g}/{ref.max_score:g}", "",
                            ref.score >= ref.max_score and not ref.harness_errors,
                            [f"{q}: {'; '.join(m.render('en') for m in ref.questions[q].feedback)}"
                             for q in _lost(ref)]))
    blank = reports["starter"]
    verdicts.append(Verdict("starter", "0", f"{blank.score:g}/{blank.max_score:g}", "",
                            blank.score == 0 and not blank.harness_errors))
    for mutant in mutants:
        report = reports[f"mutant_{mutant.name}"]
        lost = _lost(report)
        feedback = " ".join(m.render("en") for q in lost for m in report.questions[q].feedback)
        found = bool(mutant.diagnosis) and mutant.diagnosis.lower() in feedback.lower()
        ok = sorted(lost) == sorted(mutant.loses) and (not mutant.diagnosis or found) \
            and not report.harness_errors
        shown = "" if not mutant.diagnosis else (mutant.diagnosis if found else f"MISSING {mutant.diagnosis!r}")
        verdicts.append(Verdict(mutant.name, ",".join(mutant.loses), ",".join(lost) or "-", shown, ok,
                                [feedback[:300]] if not ok else []))
    return verdicts


def validate(assignment: Assignment, *, lang: str = "en", workers: int = 2, verbose: bool = True,
             max_examples: int = 10) -> bool:
    mutants = load_mutants(assignment)
    with tempfile.TemporaryDirectory(prefix=f"validate-{assignment.id}-") as tmp:
        subs = Path(tmp) / "subs"
        shutil.copytree(assignment.reference_dir, subs / "reference", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(assignment.starter_dir, subs / "starter")
        for mutant in mutants:
            build_mutant(assignment, mutant, subs / f"mutant_{mutant.name}")
        batch = run_batch(assignment, subs, Path(tmp) / "out",
                          Options(workers=workers, lang=lang, max_examples=max_examples))
    reports = {r.student: r for r in batch.reports}
    verdicts = judge(assignment, reports, mutants)
    if verbose:
        print(render_table(assignment, verdicts))
    return all(v.ok for v in verdicts) and len(mutants) >= 1


def render_table(assignment: Assignment, verdicts: list[Verdict]) -> str:
    rows = [("variant", "must lose", "lost", "diagnosis", "")]
    rows += [(v.name, v.expected, v.got, v.diagnosis, "ok" if v.ok else "MISMATCH") for v in verdicts]
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    lines = [f"validate {assignment.id}:"]
    for row in rows:
        lines.append("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    for v in verdicts:
        for problem in v.problems:
            lines.append(f"  ! {v.name}: {problem}")
    bad = sum(1 for v in verdicts if not v.ok)
    lines.append(f"  {len(verdicts) - bad}/{len(verdicts)} as expected")
    return "\n".join(lines)
