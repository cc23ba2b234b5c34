"""Running an assignment's tests on one prepared submission, in the trusted scorer process.

    runner.py            pytest set-up: which tests, which options; returns a RunResult
    fixtures.py          the pytest plugin: fixtures (`student`, `reference`, `per_student`...),
                         markers, one TestOutcome per test
    student.py           the `student` fixture's object: the question's code in the jail
    feedback.py          the policy: an exception that ended a test -> feedback, and whose fault
    hypothesis_notes.py  Hypothesis settings for grading, and the smallest failing input it found
    selection.py         which tests grade which question, read from the files (`check` of one question)
    shards.py            several scorers on one submission: a question each, one time budget
"""
