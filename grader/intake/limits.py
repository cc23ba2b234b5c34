"""How much of a student's hand-in the intake reads, and for how long.

Intake parses untrusted files in the grader's own (trusted) process, so every step is bounded:

* parsing is linear in the size of the input: no regular expression that can backtrack
  super-linearly is applied to student text (markdown headings, Python 2 spotting and string
  blanking are plain string code; the patterns left are anchored, or every repetition in them is
  followed by something it cannot match); `tests/intake/test_intake_bounds.py` times each parser
  on hostile lines;
* sizes are capped: a `.py` file, a notebook, its cells, a line looked at as a heading or a magic;
  what is over a cap is left out with a note, never silently;
* a submission's intake has a time limit (`deadline`): `check_deadline()` is called between
  files, cells and statements, and a watchdog raises `IntakeTimeout` in the intake's thread when
  the limit has passed while it is busy elsewhere. `guard.prepare_bounded` turns that (and any
  other failure) into a PreparedSubmission whose every manifest file is fatal, saying why.

`IntakeTimeout` derives from BaseException, like KeyboardInterrupt, so that the `except Exception`
of a parser (nbformat's, ours) cannot swallow it.
"""

from __future__ import annotations

import ctypes
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

# --- sizes ----------------------------------------------------------------------------------------
MAX_PY_BYTES = 5 << 20              # a .py file (a lab's solution is a few kB; data pasted in: a few MB)
MAX_NOTEBOOK_BYTES = 50 << 20       # a notebook, outputs included (plots make them large)
MAX_CELLS = 5_000                   # cells of one notebook
MAX_CELL_CHARS = 1 << 20            # one cell's source
MAX_HEADING_LINE = 1_000            # a longer line is not a section title
MAX_MAGIC_LINE = 4_096              # a longer line is not checked for `x = !cmd` / `obj?` / `%run`
MAX_HEADING_LEVEL = 9               # "1.2.3.4.5.6.7.8.9.10 …" is not ten levels deep
MAX_HEADINGS_PER_BLOCK = 2_000      # comment titles of one block kept as sections
MAX_ONLINETEXT_BYTES = 2 << 20      # Moodle online text (HTML) looked at for Python code

# --- time -----------------------------------------------------------------------------------------
INTAKE_SECONDS = 30.0               # one submission; a normal intake takes well under a second


class IntakeTimeout(BaseException):
    """The intake of one submission went past its time limit."""


@dataclass
class _Limit:
    end: float                      # time.monotonic() deadline
    seconds: float
    critical: int = 0               # inside uninterruptible()


_limits: dict[int, _Limit] = {}     # thread id -> limit in force (read by that thread's watchdog)


def check_deadline() -> None:
    """Raise IntakeTimeout when the current intake is past its limit (no-op outside `deadline`)."""
    limit = _limits.get(threading.get_ident())
    if limit is not None and not limit.critical and time.monotonic() > limit.end:
        raise IntakeTimeout(f"the intake took more than {limit.seconds:g} s")


@contextmanager
def uninterruptible() -> Iterator[None]:
    """A section the watchdog leaves alone: an import interrupted halfway can stay broken."""
    limit = _limits.get(threading.get_ident())
    if limit is None:
        yield
        return
    limit.critical += 1
    try:
        yield
    finally:
        limit.critical -= 1
    check_deadline()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Run the block under a time limit; IntakeTimeout is raised in it once the limit has passed.

    Cooperative checks (`check_deadline`) stop it at the next file, cell or statement; a watchdog
    thread stops it anywhere else (CPython's PyThreadState_SetAsyncExc, delivered between two
    bytecodes; repeated every 0.2 s until the block is left, never inside `uninterruptible()`).
    """
    thread_id = threading.get_ident()
    outer = _limits.get(thread_id)
    end = time.monotonic() + seconds
    limit = _Limit(min(end, outer.end) if outer else end, seconds if not outer or end <= outer.end else outer.seconds)
    _limits[thread_id] = limit
    lock = threading.Lock()
    done = threading.Event()
    fired = [False]

    def watch() -> None:
        while not done.wait(0.05):
            if limit.critical or time.monotonic() <= limit.end:
                continue
            with lock:
                if done.is_set():
                    return
                _async_raise(thread_id, IntakeTimeout)
                fired[0] = True
            if done.wait(0.2):
                return

    watcher = threading.Thread(target=watch, name="intake-watchdog", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        # A late asynchronous IntakeTimeout may land anywhere in here: retry until the watchdog is
        # stopped for good and nothing is pending, then restore the outer limit.
        while True:
            try:
                with lock:
                    done.set()
                    if fired[0]:
                        _async_raise(thread_id, None)      # drop an exception not delivered yet
                break
            except IntakeTimeout:
                continue
        if outer is not None:
            _limits[thread_id] = outer
        else:
            _limits.pop(thread_id, None)


def _async_raise(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc) if exc is not None else None)
