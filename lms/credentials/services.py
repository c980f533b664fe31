"""Certificates: issue when due (same transaction as the pass), status, revocation, renewal, stored PDFs.

Services flush and never commit. Signing keys and the issuer come in an IssuingContext built by
the caller from the configuration, so these functions never read Flask globals.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from lms.accounts.models import User
from lms.accounts.provinces import PROVINCE_NAMES
from lms.assessment.models import SUBMITTED, Attempt
from lms.catalog.learning_models import ACTIVE as ENROLLED
from lms.catalog.learning_models import Enrolment
from lms.catalog.models import Course, CourseVersion
from lms.catalog.progress import course_progress, progress_for
from lms.credentials.claims import CertificateClaims, Issuer
from lms.credentials.codes import new_code, normalise_code
from lms.credentials.keys import KeyStore, NoSigningKey
from lms.credentials.models import ACTIVE, REVOKED, SUPERSEDED, SUSPENDED, Certificate, CertificateEvent, public_status
from lms.credentials.signing import sign_claims
from lms.storage import FileStorage

log = logging.getLogger(__name__)

STATUS_LIST_SIZE = 131_072  # bits per list: the W3C minimum, for herd privacy
CURRENT_STATUS_LIST = "1"
REMINDER_DAYS = (60, 14)


@dataclass(frozen=True)
class IssuingContext:
    issuer: Issuer
    keys: KeyStore
    public_url: str  # e.g. https://academy.example.vn, no trailing slash
    recertification_grace_days: int = 90


@dataclass(frozen=True)
class CertificateState:
    """What a certificate means today: valid | expired | revoked | suspended | superseded."""

    status: str
    valid_until: date  # the expiry, or an earlier recertification deadline
    recertify_by: date | None = None  # set when a newer course version requires recertification
    changed_at: datetime | None = None  # when it was revoked, suspended or superseded

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"


class CertificateActionRefused(Exception):
    """A status change that does not apply (e.g. reinstating a valid certificate)."""


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def verify_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/verify/{code}"


def verify_link(public_url: str, certificate: Certificate) -> str:
    """The address in the QR code: the verification page, with the signed claims in the fragment
    (a fragment never reaches the server, and lets a phone check the signature offline)."""
    return f"{verify_url(public_url, certificate.code)}#{certificate.jws}"


# built once, bound per call: every certificate status (API, verify page) runs both, and building a select()
# costs about as much as running it
_CERTIFICATE_BY_CODE = select(Certificate).where(Certificate.code == bindparam("code"))
_RECERTIFICATION_VERSIONS = (
    select(CourseVersion.course_id, CourseVersion.number, CourseVersion.created_at)
    .where(CourseVersion.course_id.in_(bindparam("course_ids", expanding=True)), CourseVersion.requires_recertification)
    .order_by(CourseVersion.number)
)


def find_certificate(session: Session, text: str) -> Certificate | None:
    code = normalise_code(text or "")
    return session.scalar(_CERTIFICATE_BY_CODE, {"code": code}) if code else None


def recertification_versions(session: Session, course_ids: list[int]) -> dict[int, list[tuple[int, date]]]:
    """Per course, the versions that require recertification (number, date): one query for any number of certificates."""
    found: dict[int, list[tuple[int, date]]] = {course_id: [] for course_id in course_ids}
    if course_ids:
        for course_id, number, created_at in session.execute(_RECERTIFICATION_VERSIONS, {"course_ids": list(course_ids)}):
            found[course_id].append((number, created_at.date()))
    return found


def _recertification_deadline(versions: list[tuple[int, date]], certificate: Certificate, grace_days: int) -> date | None:
    newer = next((created for number, created in versions if number > certificate.course_version), None)
    return newer + timedelta(days=grace_days) if newer else None


def certificate_state(session: Session, certificate: Certificate, today: date, grace_days: int = 90,
                      versions: dict[int, list[tuple[int, date]]] | None = None) -> CertificateState:
    """`versions` (from recertification_versions) saves a query per certificate when many are checked."""
    if versions is None:
        versions = recertification_versions(session, [certificate.course_id])
    recertify_by = _recertification_deadline(versions.get(certificate.course_id, []), certificate, grace_days)
    valid_until = min(certificate.expires_on, recertify_by) if recertify_by else certificate.expires_on
    status = public_status(certificate.status, valid_until, today)
    return CertificateState(status, valid_until, recertify_by, certificate.status_changed_at if status != "expired" else None)


def public_view(session: Session, certificate: Certificate, today: date, grace_days: int = 90) -> dict:
    """What the public may know of a certificate: no email, phone or scores."""
    state = certificate_state(session, certificate, today, grace_days)
    claims = certificate.claims
    successor = session.scalar(select(Certificate.code).where(Certificate.renews_id == certificate.id)) if state.status == "superseded" else None
    return {
        "code": certificate.code, "status": state.status, "status_changed_at": state.changed_at, "valid_until": state.valid_until,
        "recertify_by": state.recertify_by, "holder_name": claims["holder_name"], "business": claims["business"],
        "province": claims["province"], "course_slug": claims["course_slug"], "course_title_vi": claims["course_title_vi"],
        "course_title_en": claims["course_title_en"], "course_version": claims["course_version"],
        "issued_on": certificate.issued_at.date(), "awarded_on": certificate.awarded_on, "expires_on": certificate.expires_on,
        "issuer": claims["issuer"]["name"], "superseded_by": successor,
    }


def _record(session: Session, certificate: Certificate, action: str, actor_id: int | None, reason: str, now: datetime) -> None:
    session.add(CertificateEvent(certificate_id=certificate.id, action=action, actor_id=actor_id, reason=reason, at=now))


def _free_status_index(session: Session, status_list: str) -> int:
    # random positions, as the W3C recommends, so a list does not reveal the order of issue
    for _ in range(100):
        index = secrets.randbelow(STATUS_LIST_SIZE)
        taken = session.scalar(select(Certificate.id).where(Certificate.status_list == status_list, Certificate.status_index == index))
        if taken is None:
            return index
    raise RuntimeError(f"status list {status_list} is nearly full")


def _passing_attempt(session: Session, user_id: int, course_id: int, since_version: int, purpose: str) -> Attempt | None:
    return session.scalar(
        select(Attempt)
        .where(Attempt.user_id == user_id, Attempt.course_id == course_id, Attempt.status == SUBMITTED, Attempt.passed.is_(True),
               Attempt.course_version >= since_version, Attempt.purpose == purpose)
        .order_by(Attempt.submitted_at.desc())
    )


def _existing(session: Session, user_id: int, course_id: int, version: int) -> Certificate | None:
    """A certificate that blocks a new one: active, suspended or revoked for this course version."""
    return session.scalar(
        select(Certificate).where(Certificate.user_id == user_id, Certificate.course_id == course_id,
                                  Certificate.course_version == version, Certificate.status.in_((ACTIVE, SUSPENDED, REVOKED)))
    )


def issue_if_due(session: Session, user_id: int, course: Course, context: IssuingContext, now: datetime) -> Certificate | None:
    """Issue the certificate if every lesson of the learner's version is done and the final assessment passed.

    Idempotent: returns None when nothing is due (already issued, revoked, or not earned yet), and
    when no signing key exists yet (logged; `flask lms issue-certificates` catches up later).
    """
    progress = course_progress(session, user_id, course.id)
    if not (progress.enrolled and progress.lessons_complete and progress.assessment == "passed"):
        return None
    version = progress.version
    if _existing(session, user_id, course.id, version) is not None:
        return None
    attempt = _passing_attempt(session, user_id, course.id, 0, "final")
    try:
        return _issue(session, user_id, course, version, attempt, context, now)
    except NoSigningKey:
        log.warning("certificate due for user %s, course %s, but no signing key exists: run `flask lms keys create`", user_id, course.slug)
        return None


def _issue(session: Session, user_id: int, course: Course, version: int, attempt: Attempt | None, context: IssuingContext,
           now: datetime, renews: Certificate | None = None) -> Certificate:
    kid, private_key = context.keys.active()
    user = session.get(User, user_id)
    today = now.date()
    code = new_code()
    status_index = _free_status_index(session, CURRENT_STATUS_LIST)
    claims = CertificateClaims(
        code=code, issuer=context.issuer, course_slug=course.slug, course_title_vi=course.title_vi, course_title_en=course.title_en,
        course_version=version, holder_name=user.full_name, business=user.business_name or "",
        province=PROVINCE_NAMES.get(user.province, user.province or ""), issued_on=today,
        awarded_on=renews.awarded_on if renews else today, expires_on=add_months(today, course.certificate_validity_months),
        status_list=CURRENT_STATUS_LIST, status_index=status_index, kid=kid,
    )
    certificate = Certificate(
        code=code, user_id=user_id, course_id=course.id, course_version=version, attempt_id=attempt.id if attempt else None,
        renews_id=renews.id if renews else None, status=ACTIVE, issued_at=now, awarded_on=claims.awarded_on,
        expires_on=claims.expires_on, claims=claims.to_json(), jws=sign_claims(claims.to_json(), kid, private_key), kid=kid,
        status_list=CURRENT_STATUS_LIST, status_index=status_index,
    )
    if renews is not None:
        renews.status, renews.status_changed_at = SUPERSEDED, now
    session.add(certificate)
    session.flush()
    _record(session, certificate, "renewed" if renews else "issued", None, "", now)
    if renews is not None:
        _record(session, renews, "superseded", None, f"renewed by {code}", now)
    session.flush()
    return certificate


def renewal_due(session: Session, user_id: int, course: Course, today: date, grace_days: int = 90) -> Certificate | None:
    """The learner's certificate that may be renewed now: valid and within 60 days of its end, or expired."""
    for certificate in session.scalars(
        select(Certificate).where(Certificate.user_id == user_id, Certificate.course_id == course.id, Certificate.status == ACTIVE)
        .order_by(Certificate.issued_at.desc())
    ):
        state = certificate_state(session, certificate, today, grace_days)
        if state.status == "expired" or (state.status == "valid" and (state.valid_until - today).days <= REMINDER_DAYS[0]):
            return certificate
    return None


