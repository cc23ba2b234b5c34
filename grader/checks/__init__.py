"""Checks: compare and diagnose (why a value is wrong), gradients, standard expectations, static
checks, parameters found by shape, and the outcomes they raise. Authors import them from
`grader.api`; the modules here are the engine's.
"""

import grader.catalogue  # noqa: F401  (registers the messages)
