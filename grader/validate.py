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

  `zero = true`: code that computes nothing (zeros, `return None`) must score 0 on every question.

Correct variants (other ways of writing a right answer), in `mutants/variants.toml`, must score
full marks:

    [[variant]]
    name = "stable_softmax"
    file = "tp_nn.py"
    replace = [["...", "..."]]

`--repeat N` then grades the reference and every correct variant N more times with other
Hypothesis examples and worker seeds, and counts false fails (must be 0).

`--named-only` grades each mutant on the questions it names only (a `zero` mutant still on every
question): each check still meets the bug it exists to catch, for about 40 % of the CPU (the five
assignments: 749 -> 293 core-seconds), but "and only there" is not checked. The reference, the
starter and the variants are graded in full. A question's score does not depend on which of its
submission's other questions are graded (every test has a fresh worker, per-student values are
seeded by their key: grader.harness.fixtures), so what a mutant loses on its named questions is
what a full validation finds there.

Prints a table: variant, expected, got, diagnosis, verdict.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.assignment import Assignment
from grader.errors import HarnessError
from grader.options import Options
from grader.pipeline import run_batch
from grader.report.model import StudentReport


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    replace: tuple[tuple[str, str], ...]
    loses: tuple[str, ...]
    diagnosis: str = ""
    folder: str = ""      # instead of file + replace: a whole submission under mutants/
    zero: bool = False    # code that computes nothing: every question must score 0


@dataclass
class Verdict:
    name: str
    expected: str
    got: str
    diagnosis: str
    ok: bool
    problems: list[str] = field(default_factory=list)


def _manifest(assignment: Assignment, name: str = "mutants.toml") -> dict:
    path = assignment.mutants_dir / name
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _entry(assignment: Assignment, raw: dict, where: str, loses: tuple[str, ...]) -> Mutant:
    name = raw.get("name")
    if not name:
        raise HarnessError(f"{where}: an entry has no name")
    folder = raw.get("folder", "")
    if folder:
        if not (assignment.mutants_dir / folder).is_dir():
            raise HarnessError(f"{where}: {name}: no folder mutants/{folder}")
        return Mutant(name, "", (), loses, raw.get("diagnosis", ""), folder, bool(raw.get("zero", False)))
    if "file" not in raw or "replace" not in raw:
        raise HarnessError(f"{where}: {name}: give `file` and `replace`, or `folder`")
    return Mutant(name, raw["file"], tuple(tuple(pair) for pair in raw["replace"]), loses,
                  raw.get("diagnosis", ""), "", bool(raw.get("zero", False)))


def load_variants(assignment: Assignment) -> list[Mutant]:
    """Correct rewrites of the reference (mutants/variants.toml): full marks expected."""
    where = str(assignment.mutants_dir / "variants.toml")
    return [_entry(assignment, raw, where, ()) for raw in _manifest(assignment, "variants.toml").get("variant", [])]


def load_mutants(assignment: Assignment) -> list[Mutant]:
    path = assignment.mutants_dir / "mutants.toml"
    data = _manifest(assignment)
    mutants = []
    for raw in data.get("mutant", []):
        unknown = set(raw.get("loses", [])) - set(assignment.questions)
        if unknown:
            raise HarnessError(f"{path}: mutant {raw.get('name')}: unknown questions {sorted(unknown)}")
        mutants.append(_entry(assignment, raw, str(path), tuple(raw.get("loses", []))))
    return mutants


