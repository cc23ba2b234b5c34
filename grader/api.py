"""What an assignment's tests are written with: the author API, and nothing else.

    from grader.api import expect_close, find_parameters, partial, text

Fixtures (`student`, `reference`, `session`, `per_student`, `params`, `data_path`, `source`,
`question`) and markers (`question`, `weight`, `incidental`, `self_check`) come from the pytest
plugin; the README lists them all.
"""

import grader.catalogue  # noqa: F401  (registers the messages)
from grader.checks.compare import expect_close, expect_equal, expect_shape, expect_unchanged
from grader.checks.expect import expect_keys, expect_tuple, expect_type
from grader.checks.figures import figure
from grader.checks.gradients import expect_gradient_close, numerical_gradient
from grader.checks.outcomes import CheckFailed, PartialCredit, fail, note, partial, skip_question
from grader.checks.parameters import find_parameters, set_parameters
from grader.checks.static import expect_no_python_loop
from grader.errors import StudentError
from grader.messages import msg, text

__all__ = [
    "CheckFailed", "PartialCredit", "StudentError",
    "expect_close", "expect_equal", "expect_gradient_close", "expect_keys", "expect_no_python_loop",
    "expect_shape", "expect_tuple", "expect_type", "expect_unchanged",
    "fail", "figure", "find_parameters", "msg", "note", "numerical_gradient", "partial", "set_parameters",
    "skip_question", "text",
]
