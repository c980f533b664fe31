"""Training-session pages through HTTP: sessions, members, roster CSV import, permissions, the learner's dashboard."""
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.catalog.learning_models import Enrolment
from lms.cohorts.models import SessionMember, TrainingSession
from lms.cohorts.services import SessionDetails, add_member, create_session
from lms.extensions import db
from lms.storage import storage
from tests.conftest import PASSWORD, make_course, make_user

HEADER = "Họ và tên;Số điện thoại;Email;Tỉnh/Thành phố;Tên cơ sở\n"


def login(client, who):
    """Sign in and read the pages in English (the assertions below quote the English messages)."""
    response = client.post("/login", data={"login": who if "@" in who else f"{who}@example.com", "password": PASSWORD})
    assert response.status_code == 302
    client.post("/language", data={"lang": "en"})


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def setup(app, users):
    """A session in Đắk Lắk run by the trainer, with one course and one member; another trainer who does not run it."""
    with app.app_context():
        course = make_course(db.session)
        training = create_session(db.session, SessionDetails("Lớp Đắk Lắk", "dak-lak", "Buôn Ma Thuột", "", date(2026, 3, 2), date(2026, 3, 3)),
                                  [course.id], users["trainer"][0])
        add_member(db.session, training, db.session.get(User, users["learner"][0]), users["trainer"][0])
        make_user(db.session, role="trainer", login="other-trainer@example.com")
        db.session.commit()
        return {"session": training.id, "course": course.id, "member": users["learner"][0]}


def upload(client, session_id, text, encoding="utf-8"):
    data = {"file": (io.BytesIO(text.encode(encoding) if isinstance(text, str) else text), "hoc-vien.csv")}
    return client.post(f"/sessions/{session_id}/import", data=data, content_type="multipart/form-data")


def stored_uploads(app) -> list:
    with app.app_context():
        folder = storage().root / "roster-uploads"
        return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


def digest_of(page: str) -> str:
    return re.search(r'name="upload"[^>]*value="([0-9a-f]{64})"', page).group(1)


def fifty_rows() -> str:
    rows = [f"Học viên {i};09{i:08d};;{'Đắk Lắk' if i % 3 else 'Phú Yên'};HTX Cà phê {i}" for i in range(45)]
    rows += ["Không Số;;;Đắk Lắk;", "Sai Số;12345;;Đắk Lắk;", "Sai Tỉnh;0911111111;;Atlantis;", "Trùng;0900000001;;Đắk Lắk;", ";0922222222;;Đắk Lắk;"]
    return HEADER + "\n".join(rows) + "\n"


def test_a_trainer_creates_a_session_in_dak_lak_and_imports_fifty_learners(client, app, users):
    with app.app_context():
        course = make_course(db.session)
    login(client, "trainer")
    response = client.post("/sessions/new", data={
        "name": "Bán hàng online cho HTX cà phê", "province": "dak-lak", "place": "Hội trường tỉnh, Buôn Ma Thuột", "online_url": "",
        "starts_on": "2026-03-02", "ends_on": "2026-03-04", "courses": [str(course.id)], "notes": "Mang theo điện thoại",
    })
    assert response.status_code == 302
    with app.app_context():
        session_id = db.session.scalar(select(TrainingSession.id))
    assert response.headers["Location"].endswith(f"/sessions/{session_id}")
    assert "Bán hàng online cho HTX cà phê" in client.get("/sessions").get_data(as_text=True)

    preview = upload(client, session_id, fifty_rows())
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    with app.app_context():
        assert count(User) == 4  # the preview writes nothing
    for line, text in ((47, "Không Số"), (48, "12345"), (49, "Atlantis"), (50, "line 3"), (51, "full name is missing")):
        assert re.search(rf"<td>{line}</td>.*?{re.escape(text) if line < 50 else ''}", page, re.S), line
    assert "Phú Yên → Đắk Lắk" in page
    assert page.count("rejected") >= 5

    assert stored_uploads(app) == [f"{digest_of(page)}.csv"]  # kept between the preview and the apply
    result = client.post(f"/sessions/{session_id}/import/apply", data={"upload": digest_of(page), "mode": "valid"})
    text = result.get_data(as_text=True)
    assert stored_uploads(app) == []  # personal data: deleted once applied
    assert result.status_code == 200 and result.headers["Cache-Control"] == "no-store"
    passwords = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", text)
    assert len(passwords) == 45
    assert "data:text/csv;charset=utf-8;base64," in text
    with app.app_context():
        assert count(SessionMember, SessionMember.session_id == session_id) == 45
        assert count(Enrolment, Enrolment.course_id == course.id) == 45
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "session.roster_applied"))
        assert event.detail["created"] == 45 and event.detail["rejected"] == 5

    members = client.get(f"/sessions/{session_id}").get_data(as_text=True)
    assert "Học viên 0" in members and "+84900000001" in members and "HTX Cà phê 1" in members and "Đắk Lắk" in members

    learner = app.test_client()
    assert learner.post("/login", data={"login": "0900000000", "password": passwords[0]}).status_code == 302
    dashboard = learner.get("/dashboard").get_data(as_text=True)
    assert "Bán hàng online cho HTX cà phê" in dashboard and "Hội trường tỉnh, Buôn Ma Thuột" in dashboard and "Mật ong cơ bản" in dashboard


