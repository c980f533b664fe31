"""The verifier console over HTTP: permissions, search, CSV export, a seller's file, notes, statistics, query counts."""
import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.catalog.models import Course
from lms.audit.models import AuditEvent
from lms.credentials.models import Certificate
from lms.credentials.services import revoke
from lms.db import utcnow
from lms.extensions import db
from lms.onboarding.models import OcopProduct, SellerNote, ShopHandle
from lms.onboarding.profiles import ensure_profile
from lms.text import fold
from tests.conftest import PASSWORD, make_course, make_user
from tests.services.test_console import add_certificate
from tests.web.test_certificate_pages import earn_certificate

SVG = "{http://www.w3.org/2000/svg}"


def login(client, role, english=False):
    assert client.post("/login", data={"login": f"{role}@example.com", "password": PASSWORD}).status_code == 302
    if english:  # the interface is Vietnamese by default
        client.post("/language", data={"lang": "en"})


def quick_seller(session, number, province="ha-noi"):
    """A learner row without the cost of hashing a password (these sellers never log in)."""
    name = f"Người bán {number:03d}"
    user = User(email=f"seller{number}@example.com", full_name=name, name_search=fold(name), password_hash="-", province=province, business_name=f"Hộ {number}")
    session.add(user)
    session.flush()
    return user


@pytest.fixture
def seller(app, users):
    """A certified learner with attempts, a seller profile and a required course still missing."""
    code, user_id = earn_certificate(app)
    with app.app_context():
        make_course(db.session, slug="tea-labels", title="Nhãn trà", modules=(("m", 1),), required=True)
        profile = ensure_profile(db.session, user_id)
        profile.business_type, profile.tax_code = "cooperative", "0101234567"
        db.session.add(OcopProduct(profile_id=profile.id, name="Mật ong bạc hà", product_group="food", stars=4, recognised_on=utcnow().date()))
        db.session.add(ShopHandle(profile_id=profile.id, platform="shopee", handle="mat-ong-bac-ha"))
        db.session.commit()
        return {"id": user_id, "code": code, "seller_code": profile.seller_code}


