"""The vocabulary assignment tests are written in: compare, diagnose, fail, give partial credit.

    from grader.checks import expect_close, expect_shape, fail, text, PartialCredit
"""

from grader.checks import check_messages as _check_messages  # noqa: F401  (registers messages)
from grader.checks import gradients
from grader.checks.compare import (Mismatch, compare, expect_close, expect_equal, expect_shape,
                                   expect_unchanged, format_value)
from grader.checks.gradients import expect_gradient_close, gradient_error, numerical_gradient
from grader.checks.outcomes import CheckFailed, PartialCredit, fail
from grader.messages import msg, text

__all__ = [
    "CheckFailed", "Mismatch", "PartialCredit", "compare", "expect_close", "expect_equal",
    "expect_gradient_close", "expect_shape", "expect_unchanged", "fail", "format_value",
    "gradient_error", "gradients", "msg", "numerical_gradient", "text",
]
