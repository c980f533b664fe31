"""Who may edit a course or run a session: admins always; trainers only what they own or are assigned to."""
from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from lms.accounts.models import Role, User
from lms.cohorts.models import CourseTrainer, SessionTrainer, TrainingSession


def is_admin(user: User) -> bool:
    return user.is_authenticated and user.role == Role.ADMIN.value


def can_edit_course(session: Session, user: User, course_id: int) -> bool:
    if not user.is_authenticated:
        return False
    if is_admin(user):
        return True
    return user.role == Role.TRAINER.value and bool(session.scalar(
        select(exists().where(CourseTrainer.course_id == course_id, CourseTrainer.user_id == user.id))))


def can_run_session(session: Session, user: User, session_id: int) -> bool:
    if not user.is_authenticated:
        return False
    if is_admin(user):
        return True
    return user.role == Role.TRAINER.value and bool(session.scalar(
        select(exists().where(SessionTrainer.session_id == session_id, SessionTrainer.user_id == user.id))))


def course_ids_of(session: Session, user: User) -> set[int] | None:
    """The courses a trainer may edit; None means every course (admins)."""
    if is_admin(user):
        return None
    return set(session.scalars(select(CourseTrainer.course_id).where(CourseTrainer.user_id == user.id)))


def sessions_query(user: User):
    """Sessions a user runs (admins: all), newest first."""
    query = select(TrainingSession).order_by(TrainingSession.starts_on.desc(), TrainingSession.id.desc())
    if is_admin(user):
        return query
    return query.where(or_(
        TrainingSession.id.in_(select(SessionTrainer.session_id).where(SessionTrainer.user_id == user.id)),
    ))


def assign_course_trainer(session: Session, course_id: int, user_id: int, assigned_by: int | None) -> bool:
    """Make a trainer one of a course's trainers; False if already."""
    if session.scalar(select(CourseTrainer.id).where(CourseTrainer.course_id == course_id, CourseTrainer.user_id == user_id)):
        return False
    session.add(CourseTrainer(course_id=course_id, user_id=user_id, assigned_by=assigned_by))
    session.flush()
    return True
