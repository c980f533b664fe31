"""Question bank pages over HTTP: who may open them, forms of every kind, conflicts, retiring, GIFT upload and download."""
from __future__ import annotations

import io
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from sqlalchemy import select

from lms.assessment.bank import to_data
from lms.assessment.models import Question
from lms.assessment.services import start_attempt
from lms.audit.models import AuditEvent
from lms.catalog.models import Module
from lms.catalog.services import enrol_learner
from lms.cohorts.access import assign_course_trainer
from lms.content.gift import parse_gift
from lms.db import utcnow
from lms.extensions import db
from tests.conftest import PASSWORD, make_course, make_questions, make_user
from tests.services.test_question_bank import BANK_EN, BANK_VI, FORM_DATA

BASE = "/authoring/courses/honey-basics/questions"
# (method, path after BASE, status for the assigned trainer and admins); {q} is a question of the course
ROUTES = [
    ("get", "", 200),
    ("get", "/new/single", 200),
    ("post", "/new/single", 422),
    ("get", "/{q}/edit", 200),
    ("post", "/{q}/edit", 302),
    ("get", "/{q}/retire", 200),
    ("post", "/{q}/retire", 302),
    ("get", "/{q}/restore", 200),
    ("post", "/{q}/restore", 302),
    ("get", "/export/vi.gift", 200),
    ("get", "/export/en.gift", 200),
    ("get", "/upload", 200),
    ("post", "/upload", 422),
    ("post", "/upload/apply", 422),
]


@pytest.fixture
def bank(app, users):
    """A course with two questions per module, assigned to trainer@example.com; another trainer is not assigned."""
    with app.app_context():
        course = make_course(db.session)
        make_questions(db.session, course, kinds=("single", "truefalse"))
        assign_course_trainer(db.session, course.id, users["trainer"][0], users["admin"][0])
        make_user(db.session, role="trainer", login="other-trainer@example.com")
        db.session.commit()
        module = db.session.scalar(select(Module).where(Module.course_id == course.id).order_by(Module.position))
        question = db.session.scalar(select(Question).where(Question.title == "basics-single"))
        return {"course_id": course.id, "module": str(module.id), "question": question.id}


def login(client, who="trainer@example.com"):
    assert client.post("/login", data={"login": who, "password": PASSWORD}).status_code == 302


def call(client, method, path, bank):
    return getattr(client, method)(BASE + path.format(q=bank["question"]))


