"""Every hostile payload through the fields people control: answered with a page or a clear error, never a 500,
never executed, never echoed unescaped."""
import csv
import io
import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.assessment.models import AttemptItem, Question
from lms.catalog.models import Module
from lms.catalog.services import enrol_learner
from lms.cohorts.access import assign_course_trainer
from lms.cohorts.models import SessionMember
from lms.content.gift import GiftError, parse_gift
from lms.content.importer import import_bundle, load_bundles
from lms.extensions import db
from lms.onboarding.models import SellerNote
from tests.conftest import PASSWORD, make_course
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


# --- sessions, roster imports, verifier notes and question banks ---------------------------------------------------
# The helpers below push the payloads through the real forms (batched into few records, to stay fast);
# tests/browser/test_hostile_pages.py reuses them and then opens the pages in Chromium.

ESCAPED_XSS = str(escape(XSS[1]))  # how a payload looks once escaped: &lt;img src=x onerror=alert(1)&gt;


def batches(payloads: list[str], limit: int) -> list[str]:
    """The payloads joined by spaces into as few texts of at most `limit` characters as possible."""
    out: list[str] = []
    for payload in payloads:
        if out and len(out[-1]) + 1 + len(payload) <= limit:
            out[-1] += " " + payload
        else:
            out.append(payload[:limit])
    return out


def sign_in(client, login: str) -> None:
    client.post("/logout")
    assert client.post("/login", data={"login": login, "password": PASSWORD}).status_code == 302


