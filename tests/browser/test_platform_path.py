"""Issue #9, done when: a platform creates a client, checks a seller, the seller finishes, a verifier revokes,
the platform's webhook receiver gets a signed event within seconds and the API says not eligible."""
import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from lms import clock
from lms.catalog.services import complete_lesson, enrol_learner, outline
from lms.credentials.context import issuing_context
from lms.credentials.services import issue_if_due
from lms.db import utcnow
from lms.extensions import db
from lms.onboarding.profiles import ensure_profile
from lms.onboarding.webhooks import deliver_due, verify_signature
from tests.browser.conftest import log_in
from tests.conftest import PASSWORD, make_course, make_questions, make_user
from tests.services.test_certificate_rules import finish_lessons, pass_assessment

pytestmark = pytest.mark.browser


class Receiver(ThreadingHTTPServer):
    """The platform's webhook endpoint: keeps what arrived (de-duplicated on X-OCOP-Delivery), answers 204."""

    def __init__(self):
        self.events: dict[str, tuple] = {}
        self.arrived = threading.Condition()
        super().__init__(("127.0.0.1", 0), self._Handler)

    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with self.server.arrived:
                self.server.events[self.headers["X-OCOP-Delivery"]] = (self.headers, body)  # case-insensitive, as senders may change case
                self.server.arrived.notify_all()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    def wait_for(self, count: int, seconds: float) -> list[tuple]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.events) >= count, timeout=seconds)
            return [self.events[key] for key in sorted(self.events, key=int)]


def delivery_worker(app, stop: threading.Event):
    """What `flask lms deliver-webhooks --loop 1` does, every 0.2 s, in a thread of the test."""
    engine = app.extensions["lms_db"].engine
    while not stop.is_set():
        with app.app_context(), Session(engine) as session:
            deliver_due(session, clock.now())
        stop.wait(0.2)


