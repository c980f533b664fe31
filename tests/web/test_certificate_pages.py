"""Certificates over HTTP: verification for anyone, files for the right people, status changes for verifiers."""
import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft201909Validator
from sqlalchemy import select

from lms import create_app
from lms.catalog.models import Course
from lms.catalog.services import enrol_learner
from lms.cohorts.access import assign_course_trainer
from lms.credentials.context import issuing_context, keystore, prepare_pdf_quietly
from lms.credentials.models import Certificate
from lms.credentials.openbadges import decode_bitstring, is_revoked
from lms.credentials.services import issue_if_due
from lms.credentials.signing import verify_token
from lms.db import utcnow
from lms.extensions import db
from tests.conftest import make_course, make_questions, make_user, with_signing_key
from tests.services.test_certificate_rules import finish_lessons, pass_assessment
from tests.web.test_assessment_pages import RIGHT, form_for

SCHEMA = Path(__file__).resolve().parents[3] / "shared/standards/openbadges-3.0/achievementcredential.schema.json"


def earn_certificate(app, login="hong@example.com"):
    """A learner who finished the course and passed, with the certificate issued as the app issues it."""
    with app.test_request_context():
        course = db.session.scalar(select(Course).where(Course.slug == "honey-basics"))
        if course is None:
            course = make_course(db.session)
            make_questions(db.session, course)
        learner = make_user(db.session, login=login, name="Nguyễn Thị Hồng Nhung", business="HTX Mật ong Bắc Hà", province="lao-cai")
        enrol_learner(db.session, learner.id, course)
        db.session.commit()
        pass_assessment(db.session, learner.id, course)
        finish_lessons(db.session, learner.id, course)
        certificate = issue_if_due(db.session, learner.id, course, issuing_context(), utcnow())
        db.session.commit()
        prepare_pdf_quietly(db.session, certificate)
        return certificate.code, learner.id


def login(client, who):
    client.post("/login", data={"login": who, "password": "correct-horse-battery"})


