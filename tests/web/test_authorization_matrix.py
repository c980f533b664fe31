"""Every route in the URL map, tried by every kind of user: the expected answer, and nobody reaches another's objects.

A new route fails this test until it is given a row in EXPECTED: access rules are decided, not inherited by accident.
"""
import hashlib
import re

import pytest
from sqlalchemy import select

from lms.assessment.models import Attempt
from lms.catalog.models import CourseAsset, Lesson, Module
from lms.catalog.services import enrol_learner
from lms.cohorts.access import assign_course_trainer
from lms.cohorts.models import SessionCourse, SessionMember, SessionTrainer, TrainingSession
from lms.credentials.context import issuing_context
from lms.credentials.services import issue_if_due
from lms.db import utcnow
from lms.extensions import db
from lms.onboarding.clients import create_client
from lms.onboarding.models import OcopProduct, ShopHandle
from lms.onboarding.profiles import ensure_profile
from lms.storage import storage
from lms.assessment.models import Question  # noqa: E402
from tests.conftest import make_course, make_questions, make_user
from tests.services.test_certificate_rules import finish_lessons, pass_assessment

ROLES = ("anonymous", "learner", "other_learner", "trainer", "other_trainer", "verifier", "admin")
OK, LOGIN, FORBIDDEN, HIDDEN, DENIED = "ok", "login", "403", "404", "denied"


def everyone(outcome=OK):
    return {role: outcome for role in ROLES}


def signed_in():
    return {**everyone(OK), "anonymous": LOGIN}


def only(*allowed, others=FORBIDDEN):
    rules = {role: (OK if role in allowed or role == "admin" else others) for role in ROLES}
    rules["anonymous"] = LOGIN
    return rules


def owner_only(staff=()):
    """The learner's own object: another learner gets 404 (its existence is not revealed)."""
    rules = {role: (OK if role in ("learner", "admin", *staff) else HIDDEN) for role in ROLES}
    rules["anonymous"] = LOGIN
    return rules


def course_staff():
    """Authoring, question banks and reports: the course's trainers and admins; a trainer of other courses sees nothing."""
    return {**only("trainer"), "other_trainer": HIDDEN}


def session_staff():
    return {**only("trainer"), "other_trainer": HIDDEN}


EXPECTED = {
    "core.home": everyone(), "core.privacy": everyone(), "core.healthz": everyone(), "core.service_worker": everyone(),
    "core.language": everyone(), "core.dashboard": signed_in(),
    "accounts.login": everyone(), "accounts.register": everyone(), "accounts.logout": everyone(),
    "accounts.forgot_password": everyone(), "accounts.reset_password": everyone(HIDDEN),  # a wrong token is "not found"
    "accounts.password": signed_in(), "accounts.logout_everywhere": signed_in(),
    "accounts.reset_link": {**only("trainer"), "other_trainer": HIDDEN},  # trainers of the learner's session
    "privacy.data": signed_in(), "privacy.download": signed_in(), "privacy.delete": signed_in(),
    "admin.users": only(), "admin.user_detail": only(), "admin.audit": only(), "admin.audit_csv": only(),
    "api_clients.index": only(), "api_clients.detail": only(), "api_clients.deliveries": only(), "api_clients.revoke": only(),
    "api_clients.rotate_secret": only(), "api_clients.webhook": only(), "api_clients.create": only(),
    "sellers.profile": signed_in(), "sellers.product_add": signed_in(), "sellers.shop_add": signed_in(),
    "sellers.product_edit": owner_only(), "sellers.product_remove": owner_only(), "sellers.shop_remove": owner_only(),
    "sellers.rules": only(), "sellers.ready": signed_in(), "sellers.public": everyone(),
    "api.docs": everyone(), "api.openapi": everyone(), "api.certificate": everyone(),
    "api.sellers": everyone("401"), "api.onboarding": everyone("401"), "api.verify": everyone("401"),
    # attempts are the learner's alone: even admins get "not found"
    **{f"assessment.{name}": {**owner_only(), "admin": HIDDEN} for name in ("take", "save", "review", "confirm")},
    "assessment.overview": signed_in(), "assessment.start": signed_in(), "assessment.statistics": course_staff(),
    "authoring.courses": only("trainer", "other_trainer"), "authoring.new_course": only("trainer", "other_trainer"),
    **{f"authoring.{name}": course_staff() for name in ("course", "asset", "upload_image", "add_lesson", "lesson", "move_lesson",
                                                       "add_module", "module", "move_module", "publish", "settings",
                                                       "lesson_module", "delete_lesson", "delete_module")},
    "authoring.assign_trainer": only(),  # admins assign trainers
    **{f"questionbank.{name}": course_staff() for name in ("index", "edit", "restore", "retire", "download", "create", "upload", "apply")},
    "credentials.mine": signed_in(), "credentials.pdf": {**owner_only(staff=("trainer", "verifier")), "other_trainer": HIDDEN},
    "credentials.badge_json": everyone(), "credentials.badge_jwt": everyone(), "credentials.jwks": everyone(),
    "credentials.manage": only("verifier"), "credentials.course_certificates": {**only("trainer", "verifier"), "other_trainer": HIDDEN},
    "credentials.status_list": everyone(), "credentials.verify_form": everyone(), "credentials.verify": everyone(), "credentials.scan": everyone(),
    "console.sellers": only("verifier"), "console.sellers_csv": only("verifier"), "console.seller": only("verifier"),
    "console.statistics": only("verifier"),
    "catalog.catalogue": everyone(), "catalog.course": everyone(), "catalog.asset": everyone(),
    "catalog.lesson": {**signed_in(), **{r: DENIED for r in ("other_learner", "trainer", "other_trainer", "verifier", "admin")}},
    "catalog.complete": signed_in(), "catalog.enrol": signed_in(), "catalog.leave": signed_in(), "catalog.sync_progress": signed_in(),
    # the learner's own enrolment: others are told to enrol (403) or get "not found"
    "catalog.handout": {**owner_only(), "admin": HIDDEN},
    "catalog.offline_manifest": {**only(others=FORBIDDEN), "learner": OK, "admin": FORBIDDEN},
    "reports.course": course_staff(), "reports.course_csv": course_staff(),
    "reports.training_session": session_staff(), "reports.session_csv": session_staff(), "reports.session_certificates_zip": session_staff(),
    "cohorts.sessions": only("trainer", "other_trainer"), "cohorts.new_session": only("trainer", "other_trainer"),
    **{f"cohorts.{name}": session_staff() for name in ("session_detail", "edit_session", "import_roster", "apply_roster_upload",
                                                       "add_session_member", "remove_session_member", "create_session_member")},
    # admins decide who runs a session
    "cohorts.add_session_trainer": {**only(), "other_trainer": DENIED}, "cohorts.remove_session_trainer": {**only(), "other_trainer": DENIED},
}


