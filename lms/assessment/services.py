"""Final assessments: who may start an attempt, drawing it, saving answers, scoring once, reviewing.

Services flush and never commit; the view commits. Every function takes `now` so the rules
about time (cooldown, time limit) are tested by passing a later time.
"""
from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms.assessment.bank import GRADED_KINDS, from_data
from lms.assessment.draw import draw_questions, shuffle_answers
from lms.assessment.models import FINAL, IN_PROGRESS, SUBMITTED, Attempt, AttemptItem, Question
from lms.assessment.responses import ItemShape, for_scoring
from lms.assessment.review import describe_response
from lms.assessment.scoring import score_response
from lms.catalog.learning_models import ACTIVE, Enrolment
from lms.catalog.models import Course, CourseVersion

# a request that left the learner's phone just before the deadline still counts
DEADLINE_GRACE = timedelta(seconds=30)
_secure_random = random.SystemRandom()


class CannotStart(Exception):
    def __init__(self, reason: str, next_attempt_at: datetime | None = None):
        super().__init__(reason)
        self.reason = reason  # not_enrolled | passed | cooldown | no_questions
        self.next_attempt_at = next_attempt_at


class AlreadyStarted(Exception):
    """Two starts raced; roll back and call start_attempt again to resume the one that won."""


class AttemptClosed(Exception):
    """The attempt was already submitted, or its time ran out (then it has just been scored)."""


@dataclass(frozen=True)
class Allowance:
    can_start: bool
    reason: str  # ok | in_progress | not_enrolled | passed | cooldown | no_questions
    attempts_left: int
    next_attempt_at: datetime | None = None
    in_progress: Attempt | None = None
    best_score: float | None = None


@dataclass(frozen=True)
class _Cycles:
    failures_in_cycle: int
    cooldown_until: datetime | None
    last_allowed_ids: frozenset[int]  # attempts that used up a cycle's allowance


def _cycles(failed: list[Attempt], max_attempts: int, cooldown: timedelta) -> _Cycles:
    """Walk failed attempts in order: every `max_attempts` failures start a cooldown; after it, a new cycle."""
    failures, until, last = 0, None, set()
    for attempt in failed:
        if until is not None and attempt.started_at >= until:
            failures, until = 0, None
        failures += 1
        if failures >= max_attempts and until is None:
            until = attempt.submitted_at + cooldown
            last.add(attempt.id)
    return _Cycles(failures, until, frozenset(last))


def recertification_floor(session: Session, course_id: int) -> int:
    """The oldest course version whose pass still counts: the newest version that required recertification."""
    return session.scalar(
        select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course_id, CourseVersion.requires_recertification)
    ) or 0


def _graded_pool(session: Session, course_id: int) -> list[tuple[int, int | None]]:
    return list(session.execute(
        select(Question.id, Question.module_id)
        .where(Question.course_id == course_id, Question.is_retired.is_(False), Question.kind.in_(GRADED_KINDS))
        .order_by(Question.id)
    ))


def attempts_of(session: Session, user_id: int, course_id: int) -> list[Attempt]:
    return list(session.scalars(select(Attempt).where(Attempt.user_id == user_id, Attempt.course_id == course_id).order_by(Attempt.number)))


def close_expired(session: Session, user_id: int, course_id: int, now: datetime) -> None:
    """Score, with what was saved, any attempt of this learner whose time ran out."""
    for attempt in session.scalars(select(Attempt).where(
        Attempt.user_id == user_id, Attempt.course_id == course_id, Attempt.status == IN_PROGRESS, Attempt.deadline_at.is_not(None),
    )):
        if is_expired(attempt, now):
            submit_attempt(session, attempt, now, by="time_limit")


def is_expired(attempt: Attempt, now: datetime) -> bool:
    return attempt.status == IN_PROGRESS and attempt.deadline_at is not None and now > attempt.deadline_at + DEADLINE_GRACE


