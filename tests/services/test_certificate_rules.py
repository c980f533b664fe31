"""Certificates through the services on the real database: issued once when earned, states, revocation, renewal."""
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.assessment.services import save_answers, start_attempt, submit_attempt
from lms.catalog.models import CourseVersion
from lms.catalog.progress import course_progress
from lms.catalog.services import complete_lesson, enrol_learner, outline
from lms.credentials.claims import Issuer
from lms.credentials.codes import normalise_code
from lms.credentials.keys import KeyStore
from lms.credentials.models import Certificate, CertificateEvent
from lms.credentials.services import (
    CertificateActionRefused,
    IssuingContext,
    add_months,
    certificate_state,
    issue_all_due,
    issue_if_due,
    reinstate,
    renew_if_passed,
    renewal_due,
    revoke,
    revoked_indices,
    suspend,
)
from lms.credentials.signing import verify_token
from lms.db import utcnow
from tests.conftest import make_course, make_questions, make_user

RIGHT = {"single": 0, "multiple": [0, 1], "truefalse": False, "short": "kg", "numerical": "24",
         "matching": {"0": "Sàn thương mại điện tử", "1": "Mạng xã hội video", "2": "Ứng dụng nhắn tin"}}


@pytest.fixture
def context(app, tmp_path):
    keys = KeyStore(tmp_path / "keys")
    keys.create()
    return IssuingContext(issuer=Issuer("Agritrade", "http://localhost"), keys=keys, public_url="http://localhost")


@pytest.fixture
def learner_course(session):
    course = make_course(session)
    make_questions(session, course)
    learner = make_user(session, name="Nguyễn Thị Hồng Nhung", business="HTX Mật ong Bắc Hà", province="lao-cai")
    enrol_learner(session, learner.id, course)
    session.commit()
    return learner, course


def finish_lessons(session, user_id, course):
    for _, lessons in outline(session, course):
        for lesson in lessons:
            complete_lesson(session, user_id, course, lesson)
    session.commit()


def pass_assessment(session, user_id, course, now=None, purpose="final", since=None):
    now = now or utcnow()
    attempt = start_attempt(session, user_id, course, "vi", now, purpose=purpose, since=since)
    save_answers(session, attempt, {i.position: RIGHT[i.question_data["kind"]] for i in attempt.items}, now)
    submit_attempt(session, attempt, now)
    session.commit()
    return attempt


def test_a_certificate_is_issued_once_when_lessons_are_done_and_the_assessment_passed(session, learner_course, context):
    learner, course = learner_course
    pass_assessment(session, learner.id, course)
    assert issue_if_due(session, learner.id, course, context, utcnow()) is None  # lessons not done yet
    finish_lessons(session, learner.id, course)
    certificate = issue_if_due(session, learner.id, course, context, utcnow())
    session.commit()
    assert certificate is not None and normalise_code(certificate.code) == certificate.code
    assert issue_if_due(session, learner.id, course, context, utcnow()) is None
    assert session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert course_progress(session, learner.id, course.id).certificate == "valid"
    assert [e.action for e in certificate.events] == ["issued"]


def test_the_database_refuses_two_active_certificates_for_one_course_version(session, learner_course, context):
    learner, course = learner_course
    pass_assessment(session, learner.id, course)
    finish_lessons(session, learner.id, course)
    first = issue_if_due(session, learner.id, course, context, utcnow())
    session.commit()
    copy = Certificate(code="X", user_id=learner.id, course_id=course.id, course_version=first.course_version, status="active",
                       awarded_on=first.awarded_on, expires_on=first.expires_on, claims={}, jws="x", kid="k", status_list="1",
                       status_index=first.status_index + 1)
    session.add(copy)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_the_signed_claims_carry_the_holder_course_and_dates(session, learner_course, context):
    learner, course = learner_course
    pass_assessment(session, learner.id, course)
    finish_lessons(session, learner.id, course)
    certificate = issue_if_due(session, learner.id, course, context, utcnow())
    verdict = verify_token(certificate.jws, context.keys.public_keys())
    assert verdict.genuine
    claims = verdict.claims
    assert claims["holder_name"] == "Nguyễn Thị Hồng Nhung" and claims["business"] == "HTX Mật ong Bắc Hà"
    assert claims["province"] == "Lào Cai" and claims["course_slug"] == "honey-basics" and claims["code"] == certificate.code
    assert claims["expires_on"] == add_months(utcnow().date(), 24).isoformat()


