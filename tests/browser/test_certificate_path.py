"""A learner finishes a course, downloads the certificate PDF; someone scans its QR code with another phone."""
import base64
import io
import json

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from lms.catalog.services import complete_lesson, enrol_learner, outline
from lms.credentials.context import issuing_context
from lms.credentials.services import issue_if_due, verify_link
from lms.db import utcnow
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


def test_the_offline_checker_tells_genuine_from_tampered_without_a_connection(live_server, phone_page):
    base, app = live_server
    with app.app_context():
        course = make_course(db.session)
        make_questions(db.session, course)
        learner = make_user(db.session, login="0987654321")
        enrol_learner(db.session, learner.id, course)
        db.session.commit()
        pass_assessment(db.session, learner.id, course)
        for _, module_lessons in outline(db.session, course):
            for lesson in module_lessons:
                complete_lesson(db.session, learner.id, course, lesson)
        with app.test_request_context():
            certificate = issue_if_due(db.session, learner.id, course, issuing_context(), utcnow())
            db.session.commit()
            link = verify_link("http://localhost", certificate)
    page = phone_page
    page.goto(f"{base}/verify/scan")
    page.context.set_offline(True)
    result = page.locator("#scan-result")
    page.get_by_label("Nội dung mã QR hoặc token").fill(link)
    page.get_by_role("button", name="Kiểm tra chữ ký").click()
    expect(result).to_contain_text("Thật")
    expect(result).to_contain_text("Nguyễn Văn An")
    header, payload, signature = link.split("#")[1].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["holder_name"] = "Kẻ Mạo Danh"  # someone edits the name and keeps the old signature
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims, ensure_ascii=False).encode()).decode().rstrip("=")
    forged = f"{header}.{forged_payload}.{signature}"
    page.get_by_label("Nội dung mã QR hoặc token").fill(forged)
    page.get_by_role("button", name="Kiểm tra chữ ký").click()
    expect(result).to_contain_text("Không phải thật")
    page.get_by_label("Nội dung mã QR hoặc token").fill("hello")
    page.get_by_role("button", name="Kiểm tra chữ ký").click()
    expect(result).not_to_contain_text("Thật:")