ROUTES = ["/console/sellers", "/console/sellers.csv", "/console/sellers/{id}", "/console/statistics"]


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, users, route):
    seller_id = users["learner"][0]
    response = client.get(route.format(id=seller_id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(f"/console/sellers/{seller_id}", data={"text": "x"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role,status", [("learner", 403), ("trainer", 403), ("verifier", 200), ("admin", 200)])
@pytest.mark.parametrize("route", ROUTES)
def test_only_verifiers_and_admins_use_the_console(client, users, route, role, status):
    login(client, role)
    assert client.get(route.format(id=users["learner"][0])).status_code == status


@pytest.mark.parametrize("role,status", [("learner", 403), ("trainer", 403), ("verifier", 302), ("admin", 302)])
def test_only_verifiers_and_admins_add_notes(client, users, role, status):
    login(client, role)
    assert client.post(f"/console/sellers/{users['learner'][0]}", data={"text": "Ghi chú"}).status_code == status


def test_verifiers_find_the_console_in_the_menu(client, users):
    login(client, "verifier")
    assert 'href="/console/sellers"' in client.get("/dashboard").get_data(as_text=True)
    client.post("/logout")
    login(client, "learner")
    assert 'href="/console/sellers"' not in client.get("/dashboard").get_data(as_text=True)


def test_the_seller_list_searches_and_shows_each_sellers_state(client, seller, users):
    login(client, "verifier", english=True)
    page = client.get("/console/sellers?q=nguyen+thi+hong").get_data(as_text=True)
    assert "Nguyễn Thị Hồng Nhung" in page and "HTX Mật ong Bắc Hà" in page and "Lào Cai" in page and "Not eligible" in page
    assert f'href="/console/sellers/{seller["id"]}"' in page
    assert "Người dùng learner" not in page
    for query in (seller["code"].lower(), seller["seller_code"].replace("-", ""), "0101234567", "hong@example.com"):
        assert "Nguyễn Thị Hồng Nhung" in client.get("/console/sellers", query_string={"q": query}).get_data(as_text=True), query
    assert "Nguyễn Thị Hồng Nhung" not in client.get("/console/sellers?province=ha-noi").get_data(as_text=True)
    assert "Nguyễn Thị Hồng Nhung" in client.get("/console/sellers?track=packaging&state=not_eligible").get_data(as_text=True)
    assert "Nguyễn Thị Hồng Nhung" not in client.get("/console/sellers?state=eligible").get_data(as_text=True)


def test_unknown_filter_values_are_ignored(client, seller, users):
    login(client, "verifier")
    response = client.get("/console/sellers?province=atlantis&track=magic&state=odd&page=-3")
    assert response.status_code == 200 and "Nguyễn Thị Hồng Nhung" in response.get_data(as_text=True)


def test_the_csv_export_has_a_bom_keeps_vietnamese_and_is_audited(client, app, seller, users):
    login(client, "verifier")
    response = client.get("/console/sellers.csv?q=nguyen&province=lao-cai")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "full_name" and len(rows) == 2
    assert rows[1][:5] == ["Nguyễn Thị Hồng Nhung", "hong@example.com", "", "HTX Mật ong Bắc Hà", "Lào Cai"]
    assert rows[1][5:] == [seller["seller_code"], "0101234567", "not_eligible", "1"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "console.exported"))
        assert event.actor_id == users["verifier"][0]
        assert event.detail == {"rows": 1, "query": "nguyen", "province": "lao-cai", "track": "", "state": ""}


def test_the_seller_page_shows_profile_status_certificates_attempts_and_trail(client, app, seller, users):
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == seller["code"]))
        revoke(db.session, certificate, users["verifier"][0], "Nhãn sai sự thật", utcnow())
        db.session.commit()
    login(client, "verifier", english=True)
    page = client.get(f"/console/sellers/{seller['id']}").get_data(as_text=True)
    for text in ("Nguyễn Thị Hồng Nhung", "HTX Mật ong Bắc Hà", "Cooperative", "0101234567", "Lào Cai", seller["seller_code"],
                 "Mật ong bạc hà", "Shopee: mat-ong-bac-ha", "Honey basics: Course not started", seller["code"], "Revoked",
                 "Nhãn sai sự thật", "Người dùng verifier"):
        assert text in page, text
    assert f'href="/certificates/{seller["code"]}/manage"' in page
    history = page.split("Assessment history", 1)[1].split("Audit trail", 1)[0]
    assert "100%" in history and "Passed" in history


def test_unknown_ids_and_staff_accounts_have_no_seller_page(client, seller, users):
    login(client, "verifier")
    assert client.get("/console/sellers/999999").status_code == 404
    assert client.get(f"/console/sellers/{users['trainer'][0]}").status_code == 404
    assert client.post(f"/console/sellers/{users['admin'][0]}", data={"text": "x"}).status_code == 404


def test_a_note_is_added_with_its_author_and_shown_newest_first(client, app, seller, users):
    login(client, "verifier")
    url = f"/console/sellers/{seller['id']}"
    assert client.post(url, data={"text": "Đã gọi điện."}).headers["Location"].endswith(f"{url}#notes")
    client.post(url, data={"text": "Đã xem giấy phép.\nHợp lệ."})
    page = client.get(url).get_data(as_text=True)
    notes = page.split('id="notes"', 1)[1]
    assert notes.index("Đã xem giấy phép.<br>Hợp lệ.") < notes.index("Đã gọi điện.") and "Người dùng verifier" in notes
    with app.app_context():
        assert [n.author_id for n in db.session.scalars(select(SellerNote))] == [users["verifier"][0]] * 2


def test_an_empty_note_is_refused(client, app, seller, users):
    login(client, "verifier")
    assert client.post(f"/console/sellers/{seller['id']}", data={"text": "   "}).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(SellerNote)) is None


