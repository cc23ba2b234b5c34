"""The `student` fixture: one question's view of the student's code, running in the jail.

    student.forward(params, X)          a function of the question's file
    student.cls("Linear")               the student's class (canonical name or a manifest alias,
                                        found in any file), a remote handle; calling it builds one
    student.new("Linear", 3, 2)         an instance, always kept in the worker
    student.context()                   a fresh instance of the student's own Context
    student.gradcheck("MSE", yhat, y)   torch.autograd.gradcheck in the worker: {"passed", "error"}
    student.form                        "function" or "script" (a question that accepts both)
    student.run_script(["a"])           the question's script, run whole: {variable: value}
"""

from __future__ import annotations

from typing import Any

from grader.assignment import Assignment, Question
from grader.checks.outcomes import CheckFailed
from grader.errors import StudentError
from grader.harness.feedback import NotGradable
from grader.jail import protocol
from grader.jail.session import RemoteCallable, RemoteObject, Session, StudentModule
from grader.messages import Message, msg

__student_facing__ = True


def nothing_to_grade(question: Question) -> Message:
    """Neither form of an either-form question can be graded."""
    names = ", ".join(f.name for f in question.functions) or ", ".join(question.classes)
    return msg("nothing_to_grade", functions=names, file=question.file, script=question.script)


class Student:
    def __init__(self, session: Session, question: Question, assignment: Assignment, fatal: dict[str, Message],
                 classes: dict[str, dict], uses: tuple[str, ...] | None = None) -> None:
        self._session = session
        self._question = question
        self._assignment = assignment
        self._fatal = fatal
        self._classes = classes        # intake's index: canonical -> {"module", "name", "stub"}
        self._module = StudentModule(session, question.module)
        self._form: str | None = None
        # What this test needs (@pytest.mark.uses): by default everything the question lists.
        self._uses = uses

    # -- what the question's code is ----------------------------------------------------------

    def describe(self) -> dict:
        """The question file's functions and classes: {name: {kind, signature, line, stub}}."""
        fatal = self._fatal.get(self._question.file)
        if fatal is not None:
            raise NotGradable(fatal)
        return self._module.describe()

    def _function_problem(self) -> Message | None:
        """Why the function form cannot be graded, or None."""
        fatal = self._fatal.get(self._question.file)
        if fatal is not None:
            return fatal
        functions = [f.name for f in self._question.functions]
        classes = list(self._question.classes)
        if self._uses is not None:
            classes = [n for n in self._uses if n in self._classes or n in self._assignment.classes
                       or n in self._question.classes]
            functions = [n for n in self._uses if n not in classes]
        if functions:
            try:
                names = self._module.describe()
            except StudentError as exc:
                return msg("import_failed", file=self._question.file, error=exc.summary())
            for name in functions:
                top = self._resolve(name.split(".")[0], names)
                if top not in names:
                    return msg("missing_function", function=name, file=self._question.file)
                if names[top].get("stub"):
                    return msg("stub_function", function=name)
        for name in classes:
            problem = self._class_problem(name)
            if problem is not None:
                return problem
        return None

    def _class_problem(self, name: str) -> Message | None:
        entry = self._classes.get(name)
        if entry is None:
            aliases = [a for a in self._assignment.class_names(name) if a != name]
            return msg("missing_class", name=name, aliases=f" ({', '.join(aliases)})" if aliases else "")
        if entry.get("stub"):
            return msg("stub_class", name=entry.get("name", name))
        return None

    @property
    def form(self) -> str:
        """How this submission answers the question: "function" or "script"."""
        if self._form is None:
            self._form = self._choose_form()
        return self._form

    def _choose_form(self) -> str:
        forms = self._question.forms
        if forms == ("script",):
            fatal = self._fatal.get(self._question.script or "")
            if fatal is not None:
                raise NotGradable(fatal)
            return "script"
        problem = self._function_problem()
        if problem is None:
            return "function"
        if "script" in forms and self._question.script not in self._fatal:
            return "script"
        if "script" in forms:
            raise CheckFailed(nothing_to_grade(self._question), problem, self._fatal[self._question.script])
        if problem is self._fatal.get(self._question.file):
            raise NotGradable(problem)
        raise CheckFailed(problem)

    def require(self) -> "Student":
        """Fail at once, with the catalogue's message, when there is nothing to grade."""
        _ = self.form
        return self

    def has(self, name: str) -> bool:
        """A function of the question's file, or a class, that exists and is not a stub."""
        if name in self._classes or name in self._assignment.classes:
            return self._class_problem(name) is None
        if self._question.file in self._fatal:
            return False
        try:
            names = self._module.describe()
        except StudentError:
            return False
        name = self._resolve(name, names)
        return name in names and not names[name].get("stub")

    # -- calling it -----------------------------------------------------------------------------

    def _resolve(self, name: str, names: dict) -> str:
        """The student's name for function `name`: the handout's, or an alias the manifest accepts."""
        for candidate in self._assignment.function_names(name):
            if candidate in names and not names[candidate].get("stub"):
                return candidate
        return name

    def used_alias(self, name: str) -> str | None:
        """The alias under which function `name` is graded, if it is not the handout's name."""
        if name not in self._assignment.function_aliases or self._question.file in self._fatal:
            return None
        resolved = self._resolve(name, self._module.describe())
        return resolved if resolved != name else None

    def __getattr__(self, name: str) -> RemoteCallable:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._assignment.function_aliases and self._question.file not in self._fatal:
            try:
                name = self._resolve(name, self._module.describe())
            except StudentError:
                pass   # the call itself reports the import error
        return getattr(self._module, name)

    def cls(self, name: str) -> RemoteObject:
        problem = self._class_problem(name)
        if problem is not None:
            raise CheckFailed(problem)
        return self._session.request("get", target={"class": name, "path": []}, want="handle")

    def new(self, name: str, *args: Any, **kwargs: Any) -> RemoteObject:
        return self.cls(name).new(*args, **kwargs)

    def context(self) -> RemoteObject:
        """A new instance of the student's own `Context` class."""
        return self.new("Context")

    def gradcheck(self, name: str, *inputs: Any, timeout: float | None = None, **options: float) -> dict:
        """torch.autograd.gradcheck(Class.apply, inputs) in the worker; the verdict as data."""
        problem = self._class_problem(name)
        if problem is not None:
            raise CheckFailed(problem)
        return self._session.request("gradcheck", timeout, target={"class": name, "path": []},
                                     args=protocol.encode(list(inputs)), options=dict(options))

    def run_script(self, variables: list[str] | tuple[str, ...] | None = None, inputs: list[str] = (),
                   timeout: float | None = None) -> dict:
        script = self._question.script
        if script is None:
            raise CheckFailed(msg("not_graded", reason=f"{self._question.id} has no script"))
        if script in self._fatal:
            raise NotGradable(self._fatal[script])
        wanted = list(self._question.variables if variables is None else variables)
        return self._session.run_script(script, wanted, list(inputs), timeout=timeout)
