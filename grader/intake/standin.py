"""Stand-ins for what a prepared module cannot really have. Copied as `_intake_missing.py`.

This file is copied into every prepared folder that needs it and imported by the prepared
modules, in the jail, so it must stay self-contained: standard library only, no grader import.

A stand-in lets the module import and fails only when it is used, with a message that says why:
an import of a module the grader does not have (`from icecream import ic`), or a global variable
that only the student's top-level training code set (that code is not run).
"""

from __future__ import annotations

_NOT_AVAILABLE = ("the module '{module}' is not available in the grader: {shown} cannot be used"
                  " (le module '{module}' n'est pas disponible dans le correcteur : {shown} ne peut pas être utilisé)")
_UNRUN = ("'{name}' is set by top-level code ({where}) that the grader does not run: create it inside your"
          " function or pass it as a parameter ('{name}' est défini par du code de premier niveau ({where})"
          " que le correcteur n'exécute pas : créez-le dans votre fonction ou passez-le en paramètre)")
_STAR = ("'{name}' is not defined; it may come from 'from {module} import *', and the module '{module}'"
         " is not available in the grader ('{name}' n'est pas défini ; il vient peut-être de"
         " 'from {module} import *', et le module '{module}' n'est pas disponible dans le correcteur)")


class StandIn:
    """Any use raises; printing it does not (pytest and debuggers print values)."""

    __slots__ = ("_intake_name", "_intake_module", "_intake_kind", "_intake_where")

    def __init__(self, name: str, module: str = "", kind: str = "module", where: str = "") -> None:
        object.__setattr__(self, "_intake_name", name)
        object.__setattr__(self, "_intake_module", module)
        object.__setattr__(self, "_intake_kind", kind)
        object.__setattr__(self, "_intake_where", where)

    def _intake_fail(self, shown: str | None = None):
        name = object.__getattribute__(self, "_intake_name")
        module = object.__getattribute__(self, "_intake_module")
        kind = object.__getattribute__(self, "_intake_kind")
        where = object.__getattribute__(self, "_intake_where")
        if kind == "unrun":
            raise NameError(_UNRUN.format(name=name, where=where))
        if kind == "star":
            raise NameError(_STAR.format(name=name, module=module))
        raise ModuleNotFoundError(_NOT_AVAILABLE.format(module=module, shown=shown or name), name=module)

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        name = object.__getattribute__(self, "_intake_name")
        object.__getattribute__(self, "_intake_fail")(f"{name}.{attr}")

    def __setattr__(self, attr: str, value) -> None:
        name = object.__getattribute__(self, "_intake_name")
        object.__getattribute__(self, "_intake_fail")(f"{name}.{attr}")

    def __call__(self, *args, **kwargs):
        name = object.__getattribute__(self, "_intake_name")
        object.__getattribute__(self, "_intake_fail")(f"{name}(...)")

    def __repr__(self) -> str:
        name = object.__getattribute__(self, "_intake_name")
        kind = object.__getattribute__(self, "_intake_kind")
        return f"<{name}: not available in the grader ({kind})>"

    __str__ = __repr__

    def __mro_entries__(self, bases):
        object.__getattribute__(self, "_intake_fail")()


def _failing(method: str):
    def fail(self, *args, **kwargs):
        object.__getattribute__(self, "_intake_fail")()
    fail.__name__ = method
    return fail


for _method in ("__getitem__", "__setitem__", "__delitem__", "__iter__", "__len__", "__contains__",
                "__bool__", "__int__", "__float__", "__index__", "__array__", "__enter__", "__exit__",
                "__neg__", "__pos__", "__abs__", "__invert__", "__lt__", "__le__", "__gt__", "__ge__",
                "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
                "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__",
                "__rpow__", "__matmul__", "__rmatmul__", "__and__", "__rand__", "__or__", "__ror__",
                "__xor__", "__rxor__", "__lshift__", "__rshift__", "__round__", "__format__",
                "__torch_function__"):
    setattr(StandIn, _method, _failing(_method))


def module(name: str) -> StandIn:
    """`import name` of a module the grader does not have."""
    return StandIn(name, name, "module")


def name(module_name: str, attr: str) -> StandIn:
    """`from module_name import attr`."""
    return StandIn(attr, module_name, "name")


def unrun(variable: str, where: str) -> StandIn:
    """A global only set by top-level code that was not kept."""
    return StandIn(variable, "", "unrun", where)


def star(variable: str, module_name: str) -> StandIn:
    """A global that may have come from a dropped `from module_name import *`."""
    return StandIn(variable, module_name, "star")
