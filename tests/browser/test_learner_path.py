"""A learner on a 360 px phone, in Vietnamese: enrol, read, mark complete, come back and resume."""
import pytest
from playwright.sync_api import expect

from lms.extensions import db
from tests.browser.conftest import assert_accessible, log_in
from tests.conftest import PASSWORD, make_course, make_user

pytestmark = pytest.mark.browser


def test_enrol_read_complete_and_resume_on_a_phone(live_server, phone_page):
    base, app = live_server
    with app.app_context():
        make_course(db.session)
        make_user(db.session, login="0912345678", name="Hoàng Thị Mai")
    page = phone_page
    log_in(page, base, "0912 345 678", PASSWORD)

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


def test_read_offline_mark_complete_and_sync_when_back_online(live_server, phone_page):
    from sqlalchemy import select

    from lms.catalog.learning_models import LessonProgress
    from lms.catalog.models import Lesson
    from lms.catalog.services import enrol_learner

    base, app = live_server
    with app.app_context():
        course = make_course(db.session)
        learner = make_user(db.session, login="0912345678", name="Hoàng Thị Mai")
        enrol_learner(db.session, learner.id, course)
        db.session.commit()
        second = db.session.scalar(select(Lesson.id).order_by(Lesson.id).offset(1).limit(1))
    page = phone_page
    log_in(page, base, "0912345678", PASSWORD)

    page.goto(f"{base}/courses/honey-basics")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.locator("[data-offline-manifest]").click()
    status = page.locator("#offline-status")
    expect(status).to_contain_text("5")

    # no connection: the saved lesson opens, and marking it complete is kept on the phone
    page.context.set_offline(True)
    page.goto(f"{base}/courses/honey-basics/basics/lesson-2")
    assert "Nội dung 1.2" in page.content()
    page.locator("form[data-lesson-id] button").click()
    expect(status).to_contain_text("ngoại tuyến")
    queue = "localStorage.getItem('lms-pending-completions-%d')" % learner.id
    assert page.evaluate(queue) == f"[{second}]"
    with app.app_context():
        assert db.session.scalar(select(LessonProgress).where(LessonProgress.lesson_id == second)) is None

    # back online: sent once, and the phone's queue is empty
    page.context.set_offline(False)
    for _ in range(50):
        if page.evaluate(queue) == "[]":
            break
        page.wait_for_timeout(200)
    assert page.evaluate(queue) == "[]"
    expect(status).to_contain_text("1")
    page.reload()  # a second page load has nothing left to send
    with app.app_context():
        rows = list(db.session.scalars(select(LessonProgress).where(LessonProgress.lesson_id == second)))
        assert len(rows) == 1 and rows[0].completed_at is not None


def test_printing_a_lesson_leaves_out_navigation_and_buttons(live_server, phone_page):
    from lms.catalog.services import enrol_learner

    base, app = live_server
    with app.app_context():
        course = make_course(db.session)
        learner = make_user(db.session, login="0912345678")
        enrol_learner(db.session, learner.id, course)
        db.session.commit()
    page = phone_page
    log_in(page, base, "0912345678", PASSWORD)
    page.goto(f"{base}/courses/honey-basics/basics/lesson-1")
    page.emulate_media(media="print")
    expect(page.get_by_text("Nội dung 1.1")).to_be_visible()
    for hidden in (".site-header", ".site-footer", ".lesson-actions", ".crumbs"):
        expect(page.locator(hidden)).to_be_hidden()
    page.emulate_media(media="screen")
    expect(page.locator(".lesson-actions")).to_be_visible()
