"""The code that runs inside a jailed worker process: load student modules, serve requests.

Everything here runs after `sandbox.confine`, next to hostile code. It trusts nothing it gets back
from student code: results are encoded with `protocol.encode`, and objects that are not plain data
stay here as handles. A failure of student code is sent back as a structured error whose frames
are only the student's own lines.
"""

from __future__ import annotations

import builtins
import importlib.util
import inspect
import io
import os
import random
import socket
import sys
import traceback
import types
from typing import Any

from grader.jail import protocol

MAX_MESSAGE = 4000


class _Handles:
    def __init__(self) -> None:
        self._objects: dict[int, Any] = {}
        self._next = 1

    def add(self, obj: Any) -> dict:
        handle_id = self._next
        self._next += 1
        self._objects[handle_id] = obj
        try:
            text = repr(obj)
        except BaseException:  # a student __repr__ may raise anything
            text = f"<{type(obj).__name__}>"
        return {"id": handle_id, "type": f"{type(obj).__module__}.{type(obj).__qualname__}",
                "repr": text[:2000], "callable": callable(obj)}

    def get(self, handle_id: int) -> Any:
        try:
            return self._objects[handle_id]
        except KeyError:
            raise LookupError(f"no object with handle {handle_id}") from None

    def drop(self, handle_id: int) -> None:
        self._objects.pop(handle_id, None)


