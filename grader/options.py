"""How one run grades: the options `grade`, `check` and `validate` set, sent whole to scorers."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

from grader.messages import DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Options:
    workers: int = max(1, os.cpu_count() or 1)
    include_hidden: bool = True       # False: the public tests only (`check`)
    max_examples: int = 20            # Hypothesis examples per test
    lang: str = DEFAULT_LANGUAGE
    student_timeout: float | None = None  # whole-submission budget; None: from the manifest
    call_timeout: float | None = None     # per call into student code; None: the manifest's
    seed: int | None = None           # None: deterministic grading; else a robustness run
    data: dict[str, str] = field(default_factory=dict)   # data set name -> path (`--data NAME=PATH`)
    force: bool = False               # regrade even the students whose finished report is up to date
    dask: str | None = None           # grade on a Dask cluster: a scheduler address, or "local"
    class_report: bool = True         # draw OUT/index.html and the students' pages (validate does not)
    # student id -> the only questions graded for that student (`check` of some questions; validate's
    # mutants, on the questions they must lose); a student not in it is graded on every question
    questions: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Options":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def questions_for(self, student_id: str) -> list[str] | None:
        """The only questions graded for `student_id`, or None: every question."""
        chosen = self.questions.get(student_id)
        return sorted(chosen) if chosen is not None else None

    def for_student(self, student_id: str) -> "Options":
        """A robustness run draws other examples per student; a normal run is the same for all."""
        if self.seed is None:
            return self
        import zlib

        return dataclasses.replace(self, seed=self.seed + zlib.crc32(student_id.encode()))
