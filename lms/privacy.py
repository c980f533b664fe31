"""Personal data (Law 91/2025/QH15, Decree 356/2025/ND-CP): a person's copy of their data, and deleting their account.

Deleting an account anonymises it: the row stays (attempts, certificates and the audit log point at it),
its personal fields are emptied and it can no longer sign in. Scores and certificates are kept because
they are the record of an award that platforms and the trade promotion centre rely on; a certificate's
signed claims (holder name, business, province) are never rewritten.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from lms.accounts.identity import InvalidValue
from lms.accounts.models import DELETED_EMAIL_DOMAIN, Role, User
from lms.accounts.services import PRIVACY_NOTICE_VERSION, authenticate
from lms.assessment.bank import from_data
from lms.assessment.models import Attempt, AttemptItem
from lms.assessment.review import describe_response
from lms.audit.models import AuditEvent
from lms.audit.services import record
from lms.catalog.learning_models import Enrolment, LessonProgress
from lms.catalog.models import Course, Lesson, Module
from lms.cohorts.models import SessionMember, TrainingSession
from lms.credentials.models import Certificate
from lms.logmask import redact  # noqa: F401  (lms.mail masks addresses with it)
from lms.onboarding.models import SellerNote, SellerProfile
from lms.text import fold

EXPORT_FORMAT = "ocop-seller-academy-personal-data/1"
DELETED_NAME = "Người dùng đã xóa #{id}"
# the users table requires an email or a phone: a deleted account gets an address that cannot exist (RFC 2606);
# User.login shows it as "deleted account"
DELETED_EMAIL = "deleted-{id}@" + DELETED_EMAIL_DOMAIN
# not an Argon2 hash: every password check fails on it
UNUSABLE_PASSWORD = "!deleted"
_TRUTH = {True: "true", False: "false"}


# --- the copy of a person's data ------------------------------------------------------------

def _profile(user: User) -> dict:
    return {"id": user.id, "email": user.email, "phone": user.phone, "full_name": user.full_name,
            "province": user.province, "business_name": user.business_name, "role": user.role,
            "language": user.locale, "active": user.is_active, "created_at": user.created_at,
            "last_login_at": user.last_login_at}


def _enrolments(session: Session, user_id: int) -> list[dict]:
    rows = session.execute(select(Enrolment, Course.slug).join(Course, Course.id == Enrolment.course_id)
                           .where(Enrolment.user_id == user_id).order_by(Enrolment.id))
    return [{"course": slug, "version": e.version, "status": e.status, "enrolled_at": e.enrolled_at,
             "left_at": e.left_at, "last_activity_at": e.last_activity_at} for e, slug in rows]


def _lesson_progress(session: Session, user_id: int) -> list[dict]:
    rows = session.execute(select(LessonProgress, Course.slug, Module.slug, Lesson.slug)
                           .join(Lesson, Lesson.id == LessonProgress.lesson_id).join(Module, Module.id == Lesson.module_id)
                           .join(Course, Course.id == Module.course_id)
                           .where(LessonProgress.user_id == user_id).order_by(LessonProgress.id))
    return [{"course": course, "module": module, "lesson": lesson, "first_viewed_at": p.first_viewed_at,
             "completed_at": p.completed_at} for p, course, module, lesson in rows]


def _answer(item: AttemptItem) -> dict:
    """What was asked and what the learner answered: never the answer key of the question."""
    question = from_data(item.question_data)
    return {"position": item.position, "question": question.text, "answer": describe_response(question, item.response, _TRUTH),
            "stored_response": item.response, "score_fraction": item.fraction}


def _attempts(session: Session, user_id: int) -> list[dict]:
    attempts = session.execute(select(Attempt, Course.slug).join(Course, Course.id == Attempt.course_id)
                               .where(Attempt.user_id == user_id).order_by(Attempt.id)).all()
    items: dict[int, list[dict]] = {attempt.id: [] for attempt, _ in attempts}
    if items:
        for item in session.scalars(select(AttemptItem).where(AttemptItem.attempt_id.in_(list(items)))
                                    .order_by(AttemptItem.attempt_id, AttemptItem.position)):
            items[item.attempt_id].append(_answer(item))
    return [{"course": slug, "number": a.number, "course_version": a.course_version, "purpose": a.purpose,
             "language": a.lang, "status": a.status, "started_at": a.started_at, "submitted_at": a.submitted_at,
             "score": a.score, "pass_mark": a.pass_mark, "passed": a.passed, "answers": items[a.id]} for a, slug in attempts]


def _certificates(session: Session, user_id: int) -> list[dict]:
    rows = session.execute(select(Certificate, Course.slug).join(Course, Course.id == Certificate.course_id)
                           .where(Certificate.user_id == user_id).order_by(Certificate.id))
    return [{"code": c.code, "course": slug, "course_version": c.course_version, "status": c.status,
             "issued_at": c.issued_at, "awarded_on": c.awarded_on, "expires_on": c.expires_on, "claims": c.claims}
            for c, slug in rows]


def _seller(session: Session, profile: SellerProfile | None, user_id: int) -> dict | None:
    if profile is None:
        return None
    notes = session.scalars(select(SellerNote).where(SellerNote.user_id == user_id).order_by(SellerNote.id))
    return {"seller_code": profile.seller_code, "business_type": profile.business_type, "tax_code": profile.tax_code,
            "created_at": profile.created_at,
            "ocop_products": [{"name": p.name, "group": p.product_group, "stars": p.stars, "recognised_on": p.recognised_on}
                              for p in profile.products],
            "shops": [{"platform": s.platform, "handle": s.handle} for s in profile.shops],
            "verifier_notes": [{"at": n.at, "text": n.text} for n in notes]}


def _sessions(session: Session, user_id: int) -> list[dict]:
    rows = session.execute(select(SessionMember, TrainingSession).join(TrainingSession, TrainingSession.id == SessionMember.session_id)
                           .where(SessionMember.user_id == user_id).order_by(SessionMember.id))
    return [{"session": t.name, "province": t.province, "place": t.place, "starts_on": t.starts_on, "ends_on": t.ends_on,
             "added_at": m.added_at, "removed_at": m.removed_at} for m, t in rows]


def _audit_events(session: Session, user_id: int, profile: SellerProfile | None) -> list[dict]:
    """Entries the person made, entries about their account or seller profile, and their session memberships."""
    about = [AuditEvent.actor_id == user_id, and_(AuditEvent.object_type == "user", AuditEvent.object_id == str(user_id))]
    if profile is not None:
        about.append(and_(AuditEvent.object_type == "seller_profile", AuditEvent.object_id == str(profile.id)))
    session_ids = [str(i) for i in session.scalars(select(SessionMember.session_id).where(SessionMember.user_id == user_id))]
    if session_ids:
        about.append(and_(AuditEvent.object_type == "session", AuditEvent.object_id.in_(session_ids),
                          AuditEvent.action.startswith("session.member_")))
    events = session.scalars(select(AuditEvent).where(or_(*about)).order_by(AuditEvent.id))
    return [{"at": e.at, "action": e.action, "object_type": e.object_type, "object_id": e.object_id, "detail": e.detail,
             "by": "you" if e.actor_id == user_id else ("system" if e.actor_id is None else "staff")}
            for e in events
            if e.object_type != "session" or e.actor_id == user_id or (e.detail or {}).get("user_id") == user_id]


def personal_data(session: Session, user: User, now: datetime) -> dict:
    """Everything the platform holds about one person, as JSON-ready values (dates stay date objects)."""
    profile = session.scalar(select(SellerProfile).where(SellerProfile.user_id == user.id))
    return {
        "format": EXPORT_FORMAT,
        "exported_at": now,
        "profile": _profile(user),
        "consent": {"given_at": user.consent_at, "privacy_notice_version": user.consent_version,
                    "current_privacy_notice_version": PRIVACY_NOTICE_VERSION},
        "enrolments": _enrolments(session, user.id),
        "lesson_progress": _lesson_progress(session, user.id),
        "attempts": _attempts(session, user.id),
        "certificates": _certificates(session, user.id),
        "seller_profile": _seller(session, profile, user.id),
        "training_sessions": _sessions(session, user.id),
        "audit_events": _audit_events(session, user.id, profile),
    }


def record_data_export(session: Session, user: User) -> None:
    record(session, user.id, "privacy.data_exported", "user", user.id)


# --- deleting an account --------------------------------------------------------------------

@dataclass(frozen=True)
class KeptRecords:
    """What deletion keeps, to tell the person before and after."""

    certificates: int
    attempts: int

    @property
    def keeps_name(self) -> bool:
        return self.certificates > 0


def kept_records(session: Session, user_id: int) -> KeptRecords:
    def count(model) -> int:
        return session.scalar(select(func.count()).select_from(model).where(model.user_id == user_id))

    return KeptRecords(certificates=count(Certificate), attempts=count(Attempt))


def delete_account(session: Session, user: User, password: str) -> KeptRecords:
    """Anonymise the account after checking its password; every session of it ends.

    Raises InvalidValue("password_wrong"), or InvalidValue("last_admin") for the only active admin.
    The name is kept when the person holds a certificate (the legal record of the award).
    """
    if authenticate(session, user.login, password) is not user:
        raise InvalidValue("password_wrong")
    if user.role == Role.ADMIN.value and not session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN.value, User.is_active, User.id != user.id)):
        raise InvalidValue("last_admin")
    kept = kept_records(session, user.id)
    if not kept.keeps_name:
        user.full_name = DELETED_NAME.format(id=user.id)
        user.name_search = fold(user.full_name)
    user.email, user.phone = DELETED_EMAIL.format(id=user.id), None
    user.password_hash = UNUSABLE_PASSWORD
    user.business_name = ""
    user.last_login_at = None
    user.is_active = False
    user.session_version += 1
    profile = session.scalar(select(SellerProfile).where(SellerProfile.user_id == user.id))
    if profile is not None:
        profile.tax_code = None
        profile.shops.clear()
    session.flush()
    record(session, user.id, "privacy.account_deleted", "user", user.id, certificates_kept=kept.certificates,
           attempts_kept=kept.attempts, name_kept=kept.keeps_name)
    return kept
