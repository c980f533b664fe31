"""The one place a seller's onboarding status is computed. Dashboard, verifier console and API all call it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.catalog.models import PUBLISHED, Course
from lms.catalog.progress import progress_for
from lms.credentials.models import SUPERSEDED, Certificate
from lms.credentials.services import certificate_state, recertification_versions
from lms.onboarding.models import OnboardingRuleSet

ELIGIBLE, EXPIRING, NOT_ELIGIBLE = "eligible", "expiring", "not_eligible"
# a seller whose certificate ends within this many days is "eligible but expiring soon"
EXPIRING_WITHIN_DAYS = 30


@dataclass(frozen=True)
class RuleSet:
    version: int  # 0: the built-in default (courses flagged required_for_onboarding), before an admin sets one
    required_courses: tuple[str, ...]
    applies_from: date | None


@dataclass(frozen=True)
class MissingItem:
    course_slug: str
    course_title_vi: str
    course_title_en: str
    # not_started | in_progress | assessment_failed | assessment_pending | certificate_expired
    # | certificate_revoked | certificate_suspended | course_unavailable
    reason: str
    percent: int = 0
    since: date | None = None  # when a certificate ended or was revoked


@dataclass(frozen=True)
class HeldCertificate:
    code: str
    course_slug: str
    status: str  # valid | expired | revoked | suspended
    issued_on: date
    valid_until: date
    recertify_by: date | None = None


@dataclass(frozen=True)
class SellerStatus:
    user_id: int
    state: str  # eligible | expiring | not_eligible
    missing: tuple[MissingItem, ...]
    certificates: tuple[HeldCertificate, ...]
    rule_set: RuleSet
    checked_at: datetime
    expires_on: date | None = None  # the earliest end among the certificates that make the seller eligible
    warnings: tuple[str, ...] = field(default=())

    @property
    def eligible(self) -> bool:
        return self.state != NOT_ELIGIBLE


def current_rule_set(session: Session, today: date) -> RuleSet:
    row = session.scalar(
        select(OnboardingRuleSet).where(OnboardingRuleSet.applies_from <= today).order_by(OnboardingRuleSet.version.desc())
    )
    if row is not None:
        return RuleSet(row.version, tuple(row.required_courses), row.applies_from)
    default = session.scalars(select(Course.slug).where(Course.required_for_onboarding, Course.status == PUBLISHED).order_by(Course.slug))
    return RuleSet(0, tuple(default), None)


def _missing_from_progress(course: Course, progress) -> MissingItem:
    if not progress.enrolled:
        reason = "not_started"
    elif not progress.lessons_complete:
        reason = "in_progress"
    elif progress.assessment == "failed":
        reason = "assessment_failed"
    else:
        reason = "assessment_pending"
    return MissingItem(course.slug, course.title_vi, course.title_en, reason, progress.percent)


def seller_statuses(session: Session, user_ids: list[int], now: datetime, grace_days: int = 90) -> dict[int, SellerStatus]:
    """Status of many sellers in a fixed number of queries (plus one per certificate for recertification dates)."""
    today = now.date()
    rules = current_rule_set(session, today)
    courses = {c.slug: c for c in session.scalars(select(Course).where(Course.slug.in_(rules.required_courses)))}
    progress = progress_for(session, user_ids, [c.id for c in courses.values()])
    latest: dict[tuple[int, int], Certificate] = {}
    if courses and user_ids:
        for certificate in session.scalars(
            select(Certificate)
            .where(Certificate.user_id.in_(user_ids), Certificate.course_id.in_([c.id for c in courses.values()]), Certificate.status != SUPERSEDED)
            .order_by(Certificate.issued_at)
        ):
            latest[(certificate.user_id, certificate.course_id)] = certificate  # the newest wins
    versions = recertification_versions(session, [c.id for c in courses.values()])
    statuses = {}
    for user_id in user_ids:
        missing, held, ends = [], [], []
        for slug in rules.required_courses:
            course = courses.get(slug)
            if course is None:
                missing.append(MissingItem(slug, slug, slug, "course_unavailable"))
                continue
            certificate = latest.get((user_id, course.id))
            state = certificate_state(session, certificate, today, grace_days, versions) if certificate else None
            if certificate is not None:
                held.append(HeldCertificate(certificate.code, slug, state.status, certificate.issued_at.date(), state.valid_until, state.recertify_by))
            if state is not None and state.is_valid:
                ends.append(state.valid_until)
            elif state is not None:
                since = state.valid_until if state.status == "expired" else (state.changed_at.date() if state.changed_at else None)
                missing.append(MissingItem(slug, course.title_vi, course.title_en, f"certificate_{state.status}", 100, since))
            else:
                missing.append(_missing_from_progress(course, progress[(user_id, course.id)]))
        expires_on = min(ends) if ends and not missing else None
        if missing:
            state_name = NOT_ELIGIBLE
        elif expires_on is not None and (expires_on - today).days <= EXPIRING_WITHIN_DAYS:
            state_name = EXPIRING
        else:
            state_name = ELIGIBLE
        if not rules.required_courses:
            state_name = NOT_ELIGIBLE  # no rule yet: nobody is certified for onboarding by accident
        statuses[user_id] = SellerStatus(user_id, state_name, tuple(missing), tuple(held), rules, now, expires_on)
    return statuses


def seller_status(session: Session, user_id: int, now: datetime, grace_days: int = 90) -> SellerStatus:
    return seller_statuses(session, [user_id], now, grace_days)[user_id]
