"""Learning services: catalogue, enrolment, lesson views and completion. They flush, never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, defer

from lms.catalog.learning_models import ACTIVE, LEFT, Enrolment, LessonProgress
from lms.catalog.models import PUBLISHED, Course, Lesson, Module
from lms.catalog.progress import course_progress, progress_for
from lms.db import utcnow
from lms.text import fold


class NotEnrolled(Exception):
    """The learner must enrol before doing this."""


class PrerequisitesMissing(Exception):
    def __init__(self, missing: list[Course]):
        super().__init__(", ".join(c.slug for c in missing))
        self.missing = missing


class TooEarly(Exception):
    def __init__(self, seconds_left: int):
        super().__init__(seconds_left)
        self.seconds_left = seconds_left


def published_courses(session: Session, query: str = ""):
    """Select published courses, required ones first; `query` matches without diacritics."""
    statement = select(Course).where(Course.status == PUBLISHED).order_by(Course.required_for_onboarding.desc(), Course.title_vi)
    words = fold(query).split()
    for word in words[:8]:
        statement = statement.where(Course.search_text.contains(word, autoescape=True))
    return statement


# The lookups of every lesson page, built once and bound per call: building a select() cost about as much as
# running it. An outline leaves out the lesson texts unless asked: a page lists titles, not every lesson's body.
_PUBLISHED_COURSE = select(Course).where(Course.slug == bindparam("slug"), Course.status == PUBLISHED)
_PUBLISHED_MODULES = select(Module).where(Module.course_id == bindparam("course_id"), Module.is_published).order_by(Module.position)
_PUBLISHED_LESSONS = (
    select(Lesson).where(Lesson.module_id.in_(bindparam("module_ids", expanding=True)), Lesson.is_published).order_by(Lesson.position)
)
_LESSON_TEXTS = (Lesson.body_vi, Lesson.body_en, Lesson.html_vi, Lesson.html_en)
_PUBLISHED_LESSONS_WITHOUT_TEXT = _PUBLISHED_LESSONS.options(*(defer(column) for column in _LESSON_TEXTS))
_LESSON = (
    select(Lesson).join(Module, Lesson.module_id == Module.id)
    .where(Module.course_id == bindparam("course_id"), Module.slug == bindparam("module_slug"), Lesson.slug == bindparam("lesson_slug"),
           Lesson.is_published, Module.is_published)
)
_ENROLMENT = select(Enrolment).where(Enrolment.user_id == bindparam("user_id"), Enrolment.course_id == bindparam("course_id"))
_LESSON_PROGRESS = select(LessonProgress).where(LessonProgress.user_id == bindparam("user_id"), LessonProgress.lesson_id == bindparam("lesson_id"))


def get_published_course(session: Session, slug: str) -> Course | None:
    return session.scalar(_PUBLISHED_COURSE, {"slug": slug})


def outline(session: Session, course: Course, with_text: bool = False) -> list[tuple[Module, list[Lesson]]]:
    """Published modules and lessons of a course in order (two queries); the lessons' texts load only `with_text`."""
    modules = list(session.scalars(_PUBLISHED_MODULES, {"course_id": course.id}))
    lessons = session.scalars(_PUBLISHED_LESSONS if with_text else _PUBLISHED_LESSONS_WITHOUT_TEXT, {"module_ids": [m.id for m in modules]})
    by_module: dict[int, list[Lesson]] = {m.id: [] for m in modules}
    for lesson in lessons:
        by_module[lesson.module_id].append(lesson)
    return [(m, by_module[m.id]) for m in modules]


def find_lesson(session: Session, course: Course, module_slug: str, lesson_slug: str) -> Lesson | None:
    return session.scalar(_LESSON, {"course_id": course.id, "module_slug": module_slug, "lesson_slug": lesson_slug})


def get_enrolment(session: Session, user_id: int, course_id: int) -> Enrolment | None:
    return session.scalar(_ENROLMENT, {"user_id": user_id, "course_id": course_id})