def test_session_form_errors_are_shown_in_english_and_keep_the_input(client, users):
    client.post("/language", data={"lang": "en"})
    login(client, "trainer")
    response = client.post("/sessions/new", data={
        "name": "Lớp livestream Buôn Ma Thuột", "province": "dak-lak", "place": "", "online_url": "http://meet.example.vn/x",
        "starts_on": "2026-03-04", "ends_on": "2026-03-02",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Lớp livestream Buôn Ma Thuột" in page and "http://meet.example.vn/x" in page
    assert "https://" in page and "The end date cannot be before the start date." in page
    with_missing_date = client.post("/sessions/new", data={"name": "X lớp", "province": "dak-lak", "place": "A", "starts_on": "", "ends_on": "not a date"}).get_data(as_text=True)
    assert "This field is required." in with_missing_date and "Enter a date" in with_missing_date


def test_an_online_session_is_created_and_edited(client, app, setup):
    login(client, "trainer")
    response = client.post(f"/sessions/{setup['session']}/edit", data={
        "name": "Lớp trực tuyến", "province": "dak-lak", "place": "", "online_url": "https://meet.example.vn/ocop",
        "starts_on": "2026-03-02", "ends_on": "2026-03-02", "courses": [str(setup["course"])],
    })
    assert response.status_code == 302
    page = client.get(f"/sessions/{setup['session']}").get_data(as_text=True)
    assert "Lớp trực tuyến" in page and 'href="https://meet.example.vn/ocop"' in page
    edit_page = client.get(f"/sessions/{setup['session']}/edit").get_data(as_text=True)
    assert re.search(rf'value="{setup["course"]}"[^>]*checked|checked[^>]*value="{setup["course"]}"', edit_page)


def test_wrong_columns_get_one_message_naming_the_expected_columns(client, setup):
    login(client, "trainer")
    page = upload(client, setup["session"], "Tên;Điện thoại di động\nA;0912345678\n").get_data(as_text=True)
    assert "full_name, phone, email (or one column login), province, business_name" in page


def test_a_file_not_saved_as_utf8_asks_for_csv_utf8(client, app, setup):
    login(client, "trainer")
    page = upload(client, setup["session"], b"full_name,phone,province\nH\xe0 V\xe2n,0912345678,Hu\xea\n").get_data(as_text=True)
    assert "CSV UTF-8" in page
    assert stored_uploads(app) == []


def test_a_new_upload_deletes_uploads_forgotten_for_more_than_a_day(client, app, setup):
    import os
    import time

    with app.app_context():
        forgotten = storage().root / "roster-uploads" / f"{'a' * 64}.csv"
        storage().put(f"roster-uploads/{forgotten.name}", "Lê Văn Cũ;0912000009;;Đắk Lắk;".encode())
        os.utime(forgotten, (time.time() - 25 * 3600,) * 2)
    login(client, "trainer")
    page = upload(client, setup["session"], HEADER + "Mới Một;0912000002;;Đắk Lắk;\n").get_data(as_text=True)
    assert stored_uploads(app) == [f"{digest_of(page)}.csv"]


def test_all_or_nothing_writes_nothing_when_a_row_is_rejected(client, app, setup):
    login(client, "trainer")
    page = upload(client, setup["session"], HEADER + "Mới Một;0912000002;;Đắk Lắk;\nSai;12;;Đắk Lắk;\n").get_data(as_text=True)
    response = client.post(f"/sessions/{setup['session']}/import/apply", data={"upload": digest_of(page), "mode": "all"})
    assert response.status_code == 200 and "Nothing was added" in response.get_data(as_text=True)
    with app.app_context():
        assert count(User, User.phone == "+84912000002") == 0
    # the same upload can still be applied row by row
    applied = client.post(f"/sessions/{setup['session']}/import/apply", data={"upload": digest_of(page), "mode": "valid"})
    assert applied.status_code == 200
    with app.app_context():
        assert count(User, User.phone == "+84912000002") == 1
    again = client.post(f"/sessions/{setup['session']}/import/apply", data={"upload": digest_of(page), "mode": "valid"})
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/sessions/{setup['session']}/import")


def test_an_unexpected_error_while_applying_writes_nothing(client, app, setup, monkeypatch):
    from lms.cohorts import services

    login(client, "trainer")
    page = upload(client, setup["session"], HEADER + "Mới Một;0912000002;;Đắk Lắk;\nMới Hai;0912000003;;Đắk Lắk;\n").get_data(as_text=True)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "record", broken)
    response = client.post(f"/sessions/{setup['session']}/import/apply", data={"upload": digest_of(page), "mode": "valid"})
    assert response.status_code == 500
    with app.app_context():
        assert count(User, User.phone.in_(["+84912000002", "+84912000003"])) == 0 and count(SessionMember) == 1


def test_adding_an_existing_learner_by_phone_or_email(client, app, setup):
    with app.app_context():
        make_user(db.session, login="0987654321", name="Hồ Thị Sen")
    login(client, "trainer")
    response = client.post(f"/sessions/{setup['session']}/members", data={"login": "+84 987 654 321"})
    assert response.status_code == 302
    assert "Hồ Thị Sen" in client.get(f"/sessions/{setup['session']}").get_data(as_text=True)
    refused = client.post(f"/sessions/{setup['session']}/members", data={"login": "verifier@example.com"})
    assert refused.status_code == 200 and "not a learner" in refused.get_data(as_text=True)


def test_an_unknown_login_leads_to_a_new_account_with_a_temporary_password_shown_once(client, app, setup):
    login(client, "trainer")
    form = client.post(f"/sessions/{setup['session']}/members", data={"login": "moi@example.vn"}).get_data(as_text=True)
    assert "moi@example.vn" in form and 'name="full_name"' in form and '<option selected value="dak-lak">' in form
    invalid = client.post(f"/sessions/{setup['session']}/members/new", data={"login": "moi@example.vn", "full_name": "", "province": "dak-lak"})
    assert invalid.status_code == 200
    created = client.post(f"/sessions/{setup['session']}/members/new",
                          data={"login": "moi@example.vn", "full_name": "Võ Văn Mới", "province": "dak-lak", "business_name": "HTX Mới"})
    page = created.get_data(as_text=True)
    password = re.search(r"<code>([a-z2-9-]{14})</code>", page).group(1)
    assert created.headers["Cache-Control"] == "no-store"
    assert password not in created.headers.get("Set-Cookie", "")  # never flashed into the session cookie
    assert password not in client.get(f"/sessions/{setup['session']}").get_data(as_text=True)
    learner = app.test_client()
    assert learner.post("/login", data={"login": "moi@example.vn", "password": password}).status_code == 302


def test_removing_a_member_asks_first_and_keeps_the_history(client, app, setup):
    login(client, "trainer")
    path = f"/sessions/{setup['session']}/members/{setup['member']}/remove"
    confirm = client.get(path)
    assert confirm.status_code == 200 and "Người dùng learner" in confirm.get_data(as_text=True)
    assert client.post(path).status_code == 302
    assert client.get(path).status_code == 404
    history = client.get(f"/sessions/{setup['session']}?show=removed").get_data(as_text=True)
    assert "Người dùng learner" in history
    with app.app_context():
        assert db.session.scalar(select(SessionMember.removed_at)) is not None
        assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "session.member_removed")) == {"user_id": setup["member"]}


