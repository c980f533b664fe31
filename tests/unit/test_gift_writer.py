"""Writing Moodle GIFT: round trips on documented examples and on generated questions."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.content.gift import (
    Choice,
    MatchPair,
    NumericAnswer,
    Question,
    parse_gift,
    write_gift,
)

# Examples from Moodle's GIFT format documentation (docs.moodle.org/en/GIFT_format).
MOODLE_DOC_EXAMPLES = [
    "Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}",
    "Grant is {~buried =entombed ~living} in Grant's tomb.",
    "The American holiday of Thanksgiving is celebrated on the {\n    ~second\n    ~third\n    =fourth\n} Thursday of November.",
    "Japanese characters originally came from what country? {\n    ~India\n    =China\n    ~Korea\n    ~Egypt}",
    "Who's buried in Grant's tomb?{=no one =nobody}",
    "Two plus two equals {=four =4}.",
    "Grant is buried in Grant's tomb.{F}",
    "The sun rises in the east.{T}",
    "Match the following countries with their corresponding capitals. {\n    =Canada -> Ottawa\n    =Italy  -> Rome\n"
    "    =Japan  -> Tokyo\n    =India  -> New Delhi\n    }",
    "Moodle costs {~lots of money =nothing ~a small amount} to download from moodle.org.",
    "When was Ulysses S. Grant born?{#1822:5}",
    "What is the value of pi (to 3 decimal places)? {#3.14159:0.0005}.",
    "What is the value of pi (to 3 decimal places)? {#3.141..3.142}.",
    "When was Ulysses S. Grant born? {#\n    =1822:0      # Correct! Full credit.\n"
    "    =%50%1822:2  # He was born in 1822. Half credit for being close.\n}",
    "Write a short biography of Dag Hammarskjöld. {}",
    "You can use your pencil and paper for these next math questions.",
    "::Kanji Origins::Japanese characters originally came from what country? {=China}",
    "::Thanksgiving Date::The American holiday of Thanksgiving is celebrated on the {~second ~third =fourth} Thursday of November.",
    "What's the answer to this multiple-choice question? {\n~wrong answer#feedback comment on the wrong answer\n"
    "~another wrong answer#feedback comment on this wrong answer\n=right answer#Very good!}",
    "Who's buried in Grant's tomb?{\n=no one#excellent answer!\n=nobody#excellent answer too!}",
    "Grant is buried in Grant's tomb.{FALSE#No one is buried in Grant's tomb.}",
    "Difficult question.{~wrong answer ~%50%half credit answer =full credit answer}",
    "::Jesus' hometown::Jesus Christ was from {\n    ~Jerusalem#This is an important city, but the wrong answer.\n"
    "    ~%25%Bethlehem#He was born here, but not raised here.\n    ~%50%Galilee#You need to be more specific.\n"
    "    =Nazareth#Yes! That's right!\n}.",
    "What two people are entombed in Grant's tomb? {\n   ~%-100%No one\n   ~%50%Grant\n   ~%50%Grant's wife\n"
    "   ~%-100%Grant's father\n}",
    "Which answer equals 5? {\n    ~ \\= 2 + 2\n    = \\= 2 + 3\n    ~ \\= 2 + 4\n}",
    "::GIFT Control Characters::\nWhich of the following is NOT a control character for the GIFT import format? {\n"
    "   ~ \\~     # \\~ is a control character.\n   ~ \\=     # \\= is a control character.\n"
    "   ~ \\#     # \\# is a control character.\n   ~ \\{     # \\{ is a control character.\n"
    "   ~ \\}     # \\} is a control character.\n"
    "   = \\\\     # Correct! \\\\ (backslash) is not a control character. BUT,\n"
    "              it is used to escape the control characters.\n}",
    "[markdown]The *American holiday of Thanksgiving* is celebrated on the {\n    ~second\n    ~third\n    =fourth\n"
    "} Thursday of November.",
    "$CATEGORY: tom/x/y/z\n\n// question: 1 name: Grants tomb\n::Grants tomb::Who is buried in Grant's tomb in New York City? {\n"
    "=Grant\n~No one\n#Was true for 12 years\n~Napoleon\n#He was buried in France\n}",
    "// true/false\n::Q1:: 1+1=2 {T}\n\n// fill-in-the-blank\n::Q3:: Two plus {=two =2} equals four.\n\n"
    "// math range question\n::Q5:: What is a number from 1 to 5? {#3:2}\n\n"
    "// math range specified with interval end points\n::Q6:: What is a number from 1 to 5? {#1..5}",
    "The sun rises in the east.{T####The sun always rises in the east.}",
]


@pytest.mark.parametrize("source", MOODLE_DOC_EXAMPLES)
def test_documented_examples_survive_a_round_trip(source):
    questions = parse_gift(source)
    assert questions
    assert parse_gift(write_gift(questions)) == questions


def test_all_documented_examples_in_one_file_survive_a_round_trip():
    questions = parse_gift("\n\n".join(MOODLE_DOC_EXAMPLES))
    written = write_gift(questions)
    assert parse_gift(written) == questions
    assert write_gift(parse_gift(written)) == written


def test_writing_nothing_gives_an_empty_file():
    assert write_gift([]) == ""


def test_category_line_is_written_only_when_it_changes():
    questions = [
        Question("", "truefalse", "A?", truth=True, category="shop/basics"),
        Question("", "truefalse", "B?", truth=False, category="shop/basics"),
        Question("", "truefalse", "C?", truth=True, category=None),
    ]
    written = write_gift(questions)
    assert written.count("$CATEGORY: shop/basics") == 1
    assert "$CATEGORY:\n" in written
    assert parse_gift(written) == questions


def test_special_characters_are_escaped():
    q = Question("a::b", "single", "Is {this} #1 = ~ok?", choices=(Choice("x -> y", 1.0), Choice("1\\2", 0.0)))
    written = write_gift([q])
    assert written.startswith("::a\\:\\:b:: Is \\{this\\} \\#1 \\= \\~ok?")
    assert "-\\>" in written and "1\\\\2" in written
    assert parse_gift(written) == [q]


def test_numerical_answers_keep_their_written_form():
    q = Question(
        "",
        "numerical",
        "Number?",
        numeric=(NumericAnswer.exact(3.14), NumericAnswer.within(3.14, 0.01, 0.5), NumericAnswer.between(1, 5, 0.25)),
    )
    written = write_gift([q])
    assert "=3.14\n" in written and "=%50%3.14:0.01" in written and "=%25%1..5" in written
    assert parse_gift(written) == [q]


def test_single_numerical_answer_is_written_inline():
    q = Question("", "numerical", "When was Grant born?", numeric=(NumericAnswer.within(1822, 5),))
    assert write_gift([q]) == "When was Grant born? {#1822:5}\n"


def test_text_formats_and_tricky_starts_are_preserved():
    questions = [
        Question("", "essay", "Say *why*.", text_format="markdown"),
        Question("", "description", "[html] is literal here"),
        Question("", "description", "// not a comment"),
        Question("", "description", "$CATEGORY: not a category"),
        Question("", "truefalse", "\ufeffstarts like a byte-order mark", truth=True),
        Question("", "short", "%50% off?", choices=(Choice("%50%", 1.0), Choice("half", 0.5))),
    ]
    assert parse_gift(write_gift(questions)) == questions


def test_multiple_answer_with_one_full_weight_stays_multiple():
    q = Question("", "multiple", "Pick.", choices=(Choice("a", 1.0), Choice("b", 0.0), Choice("c", -0.5)))
    assert parse_gift(write_gift([q])) == [q]


def test_description_with_general_feedback_cannot_be_written():
    with pytest.raises(ValueError):
        write_gift([Question("", "description", "Intro", general_feedback="lost")])


# --- Generated questions ---------------------------------------------------------------

SPECIALS = list("~=#{}:\\%[]->/$ \n\t") + ["->", "::", "####", "\\n", "//", "đ", "Đóng gói"]
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), min_size=1, max_size=20),
    st.lists(st.sampled_from(SPECIALS + list("abcXYZ019")), min_size=1, max_size=12).map("".join),
).map(str.strip).filter(bool)
FEEDBACK = st.one_of(st.just(""), TEXT)
WEIGHTS = st.one_of(
    st.sampled_from([-100, -50, -33.33333, -25, 0, 10, 12.5, 20, 25, 33.33333, 50, 66.66667, 75, 90, 100]).map(lambda w: w / 100),
    st.floats(min_value=-1.0, max_value=1.0, allow_nan=False),
)
FINITE = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
NON_POSITIVE = WEIGHTS.filter(lambda f: f <= 0)


@st.composite
def single_choices(draw):
    wrong = draw(st.lists(st.builds(Choice, TEXT, NON_POSITIVE, FEEDBACK), min_size=1, max_size=5))
    right = draw(st.builds(Choice, TEXT, st.just(1.0), FEEDBACK))
    at = draw(st.integers(0, len(wrong)))
    return tuple(wrong[:at] + [right] + wrong[at:])


NUMERIC = st.one_of(
    st.builds(NumericAnswer.exact, FINITE, WEIGHTS, FEEDBACK),
    st.builds(NumericAnswer.within, FINITE, FINITE.map(abs), WEIGHTS, FEEDBACK),
    st.builds(NumericAnswer.between, FINITE, FINITE, WEIGHTS, FEEDBACK),
)


@st.composite
def questions(draw):
    kind = draw(st.sampled_from(["single", "multiple", "truefalse", "short", "numerical", "matching", "essay", "description"]))
    base = {
        "title": draw(st.one_of(st.just(""), TEXT)),
        "kind": kind,
        "text": draw(TEXT),
        "text_format": draw(st.sampled_from(["moodle", "markdown", "html", "plain"])),
        "category": draw(st.one_of(st.none(), st.text("abc/ $đ:{}", min_size=1, max_size=10).map(str.strip).filter(bool))),
    }
    if kind == "description":
        return Question(**base)
    base["general_feedback"] = draw(FEEDBACK)
    base["text_after"] = draw(st.one_of(st.none(), TEXT))
    if base["text_after"] is not None and draw(st.booleans()):
        base["text"] = ""  # the blank may open the sentence
    if kind == "single":
        base["choices"] = draw(single_choices())
    elif kind == "multiple":
        base["choices"] = tuple(draw(st.lists(st.builds(Choice, TEXT, WEIGHTS, FEEDBACK), min_size=1, max_size=6)))
    elif kind == "short":
        base["choices"] = tuple(draw(st.lists(st.builds(Choice, TEXT, WEIGHTS, FEEDBACK), min_size=1, max_size=4)))
    elif kind == "numerical":
        base["numeric"] = tuple(draw(st.lists(NUMERIC, min_size=1, max_size=4)))
    elif kind == "matching":
        base["pairs"] = tuple(draw(st.lists(st.builds(MatchPair, TEXT, TEXT), min_size=1, max_size=5)))
    elif kind == "truefalse":
        base.update(truth=draw(st.booleans()), true_feedback=draw(FEEDBACK), false_feedback=draw(FEEDBACK))
    return Question(**base)


@settings(max_examples=500)
@given(questions())
def test_any_generated_question_reads_back_equal(question):
    assert parse_gift(write_gift([question])) == [question]


@settings(max_examples=150)
@given(st.lists(questions(), max_size=6))
def test_a_generated_bank_reads_back_equal_and_in_order(bank):
    assert parse_gift(write_gift(bank)) == bank
