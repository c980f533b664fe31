"""A person's data: the JSON copy, the consent record, account deletion, and personal data kept out of logs."""
import json
import logging
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.catalog.models import Course
from lms.cohorts.access import assign_course_trainer
from lms.cohorts.services import SessionDetails, add_member, create_session
from lms.credentials.models import Certificate
from lms.db import utcnow
from lms.extensions import db
from lms.logmask import mask_request_line
from lms.onboarding.models import ShopHandle
from lms.onboarding.profiles import ensure_profile
from tests.cli.test_backup import certified_learner
from tests.conftest import PASSWORD, AuthActions
from tests.slow.test_shared_rate_limits import ROOT, free_port, wait_for
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
        try:
            raise ValueError("UNIQUE constraint failed: users.email [parameters: ('minh@example.com', '+84987654321')]")
        except ValueError:
            app.logger.exception("saving failed")  # database errors quote the row they could not write
    assert "lan@example.com" not in caplog.text and "912 345 678" not in caplog.text and "[email]" in caplog.text
    assert "saving failed" in caplog.text and "UNIQUE constraint" in caplog.text
    assert "minh@example.com" not in caplog.text and "987654321" not in caplog.text


def test_the_privacy_notice_says_how_to_download_and_delete(client):
    client.post("/language", data={"lang": "en"})
    page = client.get("/privacy").get_data(as_text=True)
    assert "What we keep after deletion" in page and "My data" in page and "Delete my account" in page


# Addresses whose request lines hold personal data or secrets, and what must never reach a log because of them.
PRIVATE_URLS = [
    "/console/sellers?q=0912345678&page=2",
    "/api/v1/sellers?phone=%2B84912345678&tax_code=0101245486",
    "/courses?q=lan%40example.com",
    "/courses?q=lan@example.com&sort=name",
    "/reset-password/Zx9-reset-token-of-lan",
    "/login?next=%2Fconsole%2Fsellers%3Fq%3DNguy%E1%BB%85n%2BTh%E1%BB%8B",
]
PRIVATE = ["912345678", "0101245486", "lan@", "lan%40", "Zx9-reset-token", "Nguy", "0987654321"]


def request_everything(base: str) -> None:
    for path in PRIVATE_URLS:
        request = urllib.request.Request(base + path, headers={"Referer": "https://academy.example/console/sellers?q=0987654321"})
        try:
            urllib.request.urlopen(request, timeout=30).read()
        except urllib.error.HTTPError as answer:  # 401, 404: logged all the same
            answer.close()


def test_request_lines_keep_the_page_and_lose_the_personal_data():
    line = '127.0.0.1 - - [01/Mar/2026 10:00:00] "GET /console/sellers?q=0912+345+678&province=dak-lak&page=2 HTTP/1.1" 200 -'
    assert mask_request_line(line) == '127.0.0.1 - - [01/Mar/2026 10:00:00] "GET /console/sellers?q=[masked]&province=dak-lak&page=2 HTTP/1.1" 200 -'
    assert mask_request_line('"GET /reset-password/AbC-123_x?lang=vi HTTP/1.1"') == '"GET /reset-password/[token]?lang=vi HTTP/1.1"'
    assert mask_request_line('"GET /x?sort=lan@example.com" "Bearer ocop_Secret-123"') == '"GET /x?sort=[email]" "Bearer ocop_[token]"'
    assert mask_request_line('"GET /courses/mat-ong/co-ban/bai-1 HTTP/1.1" 200 5123') == '"GET /courses/mat-ong/co-ban/bai-1 HTTP/1.1" 200 5123'


def test_the_development_server_log_has_no_personal_data_from_urls(app, caplog):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            request_everything(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert len(lines) >= len(PRIVATE_URLS)
    assert any("GET /console/sellers?q=[masked]&page=2 HTTP/1.1" in line for line in lines), lines
    assert not [line for line in lines if any(secret in line for secret in PRIVATE)]


@pytest.mark.slow
def test_gunicorn_access_and_error_logs_have_no_personal_data_from_urls(app, database_url, tmp_path):
    port, access, errors = free_port(), tmp_path / "access.log", tmp_path / "error.log"
    env = {**os.environ, "LMS_DATABASE_URL": database_url, "LMS_INSTANCE_PATH": str(tmp_path / "instance"), "LMS_SECRET_KEY": "logs",
           "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--access-logfile", str(access),
                               "--error-logfile", str(errors), "--log-level", "debug", "wsgi:app"], cwd=ROOT, env=env)
    try:
        wait_for(port, 60)
        request_everything(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(30)
    logged = access.read_text(encoding="utf-8")
    assert '"GET /console/sellers?q=[masked]&page=2 HTTP/1.1" 302' in logged, logged
    assert "academy.example/console/sellers?q=[masked]" in logged  # the referer too
    text = logged + errors.read_text(encoding="utf-8")
    assert not [line for line in text.splitlines() if any(secret in line for secret in PRIVATE)]


def test_a_deleted_account_shows_as_deleted_never_as_its_placeholder_address(app, client, holder, users):
    """The users table needs an email or a phone, so a deleted account keeps an address that cannot exist;
    staff pages and exports say 'deleted account' instead of showing it as if it were one."""
    user_id, code = holder
    with app.app_context():
        course = db.session.scalar(select(Course))
        assign_course_trainer(db.session, course.id, users["trainer"][0], None)
        training = create_session(db.session, SessionDetails("Lớp Lào Cai", "lao-cai", "Nhà văn hoá", "", utcnow().date(), utcnow().date()),
                                  [course.id], users["trainer"][0])
        add_member(db.session, training, db.session.get(User, user_id), users["trainer"][0])
        db.session.commit()
        session_id, slug = training.id, course.slug
    AuthActions(client).login("nhung@example.com")
    client.post("/account/delete", data={"password": PASSWORD, "understood": "y"})
    pages = {
        "admin@example.com": ["/admin/users", f"/admin/users/{user_id}", "/admin/users?q=Nhung", f"/certificates/{code}/manage"],
        "trainer@example.com": [f"/sessions/{session_id}", f"/reports/sessions/{session_id}", f"/reports/sessions/{session_id}.csv",
                                f"/reports/courses/{slug}", f"/reports/courses/{slug}.csv", f"/courses/{slug}/certificates"],
        "verifier@example.com": ["/console/sellers?q=Nhung", f"/console/sellers/{user_id}", "/console/sellers.csv"],
    }
    shown = {}
    for login, paths in pages.items():
        client.post("/logout")
        AuthActions(client).login(login)
        client.post("/language", data={"lang": "en"})
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            shown[path] = response.get_data(as_text=True)
    assert [path for path, text in shown.items() if "deleted.invalid" in text] == []
    assert all("deleted account" in shown[path] for path in (f"/admin/users/{user_id}", f"/sessions/{session_id}", f"/reports/sessions/{session_id}",
                                                              f"/reports/courses/{slug}.csv", f"/certificates/{code}/manage",
                                                              f"/console/sellers/{user_id}"))
