"""A person's data: the JSON copy, the consent record, account deletion, and personal data kept out of logs."""
import json
import logging

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.credentials.models import Certificate
from lms.extensions import db
from lms.onboarding.models import ShopHandle
from lms.onboarding.profiles import ensure_profile
from tests.cli.test_backup import certified_learner
from tests.conftest import PASSWORD, AuthActions
from tests.web.test_accounts import registration
from tests.web.test_recovery import csrf_login


@pytest.fixture
def holder(app):
    """A learner with progress, a passed attempt, a certificate and a seller profile with a shop; returns (id, code)."""
    with app.app_context():
        learner, _, certificate = certified_learner(db.session, login="nhung@example.com")
        profile = ensure_profile(db.session, learner.id)
        profile.tax_code = "0101245486"
        profile.shops.append(ShopHandle(platform="shopee", handle="matongbacha"))
        db.session.commit()
        return learner.id, certificate.code


def audit_actions(app):
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_the_data_page_shows_when_consent_was_given_and_to_which_notice(client):
    client.post("/register", data=registration())
    page = client.get("/account/data").get_data(as_text=True)
    assert "2026-01" in page and client.get("/account/data").status_code == 200


def test_the_download_holds_everything_about_the_person_and_is_audited(app, client, holder):
    AuthActions(client).login("nhung@example.com")

    response = client.post("/account/data")

    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    data = json.loads(response.data)
    assert data["profile"]["email"] == "nhung@example.com" and data["profile"]["full_name"] == "Nguyễn Thị Hồng Nhung"
    assert set(data["consent"]) >= {"given_at", "privacy_notice_version"}
    assert data["enrolments"][0]["course"] == "honey-basics" and len(data["lesson_progress"]) == 5
    attempt = data["attempts"][0]
    assert attempt["passed"] is True and attempt["answers"] and {"question", "answer", "score_fraction"} <= set(attempt["answers"][0])
    assert data["certificates"][0]["code"] == holder[1] and data["certificates"][0]["claims"]["holder_name"] == "Nguyễn Thị Hồng Nhung"
    assert data["seller_profile"]["shops"] == [{"platform": "shopee", "handle": "matongbacha"}]
    assert "auth.login" in [event["action"] for event in data["audit_events"]]
    text = response.get_data(as_text=True)
    assert "argon2" not in text and '"choices"' not in text  # no password hash, no answer key
    assert audit_actions(app)[-1] == "privacy.data_exported"


def test_the_download_is_a_post_with_a_csrf_token(csrf_app, users):
    client = csrf_app.test_client()
    token = csrf_login(client)
    assert client.post("/account/data").status_code == 400
    assert client.post("/account/data", data={"csrf_token": token}).status_code == 200


def test_deleting_needs_the_password_and_changes_nothing_without_it(app, client, users):
    AuthActions(client).login()
    response = client.post("/account/delete", data={"password": "wrong-password-1", "understood": "y"})
    assert response.status_code == 200
    with app.app_context():
        user = db.session.get(User, users["learner"][0])
        assert user.is_active and user.email == "learner@example.com"


def test_deleting_anonymises_the_account_and_ends_every_session(app, client, users):
    other_device = app.test_client()
    AuthActions(other_device).login()
    AuthActions(client).login()

    response = client.post("/account/delete", data={"password": PASSWORD, "understood": "y"})

    assert response.status_code == 302
    learner_id = users["learner"][0]
    with app.app_context():
        user = db.session.get(User, learner_id)
        assert user.full_name == f"Người dùng đã xóa #{learner_id}" and user.phone is None
        assert user.email.endswith(".invalid") and not user.is_active and user.business_name == ""
        assert not user.password_hash.startswith("$argon2")
    assert other_device.get("/dashboard").status_code == 302 and client.get("/dashboard").status_code == 302
    assert AuthActions(client).login(password=PASSWORD).status_code == 200  # cannot log in any more
    assert "privacy.account_deleted" in audit_actions(app)
    assert client.post("/register", data=registration(login="learner@example.com")).status_code == 302  # the address is free again


def test_a_certificate_holder_keeps_the_name_and_the_certificate_stays_checkable(app, client, holder):
    user_id, code = holder
    with app.app_context():
        claims_before = db.session.scalar(select(Certificate.claims).where(Certificate.code == code))
    AuthActions(client).login("nhung@example.com")

    client.post("/account/delete", data={"password": PASSWORD, "understood": "y"})

    with app.app_context():
        user = db.session.get(User, user_id)
        profile = ensure_profile(db.session, user_id)
        assert user.full_name == "Nguyễn Thị Hồng Nhung" and user.email.endswith(".invalid")
        assert profile.tax_code is None and profile.shops == []
        assert db.session.scalar(select(Certificate.claims).where(Certificate.code == code)) == claims_before
    page = client.get(f"/verify/{code}")
    assert page.status_code == 200 and "Nguyễn Thị Hồng Nhung" in page.get_data(as_text=True)


def test_the_only_admin_cannot_delete_their_account(app, client, users):
    AuthActions(client).login("admin@example.com")
    client.post("/account/delete", data={"password": PASSWORD, "understood": "y"})
    with app.app_context():
        assert db.session.get(User, users["admin"][0]).is_active


def test_failed_logins_and_registration_errors_do_not_log_emails_or_phone_numbers(client, users, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post("/login", data={"login": "0912 345 678", "password": "wrong-password-1"})
        client.post("/login", data={"login": "learner@example.com", "password": "wrong-password-1"})
        client.post("/register", data=registration(login="learner@example.com"))
        client.post("/register", data=registration(login="0912 345 678", password="short", confirm="short"))
    text = caplog.text
    assert "learner@example.com" not in text and "912 345 678" not in text and "912345678" not in text


def test_the_app_log_masks_emails_and_phone_numbers(app, caplog):
    with caplog.at_level(logging.INFO):
        app.logger.warning("mail to %s, phone %s failed", "lan@example.com", "+84 912 345 678")
    assert "lan@example.com" not in caplog.text and "912 345 678" not in caplog.text and "[email]" in caplog.text


def test_the_privacy_notice_says_how_to_download_and_delete(client):
    client.post("/language", data={"lang": "en"})
    page = client.get("/privacy").get_data(as_text=True)
    assert "What we keep after deletion" in page and "My data" in page and "Delete my account" in page
