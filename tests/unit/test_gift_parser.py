"""Parsing Moodle GIFT: documented examples, error reporting and a fuzz test."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.content.gift import (
    Choice,
    GiftError,
    MatchPair,
    NumericAnswer,
    Problem,
    Question,
    check_question,
    parse_gift,
    write_gift,
)


def parse_one(text):
    questions = parse_gift(text)
    assert len(questions) == 1
    return questions[0]


def problems_of(text, filename="quiz.gift"):
    with pytest.raises(GiftError) as caught:
        parse_gift(text, filename)
    return caught.value.problems


# --- Examples from Moodle's GIFT format documentation (docs.moodle.org/en/GIFT_format) ---


def test_multiple_choice_from_moodle_docs_has_one_right_answer():
    # Moodle GIFT documentation, "Multiple choice"
    q = parse_one("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}")
    assert q.kind == "single"
    assert q.text == "Who's buried in Grant's tomb?"
    assert q.text_after is None
    assert q.choices == (Choice("Grant", 0.0), Choice("Jefferson", 0.0), Choice("no one", 1.0))


def test_missing_word_from_moodle_docs_keeps_text_on_both_sides_of_the_blank():
    # Moodle GIFT documentation, "Missing word"
    q = parse_one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert (q.kind, q.text, q.text_after) == ("single", "Grant is", "in Grant's tomb.")
    assert [c.fraction for c in q.choices] == [0.0, 1.0, 0.0]


def test_answers_on_separate_indented_lines_from_moodle_docs_are_one_question():
    # Moodle GIFT documentation, multiple choice written over several lines
    text = (
        "The American holiday of Thanksgiving is celebrated on the {\n"
        "    ~second\n    ~third\n    =fourth\n} Thursday of November.\n\n"
        "Japanese characters originally came from what country? {\n"
        "    ~India\n    =China\n    ~Korea\n    ~Egypt}\n"
    )
    first, second = parse_gift(text)
    assert first.text == "The American holiday of Thanksgiving is celebrated on the"
    assert first.text_after == "Thursday of November."
    assert [c.text for c in first.choices] == ["second", "third", "fourth"]
    assert second.kind == "single" and second.text_after is None
    assert second.choices[1] == Choice("China", 1.0)
    assert second.line == 7


def test_short_answer_from_moodle_docs_accepts_several_answers():
    # Moodle GIFT documentation, "Short answer"
    q = parse_one("Who's buried in Grant's tomb?{=no one =nobody}")
    assert q.kind == "short"
    assert q.choices == (Choice("no one", 1.0), Choice("nobody", 1.0))


def test_short_answer_missing_word_from_moodle_docs_is_kind_short_with_text_after():
    # Moodle GIFT documentation, "Short answer": Two plus two equals {=four =4}.
    q = parse_one("Two plus two equals {=four =4}.")
    assert (q.kind, q.text, q.text_after) == ("short", "Two plus two equals", ".")


@pytest.mark.parametrize(
    ("block", "truth"),
    [("{T}", True), ("{TRUE}", True), ("{F}", False), ("{FALSE}", False)],
)
def test_true_false_accepts_every_documented_spelling(block, truth):
    # Moodle GIFT documentation, "True-false": Grant is buried in Grant's tomb.{F}
    q = parse_one("Grant is buried in Grant's tomb." + block)
    assert (q.kind, q.truth) == ("truefalse", truth)


def test_true_false_feedback_from_moodle_docs_goes_to_the_wrong_answer():
    # Moodle GIFT documentation, "Feedback": {FALSE#No one is buried in Grant's tomb.}
    q = parse_one("Grant is buried in Grant's tomb.{FALSE#No one is buried in Grant's tomb.}")
    assert q.truth is False
    assert q.true_feedback == "No one is buried in Grant's tomb."
    assert q.false_feedback == ""


def test_true_false_with_wrong_and_right_feedback():
    q = parse_one("The sun rises in the east.{T#No, it does.#Yes, it does.}")
    assert (q.truth, q.false_feedback, q.true_feedback) == (True, "No, it does.", "Yes, it does.")


def test_matching_from_moodle_docs_keeps_pairs_in_order():
    # Moodle GIFT documentation, "Matching"
    q = parse_one(
        "Match the following countries with their corresponding capitals. {\n"
        "    =Canada -> Ottawa\n    =Italy  -> Rome\n    =Japan  -> Tokyo\n    =India  -> New Delhi\n    }"
    )
    assert q.kind == "matching"
    assert q.pairs == (
        MatchPair("Canada", "Ottawa"),
        MatchPair("Italy", "Rome"),
        MatchPair("Japan", "Tokyo"),
        MatchPair("India", "New Delhi"),
    )


def test_numerical_with_tolerance_from_moodle_docs():
    # Moodle GIFT documentation, "Numerical": {#1822:5}
    q = parse_one("When was Ulysses S. Grant born?{#1822:5}")
    assert q.kind == "numerical"
    assert q.numeric == (NumericAnswer(1817.0, 1827.0, 1.0, "", value=1822.0, tolerance=5.0),)


def test_numerical_missing_word_from_moodle_docs_keeps_the_full_stop_after():
    # Moodle GIFT documentation: What is the value of pi (to 3 decimal places)? {#3.14159:0.0005}.
    q = parse_one("What is the value of pi (to 3 decimal places)? {#3.14159:0.0005}.")
    (answer,) = q.numeric
    assert answer.minimum == pytest.approx(3.14109) and answer.maximum == pytest.approx(3.14209)
    assert q.text_after == "."


def test_numerical_range_from_moodle_docs():
    # Moodle GIFT documentation: {#3.141..3.142}.
    q = parse_one("What is the value of pi (to 3 decimal places)? {#3.141..3.142}.")
    assert q.numeric == (NumericAnswer(3.141, 3.142),)


def test_numerical_with_several_weighted_answers_from_moodle_docs():
    # Moodle GIFT documentation, numerical with multiple answers and partial credit
    q = parse_one(
        "When was Ulysses S. Grant born? {#\n"
        "    =1822:0      # Correct! Full credit.\n"
        "    =%50%1822:2  # He was born in 1822. Half credit for being close.\n"
        "}"
    )
    exact, close = q.numeric
    assert (exact.minimum, exact.maximum, exact.fraction) == (1822.0, 1822.0, 1.0)
    assert exact.feedback == "Correct! Full credit."
    assert (close.minimum, close.maximum, close.fraction) == (1820.0, 1824.0, 0.5)


def test_exact_numerical_answer_without_tolerance():
    q = parse_one("What is pi to two places? {#3.14}")
    assert q.numeric == (NumericAnswer.exact(3.14),)


def test_negative_numbers_in_numerical_ranges():
    q = parse_one("Pick a negative number above minus five. {#-5..-0.5}")
    assert q.numeric == (NumericAnswer.between(-5.0, -0.5),)


def test_essay_from_moodle_docs_has_an_empty_answer_block():
    # Moodle GIFT documentation, "Essay"
    q = parse_one("Write a short biography of Dag Hammarskjöld. {}")
    assert (q.kind, q.text) == ("essay", "Write a short biography of Dag Hammarskjöld.")


def test_description_from_moodle_docs_has_no_answer_block():
    # Moodle GIFT documentation, "Description"
    q = parse_one("You can use your pencil and paper for these next math questions.")
    assert q.kind == "description"


def test_question_name_from_moodle_docs_becomes_the_title():
    # Moodle GIFT documentation, "Question name"
    q = parse_one("::Kanji Origins::Japanese characters originally came from what country? {=China}")
    assert (q.title, q.kind) == ("Kanji Origins", "short")
    assert q.text == "Japanese characters originally came from what country?"


def test_per_answer_feedback_from_moodle_docs():
    # Moodle GIFT documentation, "Feedback"
    q = parse_one(
        "What's the answer to this multiple-choice question? {\n"
        "~wrong answer#feedback comment on the wrong answer\n"
        "~another wrong answer#feedback comment on this wrong answer\n"
        "=right answer#Very good!}"
    )
    assert q.choices[0] == Choice("wrong answer", 0.0, "feedback comment on the wrong answer")
    assert q.choices[2] == Choice("right answer", 1.0, "Very good!")


def test_percentage_weights_from_moodle_docs_give_partial_credit():
    # Moodle GIFT documentation, "Percentage answer weights" (Jesus' hometown)
    q = parse_one(
        "::Jesus' hometown::Jesus Christ was from {\n"
        "    ~Jerusalem#This is an important city, but the wrong answer.\n"
        "    ~%25%Bethlehem#He was born here, but not raised here.\n"
        "    ~%50%Galilee#You need to be more specific.\n"
        "    =Nazareth#Yes! That's right!\n"
        "}."
    )
    assert [c.fraction for c in q.choices] == [0.0, 0.25, 0.5, 1.0]
    # Several positive weights make it a multiple-answer question here (see check_question).
    assert q.kind == "multiple"
    assert q.title == "Jesus' hometown" and q.text_after == "."


def test_multiple_answers_with_negative_weights_from_moodle_docs():
    # Moodle GIFT documentation, "Multiple Answers"
    q = parse_one(
        "What two people are entombed in Grant's tomb? {\n"
        "   ~%-100%No one\n   ~%50%Grant\n   ~%50%Grant's wife\n   ~%-100%Grant's father\n}"
    )
    assert q.kind == "multiple"
    assert [c.fraction for c in q.choices] == [-1.0, 0.5, 0.5, -1.0]
    assert check_question(q) == []


def test_decimal_weights_are_read_exactly():
    q = parse_one("Pick the primes. {~%33.33333%2 ~%33.33333%3 ~%33.33333%5 ~%-100%4}")
    assert q.choices[0].fraction == pytest.approx(0.3333333)
    assert check_question(q) == []


def test_escaped_equals_signs_from_moodle_docs_are_answer_text():
    # Moodle GIFT documentation, "Special characters": Which answer equals 5?
    q = parse_one("Which answer equals 5? {\n    ~ \\= 2 + 2\n    = \\= 2 + 3\n    ~ \\= 2 + 4\n}")
    assert [c.text for c in q.choices] == ["= 2 + 2", "= 2 + 3", "= 2 + 4"]
    assert q.choices[1].fraction == 1.0


def test_control_characters_example_from_moodle_docs():
    # Moodle GIFT documentation, "Special characters": ::GIFT Control Characters::
    q = parse_one(
        "::GIFT Control Characters::\n"
        "Which of the following is NOT a control character for the GIFT import format? {\n"
        "   ~ \\~     # \\~ is a control character.\n"
        "   ~ \\=     # \\= is a control character.\n"
        "   ~ \\#     # \\# is a control character.\n"
        "   ~ \\{     # \\{ is a control character.\n"
        "   ~ \\}     # \\} is a control character.\n"
        "   = \\\\     # Correct! \\\\ (backslash) is not a control character. BUT,\n"
        "              it is used to escape the control characters.\n"
        "}"
    )
    assert [c.text for c in q.choices] == ["~", "=", "#", "{", "}", "\\"]
    assert q.choices[0].feedback == "~ is a control character."
    assert q.choices[5].feedback.startswith("Correct! \\ (backslash)")
    assert q.choices[5].feedback.endswith("it is used to escape the control characters.")


def test_markdown_format_from_moodle_docs_is_taken_off_the_text():
    # Moodle GIFT documentation, "Format"
    q = parse_one(
        "[markdown]The *American holiday of Thanksgiving* is celebrated on the {\n"
        "    ~second\n    ~third\n    =fourth\n} Thursday of November."
    )
    assert q.text_format == "markdown"
    assert q.text == "The *American holiday of Thanksgiving* is celebrated on the"


@pytest.mark.parametrize("fmt", ["moodle", "markdown", "html", "plain"])
def test_every_text_format_prefix_is_recognised(fmt):
    assert parse_one(f"::T::[{fmt}]Say something. {{}}").text_format == fmt


def test_an_unknown_bracket_prefix_stays_in_the_text():
    q = parse_one("[note] This is text.")
    assert (q.text_format, q.text) == ("moodle", "[note] This is text.")


def test_general_feedback_follows_four_hashes():
    # Moodle GIFT documentation, "General feedback" (####)
    q = parse_one("Is this right? {=yes #good ~no #bad ####General feedback for everyone.}")
    assert q.general_feedback == "General feedback for everyone."
    assert q.choices == (Choice("yes", 1.0, "good"), Choice("no", 0.0, "bad"))


def test_general_feedback_on_true_false_and_essay():
    assert parse_one("The sun rises in the east.{T####It always has.}").general_feedback == "It always has."
    essay = parse_one("Describe your shop. {####Look for detail.}")
    assert (essay.kind, essay.general_feedback) == ("essay", "Look for detail.")


def test_category_applies_to_the_questions_that_follow():
    # Moodle GIFT documentation, "Categories": $CATEGORY: tom/x/y/z
    first, second, third = parse_gift(
        "Before? {T}\n\n$CATEGORY: tom/x/y/z\n\nOne? {T}\n\n// comment\nTwo? {F}\n"
    )
    assert first.category is None
    assert second.category == third.category == "tom/x/y/z"


def test_comment_lines_are_ignored_even_inside_a_question():
    q = parse_one("// question: 1 name: Grants tomb\n::Grants tomb::Who is buried there? {\n// a note\n=Grant\n~Lee}")
    assert q.title == "Grants tomb"
    assert [c.text for c in q.choices] == ["Grant", "Lee"]
    assert q.line == 2


def test_escaped_newline_and_colon_become_characters():
    q = parse_one("::A\\: B::First line\\nsecond line {T}")
    assert q.title == "A: B"
    assert q.text == "First line\nsecond line"


def test_unescaped_equals_in_question_text_is_plain_text():
    # Moodle GIFT documentation quick examples: ::Q1:: 1+1=2 {T}
    assert parse_one("::Q1:: 1+1=2 {T}").text == "1+1=2"


def test_multi_line_question_text_keeps_its_line_breaks():
    assert parse_one("First line\nsecond line\n{T}").text == "First line\nsecond line"


def test_questions_are_separated_by_one_or_more_blank_lines():
    questions = parse_gift("One? {T}\n\n\n   \nTwo? {F}\n\nThree? {T}")
    assert [q.text for q in questions] == ["One?", "Two?", "Three?"]
    assert [q.line for q in questions] == [1, 5, 7]


def test_bom_and_crlf_are_tolerated():
    questions = parse_gift("\ufeff::A::One? {T}\r\n\r\nTwo? {\r\n=x\r\n~y\r\n}\r\n")
    assert [q.kind for q in questions] == ["truefalse", "single"]
    assert questions[0].title == "A"
    assert [c.text for c in questions[1].choices] == ["x", "y"]


@pytest.mark.parametrize("text", ["", "\n\n", "// only a comment\n", "\ufeff", "  \r\n"])
def test_an_empty_file_gives_no_questions(text):
    assert parse_gift(text) == []


def test_vietnamese_text_is_kept_as_written():
    q = parse_one("::Đóng gói::Sản phẩm OCOP cần {=bao bì ~giá rẻ} đẹp.")
    assert (q.title, q.text, q.text_after) == ("Đóng gói", "Sản phẩm OCOP cần", "đẹp.")


def test_short_answer_weights_are_read():
    q = parse_one("Name a primary colour. {=red =%50%pink #close ~%0%x}")
    assert q.kind == "multiple"  # a '~' answer makes it a choice question, as in Moodle
    q = parse_one("Name a primary colour. {=red =%50%pink #close}")
    assert q.choices == (Choice("red", 1.0), Choice("pink", 0.5, "close"))


def test_missing_word_with_two_right_answers_is_short_answer():
    q = parse_one("Hà Nội là {=thủ đô =thủ đô Việt Nam} của nước ta.")
    assert (q.kind, q.text_after) == ("short", "của nước ta.")


# --- Errors -----------------------------------------------------------------------------


def test_problem_prints_as_file_line_message():
    assert str(Problem("quiz.gift", 3, "boom")) == "quiz.gift:3: boom"


def test_unclosed_brace_is_reported_with_its_line():
    (problem,) = problems_of("::A::\nWho? {=a\n~b\n")
    assert (problem.file, problem.line) == ("quiz.gift", 2)
    assert "never closed" in problem.message


def test_answer_block_without_question_text_is_an_error():
    (problem,) = problems_of("\n{=a ~b}")
    assert problem.line == 2 and "without question text" in problem.message


def test_title_without_text_is_an_error():
    assert "no text" in problems_of("::Only a title::")[0].message


def test_unknown_escape_is_an_error():
    (problem,) = problems_of("One? {T}\n\nWhat is \\q? {T}")
    assert problem.line == 3 and "unknown escape '\\q'" in problem.message


def test_arrow_outside_matching_is_an_error():
    (problem,) = problems_of("Pick. {\n=a\n~b -> c\n}")
    assert problem.line == 3 and "->" in problem.message


def test_weight_that_is_not_a_number_is_an_error():
    (problem,) = problems_of("Pick. {~%abc%a =b}")
    assert "not a number" in problem.message


def test_numerical_answer_that_is_not_a_number_is_an_error():
    assert "not a number" in problems_of("How many? {#many}")[0].message
    assert "not a number" in problems_of("How many? {#1..lots}")[0].message


def test_closing_brace_without_opening_is_an_error():
    assert "without a matching '{'" in problems_of("What } is this?")[0].message


def test_two_answer_blocks_in_one_question_are_an_error():
    assert "only one answer block" in problems_of("A {=a ~b} and {=c ~d}.")[0].message


def test_unclosed_title_is_an_error():
    assert "closing '::'" in problems_of("::No end title {T}")[0].message


def test_answers_must_start_with_equals_or_tilde():
    assert "must start with" in problems_of("What? {maybe}")[0].message


def test_matching_pairs_must_have_both_sides():
    assert "both sides" in problems_of("Match. {=a -> =b -> c}")[0].message
    assert "prompt -> match" in problems_of("Match. {=a -> b =c}")[0].message


def test_every_bad_question_is_listed():
    text = "Good? {T}\n\nBad {=a\n\nAlso good? {F}\n\nWorse \\q {T}\n\n{=x}"
    with pytest.raises(GiftError) as caught:
        parse_gift(text, "bank.gift")
    assert [p.line for p in caught.value.problems] == [3, 7, 9]
    lines = str(caught.value).splitlines()
    assert len(lines) == 3 and all(line.startswith("bank.gift:") for line in lines)


GIFT_ALPHABET = st.sampled_from(list("~=#{}:\\%[]->.$/ \n\r\tTFa1") + ["::", "//", "->", "####", "{#", "\\n", "$CATEGORY:", "đ"])


@settings(max_examples=400)
@given(st.one_of(st.text(), st.lists(GIFT_ALPHABET, max_size=60).map("".join)))
def test_arbitrary_text_either_parses_and_round_trips_or_raises_gift_error(text):
    try:
        questions = parse_gift(text)
    except GiftError as exc:
        assert exc.problems and all(isinstance(p, Problem) for p in exc.problems)
    else:
        assert all(isinstance(q, Question) for q in questions)
        assert parse_gift(write_gift(questions)) == questions


# --- Answer key checks ------------------------------------------------------------------


def issues(text):
    return check_question(parse_one(text))


def test_a_sound_question_has_no_issues():
    assert issues("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}") == []


def test_single_choice_without_full_marks_is_flagged():
    q = Question("", "single", "Pick.", choices=(Choice("a", 0.5), Choice("b", 0.0)))
    assert any("full marks" in i for i in check_question(q))


def test_multiple_answers_whose_positive_weights_miss_100_are_flagged():
    assert any("add up to 75%" in i for i in issues("Pick. {~%50%a ~%25%b ~c}"))


def test_weights_outside_range_are_flagged():
    assert any("outside" in i for i in issues("Pick. {~%150%a ~%-50%b}"))


def test_numeric_range_with_min_above_max_is_flagged():
    assert any("minimum > maximum" in i for i in issues("Number? {#5..1}"))


def test_matching_with_fewer_than_two_pairs_is_flagged():
    assert any("2 pairs" in i for i in issues("Match. {=a -> b}"))


def test_duplicate_answers_are_flagged():
    assert any("duplicate" in i for i in issues("Pick. {=a ~b ~a}"))
    assert any("duplicate" in i for i in issues("Name it. {=Bao bì =bao bi}"))


def test_short_answer_without_full_marks_is_flagged():
    assert any("full marks" in i for i in issues("Name it. {=%50%thing}"))


def test_choice_question_with_one_answer_is_flagged():
    q = Question("", "single", "Pick.", choices=(Choice("a", 1.0),))
    assert any("at least 2" in i for i in check_question(q))
