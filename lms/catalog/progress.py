"""The one place progress is computed. Dashboard, course page, reports and CSV exports all call this."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
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
    current: int | None = None  # the course's current version number
    version_lessons: dict[int, list[int]] = field(default_factory=dict)
    module_of: dict[int, int] = field(default_factory=dict)
    module_order: list[int] = field(default_factory=list)
    recertification_floor: int = 0  # attempts on versions older than the newest one requiring recertification do not count
    _modules: dict[int, list[tuple[int, list[int]]]] = field(default_factory=dict)

    def required(self, version: int | None) -> list[int]:
        return self.version_lessons.get(version) or self.version_lessons.get(self.current, [])

    def modules_of(self, version: int | None) -> list[tuple[int, list[int]]]:
        """(module, its required lessons) in module order, for a version: computed once per version, not per learner."""
        key = version if version in self.version_lessons else self.current
        if key not in self._modules:
            required = self.required(version)
            self._modules[key] = [(m, [l for l in required if self.module_of.get(l) == m]) for m in self.module_order]
        return self._modules[key]


# The queries are built once, their ids bound per call: building a select() took longer than running it on
# these small lookups (about 0.15 ms each), and every page that shows progress runs them.
_USER_IDS, _COURSE_IDS, _LESSON_IDS = (bindparam(name, expanding=True) for name in ("user_ids", "course_ids", "lesson_ids"))
_VERSIONS = (
    select(Course.id, Course.version, CourseVersion.number, CourseVersion.lesson_ids, CourseVersion.requires_recertification)
    .outerjoin(CourseVersion, CourseVersion.course_id == Course.id).where(Course.id.in_(_COURSE_IDS))
)
_LESSONS_BY_MODULE = (
    select(Module.course_id, Module.id, Lesson.id).join(Lesson, Lesson.module_id == Module.id)
    .where(Module.course_id.in_(_COURSE_IDS)).order_by(Module.position, Lesson.position)
)
_CERTIFICATES = (
    select(Certificate.user_id, Certificate.course_id, Certificate.status, Certificate.expires_on)
    .where(Certificate.user_id.in_(_USER_IDS), Certificate.course_id.in_(_COURSE_IDS), Certificate.status != SUPERSEDED)
    .order_by(Certificate.issued_at)
)
_ENROLMENTS = (
    select(Enrolment.user_id, Enrolment.course_id, Enrolment.version, Enrolment.status, Enrolment.last_lesson_id)
    .where(Enrolment.user_id.in_(_USER_IDS), Enrolment.course_id.in_(_COURSE_IDS))
)
_COMPLETED = (
    select(LessonProgress.user_id, LessonProgress.lesson_id)
    .where(LessonProgress.user_id.in_(_USER_IDS), LessonProgress.completed_at.is_not(None), LessonProgress.lesson_id.in_(_LESSON_IDS))
)


def _shapes(session: Session, course_ids: set[int]) -> dict[int, _CourseShape]:
    shapes = {course_id: _CourseShape() for course_id in course_ids}
    if not course_ids:
        return shapes
    versions = session.execute(_VERSIONS, {"course_ids": list(course_ids)})
    for course_id, current, number, lesson_ids, requires_recertification in versions:
        shape = shapes[course_id]
        shape.current = current
        if number is None:
            continue  # a course never published has no versions yet
        shape.version_lessons[number] = list(lesson_ids)
        if requires_recertification:
            shape.recertification_floor = max(shape.recertification_floor, number)
    for course_id, module_id, lesson_id in session.execute(_LESSONS_BY_MODULE, {"course_ids": list(course_ids)}):
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
    rows = session.execute(_CERTIFICATES, {"user_ids": list(user_ids), "course_ids": list(course_ids)})
    for user_id, course_id, status, expires_on in rows:
        states[(user_id, course_id)] = public_status(status, expires_on, today)
    return states


def progress_for(session: Session, user_ids: list[int], course_ids: list[int]) -> dict[tuple[int, int], CourseProgress]:
    """Progress of every (user, course) pair, in a fixed number of queries whatever the sizes (six)."""
    user_set, course_set = set(user_ids), set(course_ids)
    result: dict[tuple[int, int], CourseProgress] = {}
    if not user_set or not course_set:
        return result
    shapes = _shapes(session, course_set)
    ids = {"user_ids": list(user_set), "course_ids": list(course_set)}
    enrolments = {(row.user_id, row.course_id): row for row in session.execute(_ENROLMENTS, ids)}
    floors = {course_id: shape.recertification_floor for course_id, shape in shapes.items()}
    assessments = assessment_states(session, user_set, course_set, floors)
    certificates = _certificate_states(session, user_set, course_set)
    completed: dict[int, set[int]] = {}
    all_lessons = {lesson for shape in shapes.values() for lesson in shape.module_of}
    if all_lessons:
        for user_id, lesson_id in session.execute(_COMPLETED, {"user_ids": list(user_set), "lesson_ids": list(all_lessons)}):
            completed.setdefault(user_id, set()).add(lesson_id)
    nothing: frozenset[int] = frozenset()
    for user_id in user_set:
        done_by_user = completed.get(user_id, nothing)
        for course_id in course_set:
            enrolment = enrolments.get((user_id, course_id))
            shape = shapes[course_id]
            version = enrolment.version if enrolment else shape.current
            required = shape.required(version)
            done_ids = frozenset(l for l in required if l in done_by_user)
            per_module = tuple(
                ModuleProgress(module_id, sum(1 for l in lessons if l in done_ids), len(lessons))
                for module_id, lessons in shape.modules_of(version) if lessons
            )
            result[(user_id, course_id)] = CourseProgress(
                course_id=course_id,
                enrolled=bool(enrolment and enrolment.status == ACTIVE),
                version=version,
                done=len(done_ids),
                total=len(required),
                completed_lesson_ids=done_ids,
                modules=per_module,
                last_lesson_id=enrolment.last_lesson_id if enrolment else None,
                assessment=assessments.get((user_id, course_id), "not_started"),
                certificate=certificates.get((user_id, course_id), "none"),
            )
    return result


def course_progress(session: Session, user_id: int, course_id: int) -> CourseProgress:
    return progress_for(session, [user_id], [course_id])[(user_id, course_id)]