def allowance(session: Session, user_id: int, course: Course, now: datetime, purpose: str = FINAL, since: datetime | None = None) -> Allowance:
    """May this learner start (or resume) an attempt now, and how many are left before a cooldown.

    A renewal (purpose "renewal") counts only renewal attempts started after `since`, the issue
    time of the certificate being renewed.
    """
    close_expired(session, user_id, course.id, now)
    attempts = [a for a in attempts_of(session, user_id, course.id) if a.purpose == purpose and (since is None or a.started_at >= since)]
    floor = recertification_floor(session, course.id)
    counted = [a for a in attempts if a.status == SUBMITTED and a.course_version >= floor]
    best = max((a.score for a in counted if a.score is not None), default=None)
    cycles = _cycles([a for a in counted if not a.passed], course.max_attempts, timedelta(hours=course.cooldown_hours))
    left = course.max_attempts - cycles.failures_in_cycle
    if cycles.cooldown_until is not None and now >= cycles.cooldown_until:
        left = course.max_attempts
    running = next((a for a in attempts if a.status == IN_PROGRESS), None)
    enrolment = session.scalar(select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.course_id == course.id))
    if any(a.passed for a in counted):
        return Allowance(False, "passed", left, best_score=best)
    if running is not None:
        return Allowance(True, "in_progress", left, in_progress=running, best_score=best)
    if enrolment is None or enrolment.status != ACTIVE:
        return Allowance(False, "not_enrolled", left, best_score=best)
    if cycles.cooldown_until is not None and now < cycles.cooldown_until:
        return Allowance(False, "cooldown", 0, next_attempt_at=cycles.cooldown_until, best_score=best)
    if not _graded_pool(session, course.id):
        return Allowance(False, "no_questions", left, best_score=best)
    return Allowance(True, "ok", left, best_score=best)


def questions_in(course: Course, purpose: str) -> int:
    """A renewal is a short refresher: half the questions of the final assessment."""
    return course.questions_per_attempt if purpose == FINAL else max(1, math.ceil(course.questions_per_attempt / 2))


def start_attempt(session: Session, user_id: int, course: Course, lang: str, now: datetime, rng: random.Random | None = None,
                  purpose: str = FINAL, since: datetime | None = None) -> Attempt:
    """Resume the running attempt, or draw a new one (fixed and stored now). Raises CannotStart, AlreadyStarted."""
    rules = allowance(session, user_id, course, now, purpose, since)
    if rules.in_progress is not None:
        return rules.in_progress
    if not rules.can_start:
        raise CannotStart(rules.reason, rules.next_attempt_at)
    rng = rng or _secure_random
    enrolment = session.scalar(select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.course_id == course.id))
    number = (session.scalar(select(func.max(Attempt.number)).where(Attempt.user_id == user_id, Attempt.course_id == course.id)) or 0) + 1
    attempt = Attempt(
        user_id=user_id, course_id=course.id, number=number, lang=lang, status=IN_PROGRESS, started_at=now, purpose=purpose,
        course_version=max(enrolment.version, recertification_floor(session, course.id)), pass_mark=course.pass_mark,
        deadline_at=now + timedelta(minutes=course.time_limit_minutes) if course.time_limit_minutes else None,
    )
    chosen = draw_questions(_graded_pool(session, course.id), questions_in(course, purpose), rng)
    questions = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(chosen)))}
    session.add(attempt)
    try:
        session.flush()
    except IntegrityError as error:
        # another tab took this attempt number a moment ago: the caller rolls back and resumes that one
        raise AlreadyStarted from error
    for position, question_id in enumerate(chosen, 1):
        data = questions[question_id].data(lang)
        choice_order, match_options = shuffle_answers(from_data(data), rng)
        session.add(AttemptItem(attempt_id=attempt.id, position=position, question_id=question_id, question_data=data,
                                choice_order=choice_order, match_options=match_options, feedback=[]))
    session.flush()
    return attempt


def item_shape(item: AttemptItem) -> ItemShape:
    data = item.question_data
    return ItemShape(item.position, data["kind"], tuple(item.choice_order), tuple(item.match_options), len(data.get("pairs", ())))


def save_answers(session: Session, attempt: Attempt, responses: dict[int, object], now: datetime) -> None:
    """Store answers of a running attempt. Raises AttemptClosed when the attempt has ended (scored by then)."""
    if is_expired(attempt, now):
        submit_attempt(session, attempt, now, by="time_limit")
        raise AttemptClosed("time_limit")
    # the conditional update takes the row lock, so a concurrent submission waits for these answers
    claimed = session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == IN_PROGRESS).values(saved_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        session.refresh(attempt)
        raise AttemptClosed("submitted")
    for item in attempt.items:
        if item.position in responses:
            item.response = responses[item.position]
    session.flush()
    session.refresh(attempt, ["saved_at"])
    if attempt.deadline_at is not None and now >= attempt.deadline_at:
        # saved in the grace period after the deadline: these answers count, and the attempt ends here
        submit_attempt(session, attempt, now, by="time_limit")
        raise AttemptClosed("time_limit")


def submit_attempt(session: Session, attempt: Attempt, now: datetime, by: str = "learner") -> bool:
    """Score the attempt with its saved answers, exactly once; False if it was already submitted."""
    claimed = session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.status == IN_PROGRESS)
        .values(status=SUBMITTED, submitted_at=now, submitted_by=by).execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(attempt)
    if not claimed:
        return False
    total = 0.0
    for item in attempt.items:
        question = from_data(item.question_data)
        score = score_response(question, for_scoring(question.kind, item.response)) if item.response is not None else None
        item.fraction = score.fraction if score else 0.0
        item.feedback = list(score.feedback) if score else []
        total += item.fraction
    attempt.score = round(100 * total / len(attempt.items), 2) if attempt.items else 0.0
    attempt.passed = attempt.score >= attempt.pass_mark
    session.flush()
    return True


