"""Assessment rules through the services, on the real database: draw, attempts, cooldown, time limit, scoring once."""
import random
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessment.models import Attempt, AttemptItem
from lms.assessment.services import (
    AttemptClosed,
    CannotStart,
    allowance,
    may_see_correct_answers,
    question_stats,
    save_answers,
    start_attempt,
    submit_attempt,
)
from lms.catalog.models import CourseVersion
from lms.catalog.progress import course_progress
from lms.catalog.services import enrol_learner
from lms.db import utcnow
from lms.extensions import db
from tests.conftest import make_course, make_questions, make_user

LABELS = {True: "True", False: "False"}
RIGHT = {"single": 0, "multiple": [0, 1], "truefalse": False, "short": "KG", "numerical": "23,5",
         "matching": {"0": "Sàn thương mại điện tử", "1": "Mạng xã hội video", "2": "Ứng dụng nhắn tin"}}
WRONG = {"single": 1, "multiple": [2], "truefalse": True, "short": "lít", "numerical": "30",
         "matching": {"0": "Mạng xã hội video"}}


@pytest.fixture
def setup(session):
    course = make_course(session)
    make_questions(session, course)
    learner = make_user(session)
    enrol_learner(session, learner.id, course)
    session.commit()
    return course, learner


def answer_all(session, attempt, answers, now):
    save_answers(session, attempt, {item.position: answers[item.question_data["kind"]] for item in attempt.items}, now)


def take(session, course, learner, answers, now):
    attempt = start_attempt(session, learner.id, course, "vi", now)
    answer_all(session, attempt, answers, now)
    submit_attempt(session, attempt, now)
    session.commit()
    return attempt


def test_the_draw_represents_every_module_and_is_stored(session, setup):
    course, learner = setup
    course.questions_per_attempt = 3
    session.commit()
    for seed in range(20):
        attempt = start_attempt(session, learner.id, course, "vi", utcnow(), rng=random.Random(seed))
        modules = {title.split("-")[0] for title in (item.question_data["title"] for item in attempt.items)}
        assert len(attempt.items) == 3 and modules == {"basics", "selling"}
        session.rollback()
    attempt = start_attempt(session, learner.id, course, "vi", utcnow())
    session.commit()
    drawn = [(i.question_id, i.choice_order) for i in attempt.items]
    # starting again resumes the same attempt with the same questions in the same order
    again = start_attempt(session, learner.id, course, "vi", utcnow())
    assert again.id == attempt.id and [(i.question_id, i.choice_order) for i in again.items] == drawn


def test_a_bank_smaller_than_the_draw_gives_every_question(session, setup):
    course, learner = setup
    attempt = start_attempt(session, learner.id, course, "vi", utcnow())
    # 14 graded questions; the two essays in the bank are never drawn
    assert len(attempt.items) == 14 and len({i.question_id for i in attempt.items}) == 14
    assert "essay" not in {i.question_data["kind"] for i in attempt.items}


def test_answers_are_shuffled_per_attempt_except_true_false(session, setup):
    course, learner = setup
    orders = set()
    for seed in range(12):
        attempt = start_attempt(session, learner.id, course, "vi", utcnow(), rng=random.Random(seed))
        for item in attempt.items:
            if item.question_data["kind"] == "truefalse":
                assert item.choice_order == []
            if item.question_data["title"] == "basics-single":
                orders.add(tuple(item.choice_order))
        session.rollback()
    assert len(orders) > 1


def test_right_answers_pass_and_wrong_ones_fail(session, setup):
    course, learner = setup
    failed = take(session, course, learner, WRONG, utcnow())
    assert failed.passed is False and failed.score == 0
    passed = take(session, course, learner, RIGHT, utcnow())
    assert passed.passed is True and passed.score == 100
    assert course_progress(session, learner.id, course.id).assessment == "passed"
    with pytest.raises(CannotStart) as error:
        start_attempt(session, learner.id, course, "vi", utcnow())
    assert error.value.reason == "passed"


def test_partial_credit_counts_towards_the_score(session, setup):
    course, learner = setup
    half = dict(WRONG, multiple=[0])  # one of two right answers: 50% of that question
    attempt = take(session, course, learner, half, utcnow())
    fractions = {i.question_data["kind"]: i.fraction for i in attempt.items}
    assert fractions["multiple"] == 0.5 and attempt.score == pytest.approx(100 * 2 * 0.5 / 14, abs=0.01)


