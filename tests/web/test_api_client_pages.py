"""Admin pages of platform API clients, and the pages whose changes queue a webhook event."""
import re

import pytest
from sqlalchemy import func, select

from lms import create_app
from lms.audit.models import AuditEvent
from lms.catalog.models import Course
from lms.catalog.services import complete_lesson, enrol_learner, outline
from lms.db import utcnow
from lms.extensions import db
from lms.onboarding.clients import create_client, find_client
from lms.onboarding.models import ApiClient, WebhookEvent
from lms.onboarding.webhooks import enqueue, set_webhook_url
from tests.conftest import PASSWORD, make_course, make_questions, with_signing_key
from tests.services.test_certificate_rules import finish_lessons, pass_assessment
from tests.web.test_assessment_pages import RIGHT, form_for, start
from tests.web.test_certificate_pages import earn_certificate

TOKEN = re.compile(r"ocop_[A-Za-z0-9_-]{43}")
NEW_CLIENT = {"name": "TikTok Shop", "scopes": ["sellers:read", "verify"], "rate_limit": "600 per minute", "webhook_url": "https://seller.tiktok.example/ocop"}


def login(client, role):
    assert client.post("/login", data={"login": f"{role}@example.com", "password": PASSWORD}).status_code == 302
    client.post("/language", data={"lang": "en"})


def add_client(app, webhook_url="https://shopee.example/hooks", name="Shopee") -> int:
    with app.app_context():
        client, _ = create_client(db.session, name, ["sellers:read"], None)
        set_webhook_url(db.session, client, webhook_url)
        db.session.commit()
        return client.id


def client_row(app, client_id) -> ApiClient:
    with app.app_context():
        return db.session.get(ApiClient, client_id)


def audit_rows(app, action):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def event_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(WebhookEvent))


GET_ROUTES = ["/admin/api-clients", "/admin/api-clients/new", "/admin/api-clients/{id}", "/admin/api-clients/{id}/revoke", "/admin/api-clients/{id}/deliveries"]
POST_ROUTES = ["/admin/api-clients/new", "/admin/api-clients/{id}/webhook", "/admin/api-clients/{id}/secret", "/admin/api-clients/{id}/revoke"]


@pytest.mark.parametrize("role,status", [(None, 302), ("learner", 403), ("trainer", 403), ("verifier", 403), ("admin", 200)])
def test_the_pages_are_for_admins_only(client, app, users, role, status):
    client_id = add_client(app)
    if role:
        login(client, role)
    for route in GET_ROUTES:
        response = client.get(route.format(id=client_id))
        assert response.status_code == status, route
        if role is None:
            assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("role,status", [(None, 302), ("learner", 403), ("trainer", 403), ("verifier", 403)])
def test_changes_are_for_admins_only(client, app, users, role, status):
    client_id = add_client(app)
    if role:
        login(client, role)
    for route in POST_ROUTES:
        assert client.post(route.format(id=client_id), data={**NEW_CLIENT, "webhook_url": ""}).status_code == status, route
    row = client_row(app, client_id)
    assert row.is_active and row.webhook_url == "https://shopee.example/hooks"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiClient)) == 1


def test_a_new_client_gets_its_token_and_secret_shown_once(client, app, users):
    login(client, "admin")
    assert 'value="600 per minute"' in client.get("/admin/api-clients/new").get_data(as_text=True)
    response = client.post("/admin/api-clients/new", data=NEW_CLIENT)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    token = TOKEN.search(page).group(0)
    with app.app_context():
        found = find_client(db.session, token)
        assert found is not None and found.scopes == ["sellers:read", "verify"] and found.webhook_url == NEW_CLIENT["webhook_url"]
        secret, client_id = found.webhook_secret, found.id
    assert secret in page and "only this once" in page
    for again in ("/admin/api-clients", f"/admin/api-clients/{client_id}"):
        text = client.get(again).get_data(as_text=True)
        assert "TikTok Shop" in text and token[:12] in text
        assert token not in text and secret not in text
    [entry] = audit_rows(app, "api_client.created")
    assert entry.actor_id == users["admin"][0] and entry.detail["scopes"] == ["sellers:read", "verify"]
    assert token not in str(entry.detail) and secret not in str(entry.detail)


