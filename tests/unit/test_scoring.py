"""Scoring responses to every graded question type, with documented GIFT examples."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.assessment.scoring import Score, parse_number, score_response
from lms.content.gift import Choice, MatchPair, NumericAnswer, Question, parse_gift


def q_of(text):
    (question,) = parse_gift(text)
    return question


# Examples from Moodle's GIFT format documentation (docs.moodle.org/en/GIFT_format).
GRANT_CHOICE = q_of("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}")
GRANT_MULTI = q_of(
    "What two people are entombed in Grant's tomb? {\n"
    "   ~%-100%No one\n   ~%50%Grant\n   ~%50%Grant's wife\n   ~%-100%Grant's father\n}"
)
GRANT_SHORT = q_of("Who's buried in Grant's tomb?{=no one#excellent answer! =nobody#excellent answer too!}")
GRANT_TF = q_of("Grant is buried in Grant's tomb.{FALSE#No one is buried in Grant's tomb.}")
GRANT_BORN = q_of("When was Ulysses S. Grant born?{#1822:5}")
GRANT_BORN_PARTIAL = q_of(
    "When was Ulysses S. Grant born? {#\n    =1822:0      # Correct! Full credit.\n"
    "    =%50%1822:2  # He was born in 1822. Half credit for being close.\n}"
)
PI_RANGE = q_of("What is the value of pi (to 3 decimal places)? {#3.141..3.142}.")
CAPITALS = q_of(
    "Match the following countries with their corresponding capitals. {\n"
    "    =Canada -> Ottawa\n    =Italy  -> Rome\n    =Japan  -> Tokyo\n    =India  -> New Delhi\n    }"
)
MISSING_WORD = q_of("Grant is {~buried =entombed ~living} in Grant's tomb.")
FEEDBACK_CHOICE = q_of(
    "What's the answer to this multiple-choice question? {\n~wrong answer#feedback comment on the wrong answer\n"
    "~another wrong answer#feedback comment on this wrong answer\n=right answer#Very good!}"
)


def test_single_choice_right_answer_scores_full():
    assert score_response(GRANT_CHOICE, 2) == Score(1.0, (), True)


def test_single_choice_wrong_answer_scores_zero_with_its_feedback():
    assert score_response(FEEDBACK_CHOICE, 0) == Score(0.0, ("feedback comment on the wrong answer",), False)
    assert score_response(FEEDBACK_CHOICE, 2).feedback == ("Very good!",)


def test_missing_word_scores_like_its_kind():
    assert score_response(MISSING_WORD, 1).correct
    assert score_response(MISSING_WORD, 0).fraction == 0.0


@pytest.mark.parametrize("response", [None, -1, 3, "2", 2.0, True, [2], {2}])
def test_single_choice_wrong_type_or_out_of_range_scores_zero(response):
    assert score_response(GRANT_CHOICE, response) == Score(0.0, (), False)


def test_multiple_answers_sum_their_weights():
    assert score_response(GRANT_MULTI, {1, 2}).correct
    assert score_response(GRANT_MULTI, frozenset({1})).fraction == 0.5


def test_multiple_answers_floor_at_zero():
    assert score_response(GRANT_MULTI, {0, 1}).fraction == 0.0
    assert score_response(GRANT_MULTI, {0, 1, 2, 3}).fraction == 0.0


def test_multiple_answers_cap_at_one():
    q = Question("", "multiple", "Pick.", choices=(Choice("a", 0.75), Choice("b", 0.75)))
    assert score_response(q, {0, 1}) == Score(1.0, (), True)


def test_three_thirds_count_as_full_marks():
    q = q_of("Pick the primes. {~%33.33333%2 ~%33.33333%3 ~%33.33333%5 ~%-100%4}")
    assert score_response(q, {0, 1, 2}).correct


@pytest.mark.parametrize("response", [None, 1, "12", {9}, {-1}, {True}, [[1]], {1: 1}])
def test_multiple_answers_wrong_type_or_out_of_range_scores_zero(response):
    assert score_response(GRANT_MULTI, response).fraction == 0.0


def test_multiple_answers_feedback_is_for_chosen_answers_only():
    q = Question("", "multiple", "Pick.", choices=(Choice("a", 0.5, "A!"), Choice("b", 0.5, "B!"), Choice("c", 0, "C!")))
    assert score_response(q, [1, 0]).feedback == ("A!", "B!")


def test_true_false():
    assert score_response(GRANT_TF, False) == Score(1.0, (), True)
    assert score_response(GRANT_TF, True) == Score(0.0, ("No one is buried in Grant's tomb.",), False)
    assert score_response(GRANT_TF, None).fraction == 0.0
    assert score_response(GRANT_TF, "false").fraction == 0.0


@pytest.mark.parametrize("typed", ["no one", "No One", "  NO   one ", "nobody", "Nobody\n"])
def test_short_answer_ignores_case_and_spacing(typed):
    assert score_response(GRANT_SHORT, typed).correct


def test_short_answer_ignores_vietnamese_diacritics():
    q = q_of("Sản phẩm cần gì? {=bao bì đẹp}")
    assert score_response(q, "Bao Bi Dep").correct
    assert score_response(q, "BAO BÌ ĐẸP").correct


def test_short_answer_gives_feedback_of_the_matched_answer():
    assert score_response(GRANT_SHORT, "Nobody").feedback == ("excellent answer too!",)


def test_short_answer_takes_the_best_matching_weight():
    q = Question("", "short", "Colour?", choices=(Choice("red", 0.5, "half"), Choice("RED", 1.0, "full")))
    assert score_response(q, "red") == Score(1.0, ("full",), True)


@pytest.mark.parametrize("typed", ["", "   ", "grant", None, 3])
def test_short_answer_wrong_or_empty_scores_zero(typed):
    assert score_response(GRANT_SHORT, typed).fraction == 0.0


@pytest.mark.parametrize("typed", ["1822", "1817", "1827", "1822.0", "1824,5", " 1 822 "])
def test_numerical_tolerance_is_inclusive(typed):
    assert score_response(GRANT_BORN, typed).correct


@pytest.mark.parametrize("typed", ["1816.99", "1827,01", "eighteen", "", "1822 years", None, "nan", "inf"])
def test_numerical_outside_or_malformed_scores_zero(typed):
    assert score_response(GRANT_BORN, typed).fraction == 0.0


def test_numerical_range_is_inclusive_and_accepts_a_decimal_comma():
    assert score_response(PI_RANGE, "3,141").correct
    assert score_response(PI_RANGE, "3.142").correct
    assert score_response(PI_RANGE, "3.1415").correct
    assert not score_response(PI_RANGE, "3.14").correct


def test_numerical_takes_the_best_matching_answer():
    assert score_response(GRANT_BORN_PARTIAL, "1822") == Score(1.0, ("Correct! Full credit.",), True)
    close = score_response(GRANT_BORN_PARTIAL, "1821")
    assert close.fraction == 0.5
    assert close.feedback == ("He was born in 1822. Half credit for being close.",)


@pytest.mark.parametrize(
    ("typed", "value"),
    [("3,14", 3.14), ("3.14", 3.14), (" 1 000 ", 1000.0), ("1.000,5", 1000.5), ("1,000.5", 1000.5),
     ("1\u00a0000", 1000.0), ("-2", -2.0), ("\u22122,5", -2.5), ("1e3", 1000.0), ("1.000.000", 1e6)],
)
def test_numbers_are_read_as_learners_type_them(typed, value):
    assert parse_number(typed) == pytest.approx(value)


@pytest.mark.parametrize("typed", ["", "abc", "1..2", "--1", "1.00.0", "12,34,5", "1,2,3.4.5", "nan", "infinity", "1e999", True, None])
def test_malformed_numbers_are_none(typed):
    assert parse_number(typed) is None


def test_matching_gives_the_share_of_right_pairs():
    all_right = {0: "Ottawa", 1: "Rome", 2: "Tokyo", 3: "New Delhi"}
    assert score_response(CAPITALS, all_right) == Score(1.0, (), True)
    assert score_response(CAPITALS, {0: "Ottawa", 1: "Tokyo", 2: "Rome"}).fraction == 0.25
    assert score_response(CAPITALS, {}).fraction == 0.0


@pytest.mark.parametrize("response", [None, "Ottawa", ["Ottawa"], {"0": "Ottawa"}])
def test_matching_wrong_type_scores_zero(response):
    assert score_response(CAPITALS, response).fraction == 0.0


@pytest.mark.parametrize("text", ["Write about your shop. {}", "Read this first."])
def test_essay_and_description_are_not_graded(text):
    with pytest.raises(ValueError):
        score_response(q_of(text), "anything")


# --- Properties --------------------------------------------------------------------------

WEIGHT = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
CHOICES = st.lists(st.builds(Choice, st.text(max_size=5), WEIGHT, st.text(max_size=3)), min_size=1, max_size=8)
ANY_RESPONSE = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10), st.text(max_size=8), st.floats(),
    st.frozensets(st.integers(-2, 10), max_size=6), st.dictionaries(st.integers(-1, 6), st.text(max_size=4)),
)


@st.composite
def graded_questions(draw):
    kind = draw(st.sampled_from(["single", "multiple", "truefalse", "short", "numerical", "matching"]))
    if kind in ("single", "multiple", "short"):
        return Question("", kind, "Q?", choices=tuple(draw(CHOICES)))
    if kind == "truefalse":
        return Question("", kind, "Q?", truth=draw(st.one_of(st.none(), st.booleans())))
    if kind == "numerical":
        finite = st.floats(-1e6, 1e6)
        answers = st.builds(NumericAnswer.between, finite, finite, WEIGHT)
        return Question("", kind, "Q?", numeric=tuple(draw(st.lists(answers, max_size=4))))
    pairs = st.lists(st.builds(MatchPair, st.text(max_size=3), st.text(max_size=3)), max_size=5)
    return Question("", kind, "Q?", pairs=tuple(draw(pairs)))


@given(graded_questions(), ANY_RESPONSE)
def test_score_is_always_between_zero_and_one(question, response):
    score = score_response(question, response)
    assert 0.0 <= score.fraction <= 1.0
    assert score.correct == (score.fraction == 1.0)


@given(CHOICES, st.data())
def test_order_of_a_multiple_answer_response_does_not_matter(choices, data):
    q = Question("", "multiple", "Pick.", choices=tuple(choices))
    picked = data.draw(st.lists(st.integers(0, len(choices) - 1), unique=True))
    shuffled = data.draw(st.permutations(picked))
    assert score_response(q, list(picked)) == score_response(q, list(shuffled))
    assert score_response(q, frozenset(picked)) == score_response(q, tuple(shuffled))


@given(CHOICES, st.sampled_from(["single", "multiple"]), st.data())
def test_shuffling_choices_and_remapping_the_response_keeps_the_score(choices, kind, data):
    order = data.draw(st.permutations(range(len(choices))))  # new position p holds old choice order[p]
    original = Question("", kind, "Pick.", choices=tuple(choices))
    shuffled = Question("", kind, "Pick.", choices=tuple(choices[i] for i in order))
    new_index = {old: new for new, old in enumerate(order)}
    if kind == "single":
        picked = data.draw(st.integers(0, len(choices) - 1))
        before, after = score_response(original, picked), score_response(shuffled, new_index[picked])
        assert before == after
    else:
        picked = data.draw(st.sets(st.integers(0, len(choices) - 1)))
        before = score_response(original, picked)
        after = score_response(shuffled, {new_index[i] for i in picked})
        assert before.fraction == pytest.approx(after.fraction, abs=1e-12)
        assert sorted(before.feedback) == sorted(after.feedback)