def test_three_failures_start_a_cooldown_then_three_new_attempts(session, setup):
    course, learner = setup
    now = utcnow()
    for _ in range(3):
        take(session, course, learner, WRONG, now)
    rules = allowance(session, learner.id, course, now + timedelta(hours=23))
    assert rules.reason == "cooldown" and rules.next_attempt_at == now + timedelta(hours=24)
    with pytest.raises(CannotStart):
        start_attempt(session, learner.id, course, "vi", now + timedelta(hours=23))
    later = now + timedelta(hours=24, minutes=1)
    rules = allowance(session, learner.id, course, later)
    assert rules.can_start and rules.attempts_left == 3
    assert course_progress(session, learner.id, course.id).assessment == "failed"


def test_correct_answers_show_after_the_last_allowed_attempt_or_a_pass(session, setup):
    course, learner = setup
    first = take(session, course, learner, WRONG, utcnow())
    assert not may_see_correct_answers(session, first, course)
    take(session, course, learner, WRONG, utcnow())
    third = take(session, course, learner, WRONG, utcnow())
    assert may_see_correct_answers(session, third, course)
    course.show_correct_answers = "after_passing"
    assert not may_see_correct_answers(session, third, course)
    passed = take(session, course, learner, RIGHT, utcnow() + timedelta(days=2))
    assert may_see_correct_answers(session, passed, course)


def test_submitting_twice_scores_once(session, setup):
    course, learner = setup
    now = utcnow()
    attempt = start_attempt(session, learner.id, course, "vi", now)
    answer_all(session, attempt, WRONG, now)
    session.commit()
    # a second tab loaded the attempt while it was running
    with Session(db.engine, expire_on_commit=False) as other_tab:
        stale = other_tab.get(Attempt, attempt.id)
        other_tab.commit()
        assert submit_attempt(session, attempt, now)
        session.commit()
        assert stale.status == "in_progress"
        assert submit_attempt(other_tab, stale, now + timedelta(minutes=1)) is False
        other_tab.commit()
    session.refresh(attempt)
    assert attempt.status == "submitted" and attempt.score == 0 and attempt.submitted_at == now
    with pytest.raises(AttemptClosed):
        save_answers(session, attempt, {1: 0}, now)


def test_time_limit_scores_what_was_saved(session, setup):
    course, learner = setup
    course.time_limit_minutes = 10
    session.commit()
    now = utcnow()
    attempt = start_attempt(session, learner.id, course, "vi", now)
    answer_all(session, attempt, RIGHT, now + timedelta(minutes=5))
    session.commit()
    with pytest.raises(AttemptClosed):
        save_answers(session, attempt, {item.position: WRONG[item.question_data["kind"]] for item in attempt.items}, now + timedelta(minutes=20))
    session.commit()
    assert attempt.status == "submitted" and attempt.submitted_by == "time_limit" and attempt.score == 100


def test_an_expired_attempt_is_closed_when_the_learner_comes_back(session, setup):
    course, learner = setup
    course.time_limit_minutes = 10
    session.commit()
    now = utcnow()
    attempt = start_attempt(session, learner.id, course, "vi", now)
    session.commit()
    rules = allowance(session, learner.id, course, now + timedelta(hours=1))
    assert rules.reason == "ok" and rules.attempts_left == 2
    assert attempt.status == "submitted" and attempt.score == 0


def test_a_pass_before_a_recertification_version_no_longer_counts(session, setup):
    course, learner = setup
    take(session, course, learner, RIGHT, utcnow())
    session.add(CourseVersion(course_id=course.id, number=2, lesson_ids=[], content_hash="v2", requires_recertification=True))
    session.commit()
    assert course_progress(session, learner.id, course.id).assessment == "not_started"
    assert allowance(session, learner.id, course, utcnow()).can_start


def test_only_enrolled_learners_start(session, setup):
    course, _ = setup
    stranger = make_user(session)
    with pytest.raises(CannotStart) as error:
        start_attempt(session, stranger.id, course, "vi", utcnow())
    assert error.value.reason == "not_enrolled"


def test_statistics_show_the_share_right_and_the_most_chosen_wrong_answer(session, setup):
    course, learner = setup
    other = make_user(session)
    enrol_learner(session, other.id, course)
    take(session, course, learner, WRONG, utcnow())
    take(session, course, other, RIGHT, utcnow())
    stats = {s.question.title: s for s in question_stats(session, course, LABELS)}
    single = stats["basics-single"]
    assert single.answered == 2 and single.percent_correct == 50 and single.common_wrong == "Ngoài nắng"
    assert stats["basics-truefalse"].common_wrong == "True"
    assert session.scalar(select(AttemptItem.fraction).where(AttemptItem.question_id == single.question.id, AttemptItem.fraction == 1.0)) == 1.0
