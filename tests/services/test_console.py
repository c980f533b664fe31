"""The verifier console's services: seller search by every criterion, export, a seller's file, notes, statistics."""
import itertools
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lms.assessment.models import Attempt
from lms.audit.services import record
from lms.catalog.models import CourseVersion
from lms.console import services as console
from lms.console.services import (
    SellerFilter,
    add_seller_note,
    certificates_per_month,
    certified_by_province,
    certified_by_track,
    expiring_certificates,
    export_sellers,
    find_seller_user,
    pass_rates,
    recent_statistics,
    search_sellers,
    seller_csv_lines,
    seller_file,
    valid_on,
)
from lms.credentials.codes import new_code
from lms.credentials.models import ACTIVE, REVOKED, SUSPENDED, Certificate, CertificateEvent
from lms.credentials.services import certificate_state, revoke
from lms.onboarding.models import SellerNote, SellerProfile
from lms.onboarding.profiles import ensure_profile
from tests.conftest import make_course, make_user

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=timezone.utc)
TODAY = NOW.date()
_index = itertools.count(1)


def add_certificate(session, user, course, issued_at=NOW - timedelta(days=30), expires_on=None, status=ACTIVE, version=1):
    """A certificate row as issue_if_due writes it, with dates chosen by the test (signature not needed here)."""
    certificate = Certificate(code=new_code(), user_id=user.id, course_id=course.id, course_version=version, status=status, issued_at=issued_at,
                              awarded_on=issued_at.date(), expires_on=expires_on or TODAY + timedelta(days=700), claims={}, jws="-", kid="test",
                              status_list="1", status_index=next(_index))
    session.add(certificate)
    session.flush()
    session.add(CertificateEvent(certificate_id=certificate.id, action="issued", at=issued_at))
    session.commit()
    return certificate


def add_attempt(session, user, course, number, passed, status="submitted", purpose="final"):
    session.add(Attempt(user_id=user.id, course_id=course.id, number=number, course_version=1, purpose=purpose, lang="vi", status=status,
                        started_at=NOW, submitted_at=NOW if status == "submitted" else None, score=90.0 if passed else 40.0, pass_mark=80,
                        passed=passed if status == "submitted" else None))
    session.commit()


def ids(page_or_rows):
    items = page_or_rows.items if hasattr(page_or_rows, "items") else page_or_rows
    return {row.user_id for row in items}


def search(session, **chosen):
    return ids(search_sellers(session, SellerFilter(**chosen), 1, 50, NOW))


@pytest.fixture
def people(session):
    """Three sellers in different provinces and a verifier (who is never a seller)."""
    nhung = make_user(session, login="0912345678", name="Nguyễn Thị Hồng Nhung", province="lao-cai", business="HTX Mật ong Bắc Hà")
    minh = make_user(session, login="minh@example.com", name="Trần Văn Minh", province="dak-lak", business="Cà phê Buôn Ma Thuột")
    thi = make_user(session, login="thi@example.com", name="Lê Văn Thi", province="ha-noi")
    staff = make_user(session, role="verifier", login="nguyen.thi@example.com", name="Nguyễn Thị Kiểm")
    return {"nhung": nhung, "minh": minh, "thi": thi, "staff": staff}


def test_a_name_typed_without_diacritics_finds_the_seller(session, people):
    assert search(session, query="nguyen thi") == {people["nhung"].id}
    assert search(session, query="NGUYỄN thị hồng") == {people["nhung"].id}


def test_staff_accounts_are_never_listed_as_sellers(session, people):
    assert people["staff"].id not in search(session, query="")
    assert search(session, query="nguyen.thi@example.com") == set()


def test_a_phone_number_in_any_vietnamese_format_finds_the_stored_number(session, people):
    assert people["nhung"].phone == "+84912345678"
    for typed in ("0912 345 678", "+84 912 345 678", "84912345678", "0912.345.678"):
        assert search(session, query=typed) == {people["nhung"].id}


def test_an_email_matches_exactly_and_without_regard_to_case(session, people):
    assert search(session, query="Minh@Example.com") == {people["minh"].id}
    assert search(session, query="minh@example") == set()


def test_a_business_name_matches_part_of_it(session, people):
    assert search(session, query="Mật ong") == {people["nhung"].id}
    assert search(session, query="buôn ma") == {people["minh"].id}


