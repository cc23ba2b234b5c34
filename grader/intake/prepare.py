"""Turn one student's files into a folder of importable modules, one per manifest file.

For each manifest file (`FileSpec`):

* the student's file standing for it is found (resolve.py), read into parsed blocks (sources.py);
* a "module" file keeps definitions only (strip.py), one definition per graded function
  (choose.py), imports the grader cannot satisfy replaced by stand-ins (imports.py), assembled
  with a line map (build.py);
* a "script" file is copied whole (a notebook: all its code cells), only its unavailable imports
  rewritten, line for line;
* when it cannot be graded (missing, syntax error, Python 2, empty), `fatal[file]` says why and
  the prepared file only raises ImportError with that reason, so a stage that imports it anyway
  gets the explanation rather than a confusing error.

The student's other files are copied too (data files, their own helper modules — those that a
prepared module imports are stripped like a module, so that importing them trains nothing), the
course helpers the student imported but did not hand in are provided (course_helpers.py), and
`.intake.json` records the result (`PreparedSubmission.load(dest)`).
"""

from __future__ import annotations

import ast
import inspect
import json
import shutil
from pathlib import Path

from grader.assignment import Assignment, FileSpec
from grader.errors import HarnessError
from grader.messages import Message, msg
from grader.intake import course_helpers, standin
from grader.intake.build import BuiltModule, ModuleText, build_module
from grader.intake.choose import TIER_NAME, Choice, DefInfo, choose, collect_definitions
from grader.intake.diagnose import cell_syntax_note, python2_names, syntax_message
from grader.intake.imports import STANDIN_MODULE, Usage, plan_imports
from grader.intake.model import STATE_FILE, LineRun, Origin, PreparedSubmission, SubmissionSource
from grader.intake.resolve import explain_choice, rank_candidates
from grader.intake.sources import SourceFile, is_checkpoint_copy, read_source, source_from_cell_text
from grader.intake.strip import DROP, KEEP_IMPORT, Stmt, classify_blocks

MAX_COPY_BYTES = 50 << 20
MAX_TOTAL_COPY_BYTES = 128 << 20        # a worker copies at most min(4 x file size limit, disk) = 256 MiB
CLASS_INDEX = ".grader-classes.json"     # read by the worker (grader.jail.worker.CLASS_INDEX)
IMPORT_PATHS = ".grader-paths.json"      # likewise (grader.jail.worker.IMPORT_PATHS)
SKIP_DIRS = {"__pycache__", ".git", ".ipynb_checkpoints", "__MACOSX", ".svn", ".hg", ".idea", ".vscode",
             "node_modules", ".venv", "venv", ".mypy_cache", ".pytest_cache"}
SOURCE_SUFFIXES = (".py", ".ipynb")
HEADER = "# Prepared by the grader's intake from {file}: {what}. Line map: .intake.json"


