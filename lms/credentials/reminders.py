"""Emails to holders whose certificate ends soon: one at 60 days, one at 14 days, each sent once.

The dashboard shows the same reminders; the email reaches sellers who do not open the site until a
platform refuses them. Phone-only learners have no email and see only the dashboard.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.catalog.models import Course, CourseVersion
from lms.credentials.models import ACTIVE, Certificate, CertificateEvent
from lms.credentials.services import REMINDER_DAYS, certificate_state, recertification_versions

# (certificate, holder, course, days left, valid until) -> True if the mail server accepted the message
SendReminder = Callable[[Certificate, User, Course, int, date], bool]


def reminder_action(days: int) -> str:
    return f"reminded_{days}"


@dataclass
class ReminderCounts:
    sent: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"reminders sent {self.sent}, failed {self.failed}"


def _stage(days_left: int) -> int | None:
    """The reminder due for a certificate with days_left: the nearest threshold it has passed (14, else 60)."""
    passed = [days for days in REMINDER_DAYS if days_left <= days]
    return min(passed) if passed else None


def _candidates(session: Session, today: date):
    """Active certificates of holders with an email that may end within 60 days: by expiry, or because a
    newer course version requires recertification (its deadline can come before the expiry)."""
    newer_requires_recertification = exists().where(
        CourseVersion.course_id == Certificate.course_id, CourseVersion.requires_recertification,
        CourseVersion.number > Certificate.course_version,
    )
    return session.scalars(
        select(Certificate)
        .join(User, User.id == Certificate.user_id)
        .where(Certificate.status == ACTIVE, User.email.is_not(None), User.is_active,
               or_(Certificate.expires_on <= today + timedelta(days=max(REMINDER_DAYS)), newer_requires_recertification))
        .order_by(Certificate.id)
    ).all()


def send_expiry_reminders(session: Session, now: datetime, send: SendReminder, grace_days: int = 90) -> ReminderCounts:
    """Send each due reminder once and record it on the certificate (action reminded_60 / reminded_14).

    COMMITS after each certificate, like the webhook outbox: a reminder is recorded only once the mail
    server accepted it, so a failure is tried again on the next run; a crash between the two sends it twice
    at worst. The certificate row is locked (SKIP LOCKED on PostgreSQL) so two hosts never send the same one.
    """
    today = now.date()
    counts = ReminderCounts()
    certificates = _candidates(session, today)
    versions = recertification_versions(session, sorted({c.course_id for c in certificates}))
    for candidate in certificates:
        state = certificate_state(session, candidate, today, grace_days, versions)
        stage = _stage((state.valid_until - today).days) if state.is_valid else None
        if stage is None:
            continue
        certificate = session.scalar(select(Certificate).where(Certificate.id == candidate.id).with_for_update(skip_locked=True))
        already = session.scalar(select(exists().where(CertificateEvent.certificate_id == candidate.id,
                                                       CertificateEvent.action == reminder_action(stage))))
        if certificate is None or already:
            session.commit()
            continue
        holder, course = session.get(User, certificate.user_id), session.get(Course, certificate.course_id)
        if send(certificate, holder, course, (state.valid_until - today).days, state.valid_until):
            session.add(CertificateEvent(certificate_id=certificate.id, action=reminder_action(stage), at=now))
            counts.sent += 1
        else:
            counts.failed += 1
        session.commit()
    session.commit()
    return counts