def test_a_tax_code_matches_with_or_without_separators(session, people):
    profile = ensure_profile(session, people["minh"].id)
    profile.tax_code = "0101234567-001"
    ensure_profile(session, people["thi"].id).tax_code = "0309876543"
    session.commit()
    assert search(session, query="0101234567-001") == {people["minh"].id}
    assert search(session, query="0101234567001") == {people["minh"].id}
    assert search(session, query="0309 876 543") == {people["thi"].id}


def test_a_seller_code_matches_in_lowercase_and_without_hyphens(session, people):
    code = ensure_profile(session, people["thi"].id).seller_code
    session.commit()
    assert search(session, query=code.lower()) == {people["thi"].id}
    assert search(session, query=code.replace("-", " ").lower()) == {people["thi"].id}


def test_a_certificate_code_finds_its_holder(session, people):
    course = make_course(session)
    certificate = add_certificate(session, people["minh"], course)
    assert search(session, query=certificate.code.replace("-", "").lower()) == {people["minh"].id}


def test_province_and_track_narrow_the_search(session, people):
    honey = make_course(session)  # track "packaging"
    live = make_course(session, slug="live-basics", title="Livestream")
    live.track = "livestream"
    session.commit()
    add_certificate(session, people["nhung"], honey)
    add_certificate(session, people["minh"], live, status=REVOKED)  # held once: still found, with its state
    assert search(session, province="dak-lak") == {people["minh"].id}
    assert search(session, track="packaging") == {people["nhung"].id}
    assert search(session, track="livestream") == {people["minh"].id}
    assert search(session, track="livestream", province="lao-cai") == set()


@pytest.fixture
def required(session):
    return make_course(session, required=True)


def test_the_state_filter_uses_the_onboarding_status(session, people, required):
    add_certificate(session, people["nhung"], required)
    add_certificate(session, people["minh"], required, expires_on=TODAY + timedelta(days=10))
    assert search(session, state="eligible") == {people["nhung"].id}
    assert search(session, state="expiring") == {people["minh"].id}
    assert search(session, state="not_eligible") == {people["thi"].id}
    page = search_sellers(session, SellerFilter(state="eligible"), 1, 50, NOW)
    assert [(r.state, r.valid_certificates) for r in page.items] == [("eligible", 1)]


def test_the_state_filter_gives_the_same_answer_in_small_batches(session, people, required, monkeypatch):
    add_certificate(session, people["nhung"], required)
    add_certificate(session, people["thi"], required)
    monkeypatch.setattr(console, "STATUS_BATCH", 1)
    page = search_sellers(session, SellerFilter(state="eligible"), 1, 1, NOW)
    assert page.total == 2 and len(page.items) == 1
    second = search_sellers(session, SellerFilter(state="eligible"), 2, 1, NOW)
    assert ids(page) | ids(second) == {people["nhung"].id, people["thi"].id}


def test_rows_carry_business_province_state_and_valid_certificates(session, people, required):
    other = make_course(session, slug="tea", title="Trà")
    add_certificate(session, people["nhung"], required)
    add_certificate(session, people["nhung"], other, status=SUSPENDED)
    row = search_sellers(session, SellerFilter(query="nhung"), 1, 25, NOW).items[0]
    assert (row.full_name, row.business, row.province, row.state, row.valid_certificates) == (
        "Nguyễn Thị Hồng Nhung", "HTX Mật ong Bắc Hà", "lao-cai", "eligible", 1)


def test_valid_certificates_in_sql_agree_with_certificate_state(session, people):
    """valid_on is the SQL form of certificate_state: every case of the latter gives the same answer."""
    course = make_course(session)
    other = make_course(session, slug="tea", title="Trà")
    third = make_course(session, slug="rice", title="Gạo")
    cases = [
        add_certificate(session, people["nhung"], course),
        add_certificate(session, people["minh"], course, expires_on=TODAY),  # last valid day
        add_certificate(session, people["thi"], course, expires_on=TODAY - timedelta(days=1)),
        add_certificate(session, people["nhung"], other, status=REVOKED),
        add_certificate(session, people["minh"], other, status=SUSPENDED),
        add_certificate(session, people["thi"], third),
    ]
    # a version of "rice" requiring recertification: inside the grace period today, outside it 5 days later
    session.add(CourseVersion(course_id=third.id, number=2, lesson_ids=[], content_hash="v2", requires_recertification=True,
                              created_at=NOW - timedelta(days=85)))
    session.commit()
    for day in (TODAY, TODAY + timedelta(days=5), TODAY + timedelta(days=800)):
        by_sql = set(session.scalars(select(Certificate.id).where(valid_on(day, 90))))
        by_state = {c.id for c in cases if certificate_state(session, c, day, 90).is_valid}
        assert by_sql == by_state, day


