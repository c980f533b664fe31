"""Every hostile payload through the fields people control: answered with a page or a clear error, never a 500,
never executed, never echoed unescaped."""
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.content.gift import GiftError, parse_gift
from lms.content.importer import import_bundle, load_bundles
from lms.extensions import db
from tests.content_factory import write_course
from tests.hostile import PAYLOADS, XSS

class _Dangers(HTMLParser):
    """What a browser would run or fetch from a page: handlers, scripts not ours, frames, foreign or javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in {"iframe", "object", "embed", "base", "meta", "link", "style"} and not (tag in {"meta", "link"} and _ours(values)):
            self.found.append(f"<{tag}>")
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.found.append("<script> not ours")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name in {"href", "src", "action", "formaction", "data"} and value and value.strip().lower().startswith(("javascript:", "http://evil", "http://169.254")):
                self.found.append(f"{tag} {name}={value}")


def _ours(values: dict) -> bool:
    """The page's own <meta> and <link> tags in the head: charset, viewport, our stylesheet and icon, our tokens."""
    return values.get("name") in {"viewport", "lms-user", "csrf-token"} or "charset" in values or (values.get("href") or "").startswith("/static/")


def assert_safe(response):
    assert response.status_code < 500, response.status_code
    parser = _Dangers()
    parser.feed(response.get_data(as_text=True))
    assert parser.found == [], parser.found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_registration_with_hostile_names_never_breaks_and_never_executes(client, app, payload):
    response = client.post("/register", data={
        "login": f"u{abs(hash(payload)) % 10**8}@example.com", "full_name": payload, "business_name": payload,
        "province": "ha-noi", "password": "rung-ca-phe-2026", "password_confirm": "rung-ca-phe-2026", "consent": "y",
    }, follow_redirects=True)
    assert_safe(response)
    for path in ("/dashboard", "/account/password", "/courses?q=" + payload[:90]):
        assert_safe(client.get(path))


def test_hostile_names_are_escaped_wherever_admins_see_them(client, app, users):
    from tests.conftest import make_user

    with app.app_context():
        for index, payload in enumerate(XSS):
            try:
                make_user(db.session, login=f"h{index}@example.com", name="An " + payload, business=payload)
            except Exception:  # a name the rules refuse is fine: refused, not stored
                db.session.rollback()
        stored = db.session.scalar(select(func.count()).select_from(User))
    assert stored > 4
    client.post("/login", data={"login": "admin@example.com", "password": "correct-horse-battery"})
    assert_safe(client.get("/admin/users"))
    assert_safe(client.get("/admin/users?q=" + XSS[0]))
    with app.app_context():
        ids = list(db.session.scalars(select(User.id)))
    for user_id in ids:
        assert_safe(client.get(f"/admin/users/{user_id}"))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_search_and_api_queries_with_hostile_text(client, payload):
    assert_safe(client.get("/courses", query_string={"q": payload}))
    assert_safe(client.get("/verify", query_string={"code": payload}, follow_redirects=True))
    response = client.get("/api/v1/sellers", query_string={"tax_code": payload}, headers={"Authorization": "Bearer " + payload[:50]})
    assert response.status_code in (400, 401) and response.mimetype == "application/problem+json"
    assert client.get("/api/v1/certificates/" + payload.replace("/", "%2F")[:80]).status_code in (404, 429)


def _import_lesson(root, body: str):
    folder = write_course(root, "hostile", modules=(("m", ("l",)),))
    for lang in ("vi", "en"):
        (folder / "01-m" / f"01-l.{lang}.md").write_text(f'---\ntitle: "Bài <b>x</b>"\nminutes: 3\n---\n\n{body}\n', encoding="utf-8")
    bundles, _ = load_bundles([root / "courses", root / "quizzes"])
    report = import_bundle(db.session, bundles[0], None)
    db.session.commit()
    return report


def test_hostile_lesson_markdown_and_questions_are_sanitised_on_import(tmp_path, app, client, users):
    # images and links to anything but the course's own files and lessons are refused, with the line
    with app.app_context():
        report = _import_lesson(tmp_path / "refused", "Xem ![x](http://169.254.169.254/latest/meta-data) và [bấm](javascript:alert(1))")
        assert report.outcome == "rejected" and all(problem.line >= 1 for problem in report.problems)
    allowed = [p for p in PAYLOADS if not p.startswith(("![", "[click"))]
    body = "\n\n".join(f"Đoạn {i}: {payload}" for i, payload in enumerate(allowed))
    with app.app_context():
        report = _import_lesson(tmp_path / "allowed", body)
        assert report.outcome == "created", report.problems
    client.post("/login", data={"login": "learner@example.com", "password": "correct-horse-battery"})
    client.post("/courses/hostile/enrol")
    page = client.get("/courses/hostile/m/l")
    assert_safe(page)
    assert "{{7*7}}" in page.get_data(as_text=True) and ">49<" not in page.get_data(as_text=True)  # no template evaluation


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_gift_parser_answers_hostile_text_with_clear_errors_only(payload):
    for text in (payload, f"::t:: {payload} {{=a ~b}}", f"::t:: Q {{={payload} ~b#{payload}}}", f"::{payload}:: Q {{T}}"):
        try:
            parse_gift(text)
        except GiftError as error:
            assert error.problems and all(problem.line >= 1 for problem in error.problems)