class _Intake:
    """The state of one `prepare` call."""

    def __init__(self, source: SubmissionSource, assignment: Assignment, dest: Path) -> None:
        self.source = source
        self.assignment = assignment
        self.dest = dest
        self.prepared = PreparedSubmission(source, dest, {}, {}, list(source.notes), {})
        self.files: list[tuple[str, Path]] = []           # (relative path, path) of the student's files
        self.sources: dict[str, SourceFile] = {}
        self.stmts: dict[str, list[Stmt]] = {}
        self.definitions: dict[str, dict[str, list[DefInfo]]] = {}
        self.provided: set[str] = set()                    # module names the prepared folder will have
        self.student_modules: dict[str, list[SourceFile]] = {}   # module name -> student files defining it
        self.noted_sources: set[tuple[str, bool]] = set()
        self.helper_modules: set[str] = set()
        self.needs_standin = False
        self.pending_imports: list[tuple[set[str], str]] = []     # (imported roots, importing file)
        self.written_modules: set[str] = set()
        self.checkpoints: list[tuple[str, Path]] = []      # .ipynb_checkpoints/ copies: candidates only
        self.written_paths: set[str] = set()                # prepared files written by strip_to

    # --- notes ------------------------------------------------------------------------------------

    def note(self, message: Message) -> None:
        if message not in self.prepared.notes:
            self.prepared.notes.append(message)

    def fatal(self, spec: FileSpec, message: Message) -> None:
        self.prepared.fatal[spec.name] = message
        reason = message.render("en")
        text = (f"# The grader could not prepare {spec.name}: see .intake.json\n"
                f"raise ImportError({reason!r})\n")
        (self.dest / spec.name).write_text(text, encoding="utf-8")

    # --- reading ----------------------------------------------------------------------------------

    def scan(self) -> None:
        root = self.source.path
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            rel = path.relative_to(root)
            if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts):
                if is_checkpoint_copy(rel.as_posix(), SKIP_DIRS) and path.suffix.lower() in SOURCE_SUFFIXES \
                        and path.is_file() and not path.is_symlink():
                    self.checkpoints.append((rel.as_posix(), path))
                continue
            if path.is_symlink() or not path.is_file():
                continue
            self.files.append((rel.as_posix(), path))
        self.provided = {f.module for f in self.assignment.files if f.kind == "module"}
        for rel, path in self.files:
            stem = Path(rel).stem
            parts = Path(rel).parts
            if path.suffix == ".py" and stem.isidentifier():
                self.provided.add(stem)
                # Packages (or namespace packages): `from src.tp1 import …` from any folder above.
                self.provided.update(p for p in parts[:-1] if p.isidentifier())
        for rel, path in self.files:
            if path.suffix.lower() in SOURCE_SUFFIXES:
                self._add_source(read_source(path, rel, provides=lambda m: m in self.provided))
        for source in list(self.sources.values()):
            for name, (text, cell) in source.writefiles.items():
                stem = Path(name).stem
                if name.endswith(".py") and stem.isidentifier() and stem not in self.provided:
                    self.provided.add(stem)
                    module = source_from_cell_text(text, source.rel, cell, name)
                    module.rel = f"{source.rel}#{name}"
                    self.student_modules.setdefault(stem, []).insert(0, module)
                    self._index(module)
                    self.note(msg("intake_writefile", file=name, notebook=source.rel))
        for rel, path in self.checkpoints:
            # Jupyter's autosave copies compete for a manifest file (resolve ranks them after any
            # real file that fills a graded function in); never copied, never a module of their own.
            source = read_source(path, rel, provides=lambda m: m in self.provided)
            self.sources[rel] = source
            self._index(source)

    def _add_source(self, source: SourceFile) -> None:
        self.sources[source.rel] = source
        if source.kind == "py" and Path(source.rel).stem.isidentifier():
            self.student_modules.setdefault(Path(source.rel).stem, []).append(source)
        self._index(source)

    def _index(self, source: SourceFile) -> None:
        self.stmts[source.rel] = classify_blocks(source.parsed_blocks())
        self.definitions[source.rel] = collect_definitions(source, self.stmts[source.rel])

    def source_notes(self, source: SourceFile, as_module: bool = True) -> None:
        """Notes about a file as a whole, given once however many manifest files it serves."""
        if (source.rel, as_module) in self.noted_sources:
            return
        first = not any(rel == source.rel for rel, _ in self.noted_sources)
        self.noted_sources.add((source.rel, as_module))
        if first:
            for note in source.notes:
                self.note(note)
            if source.kind == "ipynb":
                for block in source.broken_blocks():
                    self.note(cell_syntax_note(block))
            names = python2_names("\n".join(b.text for b in source.parsed_blocks()))
            if names:
                self.note(msg("intake_python2_names", file=source.rel, names=", ".join(names)))
        if not as_module:
            return
        dropped = [s for s in self.stmts.get(source.rel, []) if s.kind == DROP]
        if dropped:
            self.note(msg("intake_skipped_toplevel", file=source.rel, count=len(dropped),
                          lines=_describe_lines(dropped, source.kind == "ipynb")))

    # --- one manifest file ------------------------------------------------------------------------

    def resolve(self, spec: FileSpec) -> SourceFile | None:
        candidates = rank_candidates(self.assignment, spec, list(self.sources.values()), self.definitions)
        if not candidates:
            found = ", ".join(rel for rel, _ in self.files[:12]) + (", …" if len(self.files) > 12 else "")
            self.fatal(spec, msg("intake_missing_file", file=spec.name, found=found or "-"))
            return None
        chosen = candidates[0]
        for note in explain_choice(spec, candidates):    # which file, and why the others were not
            self.note(note)
        self.prepared.modules[spec.name] = chosen.source.rel
        return chosen.source

    def prepare_file(self, spec: FileSpec) -> None:
        source = self.resolve(spec)
        if source is None:
            return
        if source.problem is not None:
            self.fatal(spec, source.problem)
            return
        self.source_notes(source, as_module=spec.kind != "script")
        if source.kind == "py" and source.broken_blocks():
            block = source.broken_blocks()[0]
            self.fatal(spec, syntax_message(block, python2_hint=True))
            return
        if not source.has_code():
            self.fatal(spec, msg("intake_empty_file", file=source.rel))
            return
        if spec.kind == "script":
            self.prepare_script(spec, source)
        else:
            self.prepare_module(spec, source)

    def prepare_module(self, spec: FileSpec, source: SourceFile) -> None:
        choices = choose(self.definitions[source.rel], self.assignment, spec)
        usable = {name: c for name, c in choices.items() if c.chosen is not None and c.chosen.parsed}
        if choices and not usable and source.broken_blocks():
            # Nothing graded survives, and some cells do not parse: that is the reason to give.
            broken = [c.chosen.block for c in choices.values() if c.chosen is not None] or source.broken_blocks()
            self.fatal(spec, syntax_message(broken[0], python2_hint=source.python2_kernel))
            return
        graded = {c.chosen.name: c.chosen.stmt for c in usable.values()}  # type: ignore[union-attr,misc]
        header = HEADER.format(file=source.rel, what="definitions only, top-level code left out")
        built = build_module(source, self.stmts[source.rel], graded, self.provided, header)  # type: ignore[arg-type]
        self.write_module(spec.name, built)
        self.pending_imports.append((built.imported_roots, source.rel))
        self.record_choices(spec, source, choices)
        self.alias_renamed(spec, source)

    def alias_renamed(self, spec: FileSpec, source: SourceFile) -> None:
        """A renamed file (classes.py graded as tp1.py) that the student's other files import by its
        own name: that name is the prepared module itself, so there is one copy of each class."""
        original = Path(source.rel)
        if source.kind != "py" or original.stem == spec.module or not original.stem.isidentifier() \
                or len(original.parts) != 1:
            return   # a package's file keeps its own prepared copy (find_classes), at its own path
        alias = original.as_posix()
        text = (f"# Prepared by the grader's intake: {alias} was graded as {spec.name}; importing it\n"
                f"# gives that same module.\nimport sys as _sys\nimport {spec.module} as _graded\n"
                f"_sys.modules[__name__] = _graded\n")
        target = self.dest / alias
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        self.written_modules.add(original.stem)
        self.written_paths.add(alias)

    def record_choices(self, spec: FileSpec, source: SourceFile, choices: dict[str, Choice]) -> None:
        for question in self.assignment.questions.values():
            if question.file != spec.name:
                continue
            found = self.prepared.origins.setdefault(question.id, {})
            for function in question.functions:
                choice = choices.get(function.name)
                if choice is not None and choice.chosen is not None and choice.chosen.parsed:
                    found[function.name] = choice.chosen.block.origin(choice.chosen.line)
        stubs = [c.chosen for c in choices.values() if c.chosen is not None and c.chosen.parsed]
        if stubs and all(d.stub for d in stubs):
            self.note(msg("intake_unfilled_template", file=source.rel, used=spec.name))
        for name, choice in choices.items():
            chosen = choice.chosen
            if chosen is None or not chosen.parsed:
                continue
            if len(choice.candidates) > 1:
                self.note(msg("intake_definition_chosen", module=spec.name, function=name, file=source.rel,
                              count=len(choice.candidates), where=chosen.block.origin(chosen.line).describe()))
            if choice.tier == TIER_NAME and choice.spec.params is not None:
                target = chosen if "." not in name else None
                if target is not None:
                    self.note(msg("intake_signature_mismatch", module=spec.name, function=name,
                                  found=", ".join(target.params), expected=", ".join(choice.spec.params)))

    def prepare_script(self, spec: FileSpec, source: SourceFile) -> None:
        """The whole file, line for line; only imports the grader cannot satisfy are rewritten."""
        stmts = self.stmts[source.rel]
        imports = [s for s in stmts if s.kind == KEEP_IMPORT]
        trees = [b.tree for b in source.parsed_blocks() if b.tree is not None]
        plan = plan_imports(imports, self.provided, Usage.of(trees), source.rel)
        replaced = {(id(s.block), s.start): (s, plan.replacements[id(s)]) for s in imports if id(s) in plan.replacements}
        out = ModuleText()
        for block in source.parsed_blocks():
            lines = block.lines()
            if len(lines) > 1 and lines[-1] == "":
                lines = lines[:-1]      # the text's final newline is not a line of its own
            number = 1
            while number <= len(lines):
                key = (id(block), number)
                if key in replaced and not replaced[key][0].shares_line:
                    stmt, new = replaced[key]
                    span = stmt.end - stmt.start + 1
                    padded = (new + [""] * span)[:span] if new else ["pass"] + [""] * (span - 1)
                    out.mapped(padded, block.file, number + block.line_offset, block.cell)
                    number += span
                    continue
                out.mapped([lines[number - 1]], block.file, number + block.line_offset, block.cell)
                number += 1
        out.runs = _merge_runs(out.runs)
        built = BuiltModule(out.text(), out.runs, list(plan.notes), set(plan.helper_modules),
                            {r for s in imports for r in _roots(s)}, plan.standins)
        self.write_module(spec.name, built)
        self.pending_imports.append((built.imported_roots, source.rel))
        for question in self.assignment.questions_for(spec.name):
            found = self.prepared.origins.setdefault(question.id, {})
            defs = self.definitions.get(source.rel, {})
            functions = question.functions if question.file == spec.name else ()
            for function in functions:
                infos = [d for d in defs.get(function.name, []) if d.parsed]
                if infos:
                    found[function.name] = infos[-1].block.origin(infos[-1].line)
            if not functions:
                found["__file__"] = Origin(source.rel)

    def write_module(self, name: str, built: BuiltModule) -> None:
        (self.dest / name).write_text(built.text, encoding="utf-8")
        self.prepared.line_map[name] = built.runs
        self.written_modules.add(Path(name).stem)
        for note in built.notes:
            self.note(note)
        self.helper_modules |= built.helper_modules
        self.needs_standin |= built.standins

    # --- what the prepared modules import ---------------------------------------------------------

    def student_helpers(self) -> None:
        """The student's own modules that prepared modules import: stripped like a module."""
        while self.pending_imports:
            roots, importer = self.pending_imports.pop(0)
            for root in sorted(roots):
                if root in self.written_modules or root not in self.student_modules:
                    continue
                source = _closest(self.student_modules[root], importer)
                self.written_modules.add(root)
                if source.problem is not None or source.broken_blocks():
                    continue   # copied as it is: importing it gives the student's own error
                self.source_notes(source)
                header = HEADER.format(file=source.rel.split("#")[0], what="your module, definitions only")
                built = build_module(source, self.stmts[source.rel], {}, self.provided, header)
                self.write_module(f"{root}.py", built)
                self.pending_imports.append((built.imported_roots, source.rel))

    # --- classes, wherever the student defined them ----------------------------------------------

    def find_classes(self) -> None:
        """Index the classes the manifest names (canonical name or alias) across every file.

        The file that defines one is prepared like a module (definitions only), at its own path so
        that a package's relative imports still work; `.grader-classes.json` tells the worker where
        each class is.
        """
        wanted = dict.fromkeys([*self.assignment.classes,
                                *(c for q in self.assignment.questions.values() for c in q.classes)])
        chosen_for = {rel: name for name, rel in self.prepared.modules.items()}
        for canonical in wanted:
            names = self.assignment.class_names(canonical)
            candidates = []
            for rel, definitions in self.definitions.items():
                source = self.sources.get(rel.split("#")[0])
                for rank, name in enumerate(names):
                    for info in definitions.get(name, []):
                        if info.stmt is None or not isinstance(info.stmt.node, ast.ClassDef):
                            continue
                        manifest_file = chosen_for.get(rel)
                        checkpoint = is_checkpoint_copy(rel, SKIP_DIRS)   # Jupyter's autosave: last resort
                        # A file at the top that stands for a manifest module is that module; a
                        # package's file is imported at its own path (its relative imports work).
                        at_top = manifest_file is not None and len(Path(rel.split("#")[0]).parts) == 1
                        key = (info.stub, checkpoint, not at_top, rank, len(Path(rel).parts), rel, -info.line)
                        candidates.append((key, rel, info, manifest_file, source))
            if not candidates:
                continue
            candidates.sort(key=lambda c: c[0])
            _key, rel, info, manifest_file, source = candidates[0]
            module = self.class_module(rel, manifest_file)
            if module is None:
                continue
            origin = info.block.origin(info.line)
            self.prepared.classes[canonical] = {"module": module, "name": info.name, "stub": info.stub,
                                                "origin": origin.to_json()}
            for question in self.assignment.questions.values():
                if canonical in question.classes:
                    self.prepared.origins.setdefault(question.id, {})[info.name] = origin
            if info.name != canonical:
                self.note(msg("intake_class_alias", canonical=canonical, name=info.name, file=rel))
        (self.dest / CLASS_INDEX).write_text(json.dumps(self.prepared.classes, ensure_ascii=False),
                                             encoding="utf-8")

    def class_module(self, rel: str, manifest_file: str | None) -> str | None:
        """The importable name of the prepared module holding `rel`'s definitions."""
        if manifest_file is not None and len(Path(rel.split("#")[0]).parts) == 1:
            return None if manifest_file in self.prepared.fatal else Path(manifest_file).stem
        source = self._source_for(rel)
        if source is None or source.problem is not None or source.broken_blocks():
            return None
        path = Path(rel.split("#")[0])
        parts = [*path.parent.parts, path.stem]
        if source.kind == "py" and all(p.isidentifier() for p in parts):
            name = ".".join(parts)
            target = path.as_posix()
            folders = [path.parent] if len(parts) > 1 else []
        else:   # a notebook, or a file whose name is no Python name: a module of its own
            name = "_classes_" + "".join(c if c.isalnum() else "_" for c in path.stem)
            target = f"{name}.py"
            folders = []
        if target not in self.written_paths:
            self.strip_to(source, target)
        for folder in folders:
            # The package's other modules are imported through relative imports: definitions only too.
            for other_rel, other in list(self.sources.items()):
                other_path = Path(other_rel)
                if other.kind == "py" and other_path.parent == folder and other_path.as_posix() not in self.written_paths \
                        and other.problem is None and not other.broken_blocks():
                    self.strip_to(other, other_path.as_posix())
        return name

    def _source_for(self, rel: str) -> SourceFile | None:
        if rel in self.sources:
            return self.sources[rel]
        for modules in self.student_modules.values():
            for module in modules:
                if module.rel == rel:
                    return module
        return None

    def strip_to(self, source: SourceFile, target: str) -> None:
        header = HEADER.format(file=source.rel.split("#")[0], what="your module, definitions only")
        in_package = len(Path(target).parts) > 1
        built = build_module(source, self.stmts[source.rel], {}, self.provided, header, in_package=in_package)
        (self.dest / target).parent.mkdir(parents=True, exist_ok=True)
        self.write_module(target, built)
        self.written_paths.add(target)
        self.pending_imports.append((built.imported_roots, source.rel))

    def import_paths(self) -> None:
        """The folders the graded files came from (`student_tp1/` for student_tp1/tp1_descente.py):
        the worker puts them on sys.path, so `from src.tp1 import …` works as it did for the student."""
        folders = sorted({Path(rel.split("#")[0]).parent.as_posix() for rel in self.prepared.modules.values()} - {"."})
        (self.dest / IMPORT_PATHS).write_text(json.dumps(folders, ensure_ascii=False), encoding="utf-8")

    def support_files(self) -> None:
        for module in sorted(self.helper_modules):
            if module in self.provided or module in self.written_modules:
                continue
            shutil.copyfile(inspect.getfile(course_helpers), self.dest / f"{module}.py")
            self.note(msg("intake_course_helper", module=module))
        if self.needs_standin:
            shutil.copyfile(inspect.getfile(standin), self.dest / f"{STANDIN_MODULE}.py")

    def copy_files(self) -> None:
        """The student's files as handed in, so that data files are where the code expects them.

        Code first, then the other files from the smallest, within MAX_TOTAL_COPY_BYTES (below what a
        worker's job folder holds, so the worker's copy never drops a file): a large data file is
        skipped with a note, never the graded code."""
        total = 0
        order = sorted(self.files, key=lambda f: (f[1].suffix.lower() not in SOURCE_SUFFIXES, f[1].stat().st_size, f[0]))
        for rel, path in order:
            size = path.stat().st_size
            if size > MAX_COPY_BYTES or total + size > MAX_TOTAL_COPY_BYTES:
                self.note(msg("intake_large_file_skipped", file=rel, size_mb=round(size / (1 << 20))))
                continue
            total += size
            target = self.dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            if path.suffix == ".py":
                # A .py copied as it is keeps its lines: map them, for tracebacks through it.
                count = path.read_bytes().count(b"\n") + 1
                self.prepared.line_map.setdefault(rel, [LineRun(1, count, rel, 1, None)])