def may_see_correct_answers(session: Session, attempt: Attempt, course: Course) -> bool:
    """After passing; or, if the course allows it, after the last attempt allowed before a cooldown."""
    if attempt.status != SUBMITTED:
        return False
    if attempt.passed:
        return True
    if course.show_correct_answers != "after_passing_or_last_attempt":
        return False
    floor = recertification_floor(session, course.id)
    failed = [a for a in attempts_of(session, attempt.user_id, course.id)
              if a.status == SUBMITTED and not a.passed and a.course_version >= floor and a.purpose == attempt.purpose]
    return attempt.id in _cycles(failed, course.max_attempts, timedelta(hours=course.cooldown_hours)).last_allowed_ids


def assessment_states(session: Session, user_ids: set[int], course_ids: set[int],
                      floors: dict[int, int] | None = None) -> dict[tuple[int, int], str]:
    """passed | failed | in_progress per (user, course) with any attempt; absent pairs have not started.

    `floors` (per course, the newest version requiring recertification) saves a query when the caller has them.
    """
    if floors is None:
        floors = dict(session.execute(
            select(CourseVersion.course_id, func.max(CourseVersion.number))
            .where(CourseVersion.course_id.in_(course_ids), CourseVersion.requires_recertification)
            .group_by(CourseVersion.course_id)
        ).all())
    states: dict[tuple[int, int], str] = {}
    rank = {"failed": 1, "in_progress": 2, "passed": 3}
    rows = session.execute(
        select(Attempt.user_id, Attempt.course_id, Attempt.status, Attempt.passed, Attempt.course_version)
        .where(Attempt.user_id.in_(user_ids), Attempt.course_id.in_(course_ids), Attempt.purpose == FINAL)
    )
    for user_id, course_id, status, passed, version in rows:
        if version < floors.get(course_id, 0):
            continue
        state = "in_progress" if status == IN_PROGRESS else ("passed" if passed else "failed")
        key = (user_id, course_id)
        if rank[state] > rank.get(states.get(key, ""), 0):
            states[key] = state
    return states


@dataclass(frozen=True)
class QuestionStat:
    question: Question
    answered: int  # times it was in a submitted attempt
    percent_correct: int  # share of those with full marks
    common_wrong: str | None  # the wrong answer given most often, as text
    common_wrong_count: int = 0


def question_stats(session: Session, course: Course, truth_labels: dict[bool, str]) -> list[QuestionStat]:
    """Per question of the course: how often it was answered, how often right, the most given wrong answer."""
    questions = list(session.scalars(select(Question).where(Question.course_id == course.id).order_by(Question.module_id, Question.position, Question.id)))
    answered: Counter[int] = Counter()
    right: Counter[int] = Counter()
    wrong: dict[int, Counter[str]] = {}
    rows = session.execute(
        select(AttemptItem.question_id, AttemptItem.fraction, AttemptItem.response, AttemptItem.question_data)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.course_id == course.id, Attempt.status == SUBMITTED)
    )
    for question_id, fraction, response, data in rows:
        answered[question_id] += 1
        if fraction is not None and fraction >= 1.0:
            right[question_id] += 1
        elif response is not None:
            text = "; ".join(describe_response(from_data(data), response, truth_labels))
            if text:
                wrong.setdefault(question_id, Counter())[text] += 1
    stats = []
    for question in questions:
        common = wrong.get(question.id, Counter()).most_common(1)
        stats.append(QuestionStat(
            question=question, answered=answered[question.id],
            percent_correct=round(100 * right[question.id] / answered[question.id]) if answered[question.id] else 0,
            common_wrong=common[0][0] if common else None, common_wrong_count=common[0][1] if common else 0,
        ))
    return stats
