"""A learner on a 360 px phone, in Vietnamese: enrol, read, mark complete, come back and resume."""
import pytest

from lms.extensions import db
from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD, make_course, make_user

pytestmark = pytest.mark.browser


def test_enrol_read_complete_and_resume_on_a_phone(live_server, phone_page):
    base, app = live_server
    with app.app_context():
        make_course(db.session)
        make_user(db.session, login="0912345678", name="Hoàng Thị Mai")
    page = phone_page
    page.goto(f"{base}/login")
    page.get_by_label("Email hoặc số điện thoại").fill("0912 345 678")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").last.click()
    page.wait_for_url(f"{base}/dashboard")

    page.goto(f"{base}/courses")
    page.get_by_role("link", name="Mật ong cơ bản").click()
    assert_accessible(page)
    page.get_by_role("button", name="Ghi danh").click()
    page.get_by_role("link", name="Bắt đầu bài học đầu tiên").click()
    assert "Nội dung 1.1" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    page.get_by_role("button", name="Đánh dấu đã học xong").click()
    page.wait_for_url(f"{base}/courses/honey-basics/basics/lesson-2")

    # come back later from the dashboard: it offers to continue where the learner stopped
    page.goto(f"{base}/dashboard")
    assert "1/5" in page.content()
    page.get_by_role("link", name="Học tiếp từ chỗ bạn đã dừng").first.click()
    page.wait_for_url(f"{base}/courses/honey-basics/basics/lesson-2")
    assert "Nội dung 1.2" in page.content()
