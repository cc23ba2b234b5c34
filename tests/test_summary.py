"""grader.summary: a question's feedback reads well — a one-line verdict, each cause once (grouped
by message key and parameters, not by text), diagnoses before generic statements, the smallest
failing input once, a cap on the lines — and reports render it in one language."""

from __future__ import annotations

from pathlib import Path

from grader import assignment as assignment_model
from grader.messages import LINE_CHARS, msg, text
from grader.outcomes import TestOutcome
from grader.report import markdown
from grader.report.model import StudentReport
from grader.scoring import score_question
from grader.summary import MAX_CAUSES, summarize

TP_NN = Path(__file__).resolve().parents[1] / "assignments" / "tp_nn"

FIXED = text("forward on a small example computed by hand", "forward sur un petit exemple calculé à la main")
REFERENCE = text("Yhat matches the reference", "Yhat égal à celui de la référence")
OUTPUTS = text("outputs holds X, htilde, h, ytilde, yhat", "outputs contient X, htilde, h, ytilde, yhat")
SHAPES = text("forward returns (Yhat, outputs)", "forward renvoie (Yhat, outputs)")


def failed(nodeid, title, *reasons, example=None, fraction=0.0):
    messages = [msg("test_failed", test=title, reason=r) for r in reasons]
    if example is not None:
        messages.append(msg("falsifying_example", example=example))
    return TestOutcome(nodeid, "forward", 1.0, fraction, messages)


def passed(nodeid, *notes):
    return TestOutcome(nodeid, "forward", 1.0, 1.0, list(notes))


def wrong(name, count=4, total=4):
    return msg("values_wrong", name=name, count=count, total=total, rtol=1e-4, atol=1e-5)


def largest(err=0.182):
    return msg("largest_error", err=err, where="[0, 0]", expected="0.757", actual="0.939")


def abridged():
    return [msg("expected_value", value="tensor([0.757])"), msg("actual_value", value="tensor([0.939])")]


def carol():
    """What a softmax over dim 0 gets from the forward tests (as the harness records it)."""
    return [
        passed("t0"),
        failed("t1", SHAPES, wrong("the sum of each row of Yhat", 6, 6), largest(0.892), *abridged()),
        failed("t2", FIXED, wrong("Yhat"), msg("softmax_wrong_dim", name="Yhat"), largest(), *abridged()),
        failed("t3", REFERENCE, wrong("Yhat", 2, 2), msg("softmax_wrong_dim", name="Yhat"), largest(0.5),
               *abridged(), example="case=(Sizes(n=1, nx=1, nh=1, ny=2), tensor([[0.]]))"),
        failed("t4", OUTPUTS, wrong("outputs['yhat']", 2, 2), msg("softmax_wrong_dim", name="Yhat"),
               largest(0.5), *abridged(), example="case=(Sizes(n=3, nx=2, nh=4, ny=3), tensor([[0., 1.], [2., 3.]]))"),
    ]


def rendered(lines, lang):
    return [m.render(lang) for m in lines]


def test_the_verdict_says_how_many_tests_passed_and_the_first_cause():
    summary = summarize(carol(), all_passed=False)
    assert summary.verdict.render("fr") == "1 test sur 5 réussi — Yhat : softmax calculé sur la mauvaise dimension"
    assert summary.verdict.render("en") == "1 of 5 tests passed — Yhat: softmax taken over the wrong dimension"
    assert "\n" not in summary.verdict.render("fr")


def test_the_same_diagnosis_from_several_tests_is_said_once():
    lines = rendered(summarize(carol(), all_passed=False).lines, "fr")
    softmax = [line for line in lines if "softmax calculé sur la mauvaise dimension" in line]
    assert len(softmax) == 1 and softmax[0].endswith("(3 tests)")
    # said by every failing test, a cause needs no count: the verdict counts the tests
    every = [failed(f"t{i}", FIXED, msg("stub_function", function="forward")) for i in range(3)]
    assert rendered(summarize(every, all_passed=False).lines, "en")[0] == \
        "forward is still the starter's template (not implemented)"


def test_grouping_is_by_key_and_parameters_not_by_text():
    # the same French text from two different messages: two causes; one message twice: one cause
    same_french = [failed("a", FIXED, text("the loss", "la loss")), failed("b", REFERENCE, text("the cost", "la loss")),
                   failed("c", OUTPUTS, text("the loss", "la loss")), passed("d")]
    lines = summarize(same_french, all_passed=False).lines
    causes = [m for m in lines if m.key in ("text", "cause_in_tests")]
    assert len(causes) == 2
    assert causes[0].render("fr") == "la loss (2 tests)" and causes[1].render("fr") == "la loss"


def test_diagnoses_come_before_the_generic_statements():
    lines = rendered(summarize(carol(), all_passed=False).lines, "fr")
    first_generic = next(i for i, line in enumerate(lines) if "est faux pour" in line)
    assert "softmax" in lines[0] and first_generic > 0
    # a test that no diagnosis explained comes before those a diagnosis already did
    assert lines[first_generic].startswith("the sum of each row of Yhat est faux pour 6 des 6")