def test_an_export_counts_first_then_reads_every_matching_seller(session, people, monkeypatch):
    monkeypatch.setattr(console, "STATUS_BATCH", 2)
    count, rows = export_sellers(session, SellerFilter(), NOW)
    assert count == 3 and [r.full_name for r in rows] == ["Lê Văn Thi", "Nguyễn Thị Hồng Nhung", "Trần Văn Minh"]
    count, rows = export_sellers(session, SellerFilter(state="not_eligible", province="ha-noi"), NOW)
    assert count == 1 and [r.user_id for r in rows] == [people["thi"].id]


def test_csv_lines_start_with_a_bom_keep_vietnamese_and_disarm_formulas(session, people):
    people["minh"].business_name = "=HYPERLINK(\"http://x\")"
    session.commit()
    _, rows = export_sellers(session, SellerFilter(), NOW)
    text = "".join(seller_csv_lines(rows, {"lao-cai": "Lào Cai"}))
    assert text.startswith("\ufeff" + ",".join(console.CSV_HEADER))
    assert "\r\nNguyễn Thị Hồng Nhung,,'+84912345678,HTX Mật ong Bắc Hà,Lào Cai,,,not_eligible,0\r\n" in text
    assert "\"'=HYPERLINK(\"\"http://x\"\")\"" in text


def test_only_learners_have_a_seller_file(session, people):
    assert find_seller_user(session, people["nhung"].id) is people["nhung"]
    assert find_seller_user(session, people["staff"].id) is None
    assert find_seller_user(session, 999_999) is None


def test_the_seller_file_gathers_certificates_attempts_trail_and_notes(session, people, required):
    seller, verifier = people["nhung"], people["staff"]
    profile = ensure_profile(session, seller.id)
    certificate = add_certificate(session, seller, required)
    add_attempt(session, seller, required, 1, False)
    add_attempt(session, seller, required, 2, True)
    revoke(session, certificate, verifier.id, "Hàng giả", NOW)
    record(session, verifier.id, "user.role_changed", "user", seller.id, role="learner")
    record(session, verifier.id, "user.role_changed", "user", people["minh"].id, role="learner")  # another seller's
    add_seller_note(session, seller.id, verifier.id, "Đã gọi điện xác minh.", NOW)
    session.commit()
    file = seller_file(session, seller, NOW + timedelta(minutes=1))
    assert file.profile.seller_code == profile.seller_code
    assert file.status.state == "not_eligible" and file.status.missing[0].reason == "certificate_revoked"
    assert [(c.code, state.status) for c, state, _ in file.certificates] == [(certificate.code, "revoked")]
    assert sorted((a.number, a.passed) for a, _ in file.attempts) == [(1, False), (2, True)]
    assert sorted((e.source, e.action) for e in file.trail) == [("audit", "user.role_changed"), ("certificate", "issued"), ("certificate", "revoked")]
    assert [e.at for e in file.trail] == sorted((e.at for e in file.trail), reverse=True)  # newest first
    assert next(e for e in file.trail if e.action == "revoked").reason == "Hàng giả"
    assert [n.text for n in file.notes] == ["Đã gọi điện xác minh."] and file.people[verifier.id].full_name == "Nguyễn Thị Kiểm"


def test_a_note_is_added_with_author_and_time_and_blank_notes_are_refused(session, people):
    note = add_seller_note(session, people["thi"].id, people["staff"].id, "  Ghi chú \n", NOW)
    assert (note.text, note.author_id, note.at) == ("Ghi chú", people["staff"].id, NOW)
    with pytest.raises(ValueError):
        add_seller_note(session, people["thi"].id, people["staff"].id, "   ", NOW)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(SellerNote)) == 0  # services never commit


# --- statistics on a small known dataset --------------------------------------------------------