def renew_if_passed(session: Session, user_id: int, course: Course, context: IssuingContext, now: datetime) -> Certificate | None:
    """After a passed renewal attempt: a new certificate linked to the old one, keeping the first award date."""
    old = renewal_due(session, user_id, course, now.date(), context.recertification_grace_days)
    attempt = _passing_attempt(session, user_id, course.id, 0, "renewal")
    if old is None or attempt is None or (attempt.submitted_at and attempt.submitted_at < old.issued_at):
        return None
    progress = course_progress(session, user_id, course.id)
    if not progress.lessons_complete:  # a version that requires recertification also requires its lessons
        return None
    old.status = SUPERSEDED  # frees the one-active slot before the new row is written
    session.flush()
    return _issue(session, user_id, course, progress.version or old.course_version, attempt, context, now, renews=old)


def _change_status(session: Session, certificate: Certificate, allowed_from: tuple[str, ...], status: str, action: str,
                   actor_id: int, reason: str, now: datetime) -> None:
    if certificate.status not in allowed_from:
        raise CertificateActionRefused(f"cannot {action} a {certificate.status} certificate")
    if not reason.strip():
        raise CertificateActionRefused("a reason is required")
    certificate.status, certificate.status_changed_at = status, now
    _record(session, certificate, action, actor_id, reason.strip(), now)
    session.flush()