def test_revocation_suspension_and_reinstatement_are_audited(session, learner_course, context, users):
    learner, course = learner_course
    verifier_id = users["verifier"][0]
    pass_assessment(session, learner.id, course)
    finish_lessons(session, learner.id, course)
    certificate = issue_if_due(session, learner.id, course, context, utcnow())
    with pytest.raises(CertificateActionRefused):
        revoke(session, certificate, verifier_id, "   ", utcnow())
    suspend(session, certificate, verifier_id, "Khiếu nại của khách hàng", utcnow())
    assert certificate_state(session, certificate, utcnow().date()).status == "suspended"
    revoke(session, certificate, verifier_id, "Hàng giả", utcnow())
    assert revoked_indices(session, certificate.status_list) == {certificate.status_index}
    assert course_progress(session, learner.id, course.id).certificate == "revoked"
    reinstate(session, certificate, verifier_id, "Nhầm lẫn", utcnow())
    with pytest.raises(CertificateActionRefused):
        reinstate(session, certificate, verifier_id, "again", utcnow())
    session.commit()
    events = list(session.scalars(select(CertificateEvent).where(CertificateEvent.certificate_id == certificate.id).order_by(CertificateEvent.id)))
    assert [(e.action, e.actor_id, e.reason) for e in events[1:]] == [
        ("suspended", verifier_id, "Khiếu nại của khách hàng"), ("revoked", verifier_id, "Hàng giả"), ("reinstated", verifier_id, "Nhầm lẫn")]
    assert revoked_indices(session, certificate.status_list) == set()
    # a revoked certificate is not re-issued just because the learner still qualifies
    revoke(session, certificate, verifier_id, "Hàng giả", utcnow())
    assert issue_if_due(session, learner.id, course, context, utcnow()) is None


def test_expiry_and_a_recertification_deadline(session, learner_course, context):
    learner, course = learner_course
    pass_assessment(session, learner.id, course)
    finish_lessons(session, learner.id, course)
    certificate = issue_if_due(session, learner.id, course, context, utcnow())
    session.commit()
    assert certificate_state(session, certificate, certificate.expires_on).status == "valid"
    assert certificate_state(session, certificate, certificate.expires_on + timedelta(days=1)).status == "expired"
    session.add(CourseVersion(course_id=course.id, number=2, lesson_ids=[], content_hash="v2", requires_recertification=True))
    session.commit()
    state = certificate_state(session, certificate, utcnow().date(), grace_days=90)
    assert state.recertify_by == utcnow().date() + timedelta(days=90) and state.valid_until == state.recertify_by


def test_renewal_issues_a_linked_certificate_and_keeps_the_first_award_date(session, learner_course, context):
    learner, course = learner_course
    first_day = utcnow() - timedelta(days=700)
    pass_assessment(session, learner.id, course, now=first_day)
    finish_lessons(session, learner.id, course)
    old = issue_if_due(session, learner.id, course, context, first_day)
    session.commit()
    now = utcnow()
    assert (old.expires_on - now.date()).days <= 60
    assert renewal_due(session, learner.id, course, now.date()) == old
    attempt = pass_assessment(session, learner.id, course, now=now, purpose="renewal", since=old.issued_at)
    assert len(attempt.items) == 10  # a refresher: half of the 20 questions of the final assessment
    new = renew_if_passed(session, learner.id, course, context, now)
    session.commit()
    assert new.renews_id == old.id and new.awarded_on == old.awarded_on == first_day.date()
    assert old.status == "superseded" and new.expires_on == add_months(now.date(), 24)
    assert certificate_state(session, old, now.date()).status == "superseded"


def test_catch_up_issues_what_was_missed_without_a_key(session, learner_course, tmp_path):
    learner, course = learner_course
    keyless = IssuingContext(issuer=Issuer("Agritrade", "http://localhost"), keys=KeyStore(tmp_path / "none"), public_url="http://localhost")
    pass_assessment(session, learner.id, course)
    finish_lessons(session, learner.id, course)
    assert issue_if_due(session, learner.id, course, keyless, utcnow()) is None
    keyless.keys.create()
    issued = issue_all_due(session, keyless, utcnow())
    session.commit()
    assert len(issued) == 1 and issue_all_due(session, keyless, utcnow()) == []


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 27), 24) == date(2028, 11, 27)