@pytest.mark.parametrize("field,value,message", [
    ("webhook_url", "http://seller.tiktok.example/ocop", "Use an https:// address"),
    ("webhook_url", "https://user:pw@seller.tiktok.example/", "Put no user name or password"),
    ("rate_limit", "a lot", "600 per minute"),
    ("scopes", [], "Choose at least one scope."),
    ("name", "", "This field is required."),
])
def test_a_new_client_with_a_wrong_value_is_refused_with_a_message(client, app, users, field, value, message):
    login(client, "admin")
    response = client.post("/admin/api-clients/new", data={**NEW_CLIENT, field: value})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiClient)) == 0


@pytest.mark.parametrize("settings,accepted", [({"TESTING": False}, False), ({"TESTING": False, "WEBHOOK_ALLOW_HTTP_LOCALHOST": True}, True), ({}, True)])
def test_http_to_this_machine_is_allowed_only_in_tests_or_by_setting(app_config, users, settings, accepted):
    app = with_signing_key(create_app({**app_config, **settings}))
    client = app.test_client()
    login(client, "admin")
    response = client.post("/admin/api-clients/new", data={**NEW_CLIENT, "webhook_url": "http://127.0.0.1:8080/hooks"})
    assert response.status_code == (200 if accepted else 422)
    app.extensions["lms_db"].engine.dispose()


def test_the_webhook_address_is_changed_checked_and_removed(client, app, users):
    client_id = add_client(app)
    login(client, "admin")
    response = client.post(f"/admin/api-clients/{client_id}/webhook", data={"webhook_url": "http://shopee.example/new"})
    assert response.status_code == 422 and "Use an https:// address" in response.get_data(as_text=True)
    assert client_row(app, client_id).webhook_url == "https://shopee.example/hooks"
    assert client.post(f"/admin/api-clients/{client_id}/webhook", data={"webhook_url": "https://shopee.example/new"}).status_code == 302
    assert client_row(app, client_id).webhook_url == "https://shopee.example/new"
    client.post(f"/admin/api-clients/{client_id}/webhook", data={"webhook_url": ""})
    assert client_row(app, client_id).webhook_url is None
    changes = [(e.detail["before"], e.detail["after"]) for e in audit_rows(app, "api_client.webhook_changed")]
    assert changes == [("https://shopee.example/hooks", "https://shopee.example/new"), ("https://shopee.example/new", "")]


def test_rotating_the_secret_shows_the_new_one_once(client, app, users):
    client_id = add_client(app)
    old = client_row(app, client_id).webhook_secret
    login(client, "admin")
    page = client.post(f"/admin/api-clients/{client_id}/secret").get_data(as_text=True)
    new = client_row(app, client_id).webhook_secret
    assert new != old and new in page and old not in page
    assert new not in client.get(f"/admin/api-clients/{client_id}").get_data(as_text=True)
    [entry] = audit_rows(app, "api_client.secret_rotated")
    assert new not in str(entry.detail) and old not in str(entry.detail)


def test_revoking_asks_first_then_the_token_stops_working(client, app, users):
    login(client, "admin")
    token = TOKEN.search(client.post("/admin/api-clients/new", data=NEW_CLIENT).get_data(as_text=True)).group(0)
    with app.app_context():
        client_id = find_client(db.session, token).id
    confirm = client.get(f"/admin/api-clients/{client_id}/revoke")
    assert confirm.status_code == 200 and "Revoke TikTok Shop?" in confirm.get_data(as_text=True)
    assert client_row(app, client_id).is_active  # asking changes nothing
    assert client.post(f"/admin/api-clients/{client_id}/revoke").status_code == 302
    with app.app_context():
        assert find_client(db.session, token) is None
    assert client_row(app, client_id).revoked_at is not None and len(audit_rows(app, "api_client.revoked")) == 1
    # a revoked client cannot be changed any more
    client.post(f"/admin/api-clients/{client_id}/webhook", data={"webhook_url": "https://elsewhere.example/"})
    assert client_row(app, client_id).webhook_url == NEW_CLIENT["webhook_url"]
    assert "Revoked" in client.get("/admin/api-clients").get_data(as_text=True)


def test_revoking_needs_the_form_token(csrf_app, users):
    client = csrf_app.test_client()
    client_id = add_client(csrf_app)
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"login": "admin@example.com", "password": PASSWORD, "csrf_token": csrf})
    assert client.post(f"/admin/api-clients/{client_id}/revoke").status_code == 400
    assert client_row(csrf_app, client_id).is_active