def test_a_statement_carries_its_largest_error_once_and_not_the_abridged_values():
    lines = rendered(summarize(carol(), all_passed=False).lines, "fr")
    statement = next(line for line in lines if line.startswith("Yhat est faux pour 4 des 4"))
    assert "; plus grande erreur 0.182" in statement.replace(" ;", ";")
    assert not any(line.startswith(("attendu :", "obtenu :")) for line in lines)
    # without a largest error (a shape mismatch), both values abridged are what there is
    shape = [failed("s", FIXED, msg("value_shape", name="Yhat", actual="(2, 3)", expected="(3, 2)"), *abridged())]
    line = rendered(summarize(shape, all_passed=False).lines, "fr")[0]
    assert "attendu : tensor([0.757])" in line and "obtenu : tensor([0.939])" in line


def test_the_smallest_failing_input_is_shown_once_with_its_test():
    lines = rendered(summarize(carol(), all_passed=False).lines, "fr")
    inputs = [line for line in lines if "plus petite entrée en échec" in line]
    assert inputs == ["plus petite entrée en échec trouvée (test « Yhat égal à celui de la référence ») : "
                      "case=(Sizes(n=1, nx=1, nh=1, ny=2), tensor([[0.]]))"]


def test_the_failing_tests_are_named_in_the_reports_language():
    summary = summarize(carol(), all_passed=False)
    french = " ".join(rendered(summary.lines, "fr"))
    english = " ".join(rendered(summary.lines, "en"))
    assert "tests en échec : « forward renvoie (Yhat, outputs) », « forward sur un petit exemple" in french
    assert "forward on a small example" not in french and "Yhat matches the reference" not in french
    assert "tests failed: “forward returns (Yhat, outputs)”, “forward on a small example computed by hand”" in english
    assert "petit exemple" not in english


def test_the_causes_are_capped_and_the_rest_counted():
    many = [failed(f"t{i}", FIXED, text(f"cause {i}", f"cause {i}")) for i in range(MAX_CAUSES + 4)]
    lines = rendered(summarize(many, all_passed=False).lines, "fr")
    causes = [line for line in lines if line.startswith("cause ")]
    assert len(causes) == MAX_CAUSES and "… et 4 autres remarques" in lines
    # one more than the cap is shown: a line hidden behind a line saying so would save nothing
    one_more = [failed(f"t{i}", FIXED, text(f"cause {i}", f"cause {i}")) for i in range(MAX_CAUSES + 1)]
    lines = rendered(summarize(one_more, all_passed=False).lines, "fr")
    assert len([line for line in lines if line.startswith("cause ")]) == MAX_CAUSES + 1
    assert not any("autres remarques" in line for line in lines)


def test_a_passing_question_says_so_first_and_keeps_its_notes():
    note = text("train sums the loss over the batch", "train somme la perte sur le batch")
    summary = summarize([passed("a", note), passed("b", note)], all_passed=True)
    assert summary.verdict.key == "all_passed" and rendered(summary.lines, "fr") == ["train somme la perte sur le batch"]


def test_partial_credit_and_a_single_test_read_well():
    partial = [passed("a"), failed("b", FIXED, msg("partial_credit", percent=50.0, reason=text("summed", "sommée")),
                                   fraction=0.5)]
    assert summarize(partial, all_passed=False).verdict.render("fr").startswith(
        "1 test sur 2 réussi, 1 avec crédit partiel — crédit partiel (50 %)")
    single = summarize([failed("a", FIXED, text("accuracy 48 %", "précision 48 %"))], all_passed=False)
    assert single.verdict.render("en") == "the question's only test failed — accuracy 48 %"


def _report(results, lang):
    question = assignment_model.load(TP_NN).questions["train_circles"]
    score = score_question(question, results)
    report = StudentReport("carol", "tp_nn", {"train_circles": score})
    return score, report.to_json(lang), markdown.render(report, lang)


def test_reports_show_the_verdict_first_and_cap_each_line():
    long = "x" * (LINE_CHARS + 50)
    results = [failed("a", FIXED, text(f"the loss {long}", f"la loss {long}"))]
    score, data, page = _report(results, "fr")
    question = data["questions"]["train_circles"]
    assert question["feedback"][0] == question["verdict"] == score.verdict.render("fr", LINE_CHARS)
    assert all(len(line) <= LINE_CHARS for line in question["feedback"])
    assert question["feedback"][1].endswith("…")
    section = page.split("## Apprentissage sur Circles (boucle mini-batch) — 0 / 4", 1)[1]
    assert section.lstrip().startswith("**l'unique test de la question a échoué — la loss xxx")


def test_question_titles_follow_the_reports_language():
    results = [passed("a")]
    _, french, page_fr = _report(results, "fr")
    _, english, page_en = _report(results, "en")
    assert french["questions"]["train_circles"]["title"] == "Apprentissage sur Circles (boucle mini-batch)"
    assert english["questions"]["train_circles"]["title"] == "Training on Circles (mini-batch loop)"
    assert "## Training on Circles (mini-batch loop) — 4 / 4" in page_en and "Apprentissage" not in page_en


def test_a_question_score_keeps_its_verdict_and_english_title_through_the_wire():
    score, _, _ = _report(carol(), "fr")
    again = type(score).from_json(score.to_json())
    assert again == score and again.verdict is not None and again.title_en
