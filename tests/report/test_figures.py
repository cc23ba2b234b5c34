"""The author API's `figure`: the data a test records is checked and bounded before it reaches a
report, and it travels like notes (test outcome -> question score -> wire -> JSON)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from grader.checks import figures
from grader.checks.figures import CURRENT_FIGURES, FigureDataError, figure, make_figure
from grader.messages import msg, text
from grader.outcomes import Figure, TestOutcome
from grader.report.model import StudentReport
from grader.scoring import MAX_FIGURES, QuestionScore, score_question

TITLE = text("Loss during training", "Coût pendant l'apprentissage")


def _json_safe(value) -> None:
    """No NaN or inf anywhere: the report is strict JSON."""
    json.dumps(value, allow_nan=False)


# -- curves ---------------------------------------------------------------------------------------

def test_a_curve_from_a_tensor_with_nan_keeps_a_gap_not_a_nan():
    fig = make_figure("curve", TITLE, series={"loss": torch.tensor([1.0, float("nan"), 0.5, float("inf")],
                                                                   requires_grad=True)})
    data = fig.render("en")
    assert data["series"][0]["y"] == [1.0, None, 0.5, None]
    _json_safe(data)


def test_a_long_curve_is_subsampled_to_the_cap_keeping_both_ends():
    ys = np.arange(5000, dtype=float)
    series = make_figure("curve", TITLE, series=[("loss", ys)]).data["series"][0]
    assert len(series["y"]) == figures.MAX_POINTS
    assert series["y"][0] == 0.0 and series["y"][-1] == 4999.0
    assert series["x"] == series["y"]   # the positions of the points kept, not 0..499


def test_a_curve_with_its_own_x_values():
    series = make_figure("curve", TITLE, series=[("test", [1, 5, 10], [0.3, 0.2, 0.1])]).data["series"][0]
    assert series["x"] == [1.0, 5.0, 10.0] and series["y"] == [0.3, 0.2, 0.1]


@pytest.mark.parametrize("series", [
    {"loss": [[1.0, 2.0], [3.0, 4.0]]},             # two-dimensional
    {"loss": ["0.5", "0.4"]},                         # strings, not numbers
    {"loss": [float("nan"), float("inf")]},           # nothing finite to draw
    {"loss": []},                                     # nothing at all
    {str(i): [1.0] for i in range(figures.MAX_SERIES + 1)},   # too many series
    [("test", [1, 2], [0.3, 0.2, 0.1])],              # x and y of different lengths
    {"loss": np.zeros(figures.MAX_VALUES + 1)},       # far too much data to read
])
def test_a_curve_that_makes_no_picture_is_refused(series):
    with pytest.raises(FigureDataError):
        make_figure("curve", TITLE, series=series)


def test_objects_that_are_not_plain_data_are_refused_without_being_called():
    class Remote:   # what a remote handle from the jail would be: anything but numbers and arrays
        def tolist(self):
            raise AssertionError("figure called into the object")

        def __iter__(self):
            raise AssertionError("figure iterated the object")

    with pytest.raises(FigureDataError):
        make_figure("curve", TITLE, series={"loss": Remote()})
    with pytest.raises(FigureDataError):
        make_figure("curve", TITLE, series={"loss": [0.1, Remote()]})


# -- regions and images ---------------------------------------------------------------------------

def test_regions_from_tensors():
    fig = make_figure("regions", TITLE, grid=torch.randint(0, 3, (48, 48)), extent=(-1.5, 1.5, -1, 1),
                      points=np.array([[0.0, 0.1], [np.nan, 0.0], [1.0, 1.0]]), classes=[0, 1, 2])
    assert len(fig.data["grid"]) == 48 and all(len(row) == 48 for row in fig.data["grid"])
    assert fig.data["points"] == [[0.0, 0.1], [1.0, 1.0]] and fig.data["classes"] == [0, 2]  # the NaN point dropped
    _json_safe(fig.render("fr"))


@pytest.mark.parametrize("change", [
    {"grid": np.zeros((figures.MAX_GRID + 1, 8), dtype=int)},      # too large
    {"grid": np.zeros(16, dtype=int)},                             # one-dimensional
    {"grid": [[0, 1], [1]]},                                       # ragged
    {"grid": np.full((4, 4), 0.5)},                                # not class indices
    {"grid": np.full((4, 4), figures.MAX_CLASSES)},                # a class out of range
    {"grid": np.full((4, 4), np.nan)},
    {"extent": (1, -1, 0, 1)},                                     # min > max
    {"extent": (0, 1, 0)},
    {"points": np.zeros((3, 3))},                                  # not (n, 2)
    {"points": np.zeros((3, 2)), "classes": [0, 1]},               # one class missing
])
def test_regions_that_make_no_picture_are_refused(change):
    data = {"grid": np.zeros((4, 4), dtype=int), "extent": (0, 1, 0, 1), **change}
    with pytest.raises(FigureDataError):
        make_figure("regions", TITLE, **data)


def test_images_are_capped_at_sixteen_with_the_rows_aligned():
    rows = [("input", np.random.rand(20, 8, 8)), (text("output", "sortie"), np.random.rand(20, 8, 8))]
    fig = make_figure("images", TITLE, rows=rows, value_range=(0, 1))
    counts = [len(r["images"]) for r in fig.data["rows"]]
    assert counts == [figures.MAX_IMAGES // 2] * 2
    assert fig.render("fr")["rows"][1]["label"] == "sortie"


@pytest.mark.parametrize("rows", [
    [("x", np.zeros((2, figures.MAX_IMAGE_SIDE + 1, 4)))],         # an image too large
    [("x", np.zeros((2, 8)))],                                      # rows of pixels, not images
    [("x", np.full((2, 4, 4), np.nan))],                            # NaN pixels
    [("x", [])],
    [(str(i), np.zeros((1, 2, 2))) for i in range(figures.MAX_IMAGE_ROWS + 1)],
])
def test_images_that_make_no_picture_are_refused(rows):
    with pytest.raises(FigureDataError):
        make_figure("images", TITLE, rows=rows)


def test_a_wrong_call_is_the_authors_bug_and_raises():
    with pytest.raises(TypeError):
        make_figure("pie", TITLE, series={"a": [1]})
    with pytest.raises(TypeError):
        make_figure("curve", "a plain title", series={"a": [1]})      # titles are Messages
    with pytest.raises(TypeError):
        make_figure("curve", TITLE, series={"a": [1]}, colour="red")  # no such keyword


# -- recording: per test, bounded, never a failure ------------------------------------------------

def test_figure_records_in_the_running_test_and_refuses_quietly():
    recorded: list = []
    token = CURRENT_FIGURES.set(recorded)
    try:
        assert figure("curve", TITLE, series={"loss": [1.0, 0.5]}) is True
        assert figure("curve", TITLE, series={"loss": "not numbers"}) is False   # no exception
        for _ in range(figures.MAX_PER_TEST + 2):
            figure("curve", TITLE, series={"loss": [1.0]})
    finally:
        CURRENT_FIGURES.reset(token)
    assert len(recorded) == figures.MAX_PER_TEST
    assert figure("curve", TITLE, series={"loss": [1.0]}) is False           # outside a test: nowhere to go


def test_figures_travel_from_the_outcome_to_the_report_json():
    fig = make_figure("curve", TITLE, series=[(text("train", "apprentissage"), [1.0, 0.5])],
                      x_label=text("epoch", "époque"))
    outcome = TestOutcome("t::a", "q", 1.0, 0.0, [msg("all_passed")], figures=[fig])
    again = TestOutcome.from_json(json.loads(json.dumps(outcome.to_json())))
    assert again.figures == [fig]

    from grader.assignment import Question
    question = Question(id="q", title="Q", points=2.0, file="f.py")
    score = score_question(question, [again, TestOutcome("t::b", "q", 1.0, 1.0, figures=[fig] * MAX_FIGURES)])
    assert len(score.figures) == MAX_FIGURES and score.figures[0] == fig
    assert QuestionScore.from_json(json.loads(json.dumps(score.to_json()))).figures == score.figures

    report = StudentReport("s", "a", {"q": score})
    wired = StudentReport.from_wire(json.loads(json.dumps(report.to_wire())))
    rendered = wired.to_json("fr")["questions"]["q"]["figures"][0]
    assert rendered["title"] == "Coût pendant l'apprentissage" and rendered["x_label"] == "époque"
    assert rendered["series"][0] == {"label": "apprentissage", "y": [1.0, 0.5]}
    assert StudentReport("s", "a", {"q": score}).to_json("en")["questions"]["q"]["figures"][0]["title"] \
        == "Loss during training"


def test_a_skipped_question_shows_no_figure():
    from grader.assignment import Question

    fig = make_figure("curve", TITLE, series={"loss": [1.0]})
    question = Question(id="q", title="Q", points=2.0, file="f.py")
    skipped = TestOutcome("t::a", "q", 1.0, 0.0, [msg("all_passed")], skipped=True, figures=[fig])
    assert score_question(question, [skipped]).figures == []


def test_rendered_titles_and_labels_are_cut():
    long = "x" * 1000
    data = make_figure("curve", text(long), series=[(long, [1.0])]).render("en")
    assert len(data["title"]) <= 200 and len(data["series"][0]["label"]) <= 80
    assert math.isfinite(data["series"][0]["y"][0])


def test_figure_is_in_the_author_api():
    import grader.api

    assert grader.api.figure is figure and isinstance(make_figure("curve", TITLE, series={"a": [1]}), Figure)