def check_seller(base: str, token: str, seller_code: str) -> dict:
    request = urllib.request.Request(f"{base}/api/v1/sellers/{seller_code}/onboarding", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and response.headers["X-OCOP-Signature"]
        return json.loads(response.read())


def test_a_platform_follows_a_seller_from_missing_packaging_to_eligible_to_revoked(live_server, browser):
    base, app = live_server
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    stop = threading.Event()
    worker = threading.Thread(target=delivery_worker, args=(app, stop), daemon=True)
    with app.app_context():
        livestream = make_course(db.session, slug="livestream", title="Bán hàng qua livestream", required=True)
        packaging = make_course(db.session, slug="packaging", title="Đóng gói và dán nhãn", required=True)
        make_questions(db.session, livestream)
        make_questions(db.session, packaging)
        make_user(db.session, role="admin", login="admin@agritrade.vn", name="Lê Thị Quản Trị")
        make_user(db.session, role="verifier", login="kiemdinh@agritrade.vn", name="Phạm Văn Kiểm")
        seller = make_user(db.session, login="0912345678", name="Hoàng Thị Thu Hà", business="HTX Cà phê Ea Tu", province="dak-lak")
        seller_code = ensure_profile(db.session, seller.id).seller_code
        for course in (livestream, packaging):
            enrol_learner(db.session, seller.id, course)
        db.session.commit()
        pass_assessment(db.session, seller.id, livestream)
        finish_lessons(db.session, seller.id, livestream)
        issue_if_due(db.session, seller.id, livestream, issuing_context(), utcnow())
        pass_assessment(db.session, seller.id, packaging)
        packaging_lessons = [lesson for _, lessons in outline(db.session, packaging) for lesson in lessons]
        for lesson in packaging_lessons[:-1]:
            complete_lesson(db.session, seller.id, packaging, lesson)
        db.session.commit()
    app.config["WEBHOOK_ALLOW_HTTP_LOCALHOST"] = True  # the receiver is on this machine, without TLS

    # 1. the platform's engineer gets a client from Agritrade's admin, with a webhook to their receiver
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    admin.set_default_timeout(10_000)
    log_in(admin, base, "admin@agritrade.vn", PASSWORD)
    admin.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Client API").click()
    admin.get_by_role("link", name="Client mới").click()
    admin.get_by_label("Họ tên", exact=True).fill("TikTok Shop – kiểm tra người bán")
    admin.get_by_label("sellers:read").check()
    admin.get_by_label("Địa chỉ webhook (không bắt buộc)").fill(f"http://127.0.0.1:{receiver.server_port}/ocop-hooks")
    admin.get_by_role("button", name="Tạo client", exact=True).click()
    token = admin.get_by_label("Token API").input_value()
    secret = admin.get_by_label("Khóa bí mật ký webhook").input_value()
    assert token and secret
    worker.start()

    try:
        # 2. the platform checks the seller: not eligible, packaging missing
        first = check_seller(base, token, seller_code)
        assert (first["eligible"], first["status"]) == (False, "not_eligible")
        assert [(m["course"], m["reason"]) for m in first["missing"]] == [("packaging", "in_progress")]
        assert [c["course"] for c in first["certificates"]] == ["livestream"]

        # 3. the seller finishes the last packaging lesson on their phone
        phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True).new_page()
        phone.set_default_timeout(10_000)
        log_in(phone, base, "0912345678", PASSWORD)
        phone.goto(f"{base}/courses/packaging/selling/lesson-2")
        phone.get_by_role("button", name="Đánh dấu đã học xong").click()
        expect(phone.get_by_text("Chứng nhận của bạn đã sẵn sàng")).to_be_visible()
        second = check_seller(base, token, seller_code)
        assert (second["eligible"], second["missing"]) == (True, [])
        packaging_code = next(c["code"] for c in second["certificates"] if c["course"] == "packaging")

        # 4. a verifier finds the seller without typing diacritics and revokes the packaging certificate
        verifier = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        verifier.set_default_timeout(10_000)
        log_in(verifier, base, "kiemdinh@agritrade.vn", PASSWORD)
        verifier.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Người bán").click()
        verifier.get_by_label("Họ tên, số điện thoại, email, cơ sở kinh doanh, mã số thuế, mã người bán hoặc mã chứng nhận").fill("hoang thi thu ha")
        verifier.get_by_role("button", name="Tìm kiếm").click()
        verifier.get_by_role("link", name="Hoàng Thị Thu Hà").click()
        verifier.get_by_role("row").filter(has_text=packaging_code).get_by_role("link", name="Tạm đình chỉ, thu hồi hoặc khôi phục").click()
        verifier.get_by_label("Lý do").fill("Nhãn sản phẩm ghi sai hạn sử dụng")
        revoked_at = time.monotonic()
        verifier.get_by_role("button", name="Thu hồi", exact=True).click()
        expect(verifier.get_by_text("Đã thu hồi").first).to_be_visible()

        # 5. the receiver gets the signed events within seconds: eligible, then not eligible
        events = receiver.wait_for(2, seconds=10)
        assert len(events) == 2, "the revocation event did not arrive within 10 s"
        assert time.monotonic() - revoked_at < 10
        payloads = []
        for headers, body in events:
            assert verify_signature(secret, headers["X-OCOP-Timestamp"], body, headers["X-OCOP-Signature"], utcnow())
            payloads.append(json.loads(body))
        assert [(p["seller_code"], p["previous_state"], p["state"]) for p in payloads] == [
            (seller_code, "not_eligible", "eligible"), (seller_code, "eligible", "not_eligible")]
        assert payloads[1]["missing"] == [{"course_slug": "packaging", "reason": "certificate_revoked"}]

        # 6. and the API says not eligible, naming the revoked certificate
        third = check_seller(base, token, seller_code)
        assert (third["eligible"], third["status"]) == (False, "not_eligible")
        assert [(m["course"], m["reason"]) for m in third["missing"]] == [("packaging", "certificate_revoked")]
        assert next(c["status"] for c in third["certificates"] if c["code"] == packaging_code) == "revoked"
    finally:
        stop.set()
        worker.join(timeout=5)
        receiver.shutdown()