@pytest.fixture
def world(app, users):
    """One of everything, owned by `learner` and run by `trainer`; `other_*` accounts own nothing here."""
    with app.test_request_context():
        course = make_course(db.session, required=True)
        make_questions(db.session, course)
        learner_id = users["learner"][0]
        enrol_learner(db.session, learner_id, course)
        pass_assessment(db.session, learner_id, course)
        finish_lessons(db.session, learner_id, course)
        certificate = issue_if_due(db.session, learner_id, course, issuing_context(), utcnow())
        attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == learner_id))
        profile = ensure_profile(db.session, learner_id)
        product = OcopProduct(profile_id=profile.id, name="Mật ong", product_group="food", stars=4, recognised_on=utcnow().date())
        shop = ShopHandle(profile_id=profile.id, platform="shopee", handle="matong")
        db.session.add_all([product, shop])
        make_user(db.session, login="other-learner@example.com")
        make_user(db.session, login="other-trainer@example.com", role="trainer")
        assign_course_trainer(db.session, course.id, users["trainer"][0], None)
        training = TrainingSession(name="Lớp Đắk Lắk", province="dak-lak", starts_on=utcnow().date(), ends_on=utcnow().date())
        db.session.add(training)
        db.session.flush()
        db.session.add_all([SessionTrainer(session_id=training.id, user_id=users["trainer"][0]),
                            SessionCourse(session_id=training.id, course_id=course.id),
                            SessionMember(session_id=training.id, user_id=learner_id)])
        client, _ = create_client(db.session, "Platform", ["sellers:read"], None)
        picture = b"\x89PNG\r\n\x1a\n" + b"0" * 32
        storage().put(f"course-assets/{course.slug}/{hashlib.sha256(picture).hexdigest()}", picture)
        db.session.add(CourseAsset(course_id=course.id, name="picture.png", sha256=hashlib.sha256(picture).hexdigest(), size=len(picture),
                                   content_type="image/png"))
        module = db.session.scalar(select(Module).where(Module.course_id == course.id))
        lesson = db.session.scalar(select(Lesson).where(Lesson.module_id == module.id))
        db.session.commit()
        return {
            "slug": course.slug, "course_id": course.id, "module_id": module.id, "lesson_id": lesson.id, "module_slug": module.slug,
            "lesson_slug": lesson.slug, "question_id": db.session.scalar(select(Question.id)), "code": certificate.code,
            "attempt_id": attempt.id, "user_id": learner_id, "session_id": training.id, "client_id": client.id, "product_id": product.id,
            "shop_id": shop.id, "seller_code": profile.seller_code, "list_id": certificate.status_list, "token": "not-a-token",
            "lang": "vi", "form_type": "single", "name": "picture.png",
        }


LOGINS = {"learner": "learner@example.com", "other_learner": "other-learner@example.com", "trainer": "trainer@example.com",
          "other_trainer": "other-trainer@example.com", "verifier": "verifier@example.com", "admin": "admin@example.com"}


# where a parameter name means another object than usual
RENAMED = {"sellers.public": {"code": "seller_code"}}


def url_for_rule(rule, values) -> str:
    renamed = RENAMED.get(rule.endpoint, {})
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[renamed.get(m.group(1), m.group(1))]), rule.rule)


def classify(response) -> str:
    if response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", ""):
        return LOGIN
    return {401: "401", 403: FORBIDDEN, 404: HIDDEN}.get(response.status_code, OK if response.status_code < 500 else "5xx")


def test_every_route_has_a_decided_access_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert sorted(endpoints - set(EXPECTED)) == [], "routes without a row in EXPECTED"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_answer_everywhere(app, client, world, role):
    if role != "anonymous":
        client.post("/login", data={"login": LOGINS[role], "password": "correct-horse-battery"})
    wrong = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint not in EXPECTED:
            continue
        expected = EXPECTED[rule.endpoint][role]
        methods = rule.methods - {"HEAD", "OPTIONS"}
        url = url_for_rule(rule, world)
        if "GET" in methods:
            got = classify(client.get(url))
        elif expected in (OK,):
            continue  # a POST that is allowed would change things; the feature tests cover those
        else:
            got = classify(client.post(url, data={}))
        if got == "5xx" or not (got == expected or (expected == DENIED and got in (FORBIDDEN, HIDDEN, LOGIN))
                                or (expected == OK and got in (OK,)) or (expected == HIDDEN and got == HIDDEN)):
            wrong.append((rule.endpoint, url, "expected", expected, "got", got))
    assert wrong == [], "\n".join(map(str, wrong))
