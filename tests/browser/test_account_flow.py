"""A new user registers in Vietnamese on a phone, switches to English, logs out; pages pass axe-core."""
import pytest

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_register_switch_language_and_log_out_on_a_phone(live_server, phone_page):
    base, _app = live_server
    page = phone_page
    page.goto(f"{base}/register")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert_accessible(page)

    page.get_by_label("Email hoặc số điện thoại").fill("0912 345 678")
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Lan")
    page.get_by_label("Tỉnh/thành phố").select_option("dak-lak")
    page.get_by_label("Mật khẩu", exact=True).fill("ca-phe-buon-ma-thuot")
    page.get_by_label("Nhập lại mật khẩu").fill("ca-phe-buon-ma-thuot")
    page.locator("#consent").check()
    page.get_by_role("button", name="Tạo tài khoản").click()

    page.wait_for_url(f"{base}/dashboard")
    assert "Nguyễn Thị Lan" in page.content()
    assert_accessible(page)
    # nothing wider than the phone screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Hello, Nguyễn Thị Lan").is_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("link", name="Log in").first.is_visible()
    # the language choice survives logging out
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(f"{base}/dashboard")
    assert "/login" in page.url


def test_login_page_shows_errors_accessibly(live_server, phone_page):
    base, _app = live_server
    page = phone_page
    page.goto(f"{base}/login")
    page.get_by_role("button", name="Đăng nhập").last.click()
    assert page.locator(".error").count() >= 1
    assert_accessible(page)
