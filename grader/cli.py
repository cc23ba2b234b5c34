"""Command line: arguments -> options -> pipeline. No grading logic here.

    grader grade ASSIGNMENT SUBMISSIONS [--out DIR] [--workers N] [--lang fr|en]
    grader check ASSIGNMENT PATH [--lang fr|en] [--json]
    grader export-student ASSIGNMENT DIR
    grader validate ASSIGNMENT
"""

from __future__ import annotations

import argparse
import json
import os
import sys
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
    """A one-line progress bar on a terminal, one line per submission otherwise."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()

    def __call__(self, done: int, total: int, student: str) -> None:
        if self.tty:
            width = 30
            filled = int(width * done / max(total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {student[:30]:<30}")
            if done == total:
                self.stream.write("\n")
        else:
            self.stream.write(f"graded {done}/{total}: {student}\n")
        self.stream.flush()


def cmd_grade(args: argparse.Namespace) -> int:
    from grader.options import Options
    from grader.pipeline import run_batch

    assignment = resolve_assignment(args.assignment)
    out = Path(args.out or Path("reports") / assignment.id)
    options = Options(workers=args.workers, max_examples=args.max_examples, lang=args.lang,
                      data=_data_settings(assignment, args.data), force=args.force)
    result = run_batch(assignment, Path(args.submissions), out, options, Progress())
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

    assignment = resolve_assignment(args.assignment)
    options = Options(include_hidden=False, max_examples=args.max_examples, lang=args.lang,
                      data=_data_settings(assignment, args.data))
    report, text = check(assignment, Path(args.path), options)
    if args.json:
        print(json.dumps(report.to_json(args.lang), indent=2, ensure_ascii=False))
    else:
        print(text)
    # Every regular question at full marks: bonus points must not hide a failed check.
    complete = all(q.score >= q.max_score for q in report.questions.values() if not q.bonus)
    return 0 if complete else 1


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


def cmd_validate(args: argparse.Namespace) -> int:
    from grader.validate import validate

    assignment = resolve_assignment(args.assignment)
    ok = validate(assignment, lang=args.lang, workers=args.workers, max_examples=args.max_examples,
                  repeat=args.repeat, data=_data_settings(assignment, args.data))
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
    common(grade)
    grade.set_defaults(func=cmd_grade)

    check = sub.add_parser("check", help="run the public tests on one submission")
    check.add_argument("assignment")
    check.add_argument("path", nargs="?", default=".")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    common(check)
    check.set_defaults(func=cmd_check)

    export = sub.add_parser("export-student", help="write what a student receives")
    export.add_argument("assignment")
    export.add_argument("dir")
    export.set_defaults(func=cmd_export)

    validate = sub.add_parser("validate", help="grade the reference, the starter and the mutants")
    validate.add_argument("assignment")
    validate.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1))
    validate.add_argument("--repeat", type=int, default=0,
                          help="also grade the correct variants N times with other seeds (false fails)")
    common(validate)
    validate.set_defaults(max_examples=10)
    validate.set_defaults(func=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GraderError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