def prepare(source: SubmissionSource, assignment: Assignment, dest: Path) -> PreparedSubmission:
    """Prepare `source` for `assignment` in `dest` (created; a previous intake's folder is replaced)."""
    dest = Path(dest)
    _fresh_dest(dest)
    intake = _Intake(source, assignment, dest)
    intake.scan()
    if not intake.files:
        for spec in assignment.files:
            intake.fatal(spec, msg("intake_empty_submission"))
        intake.prepared.save()
        return intake.prepared
    intake.copy_files()
    for spec in assignment.files:
        intake.prepare_file(spec)
    intake.find_classes()
    intake.student_helpers()
    intake.support_files()
    intake.import_paths()
    intake.prepared.save()
    return intake.prepared


def _fresh_dest(dest: Path) -> None:
    if dest.exists():
        if any(dest.iterdir()) and not (dest / STATE_FILE).exists():
            raise HarnessError(f"{dest} is not empty and was not made by the intake: refusing to overwrite it")
        shutil.rmtree(dest)
    dest.mkdir(parents=True)


def _closest(sources: list[SourceFile], importer: str) -> SourceFile:
    """The student's module file next to the importing file, else the shallowest one."""
    folder = Path(importer.split("#")[0]).parent
    return min(sources, key=lambda s: (Path(s.rel.split("#")[0]).parent != folder,
                                       len(Path(s.rel).parts), s.rel))


