"""Seller pages over HTTP: the profile, "ready for onboarding", the public seller page and the onboarding rules."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms import create_app
from lms.audit.models import AuditEvent
from lms.catalog.models import Course
from lms.catalog.services import enrol_learner
from lms.credentials.context import issuing_context
from lms.credentials.services import issue_if_due
from lms.db import utcnow
from lms.extensions import db
from lms.onboarding.models import OcopProduct, OnboardingRuleSet, SellerProfile, ShopHandle
from lms.onboarding.profiles import ensure_profile
from tests.conftest import PASSWORD, make_course, make_questions, make_user, with_signing_key
from tests.services.test_certificate_rules import finish_lessons, pass_assessment

SELLER = "hong@example.com"


def login(client, who):
    assert client.post("/login", data={"login": who, "password": PASSWORD}).status_code == 302


def in_english(client):
    client.post("/language", data={"lang": "en"})


def main_text(response) -> str:
    return response.get_data(as_text=True).split("<main", 1)[1].split("</main>", 1)[0]


@pytest.fixture
def seller(app):
    """A seller with a phone number and a tax code, and two required courses with question banks."""
    with app.app_context():
        for slug, title in (("honey-basics", "Mật ong cơ bản"), ("tea-labels", "Nhãn trà")):
            make_questions(db.session, make_course(db.session, slug=slug, title=title, required=True))
        user = make_user(db.session, login=SELLER, name="Nguyễn Thị Hồng Nhung", business="HTX Mật ong Bắc Hà", province="lao-cai")
        profile = ensure_profile(db.session, user.id)
        profile.tax_code = "0314409058-002"
        db.session.commit()
        return user.id, profile.seller_code


def earn(app, user_id, slug):
    """Finish the course and pass, with the certificate issued as the app issues it."""
    with app.test_request_context():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        enrol_learner(db.session, user_id, course)
        db.session.commit()
        pass_assessment(db.session, user_id, course)
        finish_lessons(db.session, user_id, course)
        certificate = issue_if_due(db.session, user_id, course, issuing_context(), utcnow())
        db.session.commit()
        return certificate.code


# --- permissions ---------------------------------------------------------------------------------------


LOGIN_ONLY = [("get", "/account/seller"), ("post", "/account/seller"), ("post", "/account/seller/products"),
              ("post", "/account/seller/products/1"), ("post", "/account/seller/products/1/remove"), ("post", "/account/seller/shops"),
              ("post", "/account/seller/shops/1/remove"), ("get", "/ready"), ("get", "/admin/onboarding-rules"), ("post", "/admin/onboarding-rules")]


@pytest.mark.parametrize("method,path", LOGIN_ONLY)
def test_seller_pages_send_visitors_to_the_login_page(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role,status", [("learner", 403), ("trainer", 403), ("verifier", 403), ("admin", 200)])
def test_only_admins_see_the_onboarding_rules(client, users, role, status):
    login(client, f"{role}@example.com")
    assert client.get("/admin/onboarding-rules").status_code == status
    assert client.post("/admin/onboarding-rules", data={"courses": [], "applies_from": "2099-01-01"}).status_code in (status, 422)


@pytest.mark.parametrize("role", ["learner", "trainer", "verifier", "admin"])
def test_every_signed_in_user_has_a_seller_profile_and_readiness_page(client, users, role):
    login(client, f"{role}@example.com")
    assert client.get("/account/seller").status_code == 200
    assert client.get("/ready").status_code == 200


def test_the_public_seller_page_needs_no_login(client, seller):
    assert client.get(f"/sellers/{seller[1]}").status_code == 200


def test_seller_forms_need_the_csrf_token(csrf_app):
    with csrf_app.app_context():
        make_user(db.session, login=SELLER)
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"login": SELLER, "password": PASSWORD, "csrf_token": token})
    assert client.get("/account/seller").status_code == 200
    assert client.post("/account/seller/shops", data={"shop-platform": "shopee", "shop-handle": "shopee.vn/x"}).status_code == 400
    page = client.get("/account/seller").get_data(as_text=True)
    token = re.search(r'name="shop-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/account/seller/shops", data={"shop-platform": "shopee", "shop-handle": "shopee.vn/matong", "shop-csrf_token": token})
    assert response.status_code == 302


# --- the profile ---------------------------------------------------------------------------------------


def test_the_profile_page_round_trip(client, app, seller):
    login(client, SELLER)
    in_english(client)
    page = client.get("/account/seller").get_data(as_text=True)
    assert seller[1] in page and "0314409058-002" in page and "HTX Mật ong Bắc Hà" in page
    response = client.post("/account/seller", data={"business_name": "Hộ kinh doanh Hồng Nhung", "business_type": "household",
                                                    "tax_code": "0100233488", "province": "ha-noi"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/seller")
    page = client.get("/account/seller").get_data(as_text=True)
    assert "Your seller profile is saved." in page and "Hộ kinh doanh Hồng Nhung" in page and 'value="0100233488"' in page
    with app.app_context():
        profile = db.session.scalar(select(SellerProfile).where(SellerProfile.user_id == seller[0]))
        assert (profile.tax_code, profile.user_id) == ("0100233488", seller[0])
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "seller_profile.updated")).actor_id == seller[0]


def test_profile_errors_keep_what_was_typed_and_save_nothing(client, app, seller):
    login(client, SELLER)
    in_english(client)
    response = client.post("/account/seller", data={"business_name": "HTX Trà Shan Tuyết", "business_type": "cooperative",
                                                    "tax_code": "0100233480", "province": "ha-noi"})
    text = main_text(response)
    assert response.status_code == 422
    assert "This tax code is not valid" in text and 'value="0100233480"' in text and 'value="HTX Trà Shan Tuyết"' in text
    assert re.search(r'<option selected value="cooperative">|<option value="cooperative" selected>', text)
    with app.app_context():
        assert db.session.scalar(select(SellerProfile.tax_code).where(SellerProfile.user_id == seller[0])) == "0314409058-002"
    response = client.post("/account/seller", data={"business_name": "", "business_type": "household", "tax_code": "12345", "province": "ha-noi"})
    assert response.status_code == 422 and "10 digits" in main_text(response)


def test_products_are_added_edited_marked_expired_and_removed(client, app, seller):
    login(client, SELLER)
    in_english(client)
    old = (utcnow().date() - timedelta(days=37 * 31)).isoformat()
    response = client.post("/account/seller/products", data={"new-product-name": "Mật ong hoa nhãn", "new-product-product_group": "food",
                                                             "new-product-stars": "4", "new-product-recognised_on": old})
    assert response.status_code == 302
    page = client.get("/account/seller").get_data(as_text=True)
    assert "Mật ong hoa nhãn" in page and "Expired" in page and "Food" in page
    with app.app_context():
        product_id = db.session.scalar(select(OcopProduct.id))
    today = utcnow().date().isoformat()
    response = client.post(f"/account/seller/products/{product_id}", data={f"product-{product_id}-name": "Mật ong hoa nhãn",
                           f"product-{product_id}-product_group": "food", f"product-{product_id}-stars": "5", f"product-{product_id}-recognised_on": today})
    assert response.status_code == 302
    page = client.get("/account/seller").get_data(as_text=True)
    assert "5 stars" in page and "Expired" not in page
    assert client.post(f"/account/seller/products/{product_id}/remove").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(OcopProduct.id)) is None


def test_product_errors_keep_what_was_typed(client, app, seller):
    login(client, SELLER)
    in_english(client)
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    response = client.post("/account/seller/products", data={"new-product-name": "Trà shan tuyết", "new-product-product_group": "beverages",
                                                             "new-product-stars": "6", "new-product-recognised_on": tomorrow})
    text = main_text(response)
    assert response.status_code == 422
    assert "OCOP products have 3, 4 or 5 stars." in text and "cannot be in the future" in text
    assert 'value="Trà shan tuyết"' in text and f'value="{tomorrow}"' in text
    response = client.post("/account/seller/products", data={"new-product-name": "Trà", "new-product-product_group": "beverages",
                                                             "new-product-stars": "3", "new-product-recognised_on": "31/02/2024"})
    assert response.status_code == 422 and "Enter a date" in main_text(response)
    with app.app_context():
        assert db.session.scalar(select(OcopProduct.id)) is None


def test_a_seller_cannot_edit_or_remove_anothers_product_or_shop(client, app, seller):
    with app.app_context():
        other = make_user(db.session, login="other@example.com")
        profile = ensure_profile(db.session, other.id)
        profile.products.append(OcopProduct(name="Cà phê", product_group="beverages", stars=3, recognised_on=date(2025, 1, 1)))
        profile.shops.append(ShopHandle(platform="shopee", handle="https://shopee.vn/caphe"))
        db.session.commit()
        product_id, shop_id = profile.products[0].id, profile.shops[0].id
    login(client, SELLER)
    assert client.post(f"/account/seller/products/{product_id}", data={}).status_code == 404
    assert client.post(f"/account/seller/products/{product_id}/remove").status_code == 404
    assert client.post(f"/account/seller/shops/{shop_id}/remove").status_code == 404
    with app.app_context():
        assert db.session.get(OcopProduct, product_id) is not None and db.session.get(ShopHandle, shop_id) is not None


def test_shops_are_validated_and_de_duplicated(client, app, seller):
    login(client, SELLER)
    in_english(client)
    assert client.post("/account/seller/shops", data={"shop-platform": "tiktok_shop", "shop-handle": "@Mat_Ong"}).status_code == 302
    response = client.post("/account/seller/shops", data={"shop-platform": "tiktok_shop", "shop-handle": "https://www.tiktok.com/@mat_ong"})
    assert response.status_code == 422 and "already on your list" in main_text(response)
    response = client.post("/account/seller/shops", data={"shop-platform": "shopee", "shop-handle": "https://lazada.vn/shop/x"})
    assert response.status_code == 422 and "does not belong to the platform" in main_text(response) and 'value="https://lazada.vn/shop/x"' in main_text(response)
    with app.app_context():
        shop_id = db.session.scalar(select(ShopHandle.id))
        assert [s.handle for s in db.session.scalars(select(ShopHandle))] == ["@mat_ong"]
    assert client.post(f"/account/seller/shops/{shop_id}/remove").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(ShopHandle.id)) is None


# --- readiness -----------------------------------------------------------------------------------------


def test_the_readiness_page_goes_from_not_eligible_to_eligible(client, app, seller):
    user_id, seller_code = seller
    login(client, SELLER)
    in_english(client)
    text = main_text(client.get("/ready"))
    assert "Not ready yet" in text and "/courses/honey-basics" in text and "/courses/tea-labels" in text
    assert text.count("Start the course") == 2 and seller_code in text and f"http://localhost/sellers/{seller_code}" in text
    assert 'src="data:image/png;base64,' in text
    codes = [earn(app, user_id, "honey-basics")]
    text = main_text(client.get("/ready"))
    assert "Not ready yet" in text and codes[0] in text and text.count("Start the course") == 1
    codes.append(earn(app, user_id, "tea-labels"))
    text = main_text(client.get("/ready"))
    assert "Ready for onboarding" in text and "Not ready yet" not in text and "Start the course" not in text
    assert all(code in text for code in codes)


def test_the_readiness_page_says_what_to_do_next(client, app, seller):
    user_id, _ = seller
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "honey-basics"))
        enrol_learner(db.session, user_id, course)
        db.session.commit()
        finish_lessons(db.session, user_id, course)
    login(client, SELLER)
    in_english(client)
    text = main_text(client.get("/ready"))
    assert "Take the final assessment" in text and "/courses/honey-basics/assessment" in text


def test_a_seller_profile_and_code_are_created_on_the_first_visit(client, app, users):
    login(client, "learner@example.com")
    with app.app_context():
        assert db.session.scalar(select(SellerProfile).where(SellerProfile.user_id == users["learner"][0])) is None
    client.get("/ready")
    with app.app_context():
        code = db.session.scalar(select(SellerProfile.seller_code).where(SellerProfile.user_id == users["learner"][0]))
    assert code and code in client.get("/ready").get_data(as_text=True)


def test_the_dashboard_shows_the_seller_status_and_links_to_the_readiness_page(client, seller):
    login(client, SELLER)
    in_english(client)
    text = main_text(client.get("/dashboard"))
    assert "Not ready yet" in text and "/courses/honey-basics" in text and 'href="/ready"' in text


# --- the public page -----------------------------------------------------------------------------------


def test_the_public_page_shows_minimal_data(client, app, seller):
    user_id, seller_code = seller
    with app.app_context():
        make_user(db.session, login="0912 345 678", name="Trần Văn Minh")
    code = earn(app, user_id, "honey-basics")
    in_english(client)
    response = client.get(f"/sellers/{seller_code}")
    text = main_text(response)
    assert response.status_code == 200
    assert "HTX Mật ong Bắc Hà" in text and "Lào Cai" in text and "Mật ong cơ bản" in text and "Nhãn trà" in text
    assert f'href="/verify/{code}"' in text and "Not certified" in text and "Rules version 0" in text
    assert SELLER not in text and "0314409058" not in text and "Nguyễn Thị Hồng Nhung" not in text and "%" not in text
    assert "Start the course" not in text and "not started" not in text.lower()


def test_the_public_page_hides_the_phone_number(client, app):
    with app.app_context():
        make_questions(db.session, make_course(db.session, required=True))
        user = make_user(db.session, login="0912 345 678", business="Hộ Minh")
        seller_code = ensure_profile(db.session, user.id).seller_code
        db.session.commit()
    text = main_text(client.get(f"/sellers/{seller_code.replace('-', '').lower()}"))
    assert "Hộ Minh" in text and "912" not in text and "345 678" not in text


def test_unknown_and_malformed_seller_codes_get_the_same_404_page(client, seller):
    seller_code = seller[1]
    wrong_check = seller_code[:-1] + ("0" if seller_code[-1] != "0" else "1")
    pages = [client.get(f"/sellers/{c}") for c in (wrong_check, "0000-0000-0000-0000-0", "hello", "<script>")]
    assert {p.status_code for p in pages} == {404}
    assert len({p.get_data(as_text=True).count("verify-result not-found") for p in pages}) == 1
    assert all("<script>" not in main_text(p) for p in pages)


def test_the_public_page_is_rate_limited_like_verification(app_config):
    app = with_signing_key(create_app({**app_config, "VERIFY_RATE_LIMIT": "3 per minute"}))
    client = app.test_client()
    assert [client.get("/sellers/0000-0000-0000-0000-0").status_code for _ in range(4)] == [404, 404, 404, 429]
    app.extensions["lms_db"].engine.dispose()


# --- onboarding rules ----------------------------------------------------------------------------------


def test_an_admin_saves_a_new_rule_set_version(client, app, seller, users):
    login(client, "admin@example.com")
    in_english(client)
    page = main_text(client.get("/admin/onboarding-rules"))
    assert "In force today: version 0" in page and "built-in default" in page
    today = utcnow().date().isoformat()
    response = client.post("/admin/onboarding-rules", data={"courses": ["tea-labels"], "applies_from": today, "note": "Chỉ cần nhãn trà"})
    assert response.status_code == 302
    page = main_text(client.get("/admin/onboarding-rules"))
    assert "In force today: version 1" in page and "Chỉ cần nhãn trà" in page
    with app.app_context():
        assert db.session.scalar(select(OnboardingRuleSet.required_courses).where(OnboardingRuleSet.version == 1)) == ["tea-labels"]
        assert db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.action == "onboarding_rules.created")) == users["admin"][0]
    # the seller's page follows the new rules at once
    login(client, SELLER)
    text = main_text(client.get("/ready"))
    assert "/courses/tea-labels" in text and "honey-basics" not in text


def test_rule_set_errors_keep_the_input_and_save_nothing(client, app, seller, users):
    login(client, "admin@example.com")
    in_english(client)
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    response = client.post("/admin/onboarding-rules", data={"courses": ["tea-labels"], "applies_from": yesterday, "note": "Ghi chú"})
    text = main_text(response)
    assert response.status_code == 422 and "cannot be in the past" in text and yesterday in text and "Ghi chú" in text
    assert re.search(r'checked[^>]*value="tea-labels"|value="tea-labels"[^>]*checked', text)
    response = client.post("/admin/onboarding-rules", data={"applies_from": utcnow().date().isoformat()})
    assert response.status_code == 422 and "at least one course" in main_text(response)
    response = client.post("/admin/onboarding-rules", data={"courses": ["no-such-course"], "applies_from": utcnow().date().isoformat()})
    assert response.status_code == 422 and "published courses only" in main_text(response)
    with app.app_context():
        assert db.session.scalar(select(OnboardingRuleSet.id)) is None