def build_mutant(assignment: Assignment, mutant: Mutant, dest: Path) -> None:
    if mutant.folder:
        shutil.copytree(assignment.mutants_dir / mutant.folder, dest, ignore=shutil.ignore_patterns("__pycache__"))
        return
    shutil.copytree(assignment.reference_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    target = dest / mutant.file
    source = target.read_text(encoding="utf-8")
    for old, new in mutant.replace:
        if old not in source:
            raise HarnessError(f"mutant {mutant.name}: {old!r} is not in the reference's {mutant.file}")
        source = source.replace(old, new, 1)
    target.write_text(source, encoding="utf-8")


def _lost(report: StudentReport) -> list[str]:
    """Questions that lost points (a question not graded here, e.g. without its data, lost none)."""
    return [qid for qid, q in report.questions.items() if q.score < q.max_score and not q.skipped]


def judge(assignment: Assignment, reports: dict[str, StudentReport], mutants: list[Mutant],
          variants: list[Mutant] = ()) -> list[Verdict]:
    verdicts = []
    ref = reports["reference"]
    verdicts.append(Verdict("reference", "full marks", f"{ref.score:g}/{ref.max_score:g}", "",
                            ref.score >= ref.max_score and not ref.harness_errors,
                            [f"{q}: {'; '.join(m.render('en') for m in ref.questions[q].feedback)}"
                             for q in _lost(ref)]))
    blank = reports["starter"]
    verdicts.append(Verdict("starter", "0", f"{blank.score:g}/{blank.max_score:g}", "",
                            blank.score == 0 and not blank.harness_errors))
    for variant in variants:
        report = reports[f"variant_{variant.name}"]
        lost = _lost(report)
        verdicts.append(Verdict(f"variant {variant.name}", "nothing", ",".join(lost) or "-", "",
                                not lost and not report.harness_errors,
                                [" ".join(m.render("en") for q in lost for m in report.questions[q].feedback)[:300]]
                                if lost else []))
    for mutant in mutants:
        report = reports[f"mutant_{mutant.name}"]
        lost = _lost(report)
        feedback = " ".join(m.render("en") for q in lost for m in report.questions[q].feedback)
        found = bool(mutant.diagnosis) and mutant.diagnosis.lower() in feedback.lower()
        ok = sorted(lost) == sorted(mutant.loses) and (not mutant.diagnosis or found) \
            and not report.harness_errors and (not mutant.zero or report.score == 0)
        if mutant.zero and report.score != 0:
            feedback = f"scored {report.score:g} where it must score 0: " + feedback
        shown = "" if not mutant.diagnosis else (mutant.diagnosis if found else f"MISSING {mutant.diagnosis!r}")
        verdicts.append(Verdict(mutant.name, ",".join(mutant.loses), ",".join(lost) or "-", shown, ok,
                                [feedback[:300]] if not ok else []))
    return verdicts


def validate(assignment: Assignment, *, lang: str = "en", workers: int = 2, verbose: bool = True,
             max_examples: int = 10, repeat: int = 0, data: dict[str, str] | None = None,
             named_only: bool = False) -> bool:
    mutants = load_mutants(assignment)
    variants = load_variants(assignment)
    with tempfile.TemporaryDirectory(prefix=f"validate-{assignment.id}-") as tmp:
        subs = Path(tmp) / "subs"
        shutil.copytree(assignment.reference_dir, subs / "reference", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(assignment.starter_dir, subs / "starter")
        for variant in variants:
            build_mutant(assignment, variant, subs / f"variant_{variant.name}")
        for mutant in mutants:
            build_mutant(assignment, mutant, subs / f"mutant_{mutant.name}")
        named = {f"mutant_{m.name}": list(m.loses) for m in mutants if named_only and not m.zero}
        batch = run_batch(assignment, subs, Path(tmp) / "out",
                          Options(workers=workers, lang=lang, max_examples=max_examples, data=dict(data or {}),
                                  class_report=False, questions=named))
        reports = {r.student: r for r in batch.reports}
        verdicts = judge(assignment, reports, mutants, variants)
        if verbose:
            print(render_table(assignment, verdicts))
        ok = all(v.ok for v in verdicts) and len(mutants) >= 1
        if repeat > 0:
            false_fails = repeat_correct(assignment, subs, variants, Path(tmp), repeat, workers, lang,
                                         max_examples, dict(data or {}))
            if verbose:
                runs = repeat * (1 + len(variants))
                print(f"  robustness: {runs} gradings of correct code with other seeds, "
                      f"{len(false_fails)} false fail(s)")
                for line in false_fails:
                    print(f"  ! {line}")
            ok = ok and not false_fails
    return ok


def repeat_correct(assignment: Assignment, subs: Path, variants: list[Mutant], tmp: Path, repeat: int,
                   workers: int, lang: str, max_examples: int, data: dict[str, str] | None = None) -> list[str]:
    """Grade the reference and the correct variants `repeat` times with fresh seeds; list false fails."""
    copies = tmp / "repeat"
    names = ["reference", *[f"variant_{v.name}" for v in variants]]
    for run in range(repeat):
        for name in names:
            shutil.copytree(subs / name, copies / f"r{run:02d}_{name}")
    batch = run_batch(assignment, copies, tmp / "repeat-out",
                      Options(workers=workers, lang=lang, max_examples=max_examples, seed=20261123, class_report=False,
                              data=dict(data or {})))
    problems = []
    for report in batch.reports:
        for qid in _lost(report):
            feedback = " ".join(m.render("en") for m in report.questions[qid].feedback)
            problems.append(f"{report.student} lost points on {qid}: {feedback[:200]}")
    return problems


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