class _FormFields(HTMLParser):
    """The fields a browser would send from the page's own post form (the one without an action)."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._inside = self._textarea = self._select = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._inside = a.get("method") == "post" and "action" not in a
        elif not self._inside or not (a.get("name") or tag == "option"):
            return
        elif tag == "input" and (a.get("type") not in ("checkbox", "radio") or "checked" in a):
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value") or ""))

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, "".join(self._text).removeprefix("\r\n").removeprefix("\n")))
            self._textarea = None
        elif tag in ("select", "form"):
            self._select = None
            self._inside = self._inside and tag != "form"


def sent_from(page: str, **changes) -> dict:
    parser = _FormFields()
    parser.feed(page)
    return {**dict(parser.fields), **changes}


def stored(app, title):
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.title == title))
        if question is not None:
            db.session.expunge(question)
        return question


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.startswith("question")).order_by(AuditEvent.id)))


@pytest.mark.parametrize("method,path,status", ROUTES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, bank, method, path, status):
    response = call(client, method, path, bank)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["learner", "verifier"])
@pytest.mark.parametrize("method,path,status", ROUTES)
def test_learners_and_verifiers_get_403(client, bank, role, method, path, status):
    login(client, f"{role}@example.com")
    assert call(client, method, path, bank).status_code == 403


@pytest.mark.parametrize("method,path,status", ROUTES)
def test_a_trainer_not_assigned_to_the_course_gets_404(client, bank, method, path, status):
    login(client, "other-trainer@example.com")
    assert call(client, method, path, bank).status_code == 404


@pytest.mark.parametrize("who", ["trainer@example.com", "admin@example.com"])
@pytest.mark.parametrize("method,path,status", ROUTES)
def test_the_assigned_trainer_and_admins_use_every_route(client, bank, who, method, path, status):
    login(client, who)
    assert call(client, method, path, bank).status_code == status


def test_a_question_of_another_course_or_an_unknown_kind_is_404(client, app, bank):
    with app.app_context():
        other = make_course(db.session, slug="other-course", modules=(("intro", 1),))
        make_questions(db.session, other, kinds=("single",))
        foreign = db.session.scalar(select(Question).where(Question.course_id == other.id)).id
    login(client, "admin@example.com")
    assert client.get(f"{BASE}/{foreign}/edit").status_code == 404
    assert client.get(f"{BASE}/new/essay").status_code == 404
    assert client.get(f"{BASE}/export/fr.gift").status_code == 404


def typed_values(data: dict) -> list[str]:
    return [value for name, value in data.items() if re.search(r"text|feedback|prompt|match", name) and value]


@pytest.mark.parametrize("form_type", list(FORM_DATA))
def test_every_kind_round_trips_through_its_form(client, app, bank, form_type):
    login(client)
    data = {**FORM_DATA[form_type], "module": bank["module"]}
    assert client.get(f"{BASE}/new/{form_type}").status_code == 200
    response = client.post(f"{BASE}/new/{form_type}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    question = stored(app, data["title"])
    page = client.get(f"{BASE}/{question.id}/edit").get_data(as_text=True)
    for value in typed_values(data):
        assert str(escape(value)) in page, value
    assert 'name="revision" type="hidden" value="1"' in page

    changed = sent_from(page, **{"text_after_vi" if form_type == "missing" else "text_vi": "Câu hỏi đã sửa"})
    assert client.post(f"{BASE}/{question.id}/edit", data=changed).status_code == 302
    again = stored(app, data["title"])
    assert again.revision == 2 and again.data_vi == {**question.data_vi, **{k: v for k, v in again.data_vi.items() if k in ("text", "text_after")}}
    assert "Câu hỏi đã sửa" in (again.data_vi["text"], again.data_vi["text_after"])
    assert actions(app) == ["question.created", "question.updated"]


def test_numbers_and_weights_are_shown_as_saved(client, app, bank):
    login(client)
    client.post(f"{BASE}/new/numerical", data={**FORM_DATA["numerical"], "module": bank["module"]})
    page = client.get(f"{BASE}/{stored(app, 'packing-hours').id}/edit").get_data(as_text=True)
    for name, value in (("numeric-0-value", "24"), ("numeric-0-tolerance", "2"), ("numeric-1-minimum", "12.5"), ("numeric-1-maximum", "48"), ("numeric-1-weight", "50")):
        assert re.search(rf'name="{name}" type="text" value="{re.escape(value)}"', page), name


def test_a_save_over_a_newer_revision_is_a_409_that_keeps_the_typed_text(client, app, bank):
    login(client)
    url = f"{BASE}/{bank['question']}/edit"
    page = client.get(url).get_data(as_text=True)  # two trainers open the same question
    assert client.post(url, data=sent_from(page, text_vi="Bản của người thứ nhất")).status_code == 302
    response = client.post(url, data=sent_from(page, text_vi="Bản của người thứ hai"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Bản của người thứ hai" in page and "Bản của người thứ nhất" in page  # mine in the form, theirs to compare
    assert 'name="revision" type="hidden" value="2"' in page and sent_from(page)["choices-0-text_vi"] == "Nơi khô mát"
    assert stored(app, "basics-single").data_vi["text"] == "Bản của người thứ nhất"
    assert client.post(url, data=sent_from(page)).status_code == 302
    assert stored(app, "basics-single").revision == 3


def test_a_wrong_answer_key_is_a_422_that_keeps_the_typed_text(client, app, bank):
    login(client)
    client.post("/language", data={"lang": "en"})
    data = {**FORM_DATA["multiple"], "module": bank["module"], "choices-1-weight": "30", "choices-2-text_en": ""}
    response = client.post(f"{BASE}/new/multiple", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for value in typed_values(data):
        assert str(escape(value)) in page
    assert "The positive weights add up to 80%" in page
    assert "The English version does not have the same answers" in page
    assert stored(app, "label-content") is None


@pytest.mark.parametrize("changes,typed", [
    ({"choices-0-weight": "nhiều"}, 'value="nhiều"'),
    ({"title": "storage-place", "text_vi": "Câu hỏi trùng tên"}, "Câu hỏi trùng tên"),
    ({"title": "Có dấu cách", "text_vi": "Tên sai"}, "Tên sai"),
    ({"text_vi": ""}, "Nơi khô mát"),
])
def test_field_errors_are_a_422_that_keeps_the_typed_text(client, app, bank, changes, typed):
    login(client)
    client.post(f"{BASE}/new/single", data={**FORM_DATA["single"], "module": bank["module"]})
    response = client.post(f"{BASE}/new/single", data={**FORM_DATA["single"], "module": bank["module"], "title": "another", **changes})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert typed in page and 'class="error"' in page


def test_retiring_asks_first_keeps_past_attempts_and_can_be_undone(client, app, bank, users):
    with app.app_context():
        from lms.catalog.models import Course

        course = db.session.get(Course, bank["course_id"])
        course.questions_per_attempt = 4
        enrol_learner(db.session, users["learner"][0], course)
        attempt = start_attempt(db.session, users["learner"][0], course, "vi", utcnow())
        db.session.commit()
        drawn = attempt.items[0].question_id
        snapshot = attempt.items[0].question_data
    login(client)
    page = client.get(f"{BASE}/{drawn}/retire").get_data(as_text=True)
    assert re.search(r"\b1\b", page) and stored(app, snapshot["title"]).is_retired is False  # the confirmation step changes nothing
    assert client.post(f"{BASE}/{drawn}/retire").status_code == 302
    assert stored(app, snapshot["title"]).is_retired
    listed = f"<code>{snapshot['title']}</code>"
    assert listed not in client.get(BASE).get_data(as_text=True)
    assert listed in client.get(f"{BASE}?retired=1").get_data(as_text=True)
    with app.app_context():
        from lms.assessment.models import AttemptItem

        assert db.session.scalar(select(AttemptItem.question_data).where(AttemptItem.question_id == drawn)) == snapshot
    assert client.post(f"{BASE}/{drawn}/restore").status_code == 302
    assert not stored(app, snapshot["title"]).is_retired
    assert actions(app) == ["question.retired", "question.restored"]


def test_the_bank_is_listed_by_module_with_kinds_and_paginated(client, app, bank):
    with app.app_context():
        module_id = int(bank["module"])
        template = parse_gift("::x:: Câu hỏi? {T}")[0]
        for n in range(60):
            data = to_data(replace(template, title=f"extra-{n:02d}", text=f"Câu hỏi thêm {n:02d}"))
            db.session.add(Question(course_id=bank["course_id"], module_id=module_id, title=f"extra-{n:02d}", kind="truefalse",
                                    position=100 + n, data_vi=data, data_en=data, content_hash="x"))
        db.session.commit()
    login(client)
    page = client.get(BASE).get_data(as_text=True)
    assert "Chương 1" in page and "basics-single" in page and "extra-00" in page and "extra-59" not in page
    assert 'rel="next"' in page
    second = client.get(f"{BASE}?page=2").get_data(as_text=True)
    assert "extra-59" in second and "Chương 2" in second and "selling-truefalse" in second


def upload_files(vi=None, en=None) -> dict:
    data = {}
    if vi is not None:
        data["vi_file"] = (io.BytesIO(vi.encode()), "honey-basics.vi.gift")
    if en is not None:
        data["en_file"] = (io.BytesIO(en.encode()), "honey-basics.en.gift")
    return data


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)


def test_a_gift_upload_is_previewed_then_applied(client, app, bank):
    login(client)
    before = stored(app, "basics-single")
    response = client.post(f"{BASE}/upload", data=upload_files(BANK_VI, BANK_EN), content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "q-storage" in page and "basics-single" in page  # four added, four of the bank not in the file
    assert page.count('name="retire"') == 4
    assert stored(app, "q-storage") is None and actions(app) == []  # the preview writes nothing

    form = {"vi_name": "honey-basics.vi.gift", "en_name": "honey-basics.en.gift", "vi_text": BANK_VI, "en_text": BANK_EN,
            "digest": hidden(page, "digest"), "retire": ["basics-single"]}
    tampered = {**form, "vi_text": BANK_VI.replace("Nơi khô mát", "Ở đâu cũng được")}
    assert client.post(f"{BASE}/upload/apply", data=tampered).status_code == 409  # not what was previewed
    assert stored(app, "q-storage") is None
    response = client.post(f"{BASE}/upload/apply", data=form)
    assert response.status_code == 302
    assert stored(app, "q-storage").data_en["text"] == "Where should honey be stored?"
    assert stored(app, "basics-single").is_retired and stored(app, "basics-single").revision == before.revision
    assert not stored(app, "selling-single").is_retired
    assert actions(app) == ["question_bank.gift_applied"]


def test_a_gift_upload_with_errors_lists_file_and_line(client, app, bank):
    login(client)
    broken = BANK_VI.replace("{=Nơi khô mát ~Ngoài nắng}", "{=Nơi khô mát ~Ngoài nắng")
    response = client.post(f"{BASE}/upload", data=upload_files(broken), content_type="multipart/form-data")
    assert response.status_code == 422
    assert "honey-basics.vi.gift:4: answer block" in response.get_data(as_text=True)
    wrong_module = BANK_VI.replace("$CATEGORY: selling", "$CATEGORY: marketing")
    page = client.post(f"{BASE}/upload", data=upload_files(wrong_module), content_type="multipart/form-data").get_data(as_text=True)
    assert "honey-basics.vi.gift:10: " in page and "marketing" in page


def test_the_bank_downloads_as_gift_in_each_language(client, app, bank):
    login(client)
    response = client.get(f"{BASE}/export/en.gift")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert 'filename="honey-basics.en.gift"' in response.headers["Content-Disposition"]
    questions = parse_gift(response.get_data(as_text=True))
    assert [q.title for q in questions] == ["basics-single", "basics-truefalse", "selling-single", "selling-truefalse"]
    assert questions[0].category == "basics" and questions[0].text == "Where should honey be stored?"


def test_forms_need_the_csrf_token(csrf_app, users):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        course = make_course(db.session)
        assign_course_trainer(db.session, course.id, users["trainer"][0], None)
        db.session.commit()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"login": "trainer@example.com", "password": PASSWORD, "csrf_token": token})
    assert client.post(f"{BASE}/new/truefalse", data=FORM_DATA["truefalse"]).status_code == 400
    assert client.post(f"{BASE}/upload/apply", data={}).status_code == 400