def missing_prerequisites(session: Session, user_id: int, course: Course) -> list[Course]:
    if not course.prerequisites:
        return []
    required = list(session.scalars(select(Course).where(Course.slug.in_(course.prerequisites))))
    return [c for c in required if not course_progress(session, user_id, c.id).lessons_complete]


def enrol_learner(session: Session, user_id: int, course: Course) -> Enrolment:
    """Enrol (or re-enrol, resuming the earlier progress and version); checks prerequisites."""
    missing = missing_prerequisites(session, user_id, course)
    if missing:
        raise PrerequisitesMissing(missing)
    enrolment = get_enrolment(session, user_id, course.id)
    if enrolment is None:
        enrolment = Enrolment(user_id=user_id, course_id=course.id, version=course.version, status=ACTIVE)
        session.add(enrolment)
    else:
        enrolment.status, enrolment.left_at = ACTIVE, None
    enrolment.last_activity_at = utcnow()
    session.flush()
    return enrolment


def unenrol_learner(session: Session, user_id: int, course: Course) -> None:
    """Leave a course; progress and history stay for a later return."""
    enrolment = get_enrolment(session, user_id, course.id)
    if enrolment is not None and enrolment.status == ACTIVE:
        enrolment.status, enrolment.left_at = LEFT, utcnow()
        session.flush()


