"""Automatic grader for deep-learning lab work: jailed student code, trusted scoring."""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # `from grader import notebook_check` in a notebook. Imported on first use: `import grader`
    # (every worker, scorer and command does it) must not load the notebook machinery.
    if name == "notebook_check":
        from grader.notebook import notebook_check

        return notebook_check
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
