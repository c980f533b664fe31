"""Security-relevant events land in the audit log (without personal data), login is rate-limited, admins export the log."""
from sqlalchemy import select

from lms import create_app
from lms.audit.models import AuditEvent
from lms.extensions import db
from tests.conftest import with_signing_key


def actions(app):
    with app.app_context():
        return [(e.action, e.actor_id, e.detail) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_logins_failures_and_role_changes_are_recorded_without_the_typed_login(client, app, users):
    client.post("/login", data={"login": "0999888777", "password": "wrong-password-123"})
    client.post("/login", data={"login": "admin@example.com", "password": "correct-horse-battery"})
    client.post(f"/admin/users/{users['learner'][0]}", data={"role": "trainer"})
    recorded = actions(app)
    assert [a for a, _, _ in recorded] == ["auth.login_failed", "auth.login", "user.role_changed"]
    assert "0999888777" not in str(recorded)
    assert recorded[1][1] == users["admin"][0] and recorded[2][2] == {"before": "learner", "after": "trainer"}


def test_admins_export_the_audit_log_and_the_export_is_recorded(client, app, users):
    client.post("/login", data={"login": "admin@example.com", "password": "correct-horse-battery"})
    response = client.get("/admin/audit.csv")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf") and b"auth.login" in response.data
    assert actions(app)[-1][0] == "audit.exported"
    client.post("/logout")
    client.post("/login", data={"login": "learner@example.com", "password": "correct-horse-battery"})
    assert client.get("/admin/audit.csv").status_code == 403


def test_login_attempts_are_rate_limited_per_address(app_config):
    app = with_signing_key(create_app({**app_config, "LOGIN_RATE_LIMIT": "3 per minute"}))
    client = app.test_client()
    codes = [client.post("/login", data={"login": "x@example.com", "password": "nope-nope-nope"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/login").status_code == 200  # reading the form is not limited
    app.extensions["lms_db"].engine.dispose()
