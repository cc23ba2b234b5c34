"""Command line: arguments -> options -> pipeline. No grading logic here.

    grader grade ASSIGNMENT SUBMISSIONS [--out DIR] [--workers N] [--lang fr|en] [--junit FILE]
    grader check ASSIGNMENT PATH [--lang fr|en] [--json | --ci] [--junit FILE]
    grader export-student ASSIGNMENT DIR
    grader gradescope ASSIGNMENT OUT.zip [--lang fr|en]
    grader validate ASSIGNMENT
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from grader import __version__
from grader.errors import GraderError
from grader.messages import DEFAULT_LANGUAGE, LANGUAGES


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def resolve_assignment(name: str):
    from grader import assignment

    candidates = [Path(name), Path.cwd() / "assignments" / name, project_root() / "assignments" / name]
    for candidate in candidates:
        if (candidate / "assignment.toml").is_file():
            return assignment.load(candidate)
    raise GraderError(f"no assignment {name!r} (looked in {', '.join(str(c) for c in candidates[1:])})")


class Progress:
    """Progress of a batch: rich's bar on a terminal (done / total, elapsed, time left, the student
    just graded), one plain line per submission otherwise (a log file, CI).

    `progress(done, total, student)` is what run_batch calls after each report; used as a context
    manager, the bar shows (elapsed time running) from the start, before the first report."""

    def __init__(self, stream=None, *, terminal: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if terminal is None else terminal
        self.started = time.monotonic()
        self._bar = None
        self._task = None

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        self._bar = Bar(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("left"), TimeRemainingColumn(), TextColumn("{task.fields[student]}"),
                        console=Console(file=self.stream, force_terminal=True),
                        # the time left comes from the whole run's pace, not the last 30 s
                        speed_estimate_period=24 * 3600)
        self._bar.start()
        self._task = self._bar.add_task("grading", total=None, student="")

    def __enter__(self) -> "Progress":
        if self.tty and self._bar is None:
            self._start()
        return self

    def __call__(self, done: int, total: int, student: str) -> None:
        if self.tty:
            if self._bar is None:
                self._start()
            self._bar.update(self._task, completed=done, total=total, student=student[:40])
            if done >= total:
                self.close()
        else:
            self.stream.write(f"graded {done}/{total}: {student} ({time.monotonic() - self.started:.0f} s)\n")
            self.stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __exit__(self, *exc_info) -> None:
        self.close()


def _batch_reports(result, out: Path, lang: str) -> list[dict]:
    """The contract dicts of this batch: the reports graded now and those kept from an earlier run."""
    from grader.ids import report_stem

    reports = [report.to_json(lang) for report in result.reports]
    for student in result.kept:
        try:
            reports.append(json.loads((out / f"{report_stem(student)}.json").read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            print(f"warning: {student}'s kept report could not be read ({exc}): not in the JUnit file",
                  file=sys.stderr)
    return reports


def cmd_grade(args: argparse.Namespace) -> int:
    from grader.options import Options
    from grader.pipeline import run_batch

    assignment = resolve_assignment(args.assignment)
    out = Path(args.out or Path("reports") / assignment.id)
    options = Options(workers=args.workers, max_examples=args.max_examples, lang=args.lang,
                      data=_data_settings(assignment, args.data), force=args.force, dask=args.dask)
    with Progress() as progress:
        result = run_batch(assignment, Path(args.submissions), out, options, progress)
    if args.junit:
        from grader.report import junit

        junit.write(Path(args.junit), _batch_reports(result, out, args.lang), assignment.id)
    for problem in result.problems:
        print(f"warning: {problem}", file=sys.stderr)
    for layer in result.confinement.get("skipped", []):
        print(f"warning: sandbox layer not applied on this machine: {layer} (see README)", file=sys.stderr)
    kept = f" ({len(result.kept)} up-to-date reports kept; --force regrades them)" if result.kept else ""
    print(f"{assignment.id}: {len(result.reports)} submissions graded in {result.seconds:.1f} s{kept}; "
          f"reports in {out}/, gradebook {result.gradebook}")
    if result.harness_errors:
        print(f"{result.harness_errors} submission(s) hit a grader error: see 'harness_errors' in their "
              "reports", file=sys.stderr)
        return 3
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from grader.check import check
    from grader.options import Options
    from grader.report import ci

    assignment = resolve_assignment(args.assignment)
    options = Options(include_hidden=False, max_examples=args.max_examples, lang=args.lang,
                      data=_data_settings(assignment, args.data))
    report, text = check(assignment, Path(args.path), options)
    if args.json:
        print(json.dumps(report.to_json(args.lang), indent=2, ensure_ascii=False))
    elif args.ci:
        print(ci.summary(report, args.lang))
    else:
        print(text)
    if args.ci and os.environ.get("GITHUB_STEP_SUMMARY"):
        # GitHub shows this file's Markdown on the run's page; other steps may have written to it.
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
            summary.write(ci.step_summary(report, args.lang))
    if args.junit:
        from grader.report import junit

        junit.write(Path(args.junit), [report.to_json(args.lang)], assignment.id)
    # Every regular question at full marks: bonus points must not hide a failed check; a question
    # not graded here (no data set on this machine) is no failure the student could fix.
    return 0 if ci.complete(report) else 1


def _data_settings(assignment, pairs: list[str] | None) -> dict[str, str]:
    """`--data NAME=PATH` (repeatable), for the data sets the manifest declares."""
    settings = {}
    for pair in pairs or []:
        name, _, path = pair.partition("=")
        if not path:
            raise GraderError(f"--data {pair!r}: expected NAME=PATH")
        if name not in assignment.data:
            known = ", ".join(assignment.data) or "none"
            raise GraderError(f"--data {name}: {assignment.id} declares no data set {name!r} (declared: {known})")
        if not Path(path).exists():
            raise GraderError(f"--data {name}: {path} does not exist")
        settings[name] = str(Path(path).resolve())
    return settings


def cmd_export(args: argparse.Namespace) -> int:
    from grader.export import export_student

    assignment = resolve_assignment(args.assignment)
    written = export_student(assignment, Path(args.dir))
    print(f"student kit for {assignment.id} written to {args.dir} ({len(written)} files)")
    return 0


def cmd_gradescope(args: argparse.Namespace) -> int:
    from grader.gradescope import build_archive

    assignment = resolve_assignment(args.assignment)
    names = build_archive(assignment, Path(args.out), lang=args.lang, max_examples=args.max_examples)
    print(f"Gradescope autograder for {assignment.id} written to {args.out} ({len(names)} files); "
          "upload it as the assignment's autograder (zip file upload)")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from grader.validate import validate

    assignment = resolve_assignment(args.assignment)
    ok = validate(assignment, lang=args.lang, workers=args.workers, max_examples=args.max_examples,
                  repeat=args.repeat, data=_data_settings(assignment, args.data), named_only=args.named_only)
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Grade deep-learning lab work.")
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE, help="feedback language")
        p.add_argument("--max-examples", type=int, default=20, help="Hypothesis examples per test")
        p.add_argument("--data", action="append", metavar="NAME=PATH",
                       help="where a data set the assignment declares is (e.g. cifar10=/data/cifar-10-batches-py)")

    grade = sub.add_parser("grade", help="grade every submission in a folder or a Moodle archive")
    grade.add_argument("assignment")
    grade.add_argument("submissions", help="folder of student folders, or a Moodle .zip")
    grade.add_argument("--out", help="report folder (default reports/ASSIGNMENT)")
    grade.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1))
    grade.add_argument("--force", action="store_true",
                       help="regrade every submission, even those whose report is up to date")
    grade.add_argument("--dask", metavar="ADDRESS",
                       help="grade on a Dask cluster: a scheduler address (tcp://host:8786), or 'local' "
                            "for a LocalCluster of --workers processes")
    grade.add_argument("--junit", metavar="FILE", help="also write the batch as JUnit XML (one test case per question)")
    common(grade)
    grade.set_defaults(func=cmd_grade)

    check = sub.add_parser("check", help="run the public tests on one submission")
    check.add_argument("assignment")
    check.add_argument("path", nargs="?", default=".")
    shown = check.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="print the report as JSON")
    shown.add_argument("--ci", action="store_true",
                       help="one line per question; Markdown to $GITHUB_STEP_SUMMARY when it is set")
    check.add_argument("--junit", metavar="FILE", help="also write the report as JUnit XML")
    common(check)
    check.set_defaults(func=cmd_check)

    export = sub.add_parser("export-student", help="write what a student receives")
    export.add_argument("assignment")
    export.add_argument("dir")
    export.set_defaults(func=cmd_export)

    gradescope = sub.add_parser("gradescope", help="build a Gradescope autograder archive")
    gradescope.add_argument("assignment")
    gradescope.add_argument("out", help="the .zip to write")
    gradescope.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE, help="feedback language")
    gradescope.add_argument("--max-examples", type=int, default=20, help="Hypothesis examples per test")
    gradescope.set_defaults(func=cmd_gradescope)

    validate = sub.add_parser("validate", help="grade the reference, the starter and the mutants")
    validate.add_argument("assignment")
    validate.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1))
    validate.add_argument("--repeat", type=int, default=0,
                          help="also grade the correct variants N times with other seeds (false fails)")
    validate.add_argument("--named-only", action="store_true",
                          help="grade each mutant on the questions it must lose only (not that it loses nothing else)")
    common(validate)
    validate.set_defaults(max_examples=10)
    validate.set_defaults(func=cmd_validate)
    return parser


def run() -> None:
    """The command (`grader`, `python -m grader`): main(), then leave without tearing the imported
    libraries down (matplotlib, rich, the parsers: a few tenths of a second of a one-student run).
    By then every report is on disk and the jail and the scorers are closed."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    if "distributed" in sys.modules:
        sys.exit(code)   # Dask closes what it started in its own exit handlers
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GraderError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
