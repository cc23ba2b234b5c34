"""grader.harness.hypothesis_notes: the smallest failing input, as a student reads it."""

from __future__ import annotations

from grader.harness.hypothesis_notes import falsifying_example


def failure(note: str) -> Exception:
    exc = AssertionError("failed")
    exc.add_note(note)
    return exc


NOTE = """Falsifying example: test_forward_matches_reference(
    student=<grader.harness.student.Student object at 0x7f>,
    reference=<module '_reference_tp_nn' from '/work/main/assignments/tp_nn/reference/tp_nn.py'>,
    case=(Sizes(n=1, nx=1, nh=1, ny=2), {'Wh': tensor([[0.]])}),  # or any other generated value
    eta=0.5,
)"""


def test_the_input_is_shown_without_fixtures_or_hypothesis_remarks():
    [message] = falsifying_example(failure(NOTE), {"student", "reference"})
    example = message.params["example"]
    assert example == "case=(Sizes(n=1, nx=1, nh=1, ny=2), {'Wh': tensor([[0.]])}) eta=0.5"
    assert "/work/main" not in example and "generated value" not in example


def test_a_hash_inside_a_value_is_kept():
    note = "Falsifying example: test_x(\n    label='a  # b',\n)"
    [message] = falsifying_example(failure(note))
    assert message.params["example"] == "label='a  # b'"


def test_no_note_no_input():
    assert falsifying_example(AssertionError("x")) == []
    assert falsifying_example(failure("Falsifying example: test_x(\n    student=<s>,\n)"), {"student"}) == []


def test_the_profile_shrinks_failures_but_does_not_explain_them():
    """The explain phase re-runs a failing test many times for remarks no report shows: the grading
    profile leaves it out, and still shrinks to the smallest failing input."""
    from hypothesis import Phase, given, settings, strategies as st

    from grader.harness.hypothesis_notes import hypothesis_profile

    previous = settings.default
    try:
        hypothesis_profile(20)
        assert Phase.explain not in settings.default.phases and Phase.shrink in settings.default.phases

        # Defined under the profile, as the runner imports test modules: Hypothesis reads the
        # default settings when it decorates a test.
        @given(st.integers(0, 10_000), st.integers(0, 10_000))
        def test_x(x, y):
            assert x < 10

        try:
            test_x()
        except AssertionError as exc:
            notes = "\n".join(getattr(exc, "__notes__", []))
        else:
            raise AssertionError("the failing test passed")
    finally:
        settings.register_profile("restored", previous)
        settings.load_profile("restored")
    assert "x=10" in notes and "y=0" in notes, notes
    assert "generated value" not in notes and "varied together" not in notes, notes