def plant_sessions(client, course_id: int) -> list[int]:
    """As a trainer: sessions whose name, place, link and notes are payloads; returns the ids created."""
    created = []
    for text in batches(PAYLOADS, 200):
        response = client.post("/sessions/new", data={
            "name": text, "province": "dak-lak", "place": text, "starts_on": "2026-03-02", "ends_on": "2026-03-03",
            "online_url": "https://meet.example.vn/\"><script>alert(1)</script>?a='><img/src=x/onerror=alert(1)>",  # no spaces in a link
            "courses": [str(course_id)], "notes": "\n".join(PAYLOADS),
        })
        assert_safe(response)  # a name the rules refuse comes back on the form, escaped
        if response.status_code == 302:
            created.append(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert created
    return created


def roster_csv() -> bytes:
    """Every payload as a learner's name and business, plus rows whose phone, email and province are payloads,
    and a column named by a payload (listed as ignored on the preview)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["full_name", "phone", "email", "province", "business_name", XSS[1]])
    for index, payload in enumerate(PAYLOADS):
        writer.writerow([f"An {payload}", f"09{index:08d}", "", "Đắk Lắk", payload, payload])
    for index, payload in enumerate(XSS[:8]):
        writer.writerow([f"Bình {index}", payload, "", payload, "", ""])
        writer.writerow([f"Chi {index}", "", payload, "Huế", "", ""])
    return out.getvalue().encode("utf-8")


def upload_roster(client, session_id: int):
    return client.post(f"/sessions/{session_id}/import", data={"file": (io.BytesIO(roster_csv()), "hoc-vien.csv")},
                       content_type="multipart/form-data")


def plant_roster(client, session_id: int) -> None:
    """As a trainer: upload the hostile roster, check the preview, apply its valid rows and check the result."""
    preview = upload_roster(client, session_id)
    assert_safe(preview)
    assert ESCAPED_XSS in preview.get_data(as_text=True)  # the payloads are there, as text
    digest = re.search(r'name="upload"[^>]*value="([0-9a-f]{64})"', preview.get_data(as_text=True)).group(1)
    result = client.post(f"/sessions/{session_id}/import/apply", data={"upload": digest, "mode": "valid"})
    assert_safe(result)
    assert result.status_code == 200 and "<td><code>" in result.get_data(as_text=True)  # accounts were created


def plant_notes(client, seller_id: int) -> None:
    """As a verifier: notes on a seller's file holding every payload."""
    for text in batches(PAYLOADS, 2000):
        assert_safe(client.post(f"/console/sellers/{seller_id}", data={"text": text}, follow_redirects=True))


def _question_forms(module_id: int) -> list[tuple[str, dict]]:
    """(form type, fields) of questions whose text, answers and feedback are payloads, in every text format.

    Every payload is an answer of its own (with its own feedback) in each format, so that one unclosed tag
    cannot hide the payloads after it."""
    forms = []
    for kind, text_format in (("multiple", "moodle"), ("multiple", "html"), ("single", "markdown"), ("single", "plain")):
        fields = {"title": f"hostile-{text_format}", "text_format": text_format, "text_vi": "\n".join(PAYLOADS), "text_en": "\n".join(PAYLOADS),
                  "general_feedback_vi": XSS[0], "general_feedback_en": XSS[0]}
        for row, payload in enumerate(PAYLOADS):
            weight = ("50" if row < 2 else "0") if kind == "multiple" else ("100" if row == 0 else "0")
            fields.update({f"choices-{row}-weight": weight, f"choices-{row}-text_vi": f"{row}: {payload}", f"choices-{row}-text_en": f"{row}: {payload}",
                           f"choices-{row}-feedback_vi": payload, f"choices-{row}-feedback_en": payload})
        forms.append((kind, fields))
    text = "\n".join(XSS)  # every XSS payload in every text format
    forms.append(("truefalse", {"title": "hostile-truth", "text_format": "html", "text_vi": text, "truth": "true",
                                "true_feedback_vi": XSS[10], "false_feedback_vi": XSS[11]}))
    forms.append(("matching", {"title": "hostile-pairs", "text_format": "moodle", "text_vi": text,
                               **{f"pairs-{i}-{side}_vi": f"{side} {i} {XSS[i * 2 + (side == 'match')]}" for i in range(3) for side in ("prompt", "match")}}))
    forms.append(("missing", {"title": "hostile-blank", "text_format": "markdown", "text_vi": text, "text_after_vi": XSS[13], "choice_kind": "single",
                              "choices-0-weight": "100", "choices-0-text_vi": XSS[14], "choices-0-feedback_vi": XSS[15],
                              "choices-1-weight": "0", "choices-1-text_vi": XSS[16], "choices-1-feedback_vi": XSS[17]}))
    forms.append(("short", {"title": "hostile-short", "text_format": "plain", "text_vi": text, "answers_vi-0-text": XSS[18],
                            "answers_vi-0-weight": "100", "answers_vi-0-feedback": XSS[19]}))
    return [(kind, {"module": str(module_id), **fields}) for kind, fields in forms]


def plant_questions(client, slug: str, module_id: int) -> None:
    """As a trainer of the course: the hostile questions through the question forms; each is saved."""
    base = f"/authoring/courses/{slug}/questions"
    for kind, fields in _question_forms(module_id):
        response = client.post(f"{base}/new/{kind}", data=fields)
        assert_safe(response)
        assert response.status_code == 302, (fields["title"], response.get_data(as_text=True)[-3000:])


def answer_attempt(client, attempt_id: int) -> None:
    """As the learner: save an answer to every question (first or every choice, a hostile typed text)."""
    items = db.session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)).all()
    answers: dict[str, object] = {"action": "save"}
    for item in items:
        kind, name = item.question_data["kind"], f"q{item.position}"
        if kind == "matching":
            answers.update({f"{name}-{pair}": "0" for pair in range(len(item.question_data["pairs"]))})
        else:
            # every choice of a multiple-choice question, so that the review shows every choice's feedback
            every = [str(i) for i in range(len(item.choice_order))]
            answers[name] = {"truefalse": "true", "short": XSS[0], "numerical": "1", "multiple": every}.get(kind, "0")
    assert client.post(f"/assessment/attempts/{attempt_id}", data=answers).status_code == 302


@pytest.fixture
def hostile_course(app, users):
    """A published course the trainer edits, allowing one attempt (so a failed one shows the right answers)."""
    with app.app_context():
        course = make_course(db.session)
        course.max_attempts = 1
        assign_course_trainer(db.session, course.id, users["trainer"][0], users["admin"][0])
        enrol_learner(db.session, users["learner"][0], course)
        db.session.commit()
        module_id = db.session.scalar(select(Module.id).where(Module.course_id == course.id).order_by(Module.position))
        return course.id, course.slug, module_id