def test_the_verification_page_shows_a_valid_certificate_with_minimal_personal_data(client, app):
    code, _ = earn_certificate(app)
    page = client.get(f"/verify/{code}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Nguyễn Thị Hồng Nhung" in text and "HTX Mật ong Bắc Hà" in text and "Lào Cai" in text and "Mật ong cơ bản" in text
    assert "hong@example.com" not in text and "%" not in text.split("<main", 1)[1].split("</main>")[0]  # no email, no scores
    # lowercase and without hyphens is the same certificate
    assert client.get(f"/verify/{code.replace('-', '').lower()}").status_code == 200


def test_unknown_and_malformed_codes_get_the_same_not_found_page(client, app):
    code, _ = earn_certificate(app)
    wrong_check = code[:-1] + ("0" if code[-1] != "0" else "1")
    pages = [client.get(f"/verify/{c}") for c in (wrong_check, "0000-0000-0000-0000-0", "hello", "<script>")]
    assert {p.status_code for p in pages} == {404}
    assert len({p.get_data(as_text=True).count("verify-result not-found") for p in pages}) == 1
    assert client.get("/verify?code=" + code.lower()).headers["Location"].endswith(f"/verify/{code}")


def test_verification_is_rate_limited_per_address(app_config):
    app = with_signing_key(create_app({**app_config, "VERIFY_RATE_LIMIT": "3 per minute"}))
    client = app.test_client()
    codes = [client.get("/verify/0000-0000-0000-0000-0").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    app.extensions["lms_db"].engine.dispose()


def test_the_pdf_is_for_the_holder_and_staff_only(client, app, users):
    code, _ = earn_certificate(app)
    assert client.get(f"/certificates/{code}.pdf").status_code == 302  # sign in first
    login(client, "hong@example.com")
    response = client.get(f"/certificates/{code}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    with app.app_context():
        certificate = db.session.scalar(select(Certificate))
        assert hashlib.sha256(response.data).hexdigest() == certificate.pdf_sha256  # the stored file, not a new render
    client.post("/logout")
    for role in ("learner", "trainer"):  # another learner; a trainer of other courses
        login(client, f"{role}@example.com")
        assert client.get(f"/certificates/{code}.pdf").status_code == 404, role
        client.post("/logout")
    with app.app_context():
        assign_course_trainer(db.session, db.session.scalar(select(Course.id)), users["trainer"][0], None)
        db.session.commit()
    for role in ("trainer", "verifier", "admin"):
        client.post("/logout")
        login(client, f"{role}@example.com")
        assert client.get(f"/certificates/{code}.pdf").status_code == 200, role


def test_keys_status_list_and_open_badges_are_published(client, app, users):
    code, _ = earn_certificate(app)
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert jwks["keys"] and all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and "d" not in k for k in jwks["keys"])
    badge = client.get(f"/certificates/{code}/credential.json").get_json()
    assert "OpenBadgeCredential" in badge["type"]
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(Draft201909Validator(schema).iter_errors(badge), key=str)
    assert errors == [], errors
    with app.app_context():
        public_keys = keystore().public_keys()
    vc_jwt = client.get(f"/certificates/{code}/credential.jwt").get_data(as_text=True)
    assert verify_token(vc_jwt, public_keys).genuine

    # a verifier revokes it: the status list says so at once
    index = badge["credentialStatus"]["statusListIndex"]
    login(client, "verifier@example.com")
    response = client.post(f"/certificates/{code}/manage", data={"action": "revoke", "reason": "Hàng giả"})
    assert response.status_code == 302
    token = client.get("/status/1").get_data(as_text=True)
    verdict = verify_token(token, public_keys)
    assert verdict.genuine
    encoded = verdict.claims["credentialSubject"]["encodedList"]
    assert is_revoked(encoded, int(index)) and len(decode_bitstring(encoded)) * 8 >= 131072
    assert "Đã thu hồi" in client.get(f"/verify/{code}").get_data(as_text=True)
    api = client.get(f"/api/v1/certificates/{code}").get_json()
    assert api["status"] == "revoked" and api["links"]["open_badge"].endswith(f"/certificates/{code}/credential.json")


def test_only_verifiers_and_admins_change_a_status_and_a_reason_is_required(client, app, users):
    code, _ = earn_certificate(app)
    for role in ("learner", "trainer"):
        login(client, f"{role}@example.com")
        assert client.post(f"/certificates/{code}/manage", data={"action": "revoke", "reason": "x"}).status_code == 403
        client.post("/logout")
    login(client, "verifier@example.com")
    assert client.post(f"/certificates/{code}/manage", data={"action": "revoke", "reason": ""}).status_code == 422
    assert client.post(f"/certificates/{code}/manage", data={"action": "explode", "reason": "x"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Certificate.status)) == "active"
    page = client.get(f"/certificates/{code}/manage").get_data(as_text=True)
    assert "hong@example.com" in page and "issued" in page


def test_unknown_certificates_in_the_api_are_json_404(client):
    response = client.get("/api/v1/certificates/0000-0000-0000-0000-0")
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"


def test_the_learner_sees_their_certificates_and_trainers_see_the_course_list(client, app, users):
    code, _ = earn_certificate(app)
    login(client, "hong@example.com")
    assert code in client.get("/certificates").get_data(as_text=True)
    assert client.get("/courses/honey-basics/certificates").status_code == 403
    client.post("/logout")
    login(client, "trainer@example.com")
    assert client.get("/courses/honey-basics/certificates").status_code == 404
    with app.app_context():
        assign_course_trainer(db.session, db.session.scalar(select(Course.id)), users["trainer"][0], None)
        db.session.commit()
    page = client.get("/courses/honey-basics/certificates").get_data(as_text=True)
    assert code in page and "Nguyễn Thị Hồng Nhung" in page


def test_the_offline_checker_page_embeds_the_public_keys(client, app):
    page = client.get("/verify/scan").get_data(as_text=True)
    assert "Ed25519" in page and "data-jwks" in page


def test_learners_are_reminded_before_expiry_and_renew_with_a_refresher(client, app):
    with app.test_request_context():
        course = make_course(db.session)
        make_questions(db.session, course)
        learner = make_user(db.session, login="hong@example.com")
        enrol_learner(db.session, learner.id, course)
        db.session.commit()
        long_ago = utcnow() - timedelta(days=700)
        pass_assessment(db.session, learner.id, course, now=long_ago)
        finish_lessons(db.session, learner.id, course)
        old_code = issue_if_due(db.session, learner.id, course, issuing_context(), long_ago).code
        db.session.commit()
    login(client, "hong@example.com")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert old_code in dashboard and "Gia hạn" in dashboard
    overview = client.get("/courses/honey-basics/assessment").get_data(as_text=True)
    assert "Gia hạn chứng nhận" in overview
    response = client.post("/courses/honey-basics/assessment/start", data={"purpose": "renewal"})
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/assessment/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count('<fieldset class="question') == 10  # half of the final assessment's 20
    client.post(f"/assessment/attempts/{attempt_id}", data=form_for(app, attempt_id, RIGHT))
    client.post(f"/assessment/attempts/{attempt_id}/submit")
    with app.app_context():
        rows = {c.code: c for c in db.session.scalars(select(Certificate))}
        assert len(rows) == 2 and rows[old_code].status == "superseded"
        new = next(c for c in rows.values() if c.code != old_code)
        assert new.renews_id == rows[old_code].id and new.awarded_on == rows[old_code].awarded_on
    assert "Đã được thay bằng chứng nhận gia hạn" in client.get(f"/verify/{old_code}").get_data(as_text=True)
