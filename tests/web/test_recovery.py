"""Forgotten passwords, reset links (emailed through a local SMTP server, or handed over by a trainer), log out everywhere."""
import email
import email.policy
import logging
import re
import socketserver
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms import clock, create_app
from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.cohorts.services import SessionDetails, add_member, create_session
from lms.db import utcnow
from lms.extensions import db
from tests.conftest import PASSWORD, AuthActions, make_course, make_user, with_signing_key

NEW_PASSWORD = "mat-ong-rung-2026"
LINK = re.compile(r"http://localhost/reset-password/[\w.-]+")


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO, MAIL, RCPT, DATA (with dot-unstuffing), RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 localhost test SMTP")
        recipients = []
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip().upper()
            if command.startswith("EHLO"):
                self.wfile.write(b"250-localhost\r\n250 8BITMIME\r\n")
            elif command.startswith("RCPT TO:"):
                recipients.append(line.decode().strip()[8:].strip("<> "))
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                self.server.messages.append((recipients, email.message_from_bytes(b"".join(lines), policy=email.policy.default)))
                recipients = []
                self.reply("250 OK queued")
            elif command == "QUIT":
                self.reply("221 Bye")
                return
            else:  # HELO, MAIL FROM, RSET, NOOP
                self.reply("250 OK")