class Worker:
    def __init__(self, sock: socket.socket, work_dir: str) -> None:
        self.sock = sock
        self.work_dir = os.path.realpath(work_dir)
        self.handles = _Handles()
        self.modules: dict[str, types.ModuleType] = {}
        self.input_answers: list[str] = []

    # -- values ------------------------------------------------------------------------------

    def encode(self, value: Any, want: str) -> Any:
        if want == "handle":
            return {"$handle": self.handles.add(value)}
        return protocol.encode(_plain(value), self.handles.add)

    def decode(self, data: Any) -> Any:
        return protocol.decode(data, from_ref=self.handles.get)

    # -- errors ------------------------------------------------------------------------------

    def student_frames(self, tb: types.TracebackType | None) -> list[dict]:
        frames = []
        for frame in traceback.extract_tb(tb):
            if not frame.filename or frame.filename.startswith("<"):
                continue  # "<frozen importlib._bootstrap>", "<string>": not the student's files
            path = os.path.realpath(frame.filename)
            if path.startswith(self.work_dir + os.sep):
                frames.append({"file": os.path.relpath(path, self.work_dir), "line": frame.lineno,
                               "function": frame.name, "code": (frame.line or "")[:200]})
        return frames[-8:]

    def error(self, exc: BaseException, phase: str) -> dict:
        try:
            message = str(exc)
        except BaseException:
            message = "<unprintable message>"
        info = {"type": type(exc).__name__, "message": message[:MAX_MESSAGE], "phase": phase,
                "frames": self.student_frames(exc.__traceback__)}
        if isinstance(exc, SyntaxError):
            info["line"] = exc.lineno
            info["text"] = (exc.text or "").rstrip()[:200]
            info["file"] = os.path.basename(exc.filename or "")
        return {"error": info}

    # -- operations --------------------------------------------------------------------------

    def load(self, name: str) -> types.ModuleType:
        if name in self.modules:
            return self.modules[name]
        path = os.path.join(self.work_dir, name + ".py")
        if not os.path.isfile(path):
            raise ModuleNotFoundError(f"no file {name}.py in the submission")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        self.modules[name] = module
        return module

    def describe(self, module: types.ModuleType) -> dict:
        names = {}
        for attr, value in vars(module).items():
            if attr.startswith("__"):
                continue
            kind = "class" if inspect.isclass(value) else "function" if inspect.isfunction(value) else None
            if kind is None or getattr(value, "__module__", None) != module.__name__:
                continue
            try:
                signature = str(inspect.signature(value))
            except (TypeError, ValueError):
                signature = "(...)"
            try:
                line = inspect.getsourcelines(value)[1]
            except (OSError, TypeError):
                line = None
            names[attr] = {"kind": kind, "signature": signature, "line": line,
                           "stub": kind == "function" and _is_stub(value)}
        return {"names": names}

    def target(self, spec: Any) -> Any:
        if not isinstance(spec, dict):
            raise ValueError("bad target")
        if "module" in spec:
            obj = self.load(str(spec["module"]))
        else:
            obj = self.handles.get(int(spec["handle"]))
        for name in spec.get("path", []):
            obj = getattr(obj, str(name))
        return obj

    def handle(self, request: dict) -> dict:
        op = request.get("op")
        want = request.get("want", "value")
        if op == "load":
            module = self.load(str(request["module"]))
            return {"ok": self.describe(module)}
        if op == "call":
            func = self.target(request["target"])
            args = self.decode(request.get("args", []))
            kwargs = self.decode(request.get("kwargs", {"$dict": []}))
            result = func(*args, **{str(k): v for k, v in kwargs.items()})
            if want == "observe":
                # The arguments after the call too: the scorer can tell an in-place update from a
                # new object, and catch a function that mutates an input it should not.
                return {"ok": self.encode({"result": result, "args": args}, "value")}
            return {"ok": self.encode(result, want)}
        if op == "get":
            return {"ok": self.encode(self.target(request["target"]), want)}
        if op == "getitem":
            obj = self.target(request["target"])
            return {"ok": self.encode(obj[self.decode(request["key"])], want)}
        if op == "setattr":
            obj = self.target(request["target"])
            setattr(obj, str(request["name"]), self.decode(request["value"]))
            return {"ok": None}
        if op == "list":
            return {"ok": self.encode(list(self.target(request["target"])), want)}
        if op == "release":
            for handle_id in request.get("ids", []):
                self.handles.drop(int(handle_id))
            return {"ok": None}
        if op == "run":
            return {"ok": self.encode(self.run_driver(request), want)}
        if op == "script":
            return {"ok": self.encode(self.run_script(request), want)}
        raise ValueError(f"unknown operation {op!r}")

    def run_driver(self, request: dict) -> Any:
        """Run a public helper of the assignment (a training loop) next to the student's code."""
        namespace: dict[str, Any] = {"__name__": "grader_driver"}
        exec(compile(str(request["source"]), str(request.get("filename", "<driver>")), "exec"), namespace)
        modules = {name: self.load(name) for name in request.get("modules", [])}
        args = self.decode(request.get("args", []))
        kwargs = self.decode(request.get("kwargs", {"$dict": []}))
        return namespace[str(request["entry"])](modules, *args, **kwargs)

    def run_script(self, request: dict) -> Any:
        """Run a student script top to bottom and return the variables it left."""
        path = os.path.join(self.work_dir, str(request["file"]))
        self.input_answers = [str(a) for a in request.get("inputs", [])]
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        namespace: dict[str, Any] = {"__name__": "__main__", "__file__": path}
        try:
            exec(compile(source, path, "exec"), namespace)
        except SystemExit as stop:
            if stop.code not in (None, 0):
                raise  # sys.exit(0) / quit() at the end of a script is its normal end
        wanted = request.get("variables", [])
        return {name: namespace[name] for name in wanted if name in namespace}

    def answer_input(self, prompt: Any = "") -> str:
        print(prompt, end="")
        return self.input_answers.pop(0) if self.input_answers else ""

    def serve(self) -> None:
        while True:
            try:
                request = protocol.recv_frame(self.sock)
            except (EOFError, OSError):
                return
            try:
                reply = self.handle(request)
                reply["seq"] = request.get("seq")
                protocol.send_frame(self.sock, reply)
                continue
            except BaseException as exc:  # SystemExit and KeyboardInterrupt too
                phase = "import" if request.get("op") == "load" else "call"
                reply = self.error(exc, phase)
            reply["seq"] = request.get("seq")
            try:
                protocol.send_frame(self.sock, reply)
            except (TypeError, ValueError) as exc:
                protocol.send_frame(self.sock, {"seq": request.get("seq"), "error": {
                    "type": "EncodingError", "message": str(exc)[:MAX_MESSAGE], "phase": "call",
                    "frames": []}})


def _plain(value: Any) -> Any:
    """Containers that subclass builtin ones (OrderedDict, namedtuple, torch.Size) as plain ones."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _is_stub(func: Any) -> bool:
    """A function whose body only raises NotImplementedError, passes or returns None (a template)."""
    code = getattr(func, "__code__", None)
    if code is None:
        return False
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return False
    import ast
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return False
    body = tree.body[0].body if tree.body and hasattr(tree.body[0], "body") else []
    statements = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if not statements:
        return True
    if len(statements) == 1:
        only = statements[0]
        if isinstance(only, ast.Pass):
            return True
        if isinstance(only, ast.Raise) and "NotImplementedError" in ast.dump(only):
            return True
        if isinstance(only, ast.Return) and (only.value is None or (
                isinstance(only.value, ast.Constant) and only.value.value is None)):
            return True
    return False


def install_student_environment(worker: Worker) -> None:
    """No plots, no waiting for a keyboard: what a script needs to run unattended."""
    builtins.input = worker.answer_input
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.show = lambda *args, **kwargs: None
        plt.pause = lambda *args, **kwargs: None


def seed_everything(seed: int) -> None:
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def redirect_output(path: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
    sys.stderr = sys.stdout
    sys.stdin = io.StringIO("")