@pytest.fixture
def dataset(session, people):
    """Nhung: 2 valid (packaging); Minh: 1 valid ending in 20 days + 1 revoked; Thi: 1 expired; a second Lào Cai seller: 1 valid."""
    honey = make_course(session)
    live = make_course(session, slug="live-basics", title="Livestream")
    live.track = "livestream"
    session.commit()
    tea = make_course(session, slug="tea", title="Trà")
    lan = make_user(session, login="lan@example.com", name="Vàng Thị Lan", province="lao-cai")
    add_certificate(session, people["nhung"], honey, issued_at=datetime(2026, 6, 1, tzinfo=timezone.utc))
    add_certificate(session, people["nhung"], tea, issued_at=datetime(2026, 5, 31, 18, 0, tzinfo=timezone.utc))  # 1 June in Hà Nội
    add_certificate(session, people["minh"], live, issued_at=datetime(2025, 7, 1, tzinfo=timezone.utc), expires_on=TODAY + timedelta(days=20))
    add_certificate(session, people["minh"], honey, issued_at=datetime(2026, 3, 10, tzinfo=timezone.utc), status=REVOKED)
    add_certificate(session, people["thi"], honey, issued_at=datetime(2024, 1, 10, tzinfo=timezone.utc), expires_on=TODAY - timedelta(days=1))
    add_certificate(session, lan, live, issued_at=datetime(2026, 3, 20, tzinfo=timezone.utc), expires_on=TODAY + timedelta(days=75))
    for user, results in ((people["nhung"], (False, True)), (people["minh"], (True,)), (people["thi"], (False, False, True)), (lan, (True,))):
        for number, passed in enumerate(results, 1):
            add_attempt(session, user, honey, number, passed)
    add_attempt(session, lan, honey, 2, None, status="in_progress")  # not submitted: not counted
    add_attempt(session, people["minh"], honey, 2, False, purpose="renewal")  # a refresher: not a final attempt
    return honey, live, tea


def test_certified_sellers_count_once_per_province(session, dataset):
    assert certified_by_province(session, TODAY, 90) == [("lao-cai", 2), ("dak-lak", 1)]


def test_certified_sellers_per_track_list_every_track(session, dataset):
    assert certified_by_track(session, TODAY, 90, ("livestream", "packaging", "compliance")) == [
        ("livestream", 2), ("packaging", 1), ("compliance", 0)]


def test_certificates_per_month_cover_the_last_twelve_months_in_the_local_time_zone(session, dataset):
    months = certificates_per_month(session, NOW, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert len(months) == 12 and months[0][0] == date(2025, 7, 1) and months[-1][0] == date(2026, 6, 1)
    assert dict(months)[date(2026, 6, 1)] == 2 and dict(months)[date(2026, 3, 1)] == 2 and dict(months)[date(2025, 7, 1)] == 1
    assert sum(n for _, n in months) == 5  # the 2024 certificate is older than twelve months
    assert dict(certificates_per_month(session, NOW, timezone.utc))[date(2026, 5, 1)] == 1


def test_valid_certificates_ending_within_30_60_90_days(session, dataset):
    assert expiring_certificates(session, TODAY, 90) == [(30, 1), (60, 1), (90, 2)]


def test_pass_rates_count_submitted_final_attempts_and_first_attempts(session, dataset):
    honey, *_ = dataset
    [rate] = pass_rates(session)
    assert rate.course.id == honey.id
    assert (rate.attempts, rate.passed, rate.first_attempts, rate.first_passed) == (7, 4, 4, 2)
    assert rate.rate == pytest.approx(400 / 7) and rate.first_rate == 50


def test_statistics_are_reused_for_a_minute_then_counted_again(session, dataset, people):
    *_, tea = dataset
    cache, zone, tracks = {}, ZoneInfo("Asia/Ho_Chi_Minh"), ("livestream", "packaging")
    first = recent_statistics(session, cache, NOW, zone, tracks)
    add_certificate(session, people["thi"], tea, issued_at=NOW - timedelta(days=1))
    assert recent_statistics(session, cache, NOW + timedelta(seconds=59), zone, tracks) is first
    later = recent_statistics(session, cache, NOW + timedelta(seconds=60), zone, tracks)
    assert sum(n for _, n in later.per_month) == sum(n for _, n in first.per_month) + 1
    assert later.computed_at == NOW + timedelta(seconds=60) and dict(later.by_province)["ha-noi"] == 1


def test_seller_profiles_are_not_created_by_reading(session, people):
    seller_file(session, people["minh"], NOW)
    search_sellers(session, SellerFilter(), 1, 25, NOW)
    assert session.scalar(select(func.count()).select_from(SellerProfile)) == 0