def test_admins_add_and_remove_trainers(client, app, setup):
    with app.app_context():
        other = db.session.scalar(select(User.id).where(User.email == "other-trainer@example.com"))
    login(client, "admin")
    assert client.post(f"/sessions/{setup['session']}/trainers", data={"user_id": other}).status_code == 302
    other_client = app.test_client()
    login(other_client, "other-trainer@example.com")
    assert other_client.get(f"/sessions/{setup['session']}").status_code == 200
    assert client.post(f"/sessions/{setup['session']}/trainers/{other}/remove").status_code == 302
    assert other_client.get(f"/sessions/{setup['session']}").status_code == 404
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("session.trainer%")).order_by(AuditEvent.id)).all()
        assert actions == ["session.trainer_added", "session.trainer_removed"]


def test_the_learner_dashboard_shows_the_session(client, setup):
    login(client, "learner")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Lớp Đắk Lắk" in page and "Buôn Ma Thuột" in page and "Honey basics" in page


def test_session_forms_need_a_csrf_token(csrf_app, users):
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"login": "trainer@example.com", "password": PASSWORD, "csrf_token": token}).status_code == 302
    assert client.post("/sessions/new", data={"name": "Lớp không có mã", "province": "dak-lak", "place": "A",
                                              "starts_on": "2026-03-02", "ends_on": "2026-03-02"}).status_code == 400
    with csrf_app.app_context():
        assert count(TrainingSession) == 0


