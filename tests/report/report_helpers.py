"""A small class of synthetic reports for the HTML report's tests: a hostile name, feedback quoting
markup, the three kinds of figures, a question not graded, ids that need escaping in file names."""

from __future__ import annotations

import base64
import re
import struct
from pathlib import Path

import numpy as np

from grader.checks.figures import make_figure
from grader.ids import report_stem
from grader.messages import msg, text
from grader.report.model import StudentReport, write_json
from grader.scoring import QuestionScore

HOSTILE_NAME = '<script>console.error("not escaped")</script>'
DIM0 = text("forward: softmax over dim 0 (the batch) instead of dim 1", "forward : softmax sur la dimension 0")
OTHER = text("forward: tanh missing", "forward : tanh absente")
CURVE = make_figure("curve", text("Training", "Apprentissage"), series={"loss": [1.0, float("nan"), 0.3]},
                    x_label=text("epoch", "époque"))
REGIONS = make_figure("regions", text("Regions", "Régions"), grid=np.eye(8, dtype=int), extent=(-1, 1, -1, 1),
                      points=np.zeros((3, 2)), classes=[0, 1, 1])
IMAGES = make_figure("images", text("Reconstructions", "Reconstructions"),
                     rows=[("in", np.random.default_rng(0).random((4, 8, 8))),
                           ("out", np.random.default_rng(1).random((4, 8, 8)))])


def report(student: str, forward: float, feedback: list, figures=(), name: str | None = None,
           skipped: bool = False) -> StudentReport:
    return StudentReport(student, "tp_nn", {
        "forward": QuestionScore("forward", "forward(params, X)", forward, 4.0, False, list(feedback),
                                 1, 2, figures=list(figures)),
        "mnist": QuestionScore("mnist", "MNIST", 0.0 if skipped else 2.0, 2.0, False, [msg("all_passed")], 1, 1,
                               skipped=skipped),
    }, student_name=name)


def write_class(tmp_path: Path, lang: str = "en") -> tuple[Path, list[str]]:
    reports = [
        report("alice", 4.0, [msg("all_passed"), DIM0], [CURVE, REGIONS, IMAGES], name=HOSTILE_NAME),  # full marks
        report("bob", 1.0, [DIM0, msg("falsifying_example", example="X=tensor(...)")], [CURVE]),
        report("carol", 0.0, [DIM0, OTHER]),
        report("dan", 2.0, [DIM0], skipped=True),         # mnist not graded here
        report("eve/../x", 0.0, [OTHER, msg("test_failed", test="t", reason='<img src=x onerror="alert(1)">')]),
        report("index", 4.0, [msg("all_passed")]),
    ]
    for made in reports:
        write_json(tmp_path / f"{report_stem(made.student)}.json", made.to_json(lang))
    return tmp_path, [report_stem(r.student) for r in reports]


def pngs(page: str) -> list[tuple[int, int]]:
    """(width, height) of every embedded PNG, read from its header."""
    sizes = []
    for data in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        sizes.append(struct.unpack(">II", png[16:24]))
    return sizes
