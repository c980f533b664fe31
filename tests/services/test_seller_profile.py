"""Seller profiles through the services: tax codes, OCOP products, shops, rule-set versions, the readiness checklist."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.accounts.identity import InvalidValue
from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.catalog.models import Course
from lms.onboarding.models import OcopProduct
from lms.onboarding.profile_services import (
    ProductInput,
    ProfileInput,
    RowNotFound,
    add_product,
    add_shop,
    clean_product,
    clean_shop_handle,
    clean_tax_code,
    create_rule_set,
    readiness_checklist,
    recognition_expired,
    recognition_valid_until,
    remove_product,
    remove_shop,
    rule_set_history,
    tax_check_digit,
    update_product,
    update_seller_profile,
)
from lms.onboarding.profiles import ensure_profile
from lms.onboarding.status import current_rule_set, seller_status
from lms.db import utcnow
from tests.conftest import make_course, make_user

TODAY = date(2026, 3, 10)


def refused(code, function, *args):
    with pytest.raises(InvalidValue) as caught:
        function(*args)
    assert caught.value.code == code


# --- tax codes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed,stored", [
    ("0100233488", "0100233488"),
    ("0314409058", "0314409058"),
    ("0314409058-002", "0314409058-002"),
    ("0314409058002", "0314409058-002"),
    (" 0314 409 058 - 002 ", "0314409058-002"),
    ("03.1440.9058", "0314409058"),
    ("", ""),
])
def test_valid_tax_codes_are_stored_in_one_form(typed, stored):
    assert clean_tax_code(typed) == stored


@pytest.mark.parametrize("typed", ["0100233480", "0100233489", "0314409057-001"])
def test_a_tax_code_with_a_wrong_check_digit_is_refused(typed):
    refused("tax_code_check_digit", clean_tax_code, typed)


@pytest.mark.parametrize("typed", ["010023348", "01002334881", "010023348812", "03144090580021", "0314409058-02", "0314409058-0021",
                                   "0314409058/002", "03144O9058", "0314409058-000", "-0314409058"])
def test_tax_codes_of_the_wrong_shape_or_length_are_refused(typed):
    refused("tax_code_format", clean_tax_code, typed)


def test_the_check_digit_follows_the_tax_department_weights():
    # 0*31 + 1*29 + 0*23 + 0*19 + 2*17 + 3*13 + 3*7 + 4*5 + 8*3 = 167; 167 mod 11 = 2; 10 - 2 = 8
    assert tax_check_digit("010023348") == 8
    # 1*31 + 1*29 + 1*23 + 9*3 = 110 = 10 * 11: the check would be 10, so no tenth digit makes a valid code
    assert tax_check_digit("111000009") is None
    for last in "0123456789":
        refused("tax_code_check_digit", clean_tax_code, "111000009" + last)


# --- OCOP products -------------------------------------------------------------------------------------


def product(name="Mật ong hoa nhãn", group="food", stars=4, recognised_on=date(2024, 5, 20)):
    return ProductInput(name, group, stars, recognised_on)


@pytest.mark.parametrize("stars", [3, 4, 5])
def test_products_have_three_to_five_stars(stars):
    assert clean_product(product(stars=stars), TODAY).stars == stars


@pytest.mark.parametrize("stars", [0, 1, 2, 6, None])
def test_other_star_counts_are_refused(stars):
    refused("product_stars", clean_product, product(stars=stars), TODAY)


def test_the_recognition_date_may_be_today_but_not_in_the_future():
    assert clean_product(product(recognised_on=TODAY), TODAY).recognised_on == TODAY
    refused("product_date_future", clean_product, product(recognised_on=TODAY + timedelta(days=1)), TODAY)
    refused("product_date_required", clean_product, product(recognised_on=None), TODAY)


def test_a_product_needs_a_known_group_and_a_name():
    refused("product_group", clean_product, product(group="jewellery"), TODAY)
    refused("name_required", clean_product, product(name="   "), TODAY)
    assert clean_product(product(name="  Mật   ong "), TODAY).name == "Mật ong"


def test_recognition_expires_when_older_than_36_months():
    recognised = date(2023, 3, 10)
    assert recognition_valid_until(recognised) == date(2026, 3, 10)
    assert not recognition_expired(recognised, date(2026, 3, 10))
    assert recognition_expired(recognised, date(2026, 3, 11))
    assert recognition_valid_until(date(2024, 2, 29)) == date(2027, 2, 28)


def test_products_are_added_changed_and_removed_with_an_audit_entry_each(session):
    seller = make_user(session)
    added = add_product(session, seller.id, product(), TODAY)
    update_product(session, seller.id, added.id, product(stars=5), TODAY)
    update_product(session, seller.id, added.id, product(stars=5), TODAY)  # no change, no entry
    remove_product(session, seller.id, added.id)
    session.commit()
    assert session.scalars(select(OcopProduct)).all() == []
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == seller.id).order_by(AuditEvent.id)).all()
    assert actions == ["seller_product.added", "seller_product.updated", "seller_product.removed"]


def test_a_seller_cannot_touch_another_sellers_product(session):
    owner, other = make_user(session), make_user(session)
    added = add_product(session, owner.id, product(), TODAY)
    session.commit()
    with pytest.raises(RowNotFound):
        update_product(session, other.id, added.id, product(stars=3), TODAY)
    with pytest.raises(RowNotFound):
        remove_product(session, other.id, added.id)
    with pytest.raises(RowNotFound):
        remove_product(session, other.id, 999_999)


# --- shops ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("platform,typed,stored", [
    ("tiktok_shop", "@Mat_Ong.BacHa", "@mat_ong.bacha"),
    ("tiktok_shop", "mat_ong", "@mat_ong"),
    ("tiktok_shop", "https://www.tiktok.com/@mat_ong?lang=vi", "@mat_ong"),
    ("shopee", "shopee.vn/matongbacha/", "https://shopee.vn/matongbacha"),
    ("shopee", "http://shopee.vn/matongbacha?utm_source=zalo#top", "https://shopee.vn/matongbacha"),
    ("lazada", "https://www.lazada.vn/shop/mat-ong-bac-ha", "https://lazada.vn/shop/mat-ong-bac-ha"),
    ("other", "matongbacha.vn", "https://matongbacha.vn"),
    ("other", "https://facebook.com/profile.php?id=100", "https://facebook.com/profile.php?id=100"),
])
def test_shop_handles_and_addresses_are_stored_in_one_form(platform, typed, stored):
    assert clean_shop_handle(platform, typed) == stored


@pytest.mark.parametrize("platform,typed,code", [
    ("shopee", "https://www.tiktok.com/@mat_ong", "shop_url_platform"),
    ("tiktok_shop", "https://evil.example/tiktok.com", "shop_url_platform"),
    ("lazada", "https://www.lazada.vn/", "shop_url_format"),
    ("other", "javascript:alert(1)//x", "shop_url_format"),
    ("other", "ftp://files.example.vn/shop", "shop_url_format"),
    ("tiktok_shop", "mật ong", "shop_handle_format"),
    ("tiktok_shop", "@", "shop_handle_format"),
    ("tiktok_shop", "", "shop_required"),
    ("myspace", "@mat_ong", "shop_platform"),
])
def test_shop_handles_that_are_not_shops_are_refused(platform, typed, code):
    refused(code, clean_shop_handle, platform, typed)


def test_the_same_shop_twice_on_a_platform_is_refused(session):
    seller = make_user(session)
    add_shop(session, seller.id, "tiktok_shop", "@mat_ong")
    refused("shop_duplicate", add_shop, session, seller.id, "tiktok_shop", "https://www.tiktok.com/@MAT_ONG")
    add_shop(session, seller.id, "other", "@mat_ong")  # another platform is another shop
    session.commit()
    assert [(s.platform, s.handle) for s in ensure_profile(session, seller.id).shops] == [("tiktok_shop", "@mat_ong"), ("other", "@mat_ong")]


def test_removing_a_shop_is_audited_without_the_handle(session):
    seller = make_user(session)
    shop = add_shop(session, seller.id, "shopee", "shopee.vn/matongbacha")
    remove_shop(session, seller.id, shop.id)
    session.commit()
    events = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "seller_profile").order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["seller_shop.added", "seller_shop.removed"]
    assert all("matongbacha" not in str(e.detail) for e in events)


# --- the profile ---------------------------------------------------------------------------------------


def test_the_profile_saves_business_tax_code_and_province_and_audits_field_names_only(session):
    seller = make_user(session, province="ha-noi")
    changed = update_seller_profile(session, seller.id, ProfileInput(" HTX  Mật ong Bắc Hà ", "cooperative", "0314409058-002", "lao-cai"))
    session.commit()
    user, profile = session.get(User, seller.id), ensure_profile(session, seller.id)
    assert (user.business_name, user.province, profile.business_type, profile.tax_code) == ("HTX Mật ong Bắc Hà", "lao-cai", "cooperative", "0314409058-002")
    assert sorted(changed) == ["business_name", "business_type", "province", "tax_code"]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "seller_profile.updated"))
    assert "0314409058" not in str(event.detail) and "Bắc Hà" not in str(event.detail)
    assert update_seller_profile(session, seller.id, ProfileInput("HTX Mật ong Bắc Hà", "cooperative", "0314409058002", "lao-cai")) == []


def test_the_profile_refuses_unknown_types_provinces_and_bad_tax_codes(session):
    seller = make_user(session)
    refused("business_type", update_seller_profile, session, seller.id, ProfileInput("", "corporation", "", "ha-noi"))
    refused("province_unknown", update_seller_profile, session, seller.id, ProfileInput("", "household", "", "atlantis"))
    refused("tax_code_check_digit", update_seller_profile, session, seller.id, ProfileInput("", "household", "0100233480", "ha-noi"))


# --- rule sets -----------------------------------------------------------------------------------------


@pytest.fixture
def courses(session):
    honey = make_course(session, required=True)
    tea = make_course(session, slug="tea-labels", title="Nhãn trà", modules=(("m", 2),))
    draft = make_course(session, slug="draft-course", title="Bản nháp", modules=(("m", 1),))
    draft.status = "draft"
    session.commit()
    return honey, tea, draft


def test_rule_sets_get_the_next_version_and_apply_from_their_date(session, courses, users):
    admin = users["admin"][0]
    first = create_rule_set(session, admin, ["tea-labels", "honey-basics", "tea-labels"], TODAY, "Thêm khóa nhãn trà", TODAY)
    second = create_rule_set(session, admin, ["honey-basics"], TODAY + timedelta(days=30), "", TODAY)
    session.commit()
    assert (first.version, first.required_courses, second.version) == (1, ["honey-basics", "tea-labels"], 2)
    assert current_rule_set(session, TODAY).version == 1 and current_rule_set(session, TODAY + timedelta(days=30)).version == 2
    assert [(e.rule_set.version, e.state) for e in rule_set_history(session, TODAY)] == [(2, "scheduled"), (1, "in_force")]
    assert [(e.rule_set.version, e.state) for e in rule_set_history(session, TODAY + timedelta(days=30))] == [(2, "in_force"), (1, "replaced")]
    actions = session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "onboarding_rules.created").order_by(AuditEvent.id)).all()
    assert actions == ["1", "2"]


def test_a_later_version_starting_earlier_overrides_a_scheduled_one(session, courses, users):
    admin = users["admin"][0]
    create_rule_set(session, admin, ["honey-basics"], TODAY + timedelta(days=60), "", TODAY)
    create_rule_set(session, admin, ["tea-labels"], TODAY + timedelta(days=10), "", TODAY)
    assert [(e.rule_set.version, e.state) for e in rule_set_history(session, TODAY)] == [(2, "scheduled"), (1, "overridden")]
    assert current_rule_set(session, TODAY).version == 0


@pytest.mark.parametrize("slugs,applies_from,code", [
    ([], TODAY, "rules_no_course"),
    (["draft-course"], TODAY, "rules_unknown_course"),
    (["no-such-course"], TODAY, "rules_unknown_course"),
    (["honey-basics"], TODAY - timedelta(days=1), "rules_date_past"),
    (["honey-basics"], None, "rules_date_required"),
])
def test_rule_sets_need_published_courses_and_a_date_from_today(session, courses, users, slugs, applies_from, code):
    refused(code, create_rule_set, session, users["admin"][0], slugs, applies_from, "", TODAY)


# --- the readiness checklist ---------------------------------------------------------------------------


def test_the_checklist_pairs_each_required_course_with_what_is_missing(session, courses):
    seller = make_user(session)
    status = seller_status(session, seller.id, utcnow())
    checklist = readiness_checklist(session, status)
    assert [(item.course_slug, item.title("vi"), item.certified, item.missing.reason) for item in checklist] == [
        ("honey-basics", "Mật ong cơ bản", False, "not_started")]
    assert session.scalar(select(Course.title_en).where(Course.slug == "honey-basics")) == checklist[0].title("en")