GET_ROUTES = ["/sessions", "/sessions/new", "/sessions/{s}", "/sessions/{s}/edit", "/sessions/{s}/import", "/sessions/{s}/members/{m}/remove"]
POST_ROUTES = ["/sessions/new", "/sessions/{s}/edit", "/sessions/{s}/members", "/sessions/{s}/members/new", "/sessions/{s}/members/{m}/remove",
               "/sessions/{s}/import", "/sessions/{s}/import/apply", "/sessions/{s}/trainers", "/sessions/{s}/trainers/{t}/remove"]
ADMIN_ONLY = {"/sessions/{s}/trainers", "/sessions/{s}/trainers/{t}/remove"}


def route_cases():
    for method, routes in (("get", GET_ROUTES), ("post", POST_ROUTES)):
        for route in routes:
            yield method, route


@pytest.mark.parametrize("who", [None, "learner", "verifier", "other-trainer@example.com", "trainer", "admin"])
def test_every_session_route_checks_who_asks(client, setup, users, who):
    if who:
        login(client, who)
    for method, route in route_cases():
        path = route.format(s=setup["session"], m=setup["member"], t=users["trainer"][0])
        status = getattr(client, method)(path).status_code
        if who is None:
            expected = {302}  # to the login page
        elif who in ("learner", "verifier"):
            expected = {403}
        elif who == "other-trainer@example.com" and "{s}" in route:
            expected = {404}  # as if the session did not exist
        elif who != "admin" and route in ADMIN_ONLY:
            expected = {403}
        elif method == "get":
            expected = {200}
        else:  # allowed: an empty form is answered (re-shown, or refused as malformed), not forbidden
            expected = {200, 302, 400}
        assert status in expected, (who, method, route, status)
    if who is None:
        assert "/login" in client.get("/sessions").headers["Location"]


def test_an_unknown_session_is_404_even_for_admins(client, users):
    login(client, "admin")
    assert client.get("/sessions/999999").status_code == 404