def _upsert_progress(session: Session, user_id: int, lesson_id: int) -> None:
    """Insert the progress row if missing, race-free on both engines (ON CONFLICT DO NOTHING)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(LessonProgress).values(user_id=user_id, lesson_id=lesson_id, first_viewed_at=utcnow()).on_conflict_do_nothing(index_elements=["user_id", "lesson_id"]))


# reading the same lesson again within this time is not news: the page view then writes nothing
ACTIVITY_RESOLUTION = timedelta(minutes=5)


def record_lesson_view(session: Session, user_id: int, enrolment: Enrolment, lesson: Lesson) -> LessonProgress:
    """The first view starts the lesson's reading clock; the enrolment remembers it as the last lesson opened.

    Writes only what changes, so reading a page again is read-only (on SQLite every write waits for the one writer).
    """
    ids = {"user_id": user_id, "lesson_id": lesson.id}
    progress = session.scalar(_LESSON_PROGRESS, ids)
    if progress is None:
        _upsert_progress(session, user_id, lesson.id)
        progress = session.scalar(_LESSON_PROGRESS, ids)
    now = utcnow()
    if enrolment.last_lesson_id != lesson.id or enrolment.last_activity_at is None or now - enrolment.last_activity_at >= ACTIVITY_RESOLUTION:
        enrolment.last_lesson_id = lesson.id
        enrolment.last_activity_at = now
        session.flush()
    return progress


def complete_lesson(session: Session, user_id: int, course: Course, lesson: Lesson) -> bool:
    """Mark a lesson complete; idempotent (twice, or from two tabs at once, counts once). True if newly done."""
    enrolment = get_enrolment(session, user_id, course.id)
    if enrolment is None or enrolment.status != ACTIVE:
        raise NotEnrolled()
    _upsert_progress(session, user_id, lesson.id)
    progress = session.scalar(select(LessonProgress).where(LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson.id))
    if course.require_reading_time:
        ready_at = progress.first_viewed_at + timedelta(seconds=lesson.minutes * 30)
        now = utcnow()
        if now < ready_at:
            raise TooEarly(int((ready_at - now).total_seconds()) + 1)
    # conditional update: only the first of concurrent requests changes the row
    updated = session.execute(
        LessonProgress.__table__.update()
        .where(LessonProgress.id == progress.id, LessonProgress.completed_at.is_(None))
        .values(completed_at=utcnow())
    ).rowcount
    enrolment.last_lesson_id = lesson.id
    enrolment.last_activity_at = utcnow()
    session.flush()
    session.expire(progress)
    return updated == 1


def sync_offline_completions(session: Session, user_id: int, lesson_ids: list[int]) -> dict[int, str]:
    """Record lessons a learner marked complete while offline; replaying the same list changes nothing.

    Per lesson: completed (new), already (was complete), too_early (reading time not reached),
    not_enrolled, not_found (unknown or unpublished lesson).
    """
    results: dict[int, str] = {}
    for lesson_id in dict.fromkeys(lesson_ids):
        found = session.execute(
            select(Lesson, Course)
            .join(Module, Lesson.module_id == Module.id)
            .join(Course, Module.course_id == Course.id)
            .where(Lesson.id == lesson_id, Lesson.is_published, Module.is_published, Course.status == PUBLISHED)
        ).first()
        if found is None:
            results[lesson_id] = "not_found"
            continue
        lesson, course = found
        try:
            results[lesson_id] = "completed" if complete_lesson(session, user_id, course, lesson) else "already"
        except NotEnrolled:
            results[lesson_id] = "not_enrolled"
        except TooEarly:
            results[lesson_id] = "too_early"
    return results


@dataclass(frozen=True)
class Neighbours:
    previous: tuple[Module, Lesson] | None
    next: tuple[Module, Lesson] | None


def neighbours(course_outline: list[tuple[Module, list[Lesson]]], lesson: Lesson) -> Neighbours:
    flat = [(m, l) for m, lessons in course_outline for l in lessons]
    index = next(i for i, (_, l) in enumerate(flat) if l.id == lesson.id)
    return Neighbours(flat[index - 1] if index > 0 else None, flat[index + 1] if index + 1 < len(flat) else None)


def continue_lesson(course_outline, completed_ids: frozenset[int], last_lesson_id: int | None):
    """Where to resume: the first lesson not yet done after the last one opened, else the first not done."""
    flat = [(m, l) for m, lessons in course_outline for l in lessons]
    if not flat:
        return None
    start = next((i for i, (_, l) in enumerate(flat) if l.id == last_lesson_id), 0)
    for module, lesson in flat[start:] + flat[:start]:
        if lesson.id not in completed_ids:
            return module, lesson
    return flat[start]


@dataclass(frozen=True)
class DashboardEntry:
    course: Course
    progress: object  # CourseProgress
    resume: tuple[Module, Lesson] | None


@dataclass(frozen=True)
class Dashboard:
    in_progress: list[DashboardEntry]
    completed: list[DashboardEntry]
    onboarding_missing: list[Course]


def dashboard_for(session: Session, user_id: int) -> Dashboard:
    """The learner's home: courses in progress (with where to resume), completed, and required courses still missing."""
    enrolled_ids = list(session.scalars(select(Enrolment.course_id).where(Enrolment.user_id == user_id, Enrolment.status == ACTIVE)))
    required = list(session.scalars(select(Course).where(Course.status == PUBLISHED, Course.required_for_onboarding).order_by(Course.title_vi)))
    courses = {c.id: c for c in session.scalars(select(Course).where(Course.id.in_(enrolled_ids)))} if enrolled_ids else {}
    progress = progress_for(session, [user_id], list(courses) + [c.id for c in required])
    in_progress, completed = [], []
    for course_id, course in sorted(courses.items(), key=lambda item: item[1].title_vi):
        entry_progress = progress[(user_id, course_id)]
        # the same "continue" rule as the course page (one outline per enrolled course: a handful)
        resume = continue_lesson(outline(session, course), entry_progress.completed_lesson_ids, entry_progress.last_lesson_id)
        entry = DashboardEntry(course, entry_progress, resume)
        (completed if entry_progress.lessons_complete else in_progress).append(entry)
    missing = [c for c in required if progress[(user_id, c.id)].certificate != "valid"]
    return Dashboard(in_progress, completed, missing)
