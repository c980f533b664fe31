"""The one place progress is computed. Dashboard, course page, reports and CSV exports all call this."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.assessment.services import assessment_states
from lms.catalog.learning_models import ACTIVE, Enrolment, LessonProgress
from lms.catalog.models import Course, CourseVersion, Lesson, Module
from lms.credentials.models import SUPERSEDED, Certificate, public_status
from lms.db import utcnow


@dataclass(frozen=True)
class ModuleProgress:
    module_id: int
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass(frozen=True)
class CourseProgress:
    course_id: int
    enrolled: bool
    version: int | None
    done: int
    total: int
    completed_lesson_ids: frozenset[int]
    modules: tuple[ModuleProgress, ...] = ()
    last_lesson_id: int | None = None
    assessment: str = "not_started"  # not_started | in_progress | failed | passed
    certificate: str = "none"  # none | valid | expired | revoked | suspended

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def lessons_complete(self) -> bool:
        return self.total > 0 and self.done >= self.total

    @property
    def state(self) -> str:
        if not self.enrolled:
            return "not_enrolled"
        if self.lessons_complete:
            return "completed"
        return "in_progress" if self.done else "not_started"


@dataclass
class _CourseShape:
    version_lessons: dict[int, list[int]] = field(default_factory=dict)
    module_of: dict[int, int] = field(default_factory=dict)
    module_order: list[int] = field(default_factory=list)


def _shapes(session: Session, course_ids: set[int]) -> dict[int, _CourseShape]:
    shapes = {course_id: _CourseShape() for course_id in course_ids}
    if not course_ids:
        return shapes
    for version in session.execute(select(CourseVersion.course_id, CourseVersion.number, CourseVersion.lesson_ids).where(CourseVersion.course_id.in_(course_ids))):
        shapes[version.course_id].version_lessons[version.number] = list(version.lesson_ids)
    rows = session.execute(
        select(Module.course_id, Module.id, Lesson.id)
        .join(Lesson, Lesson.module_id == Module.id)
        .where(Module.course_id.in_(course_ids))
        .order_by(Module.position, Lesson.position)
    )
    for course_id, module_id, lesson_id in rows:
        shape = shapes[course_id]
        shape.module_of[lesson_id] = module_id
        if module_id not in shape.module_order:
            shape.module_order.append(module_id)
    return shapes


def _certificate_states(session: Session, user_ids: set[int], course_ids: set[int]) -> dict[tuple[int, int], str]:
    """The newest certificate's status per (user, course), by its stored expiry (see lms.credentials.services
    for the full state with recertification deadlines)."""
    today = utcnow().date()
    states: dict[tuple[int, int], str] = {}
    rows = session.execute(
        select(Certificate.user_id, Certificate.course_id, Certificate.status, Certificate.expires_on)
        .where(Certificate.user_id.in_(user_ids), Certificate.course_id.in_(course_ids), Certificate.status != SUPERSEDED)
        .order_by(Certificate.issued_at)
    )
    for user_id, course_id, status, expires_on in rows:
        states[(user_id, course_id)] = public_status(status, expires_on, today)
    return states


def progress_for(session: Session, user_ids: list[int], course_ids: list[int]) -> dict[tuple[int, int], CourseProgress]:
    """Progress of every (user, course) pair, in a fixed number of queries whatever the sizes."""
    user_set, course_set = set(user_ids), set(course_ids)
    result: dict[tuple[int, int], CourseProgress] = {}
    if not user_set or not course_set:
        return result
    shapes = _shapes(session, course_set)
    current = dict(session.execute(select(Course.id, Course.version).where(Course.id.in_(course_set))).all())
    enrolments = {
        (e.user_id, e.course_id): e
        for e in session.scalars(select(Enrolment).where(Enrolment.user_id.in_(user_set), Enrolment.course_id.in_(course_set)))
    }
    assessments = assessment_states(session, user_set, course_set)
    certificates = _certificate_states(session, user_set, course_set)
    completed: dict[int, set[int]] = {}
    all_lessons = {lesson for shape in shapes.values() for lesson in shape.module_of}
    if all_lessons:
        for user_id, lesson_id in session.execute(
            select(LessonProgress.user_id, LessonProgress.lesson_id).where(
                LessonProgress.user_id.in_(user_set), LessonProgress.completed_at.is_not(None), LessonProgress.lesson_id.in_(all_lessons)
            )
        ):
            completed.setdefault(user_id, set()).add(lesson_id)
    for user_id in user_set:
        for course_id in course_set:
            enrolment = enrolments.get((user_id, course_id))
            shape = shapes[course_id]
            version = enrolment.version if enrolment else current.get(course_id)
            required = shape.version_lessons.get(version) or shape.version_lessons.get(current.get(course_id), [])
            done_ids = frozenset(l for l in required if l in completed.get(user_id, set()))
            per_module = []
            for module_id in shape.module_order:
                in_module = [l for l in required if shape.module_of.get(l) == module_id]
                if in_module:
                    per_module.append(ModuleProgress(module_id, sum(1 for l in in_module if l in done_ids), len(in_module)))
            result[(user_id, course_id)] = CourseProgress(
                course_id=course_id,
                enrolled=bool(enrolment and enrolment.status == ACTIVE),
                version=version,
                done=len(done_ids),
                total=len(required),
                completed_lesson_ids=done_ids,
                modules=tuple(per_module),
                last_lesson_id=enrolment.last_lesson_id if enrolment else None,
                assessment=assessments.get((user_id, course_id), "not_started"),
                certificate=certificates.get((user_id, course_id), "none"),
            )
    return result


def course_progress(session: Session, user_id: int, course_id: int) -> CourseProgress:
    return progress_for(session, [user_id], [course_id])[(user_id, course_id)]
