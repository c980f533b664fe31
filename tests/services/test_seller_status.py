"""Seller status: what is missing before onboarding, computed once for every view."""
from datetime import date, timedelta

import pytest

from lms.catalog.services import complete_lesson, enrol_learner, outline
from lms.credentials.services import issue_if_due, revoke
from lms.db import utcnow
from lms.onboarding.models import OnboardingRuleSet
from lms.onboarding.status import current_rule_set, seller_status
from tests.conftest import make_course, make_questions, make_user
from tests.services.test_certificate_rules import context, finish_lessons, pass_assessment  # noqa: F401  (fixture)


@pytest.fixture
def two_required(session):
    honey = make_course(session, required=True)
    tea = make_course(session, slug="tea-labels", title="Nhãn trà", modules=(("m", 2),), required=True)
    for course in (honey, tea):
        make_questions(session, course)
    return honey, tea


def test_status_lists_what_is_missing_for_each_required_course(session, two_required, context):
    honey, tea = two_required
    seller = make_user(session)
    status = seller_status(session, seller.id, utcnow())
    assert status.state == "not_eligible" and status.rule_set.version == 0
    assert {(m.course_slug, m.reason) for m in status.missing} == {("honey-basics", "not_started"), ("tea-labels", "not_started")}
    enrol_learner(session, seller.id, honey)
    complete_lesson(session, seller.id, honey, outline(session, honey)[0][1][0])
    session.commit()
    item = next(m for m in seller_status(session, seller.id, utcnow()).missing if m.course_slug == "honey-basics")
    assert item.reason == "in_progress" and item.percent == 20


def test_certified_in_every_required_course_is_eligible_until_a_revocation(session, two_required, context, users):
    honey, tea = two_required
    seller = make_user(session)
    certificates = []
    for course in (honey, tea):
        enrol_learner(session, seller.id, course)
        pass_assessment(session, seller.id, course)
        finish_lessons(session, seller.id, course)
        certificates.append(issue_if_due(session, seller.id, course, context, utcnow()))
    session.commit()
    status = seller_status(session, seller.id, utcnow())
    assert status.state == "eligible" and status.missing == () and len(status.certificates) == 2
    assert seller_status(session, seller.id, utcnow() + timedelta(days=365 * 2 - 20)).state == "expiring"
    assert seller_status(session, seller.id, utcnow() + timedelta(days=365 * 2 + 5)).missing[0].reason == "certificate_expired"
    revoke(session, certificates[1], users["verifier"][0], "Hàng giả", utcnow())
    session.commit()
    status = seller_status(session, seller.id, utcnow())
    assert status.state == "not_eligible" and [(m.course_slug, m.reason) for m in status.missing] == [("tea-labels", "certificate_revoked")]


def test_rule_sets_are_versioned_and_apply_from_their_date(session, two_required):
    session.add(OnboardingRuleSet(version=1, required_courses=["honey-basics"], applies_from=date(2026, 1, 1)))
    session.add(OnboardingRuleSet(version=2, required_courses=["honey-basics", "tea-labels"], applies_from=date(2027, 1, 1)))
    session.commit()
    assert current_rule_set(session, date(2026, 6, 1)).required_courses == ("honey-basics",)
    assert current_rule_set(session, date(2027, 1, 1)).version == 2