def test_the_delivery_log_shows_each_event_state(client, app, users):
    client_id = add_client(app)
    with app.app_context():
        rows = [enqueue(db.session, "seller.eligibility_changed", {"seller_code": f"CODE-{n}"}, utcnow())[0] for n in range(3)]
        rows[0].delivered_at, rows[0].attempts, rows[0].last_status = utcnow(), 1, 200
        rows[1].attempts, rows[1].last_status, rows[1].last_error = 3, 502, "HTTP 502"
        rows[2].given_up_at, rows[2].attempts, rows[2].last_error = utcnow(), 12, "URLError: <urlopen error [Errno 111] Connection refused>"
        db.session.commit()
    login(client, "admin")
    page = client.get(f"/admin/api-clients/{client_id}/deliveries").get_data(as_text=True)
    for text in ("Delivered", "Pending", "Given up", "HTTP 502", "502", "Connection refused", "CODE-0", "CODE-2"):
        assert text in page, text
    assert "&lt;urlopen error" in page  # errors are shown as text
    assert "1 pending · 1 delivered · 1 given up" in client.get("/admin/api-clients").get_data(as_text=True)


# --- the changes that tell platforms ---------------------------------------------------------------


@pytest.fixture
def required_course(app, users):
    """The learner is enrolled in the one course required for onboarding; one platform listens."""
    with app.app_context():
        course = make_course(db.session, required=True)
        make_questions(db.session, course)
        enrol_learner(db.session, users["learner"][0], course)
        db.session.commit()
    add_client(app)
    return course.slug


def only_event(app) -> dict:
    with app.app_context():
        [event] = db.session.scalars(select(WebhookEvent))
        return event.payload


def test_a_verifier_revoking_a_certificate_queues_an_event(client, app, users):
    with app.app_context():
        make_questions(db.session, make_course(db.session, required=True))
    code, _ = earn_certificate(app)
    add_client(app)
    login(client, "verifier")
    client.post(f"/certificates/{code}/manage", data={"action": "suspend", "reason": "Kiểm tra lại nhãn"})
    assert only_event(app)["state"] == "not_eligible"
    client.post(f"/certificates/{code}/manage", data={"action": "suspend", "reason": "Lần nữa"})  # refused: nothing changes
    assert event_count(app) == 1


def all_but_the_last_lesson(app, learner_id, slug) -> tuple[str, int]:
    """Pass the assessment and complete every lesson but the last; returns the last lesson's address and id."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        pass_assessment(db.session, learner_id, course)
        lessons = [(module, lesson) for module, in_module in outline(db.session, course) for lesson in in_module]
        for _, lesson in lessons[:-1]:
            complete_lesson(db.session, learner_id, course, lesson)
        db.session.commit()
        module, last = lessons[-1]
        return f"/courses/{slug}/{module.slug}/{last.slug}", last.id


def test_completing_the_last_lesson_after_passing_queues_an_event(client, app, users, required_course):
    url, _ = all_but_the_last_lesson(app, users["learner"][0], required_course)
    login(client, "learner")
    client.post(url + "/complete")
    payload = only_event(app)
    assert payload["eligible"] is True and payload["previous_state"] == "not_eligible" and payload["missing"] == []


def test_the_last_lesson_synced_from_a_phone_queues_an_event(client, app, users, required_course):
    _, lesson_id = all_but_the_last_lesson(app, users["learner"][0], required_course)
    login(client, "learner")
    assert client.post("/progress/sync", json={"lessons": [lesson_id]}).status_code == 200
    assert only_event(app)["state"] == "eligible"
    client.post("/progress/sync", json={"lessons": [lesson_id]})  # sent again: nothing changes
    assert event_count(app) == 1


def test_passing_the_assessment_after_the_lessons_queues_an_event(client, app, users, required_course):
    with app.app_context():
        finish_lessons(db.session, users["learner"][0], db.session.scalar(select(Course)))
    login(client, "learner")
    attempt_id = start(client)
    client.post(f"/assessment/attempts/{attempt_id}", data={**form_for(app, attempt_id, RIGHT), "action": "save"})
    assert event_count(app) == 0
    client.post(f"/assessment/attempts/{attempt_id}/submit")
    assert only_event(app)["state"] == "eligible"