@pytest.fixture
def smtp(app):
    """A local SMTP server the app sends to; yields the list of (recipients, message) it received."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.server_address[1], SMTP_STARTTLS=False, SMTP_FROM="academy@example.com")
    yield server.messages
    server.shutdown()
    server.server_close()


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def emailed_link(client, smtp, login="learner@example.com") -> str:
    client.post("/forgot-password", data={"login": login})
    (recipients, message), = smtp
    return LINK.search(body_of(message)).group(0).removeprefix("http://localhost")


def audit_actions(app):
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_an_emailed_link_sets_a_new_password_and_ends_every_other_session(app, client, users, smtp):
    other_device = app.test_client()
    AuthActions(other_device).login()
    link = emailed_link(client, smtp)
    (recipients, message), = smtp
    assert recipients == ["learner@example.com"] and message["To"] == "learner@example.com"
    assert client.get(link).status_code == 200

    response = client.post(link, data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert other_device.get("/dashboard").status_code == 302  # logged out there
    auth = AuthActions(client)
    assert auth.login(password=PASSWORD).status_code == 200  # the old password no longer works
    assert auth.login(password=NEW_PASSWORD).status_code == 302
    actions = audit_actions(app)
    assert actions.index("auth.password_reset_requested") < actions.index("auth.password_reset")


def test_the_answer_is_the_same_for_an_email_account_a_phone_account_and_no_account(app, client, users, smtp):
    with app.app_context():
        make_user(db.session, login="0912 345 678")
    responses = [client.post("/forgot-password", data={"login": login})
                 for login in ("learner@example.com", "nobody@example.com", "0912345678", "0999 000 111", "not a login")]
    assert {(r.status_code, r.get_data(as_text=True)) for r in responses} == {(200, responses[0].get_data(as_text=True))}
    assert [recipients for recipients, _ in smtp] == [["learner@example.com"]]


def test_a_link_works_once(client, users, smtp):
    link = emailed_link(client, smtp)
    client.post(link, data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert client.get(link).status_code == 404
    assert client.post(link, data={"new": "another-pass-2026", "confirm": "another-pass-2026"}).status_code == 404


def test_a_link_expires_after_an_hour(client, users, smtp, monkeypatch):
    link = emailed_link(client, smtp)
    monkeypatch.setattr(clock, "now", lambda: utcnow() + timedelta(minutes=61))
    assert client.get(link).status_code == 404


def test_a_link_stops_working_when_the_password_is_changed_another_way(client, users, smtp):
    link = emailed_link(client, smtp)
    AuthActions(client).login()
    client.post("/account/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert client.get(link).status_code == 404


def test_a_forged_or_mangled_token_is_refused(client, users, smtp):
    link = emailed_link(client, smtp)
    assert client.get(link[:-3] + "abc").status_code == 404
    assert client.get("/reset-password/not-a-token").status_code == 404


def test_the_new_password_follows_the_registration_rules(client, users, smtp):
    link = emailed_link(client, smtp)
    response = client.post(link, data={"new": "12345678", "confirm": "12345678"})
    assert response.status_code == 200
    assert AuthActions(client).login(password=PASSWORD).status_code == 302  # unchanged


def test_the_reset_page_keeps_the_token_out_of_referers_and_caches(client, users, smtp):
    response = client.get(emailed_link(client, smtp))
    assert response.headers["Referrer-Policy"] == "no-referrer" and response.headers["Cache-Control"] == "no-store"


def test_asking_for_a_link_is_rate_limited(app_config):
    app = with_signing_key(create_app({**app_config, "LOGIN_RATE_LIMIT": "2 per minute", "SMTP_HOST": ""}))
    client = app.test_client()
    codes = [client.post("/forgot-password", data={"login": "x@example.com"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    app.extensions["lms_db"].engine.dispose()


def test_without_an_smtp_host_the_email_goes_to_the_log_with_the_link_but_not_the_address(app, client, users, caplog):
    app.config["SMTP_HOST"] = ""
    with caplog.at_level(logging.WARNING):
        client.post("/forgot-password", data={"login": "learner@example.com"})
    assert LINK.search(caplog.text) and "learner@example.com" not in caplog.text


@pytest.fixture
def session_learner(app, users):
    """A phone-only learner in a training session run by the trainer."""
    with app.app_context():
        course = make_course(db.session)
        trainer = db.session.get(User, users["trainer"][0])
        learner = make_user(db.session, login="0987 654 321", name="Hà Thị Mai")
        today = utcnow().date()
        training = create_session(db.session, SessionDetails("Lớp Đắk Lắk", "dak-lak", "Buôn Ma Thuột", "", today, today), [course.id], trainer.id)
        add_member(db.session, training, learner, trainer.id)
        db.session.commit()
        return learner.id


def test_a_trainer_hands_a_learner_of_their_session_a_working_link(app, client, auth, session_learner):
    auth.login("trainer@example.com")
    assert client.get(f"/account/reset-link/{session_learner}").status_code == 200
    page = client.post(f"/account/reset-link/{session_learner}").get_data(as_text=True)
    link = LINK.search(page).group(0).removeprefix("http://localhost")
    assert "auth.password_reset_link_issued" in audit_actions(app)

    learner = app.test_client()
    learner.post(link, data={"new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert AuthActions(learner).login("0987654321", NEW_PASSWORD).status_code == 302


def test_only_admins_and_the_session_trainers_may_issue_links(app, client, auth, users, session_learner):
    auth.login("trainer@example.com")
    assert client.get(f"/account/reset-link/{users['learner'][0]}").status_code == 404  # not in their session
    assert client.post(f"/account/reset-link/{users['verifier'][0]}").status_code == 404
    auth.logout()
    auth.login("learner@example.com")
    assert client.get(f"/account/reset-link/{session_learner}").status_code == 403
    auth.logout()
    auth.login("admin@example.com")
    assert client.post(f"/account/reset-link/{users['learner'][0]}").status_code == 200
    assert client.get(f"/account/reset-link/{users['admin'][0]}").status_code == 404  # their own: the password page


def test_log_out_everywhere_ends_other_sessions_and_keeps_this_one(app, client, auth, users):
    other_device = app.test_client()
    AuthActions(other_device).login()
    auth.login()
    response = client.post("/account/logout-everywhere")
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert other_device.get("/dashboard").status_code == 302
    assert "auth.logged_out_everywhere" in audit_actions(app)


def csrf_token(client, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def csrf_login(client, login="learner@example.com") -> str:
    """Log in through the form (CSRF on); returns a token of the new session for later posts."""
    response = client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    return csrf_token(client, "/dashboard")


def test_log_out_everywhere_needs_the_csrf_token(csrf_app, users):
    client = csrf_app.test_client()
    token = csrf_login(client)
    assert client.post("/account/logout-everywhere").status_code == 400
    assert client.post("/account/logout-everywhere", data={"csrf_token": token}).status_code == 302
