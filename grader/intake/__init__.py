"""Intake: from what a student hands in to a folder of importable modules, or a clear reason why not.

    sources, messages = discover(Path("moodle.zip"), workdir)       # who handed in what
    prepared = prepare(sources[0], assignment, dest)                # dest/tp_nn.py, … + .intake.json
    prepared.fatal          # manifest file -> why it cannot be graded
    prepared.notes          # feedback: file chosen, top-level code skipped, stand-ins…
    prepared.origin_of_line("tp_nn.py", 42)   # -> Origin("TP3.ipynb", line=3, cell=14)

One concern per module: discover.py and archives.py (finding students, safe extraction),
sources.py and notebooks.py (reading .py / .ipynb), resolve.py (which file), strip.py (which
top-level statements), choose.py (which definition), imports.py, course_helpers.py and standin.py
(what cannot be imported), build.py (assembling a module with its line map), diagnose.py (syntax
and Python 2 messages), prepare.py (putting it together), messages.py (feedback catalogue).
"""

from grader.intake import messages as _messages  # noqa: F401  (registers the message keys)
from grader.intake.discover import discover
from grader.intake.model import Origin, PreparedSubmission, SubmissionSource
from grader.intake.prepare import prepare

__all__ = ["SubmissionSource", "Origin", "PreparedSubmission", "discover", "prepare"]
