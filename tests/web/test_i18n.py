"""Vietnamese by default, English beside it; the choice sticks per session and per user."""
from babel.messages.pofile import read_po

from lms.accounts.models import User
from lms.config import ROOT
from lms.extensions import db
from tests.conftest import PASSWORD


def test_vietnamese_is_the_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Đăng nhập" in page


def test_switching_to_english_sticks_for_the_session(client):
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page
    assert '<html lang="en">' in client.get("/register").get_data(as_text=True)


def test_language_choice_sticks_to_the_user_across_devices(app, users):
    first = app.test_client()
    first.post("/login", data={"login": "learner@example.com", "password": PASSWORD})
    first.post("/language", data={"lang": "en"})
    with app.app_context():
        assert db.session.get(User, users["learner"][0]).locale == "en"
    second = app.test_client()
    second.post("/login", data={"login": "learner@example.com", "password": PASSWORD})
    assert '<html lang="en">' in second.get("/dashboard").get_data(as_text=True)


def test_unknown_language_is_rejected(client):
    assert client.post("/language", data={"lang": "fr"}).status_code == 400


def test_open_redirect_through_language_switch_is_refused(client):
    response = client.post("/language", data={"lang": "en", "next": "https://evil.example/"})
    assert "evil.example" not in response.headers["Location"]


def test_every_interface_string_has_a_vietnamese_translation():
    with open(ROOT / "lms/translations/vi/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == [] and fuzzy == []


def test_catalog_covers_every_string_in_the_code():
    """The .po files are up to date with the strings marked in code and templates."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = {m[2] if isinstance(m[2], str) else m[2][0] for m in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)}
    with open(ROOT / "lms/translations/vi/LC_MESSAGES/messages.po", "rb") as handle:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert sorted(found - known) == []


def test_dates_are_formatted_per_locale(app):
    from datetime import datetime, timezone

    from flask_babel import force_locale, format_date

    moment = datetime(2026, 3, 5, tzinfo=timezone.utc)
    with app.test_request_context():
        with force_locale("vi"):
            vi = format_date(moment, "short")
        with force_locale("en"):
            en = format_date(moment, "short")
    assert vi.startswith("5/3") and en.startswith("3/5")  # day first in Vietnamese, month first in English