def test_hostile_sessions_and_roster_rows_are_escaped_on_every_page_a_trainer_or_learner_sees(client, app, users, hostile_course):
    course_id, slug, _ = hostile_course
    sign_in(client, "trainer@example.com")
    first, *others = plant_sessions(client, course_id)
    plant_roster(client, first)
    assert client.post(f"/sessions/{first}/members", data={"login": "learner@example.com"}).status_code == 302
    assert_safe(client.post(f"/sessions/{first}/members", data={"login": XSS[0]}))  # refused, shown back escaped
    with app.app_context():
        members = db.session.scalar(select(func.count()).select_from(SessionMember).where(SessionMember.session_id == first))
    assert members > len(PAYLOADS) // 2
    assert ESCAPED_XSS in client.get(f"/sessions/{first}").get_data(as_text=True)
    for path in ("/sessions", f"/sessions/{first}", f"/sessions/{first}?page=2", f"/sessions/{first}?page=3", f"/sessions/{first}/edit",
                 f"/sessions/{first}/import", f"/reports/sessions/{first}", f"/reports/sessions/{first}?q={XSS[0]}", f"/reports/courses/{slug}",
                 f"/reports/courses/{slug}?page=2", *(f"/sessions/{other}" for other in others)):
        assert_safe(client.get(path))
    assert client.get(f"/reports/sessions/{first}.csv").status_code == 200
    sign_in(client, "learner@example.com")
    assert_safe(client.get("/dashboard"))


def test_hostile_verifier_notes_and_seller_details_are_escaped_in_the_console(client, app, users, hostile_course):
    sign_in(client, "trainer@example.com")
    session_id = plant_sessions(client, hostile_course[0])[0]
    plant_roster(client, session_id)
    sign_in(client, "verifier@example.com")
    plant_notes(client, users["learner"][0])
    with app.app_context():
        notes = db.session.scalar(select(func.count()).select_from(SellerNote))
        hostile_ids = db.session.scalars(select(User.id).where(User.full_name.startswith("An <"))).all()
    assert notes == len(batches(PAYLOADS, 2000)) and hostile_ids
    assert ESCAPED_XSS in client.get(f"/console/sellers/{users['learner'][0]}").get_data(as_text=True)
    for path in (f"/console/sellers/{users['learner'][0]}", "/console/sellers?q=An", "/console/sellers?q=An&page=2",
                 f"/console/sellers?q={XSS[4]}", *(f"/console/sellers/{user_id}" for user_id in hostile_ids[:5])):
        assert_safe(client.get(path))


def test_hostile_questions_are_sanitised_in_the_bank_the_attempt_and_the_review(client, app, users, hostile_course):
    course_id, slug, module_id = hostile_course
    sign_in(client, "trainer@example.com")
    plant_questions(client, slug, module_id)
    base = f"/authoring/courses/{slug}/questions"
    with app.app_context():
        question_ids = db.session.scalars(select(Question.id).where(Question.course_id == course_id)).all()
    for path in (base, *(f"{base}/{question_id}/edit" for question_id in question_ids), f"{base}/{question_ids[0]}/retire"):
        assert_safe(client.get(path))
    gift = client.get(f"{base}/export/vi.gift").get_data(as_text=True)
    assert_safe(client.post(f"{base}/upload", data={"vi_file": (io.BytesIO(gift.replace("hostile-", "again-").encode()), f"{slug}.vi.gift")},
                            content_type="multipart/form-data"))
    sign_in(client, "learner@example.com")
    started = client.post(f"/courses/{slug}/assessment/start")
    attempt_id = int(started.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        answer_attempt(client, attempt_id)
    page = client.get(f"/assessment/attempts/{attempt_id}")
    assert_safe(page)
    assert page.get_data(as_text=True).count('<fieldset class="question') == len(question_ids) and ESCAPED_XSS in page.get_data(as_text=True)
    assert client.post(f"/assessment/attempts/{attempt_id}/submit").status_code == 302
    review = client.get(f"/assessment/attempts/{attempt_id}/review")
    assert_safe(review)
    assert "{{7*7}}" in review.get_data(as_text=True)
    assert_safe(client.get(f"/courses/{slug}/assessment"))
