"""A learner finishes a course, downloads the certificate PDF; someone scans its QR code with another phone."""
import io

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from lms.catalog.services import complete_lesson, enrol_learner, outline
from lms.extensions import db
from tests.browser.conftest import assert_accessible, log_in
from tests.conftest import PASSWORD, make_course, make_questions, make_user
from tests.services.test_certificate_rules import pass_assessment

pytestmark = pytest.mark.browser


def scan_qr(pdf_bytes: bytes) -> str:
    """What a phone camera reads from the QR code printed on the certificate."""
    page = PdfReader(io.BytesIO(pdf_bytes)).pages[0]
    for image in page.images:
        results = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
        if results:
            return results[0].text
    raise AssertionError("no QR code found in the PDF")


def test_finish_download_the_pdf_and_verify_it_on_another_phone(live_server, phone_page, browser, tmp_path):
    base, app = live_server
    with app.app_context():
        course = make_course(db.session)
        make_questions(db.session, course)
        learner = make_user(db.session, login="0987654321", name="Nguyễn Thị Hồng Nhung", business="HTX Mật ong Bắc Hà", province="lao-cai")
        enrol_learner(db.session, learner.id, course)
        db.session.commit()
        pass_assessment(db.session, learner.id, course)
        lessons = [lesson for _, module_lessons in outline(db.session, course) for lesson in module_lessons]
        for lesson in lessons[:-1]:
            complete_lesson(db.session, learner.id, course, lesson)
        db.session.commit()

    page = phone_page
    log_in(page, base, "0987654321", PASSWORD)
    page.goto(f"{base}/courses/honey-basics/selling/lesson-2")
    page.get_by_role("button", name="Đánh dấu đã học xong").click()
    expect(page.get_by_text("Chứng nhận của bạn đã sẵn sàng")).to_be_visible()
    page.goto(f"{base}/certificates")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải bản PDF").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    text = PdfReader(pdf).pages[0].extract_text()
    assert "Nguyễn Thị Hồng Nhung" in text

    # another phone, not signed in, scans the QR code
    link = scan_qr(pdf.read_bytes())
    assert link.startswith(f"http://localhost/verify/")  # the public address the app is configured with
    other = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    other_page = other.new_page()
    other_page.goto(link.replace("http://localhost", base))
    expect(other_page.locator(".verify-result")).to_contain_text("Còn hiệu lực")
    expect(other_page.locator("#signature-check")).to_contain_text("chữ ký thật")
    assert "0987654321" not in other_page.content()
    assert_accessible(other_page)
    other.close()