def revoke(session: Session, certificate: Certificate, actor_id: int, reason: str, now: datetime) -> None:
    _change_status(session, certificate, (ACTIVE, SUSPENDED), REVOKED, "revoked", actor_id, reason, now)


def suspend(session: Session, certificate: Certificate, actor_id: int, reason: str, now: datetime) -> None:
    _change_status(session, certificate, (ACTIVE,), SUSPENDED, "suspended", actor_id, reason, now)


def reinstate(session: Session, certificate: Certificate, actor_id: int, reason: str, now: datetime) -> None:
    """Back to active from suspended or revoked (a revocation made in error); the audit log keeps both."""
    _change_status(session, certificate, (SUSPENDED, REVOKED), ACTIVE, "reinstated", actor_id, reason, now)


def revoked_indices(session: Session, status_list: str) -> set[int]:
    return set(session.scalars(select(Certificate.status_index).where(Certificate.status_list == status_list, Certificate.status == REVOKED)))


def certificates_of(session: Session, user_id: int) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.issued_at.desc())))


def due_learners(session: Session, course: Course) -> list[int]:
    """Learners who earned a certificate of this course but have none (e.g. content imported after they passed)."""
    user_ids = list(session.scalars(select(Enrolment.user_id).where(Enrolment.course_id == course.id, Enrolment.status == ENROLLED)))
    progress = progress_for(session, user_ids, [course.id])  # one batch, not a query set per learner
    earned = [u for u in user_ids if progress[(u, course.id)].lessons_complete and progress[(u, course.id)].assessment == "passed"]
    return [u for u in earned if _existing(session, u, course.id, progress[(u, course.id)].version) is None]


def issue_all_due(session: Session, context: IssuingContext, now: datetime) -> list[Certificate]:
    """Catch up every certificate that is due (run by `flask lms issue-certificates`)."""
    issued = []
    for course in session.scalars(select(Course).order_by(Course.id)):
        for user_id in due_learners(session, course):
            certificate = issue_if_due(session, user_id, course, context, now)
            if certificate is not None:
                issued.append(certificate)
    return issued


def store_pdf(session: Session, certificate: Certificate, pdf: bytes, store: FileStorage) -> None:
    """Keep the rendered PDF once, with its SHA-256; downloads serve this file."""
    digest = hashlib.sha256(pdf).hexdigest()
    key = f"certificates/{certificate.code}.pdf"
    store.put(key, pdf)
    certificate.pdf_key, certificate.pdf_sha256 = key, digest
    session.flush()


def stored_pdf(certificate: Certificate, store: FileStorage) -> Path | None:
    """The stored PDF if it is there and unchanged since issuance."""
    if not certificate.pdf_key:
        return None
    path = store.local_path(certificate.pdf_key)
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != certificate.pdf_sha256:
        return None
    return path


def expiring_soon(session: Session, user_id: int, today: date, grace_days: int = 90) -> list[tuple[Certificate, CertificateState]]:
    """The learner's valid certificates that end within 60 days (reminders at 60 and 14 days)."""
    found = []
    for certificate in session.scalars(select(Certificate).where(Certificate.user_id == user_id, Certificate.status == ACTIVE)):
        state = certificate_state(session, certificate, today, grace_days)
        if state.is_valid and (state.valid_until - today).days <= REMINDER_DAYS[0]:
            found.append((certificate, state))
    return found


def certificate_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Certificate)) or 0
