"""Registration, login, logout, password change, as a person uses them through HTTP."""
import unicodedata

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.extensions import db
from tests.conftest import PASSWORD, make_user


def registration(**changes):
    data = {
        "login": "0912 345 678",
        "full_name": "Nguyễn Thị Lan",
        "business_name": "HTX Chè Tân Cương",
        "province": "thai-nguyen",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "consent": "y",
    }
    data.update(changes)
    return data


def user_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_registering_with_a_phone_number_stores_it_as_plus84_and_logs_in(client, app):
    response = client.post("/register", data=registration())
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.phone == "+84912345678" and user.email is None
        assert user.role == "learner"
        assert user.consent_at is not None and user.consent_version
        assert user.password_hash.startswith("$argon2id$")
    assert "Nguyễn Thị Lan" in client.get("/dashboard").get_data(as_text=True)


def test_registering_with_an_email(client, app):
    client.post("/register", data=registration(login="Lan@Example.com"))
    with app.app_context():
        assert db.session.scalar(select(User.email)) == "lan@example.com"


def test_a_name_typed_in_nfd_is_stored_in_nfc(client, app):
    client.post("/register", data=registration(full_name=unicodedata.normalize("NFD", "Trần Thị Ngọc Ánh")))
    with app.app_context():
        stored = db.session.scalar(select(User.full_name))
    assert stored == "Trần Thị Ngọc Ánh" and unicodedata.is_normalized("NFC", stored)


def test_duplicate_phone_in_another_form_is_a_field_error_and_writes_nothing(client, app):
    client.post("/register", data=registration(login="0912345678"))
    client.post("/logout")
    response = client.post("/register", data=registration(login="+84 912 345 678", full_name="Người khác"))
    assert response.status_code == 200
    assert "already exists" in response.get_data(as_text=True) or "đã có" in response.get_data(as_text=True)
    assert user_count(app) == 1


def test_each_bad_field_gets_its_own_error_in_vietnamese_and_nothing_is_saved(client, app):
    response = client.post("/register", data=registration(login="12345", password="123", confirm="123", province="atlantis", full_name="x" * 200))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="error"') >= 4
    assert 'lang="vi"' in page
    assert user_count(app) == 0


def test_common_password_is_rejected(client, app):
    response = client.post("/register", data=registration(password="matkhau123", confirm="matkhau123"))
    assert response.status_code == 200 and user_count(app) == 0


def test_registration_needs_consent(client, app):
    data = registration()
    del data["consent"]
    response = client.post("/register", data=data)
    assert response.status_code == 200 and user_count(app) == 0


def test_typed_values_stay_in_the_form_after_an_error(client):
    response = client.post("/register", data=registration(password="short", confirm="short"))
    page = response.get_data(as_text=True)
    assert "Nguyễn Thị Lan" in page and "HTX Chè Tân Cương" in page
    assert PASSWORD not in page  # passwords are never echoed back


def test_login_with_phone_in_any_form(client, app):
    with app.app_context():
        make_user(db.session, login="0987654321")
    response = client.post("/login", data={"login": "+84 987 654 321", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_wrong_password_gives_one_generic_error(client, app, users):
    response = client.post("/login", data={"login": "learner@example.com", "password": "wrong-password"})
    assert response.status_code == 200
    unknown = client.post("/login", data={"login": "nobody@example.com", "password": "wrong-password"})
    # same message for an unknown login: no user enumeration
    assert _error(response) == _error(unknown) != ""


def _error(response):
    page = response.get_data(as_text=True)
    start = page.find('class="error"')
    return page[start:page.find("</p>", start)] if start >= 0 else ""


def test_login_redirects_back_to_a_local_page_only(client, users):
    ok = client.post("/login", data={"login": "learner@example.com", "password": PASSWORD, "next": "/account/password"})
    assert ok.headers["Location"].endswith("/account/password")
    client.post("/logout")
    evil = client.post("/login", data={"login": "learner@example.com", "password": PASSWORD, "next": "//evil.example/"})
    assert evil.headers["Location"].endswith("/dashboard")


def test_logout_ends_the_session(client, auth, users):
    auth.login()
    assert client.get("/dashboard").status_code == 200
    auth.logout()
    assert client.get("/dashboard").status_code == 302


def test_remember_me_sets_a_long_lived_cookie(client, auth, users):
    response = auth.login(remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookies)


def test_password_change_requires_the_current_password_and_ends_other_sessions(app, users):
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/login", data={"login": "learner@example.com", "password": PASSWORD})
    wrong = first.post("/account/password", data={"current": "nope-nope-nope", "new": "tra-sen-hong-2026", "confirm": "tra-sen-hong-2026"})
    assert wrong.status_code == 200
    ok = first.post("/account/password", data={"current": PASSWORD, "new": "tra-sen-hong-2026", "confirm": "tra-sen-hong-2026"})
    assert ok.status_code == 302
    assert first.get("/dashboard").status_code == 200  # this device stays logged in
    assert second.get("/dashboard").status_code == 302  # the other device is logged out
    fresh = app.test_client()
    assert fresh.post("/login", data={"login": "learner@example.com", "password": "tra-sen-hong-2026"}).status_code == 302


def test_disabled_account_cannot_log_in_and_is_logged_out(app, client, auth, users):
    auth.login()
    with app.app_context():
        user = db.session.get(User, users["learner"][0])
        user.is_active = False
        db.session.commit()
    assert client.get("/dashboard").status_code == 302
    assert auth.login().status_code == 200
