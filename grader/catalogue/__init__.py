"""The engine's message catalogue, in French and English: every standard sentence a student or an
instructor reads. `grader.messages` loads it wherever a message is made or rendered.

    checks.py   comparisons, diagnoses, gradients, standard expectations, parameters
    intake.py   what intake says about a submission (files chosen, stubs, Python 2, notebooks...)
"""

from grader.catalogue import checks, intake  # noqa: F401  (register their entries)
