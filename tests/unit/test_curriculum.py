"""The shipped curriculum (courses/ and quizzes/) meets the minimums promised to the programme."""
import re

import pytest
from content_factory import REPO

from lms.content.checks import read_bank
from lms.content.files import read_course

SHIPPED = {
    "livestream-selling": True,
    "packaging-labelling": True,
    "platform-compliance": True,
    "seller-operations": False,
}
LANGUAGES = ("vi", "en")
SOURCES_HEADING = {"vi": "## Nguồn", "en": "## Sources"}
PLATFORMS = re.compile(r"tiktok|shopee|lazada", re.IGNORECASE)


@pytest.fixture(scope="module")
def courses():
    read = {}
    for slug in SHIPPED:
        course, problems = read_course(REPO / "courses" / slug)
        assert problems == [], [str(p) for p in problems]
        read[slug] = course
    return read


@pytest.fixture(scope="module")
def banks():
    read = {}
    for slug in SHIPPED:
        for lang in LANGUAGES:
            questions, problems = read_bank(REPO / "quizzes" / f"{slug}.{lang}.gift")
            assert problems == [], [str(p) for p in problems]
            read[slug, lang] = questions
    return read


def lesson_texts(course):
    for module in course.modules:
        for lesson in module.lessons:
            for lang in LANGUAGES:
                yield f"{course.slug}/{module.slug}/{lesson.slug}.{lang}", lang, lesson.texts[lang]


def test_the_four_courses_are_shipped_and_nothing_else():
    folders = sorted(p.name for p in (REPO / "courses").iterdir() if p.is_dir())
    assert folders == sorted(SHIPPED)


@pytest.mark.parametrize("slug", SHIPPED)
def test_onboarding_courses_are_the_three_required_ones(courses, slug):
    assert courses[slug].required_for_onboarding is SHIPPED[slug]


@pytest.mark.parametrize("slug", SHIPPED)
def test_each_course_has_at_least_four_modules_and_twelve_lessons(courses, slug):
    course = courses[slug]
    assert len(course.modules) >= 4
    assert sum(len(m.lessons) for m in course.modules) >= 12


@pytest.mark.parametrize("slug", SHIPPED)
def test_every_lesson_is_300_to_1200_words_in_each_language(courses, slug):
    out_of_range = {
        name: len(text.body.split())
        for name, _, text in lesson_texts(courses[slug])
        if not 300 <= len(text.body.split()) <= 1200
    }
    assert out_of_range == {}


@pytest.mark.parametrize("slug", SHIPPED)
def test_every_lesson_naming_a_platform_has_an_as_of_date(courses, slug):
    undated = [name for name, _, text in lesson_texts(courses[slug]) if PLATFORMS.search(f"{text.title}\n{text.body}") and text.as_of is None]
    assert undated == []


@pytest.mark.parametrize("slug", SHIPPED)
def test_every_lesson_ends_with_a_sources_section(courses, slug):
    missing = []
    for name, lang, text in lesson_texts(courses[slug]):
        headings = [line.strip() for line in text.body.split("\n") if line.startswith("## ")]
        if not headings or headings[-1] != SOURCES_HEADING[lang]:
            missing.append(name)
            continue
        after = text.body.split(SOURCES_HEADING[lang], 1)[1]
        if not any(line.strip().startswith(("-", "*", "1.")) for line in after.split("\n")):
            missing.append(name + " (empty sources section)")
    assert missing == []


@pytest.mark.parametrize("slug", SHIPPED)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_bank_has_at_least_30_questions_of_at_least_four_kinds(banks, slug, lang):
    questions = banks[slug, lang]
    assert len(questions) >= 30
    assert len({q.kind for q in questions}) >= 4, sorted({q.kind for q in questions})
    assert "essay" not in {q.kind for q in questions}


@pytest.mark.parametrize("slug", SHIPPED)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_question_has_general_feedback(banks, slug, lang):
    assert [q.title for q in banks[slug, lang] if not q.general_feedback.strip()] == []


@pytest.mark.parametrize("slug", SHIPPED)
def test_the_vi_and_en_banks_hold_the_same_titles_in_the_same_modules(banks, slug):
    vi = [(q.title, q.category) for q in banks[slug, "vi"]]
    en = [(q.title, q.category) for q in banks[slug, "en"]]
    assert vi == en


@pytest.mark.parametrize("slug", SHIPPED)
def test_every_module_has_questions(courses, banks, slug):
    categories = {q.category for q in banks[slug, "vi"]}
    assert [m.slug for m in courses[slug].modules if m.slug not in categories] == []
