"""Automatic grader for deep-learning lab work: jailed student code, trusted scoring."""

__version__ = "0.1.0"