def _roots(stmt: Stmt) -> set[str]:
    node = stmt.node
    if isinstance(node, ast.Import):
        return {a.name.split(".")[0] for a in node.names}
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return {node.module.split(".")[0]}
    return set()


def _merge_runs(runs: list[LineRun]) -> list[LineRun]:
    merged: list[LineRun] = []
    for run in runs:
        last = merged[-1] if merged else None
        if last and last.file == run.file and last.cell == run.cell \
                and last.start + last.length == run.start and last.orig_start + last.length == run.orig_start:
            merged[-1] = LineRun(last.start, last.length + run.length, last.file, last.orig_start, last.cell)
        else:
            merged.append(run)
    return merged


def _ranges(numbers: list[int]) -> str:
    numbers = sorted(set(numbers))
    parts: list[str] = []
    start = prev = None
    for n in numbers + [None]:  # type: ignore[list-item]
        if start is None:
            start = prev = n
        elif n is not None and n == prev + 1:
            prev = n
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    if len(parts) > 8:
        parts = parts[:8] + ["…"]
    return ", ".join(parts)


def _describe_lines(dropped: list[Stmt], notebook: bool) -> str:
    if notebook:
        cells = [s.block.cell for s in dropped if s.block.cell is not None]
        return ("cell " if len(set(cells)) == 1 else "cells ") + _ranges(cells)
    # Consecutive dropped statements read as one range: "lines 12-40" rather than 12-13, 14-20…
    spans: list[list[int]] = []
    for stmt in sorted(dropped, key=lambda s: s.start):
        start, end = stmt.start + stmt.block.line_offset, stmt.end + stmt.block.line_offset
        lines = stmt.block.lines()
        between = lines[spans[-1][1] - stmt.block.line_offset:stmt.start - 1] if spans else [""]
        if spans and all(not l.strip() or l.lstrip().startswith("#") for l in between):
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in spans]
    if len(parts) > 8:
        parts = parts[:8] + ["…"]
    return ("line " if len(parts) == 1 and "-" not in parts[0] else "lines ") + ", ".join(parts)
