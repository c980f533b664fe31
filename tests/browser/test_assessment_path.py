"""A learner on a phone takes the final assessment: fails in Vietnamese, waits out the cooldown, passes in English."""
from datetime import timedelta

import pytest

import lms.clock
from lms.catalog.services import enrol_learner
from lms.db import utcnow
from lms.extensions import db
from tests.browser.conftest import assert_accessible, log_in
from tests.conftest import PASSWORD, make_course, make_questions, make_user

pytestmark = pytest.mark.browser

# what to do with each question, recognised by words of its text (the bank in tests/conftest.py)
RIGHT_ANSWERS = [
    (("bảo quản", "stored"), "click", ("Nơi khô mát", "A cool dry place")),
    (("Nhãn phải có",), "check", ("Tên sản phẩm", "Hạn sử dụng")),
    (("chữa bệnh",), "click", ("Sai", "False")),
    (("Đơn vị đo",), "fill", "KG"),
    (("bao nhiêu giờ",), "fill", "24,5"),
    (("được bán với giá cao nhất",), "click", ("nguyên chất", "nguyên chất")),
    (("Ghép nền tảng",), "match", {"Shopee": "Sàn thương mại điện tử", "TikTok": "Mạng xã hội video", "Zalo": "Ứng dụng nhắn tin"}),
]


def answer_everything_right(page):
    for question in page.locator("fieldset.question").all():
        text = question.locator(".question-text").inner_text()
        words, action, answer = next(entry for entry in RIGHT_ANSWERS if any(w in text for w in entry[0]))
        if action == "click":
            question.get_by_label(answer[0] if answer[0] in question.inner_text() else answer[1], exact=True).check()
        elif action == "check":
            for label in answer:
                question.get_by_label(label, exact=True).check()
        elif action == "fill":
            question.get_by_role("textbox").fill(answer)
        else:
            for prompt, match in answer.items():
                question.get_by_label(prompt, exact=True).select_option(label=match)


def test_fail_wait_out_the_cooldown_retake_and_pass(live_server, phone_page, monkeypatch):
    base, app = live_server
    with app.app_context():
        course = make_course(db.session)
        course.max_attempts, course.cooldown_hours, course.time_limit_minutes = 1, 24, 30
        make_questions(db.session, course)
        learner = make_user(db.session, login="0912345678", name="Hoàng Thị Mai")
        enrol_learner(db.session, learner.id, course)
        db.session.commit()
    page = phone_page
    log_in(page, base, "0912345678", PASSWORD)

    # first attempt, in Vietnamese: save one answer, leave, resume, then submit it unfinished and fail
    page.goto(f"{base}/courses/honey-basics")
    page.get_by_role("link", name="Đến bài kiểm tra cuối khóa").click()
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    assert page.locator("fieldset.question").count() == 14
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    page.locator("fieldset.question input[type=radio]").first.check()
    page.get_by_role("button", name="Lưu câu trả lời").click()
    page.goto(f"{base}/courses/honey-basics/assessment")
    page.get_by_role("link", name="Làm tiếp bài đang dở").click()
    assert page.locator("fieldset.question input:checked").count() == 1
    page.get_by_role("button", name="Hoàn thành và nộp bài…").click()
    page.get_by_role("button", name="Nộp bài").click()
    assert "Chưa đạt" in page.content()
    assert_accessible(page)

    # the one allowed attempt is used: a pause of 24 hours
    page.goto(f"{base}/courses/honey-basics/assessment")
    assert page.get_by_role("button", name="Bắt đầu làm bài").count() == 0
    assert "Bạn đã dùng hết số lần làm bài" in page.content()

    # a day later, in English: retake and pass, with the right answers shown afterwards
    later = utcnow() + timedelta(hours=25)
    monkeypatch.setattr(lms.clock, "now", lambda: later)
    page.get_by_role("button", name="English").click()
    page.goto(f"{base}/courses/honey-basics/assessment")
    page.get_by_role("button", name="Start an attempt").click()
    assert "Where should honey be stored?" in page.content()
    answer_everything_right(page)
    page.get_by_role("button", name="Finish and submit…").click()
    assert "14 of 14 questions answered" in page.content()
    page.get_by_role("button", name="Submit and finish").click()
    assert "Passed. Congratulations!" in page.content()
    assert "Score: 100%" in page.content()
    assert "Correct answer:" in page.content()
    page.goto(f"{base}/dashboard")
    assert "passed" in page.content()