def test_the_note_form_needs_its_csrf_token(csrf_app):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        make_user(db.session, role="verifier", login="verifier@example.com")
        learner = make_user(db.session, login="seller@example.com", name="Hà Thị Lan")
        learner_id = learner.id
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"login": "verifier@example.com", "password": PASSWORD, "csrf_token": token})
    url = f"/console/sellers/{learner_id}"
    assert client.post(url, data={"text": "Không có mã"}).status_code == 400
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)
    assert client.post(url, data={"text": "Có mã", "csrf_token": token}).status_code == 302


def svgs(page):
    return [ET.fromstring(chunk) for chunk in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def test_statistics_show_accessible_charts_and_tables_with_the_numbers(client, app, users):
    with app.app_context():
        honey = make_course(db.session)
        a, b, c = (quick_seller(db.session, n, province) for n, province in ((1, "lao-cai"), (2, "lao-cai"), (3, "dak-lak")))
        db.session.commit()
        add_certificate(db.session, a, honey, issued_at=utcnow())
        add_certificate(db.session, b, honey, issued_at=utcnow())
        add_certificate(db.session, c, honey, issued_at=utcnow(), status="revoked")
    login(client, "verifier")
    response = client.get("/console/statistics")
    page = response.get_data(as_text=True)
    charts = svgs(page)
    assert len(charts) == 4  # no pass-rate charts without submitted attempts
    for chart in charts:
        assert chart.get("role") == "img" and chart.find(f"{SVG}title").text
        assert set(chart.get("aria-labelledby").split()) == {chart.find(f"{SVG}title").get("id"), chart.find(f"{SVG}desc").get("id")}
    province_table = page.split('id="by-province"', 1)[1].split("</table>", 1)[0]
    assert re.search(r"<td>Lào Cai</td><td>2</td>", province_table) and "Đắk Lắk" not in province_table
    assert "style=" not in page.split("<main", 1)[1]
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]


def test_statistics_include_pass_rates_when_attempts_exist(client, app, users):
    earn_certificate(app)
    login(client, "verifier")
    page = client.get("/console/statistics").get_data(as_text=True)
    assert len(svgs(page)) == 6
    rates = page.split('id="pass-rates"', 1)[1]
    assert "Mật ong cơ bản" in rates and "100%" in rates


def _list_queries_for_5_and_25(client, app, count_queries, certificate_course):
    """Queries of the seller list with 5 sellers, then with 25, each seller holding a certificate of the course given."""
    def add_sellers(numbers):
        with app.app_context():
            course = db.session.scalar(select(Course).where(Course.slug == certificate_course))
            for number in numbers:
                user = quick_seller(db.session, number)
                ensure_profile(db.session, user.id)
                add_certificate(db.session, user, course)
            db.session.commit()

    def list_queries():
        with count_queries() as counter:
            assert client.get("/console/sellers").status_code == 200
        return counter.count

    login(client, "verifier")
    add_sellers(range(5))
    few = list_queries()
    add_sellers(range(5, 25))
    return few, list_queries()


@pytest.fixture
def courses(app):
    with app.app_context():
        make_course(db.session, required=True)  # a rule set, so statuses read progress and certificates
        make_course(db.session, slug="tea", title="Trà")


def test_the_seller_list_runs_the_same_number_of_queries_for_5_or_25_sellers(client, app, users, courses, count_queries):
    """Each seller has a profile and a certificate, so statuses, certificate counts and profiles are all exercised."""
    few, many = _list_queries_for_5_and_25(client, app, count_queries, "tea")
    assert few == many


def test_the_seller_list_stays_bounded_when_sellers_hold_required_certificates(client, app, users, courses, count_queries):
    few, many = _list_queries_for_5_and_25(client, app, count_queries, "honey-basics")
    assert few == many
