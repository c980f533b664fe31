"""Webhooks: events written when a seller's eligibility changes, delivered signed, retried, given up, at least once."""
import json
import random
import socket
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lms.catalog.services import enrol_learner
from lms.credentials.services import issue_if_due, revoke, suspend
from lms.db import utcnow
from lms.onboarding.clients import create_client, revoke_client
from lms.credentials.models import Certificate
from lms.onboarding.events import eligibility_changed, state_before, sweep_eligibility
from lms.onboarding.models import SellerProfile, WebhookEvent
from lms.onboarding.profile_services import create_rule_set
from lms.onboarding.profiles import ensure_profile
from lms.onboarding.webhooks import (
    LONGEST_RETRY,
    MAX_ATTEMPTS,
    InvalidWebhookUrl,
    check_webhook_url,
    deliver_due,
    encode_body,
    enqueue,
    set_webhook_url,
    sign,
    verify_signature,
)
from tests.conftest import make_course, make_questions, make_user
from tests.services.test_certificate_rules import context, finish_lessons, pass_assessment  # noqa: F401  (fixture)


def make_client(session, webhook_url="https://platform.example/hooks", name="TikTok Shop"):
    client, _ = create_client(session, name, ["sellers:read"], None)
    set_webhook_url(session, client, webhook_url)
    session.commit()
    return client


def certify(session, context, user_id, course):
    enrol_learner(session, user_id, course)
    session.commit()
    pass_assessment(session, user_id, course)
    finish_lessons(session, user_id, course)
    certificate = issue_if_due(session, user_id, course, context, utcnow())
    session.commit()
    return certificate


@pytest.fixture
def certified(session, context):
    """A seller holding a valid certificate of the one required course: eligible."""
    course = make_course(session, required=True)
    make_questions(session, course)
    seller = make_user(session, name="Nguyễn Thị Hồng Nhung")
    return seller, certify(session, context, seller.id, course)


def event_rows(session):
    return list(session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def test_revoking_the_certificate_writes_one_event_per_client_with_a_webhook(session, certified, users):
    seller, certificate = certified
    tiktok, shopee = make_client(session), make_client(session, "https://shopee.example/ocop", "Shopee")
    make_client(session, None, "API only")
    revoke_client(session, make_client(session, "https://old.example/hook", "Old"), utcnow())
    session.commit()
    before = state_before(session, seller.id, utcnow())
    revoke(session, certificate, users["verifier"][0], "Hàng giả", utcnow())
    events = eligibility_changed(session, seller.id, before, utcnow())
    session.commit()
    assert before == "eligible"
    assert sorted(e.client_id for e in event_rows(session)) == sorted([tiktok.id, shopee.id]) == sorted(e.client_id for e in events)
    payload = events[0].payload
    code = session.scalar(select(SellerProfile.seller_code).where(SellerProfile.user_id == seller.id))
    assert payload["type"] == events[0].event_type == "seller.eligibility_changed"
    assert payload["seller_code"] == code and payload["eligible"] is False and payload["state"] == "not_eligible"
    assert payload["previous_state"] == "eligible" and payload["rule_set_version"] == 0
    assert payload["missing"] == [{"course_slug": "honey-basics", "reason": "certificate_revoked"}]
    assert payload["occurred_at"].endswith("Z")


def test_no_event_is_written_when_the_state_does_not_change(session, certified, context, users):
    seller, _ = certified
    make_client(session)
    extra = make_course(session, slug="tea-labels", title="Nhãn trà", modules=(("m", 2),))  # not required for onboarding
    make_questions(session, extra)
    optional = certify(session, context, seller.id, extra)
    before = state_before(session, seller.id, utcnow())
    suspend(session, optional, users["verifier"][0], "Kiểm tra lại", utcnow())
    assert eligibility_changed(session, seller.id, before, utcnow()) == []
    session.commit()
    assert event_rows(session) == []


def test_without_any_webhook_nothing_is_computed_or_written(session, certified, users):
    seller, certificate = certified
    make_client(session, None)
    assert state_before(session, seller.id, utcnow()) is None
    revoke(session, certificate, users["verifier"][0], "Hàng giả", utcnow())
    assert eligibility_changed(session, seller.id, None, utcnow()) == []


def test_webhook_addresses_must_be_https_except_localhost_in_development():
    assert check_webhook_url(" https://shop.example/hooks?x=1 ") == "https://shop.example/hooks?x=1"
    assert check_webhook_url("http://127.0.0.1:8080/h", allow_http_localhost=True) == "http://127.0.0.1:8080/h"
    for url, allowed, code in [("http://shop.example/h", True, "scheme"), ("http://127.0.0.1/h", False, "scheme"), ("ftp://x.example", True, "scheme"),
                               ("https://", False, "host"), ("https://a:b@shop.example/h", False, "credentials"), ("https://x.example:99999/", False, "host"),
                               ("https://x.example/" + "a" * 500, False, "too_long")]:
        with pytest.raises(InvalidWebhookUrl) as error:
            check_webhook_url(url, allow_http_localhost=allowed)
        assert error.value.code == code, url


def test_a_signature_is_accepted_only_for_the_same_secret_body_and_a_recent_time():
    now = utcnow()
    stamp = int(now.timestamp())
    body = encode_body({"seller_code": "7K3M", "name": "Mật ong"})
    header = sign("s3cret", stamp, body)
    assert verify_signature("s3cret", str(stamp), body, header, now)
    assert not verify_signature("other", stamp, body, header, now)
    assert not verify_signature("s3cret", stamp, body + b" ", header, now)
    assert not verify_signature("s3cret", stamp, body, header, now + timedelta(seconds=301))
    assert not verify_signature("s3cret", "yesterday", body, header, now)


class _Receiver(BaseHTTPRequestHandler):
    """A platform's endpoint: checks the signature, then answers what the test planned (200 by default)."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        signed = verify_signature(self.server.secret, self.headers["X-OCOP-Timestamp"], body, self.headers["X-OCOP-Signature"], utcnow())
        status = (self.server.replies.pop(0) if self.server.replies else 200) if signed else 401
        self.server.received.append({"headers": self.headers, "body": body, "signed": signed})  # names in any case
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received, server.replies, server.secret = [], [], ""
    server.url = f"http://127.0.0.1:{server.server_port}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


def listening_client(session, receiver):
    client = make_client(session, receiver.url)
    receiver.secret = client.webhook_secret
    return client


def test_delivery_posts_the_payload_signed_to_the_receiver(session, receiver):
    client = listening_client(session, receiver)
    payload = {"type": "seller.eligibility_changed", "seller_code": "7K3M-9QX2-T8HD-4F6R-X", "business": "HTX Chè Tân Cương"}
    event = enqueue(session, "seller.eligibility_changed", payload, utcnow())[0]
    session.commit()
    counts = deliver_due(session, utcnow())
    assert (counts.delivered, counts.retrying, counts.given_up) == (1, 0, 0)
    [request] = receiver.received
    assert request["signed"]
    assert json.loads(request["body"].decode("utf-8")) == payload
    assert '","business":"HTX Chè Tân Cương"}'.encode() in request["body"]  # compact, UTF-8 rather than \u escapes
    headers = request["headers"]
    assert headers["Content-Type"] == "application/json" and headers["X-OCOP-Event"] == "seller.eligibility_changed"
    assert headers["X-OCOP-Delivery"] == str(event.id) and abs(int(headers["X-OCOP-Timestamp"]) - time.time()) < 60
    session.refresh(event)
    assert event.delivered_at is not None and event.attempts == 1 and event.last_status == 200 and client.id == event.client_id
    assert deliver_due(session, utcnow()).delivered == 0  # nothing is sent twice


def test_failures_are_retried_with_growing_pauses_until_the_receiver_answers(session, receiver):
    client = listening_client(session, receiver)
    event = enqueue(session, "seller.eligibility_changed", {"n": 1}, utcnow())[0]
    session.commit()
    receiver.replies = [500]
    start = utcnow()
    assert deliver_due(session, start).retrying == 1
    session.refresh(event)
    assert event.attempts == 1 and event.last_status == 500 and event.last_error == "HTTP 500" and event.delivered_at is None
    assert timedelta(seconds=27) <= event.next_attempt_at - start <= timedelta(seconds=34)
    assert deliver_due(session, start + timedelta(seconds=20)).retrying == 0  # not due yet

    client.webhook_url = closed_port_url()
    session.commit()
    second = event.next_attempt_at
    assert deliver_due(session, second).retrying == 1
    session.refresh(event)
    assert event.attempts == 2 and event.last_status is None and "refused" in event.last_error.lower()
    assert timedelta(seconds=54) <= event.next_attempt_at - second <= timedelta(seconds=67)

    client.webhook_url = receiver.url
    session.commit()
    assert deliver_due(session, event.next_attempt_at).delivered == 1
    session.refresh(event)
    assert event.attempts == 3 and event.last_status == 200 and event.last_error == "" and event.delivered_at is not None
    assert [r["signed"] for r in receiver.received] == [True, True]


def test_an_event_is_given_up_after_the_last_attempt(session):
    make_client(session)
    event = enqueue(session, "seller.eligibility_changed", {"n": 1}, utcnow())[0]
    session.commit()
    calls, now, pauses = [], utcnow(), []
    for _ in range(MAX_ATTEMPTS):
        deliver_due(session, now, http_post=lambda url, body, headers, timeout: calls.append(url) or 503, rng=random.Random(1))
        session.refresh(event)
        if event.given_up_at is None:
            pauses.append(event.next_attempt_at - now)
            now = event.next_attempt_at
    assert len(calls) == MAX_ATTEMPTS and event.attempts == MAX_ATTEMPTS and event.given_up_at is not None
    assert event.last_status == 503 and event.delivered_at is None
    assert pauses == sorted(pauses) and LONGEST_RETRY * 0.9 <= pauses[-1] <= LONGEST_RETRY * 1.1
    assert deliver_due(session, now + timedelta(days=30), http_post=lambda *a: calls.append(a) or 200).given_up == 0
    assert len(calls) == MAX_ATTEMPTS


def test_a_crash_mid_run_keeps_what_was_delivered_and_leaves_the_rest_pending(session):
    make_client(session)
    for n in range(3):
        enqueue(session, "seller.eligibility_changed", {"n": n}, utcnow())
    session.commit()
    sent = []

    def crashing_post(url, body, headers, timeout):
        if sent:
            raise RuntimeError("the worker died")
        sent.append(json.loads(body))
        return 204

    with pytest.raises(RuntimeError):
        deliver_due(session, utcnow(), http_post=crashing_post)
    first, *rest = event_rows(session)
    assert sent == [{"n": 0}] and first.delivered_at is not None
    assert [(e.delivered_at, e.given_up_at, e.attempts) for e in rest] == [(None, None, 0), (None, None, 0)]


def test_events_of_a_revoked_client_are_given_up_without_being_sent(session):
    client = make_client(session)
    enqueue(session, "seller.eligibility_changed", {"n": 1}, utcnow())
    revoke_client(session, client, utcnow())
    session.commit()
    counts = deliver_due(session, utcnow(), http_post=lambda *a: pytest.fail("sent to a revoked client"))
    assert counts.given_up == 1 and event_rows(session)[0].attempts == 0


def test_the_command_delivers_what_is_due_and_is_idempotent(app, session, receiver):
    listening_client(session, receiver)
    enqueue(session, "seller.eligibility_changed", {"n": 1}, utcnow())
    session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "deliver-webhooks"])
    second = runner.invoke(args=["lms", "deliver-webhooks"])
    assert first.exit_code == 0 and "delivered 1, will retry 0, given up 0" in first.output
    assert second.exit_code == 0 and "delivered 0" in second.output
    assert len(receiver.received) == 1


def test_the_command_as_a_worker_keeps_looking_and_stays_quiet_when_idle(app, session, receiver, monkeypatch):
    listening_client(session, receiver)
    enqueue(session, "seller.eligibility_changed", {"n": 1}, utcnow())
    session.commit()
    pauses = []

    def sleep(seconds):
        pauses.append(seconds)
        if len(pauses) == 2:
            raise SystemExit(0)  # stop the worker after its second round

    monkeypatch.setattr("lms.onboarding.webhook_cli.time.sleep", sleep)
    result = app.test_cli_runner().invoke(args=["lms", "deliver-webhooks", "--loop", "30"])
    assert result.exit_code == 0 and pauses == [30, 30]
    assert result.output.splitlines() == ["delivered 1, will retry 0, given up 0"]


def test_two_hosts_never_send_the_same_event(app, session):
    """On PostgreSQL three hosts run at once (SKIP LOCKED); on SQLite, which has no row locks, one after another."""
    concurrent = session.get_bind().dialect.name == "postgresql"
    make_client(session)
    for n in range(8):
        enqueue(session, "seller.eligibility_changed", {"n": n}, utcnow())
    session.commit()
    sent, lock, engine = [], threading.Lock(), session.get_bind()

    def slow_post(url, body, headers, timeout):
        time.sleep(0.05)
        with lock:
            sent.append(headers["X-OCOP-Delivery"])
        return 200

    def host():
        with Session(engine) as own:
            deliver_due(own, utcnow(), http_post=slow_post)

    workers = [threading.Thread(target=host) for _ in range(3)]
    for worker in workers:
        worker.start()
        if not concurrent:
            worker.join()
    for worker in workers:
        worker.join()
    assert sorted(sent) == sorted({*sent}) and len(sent) == 8
    assert session.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.delivered_at.is_(None))) == 0


# --- changes that time causes: the daily eligibility sweep -------------------------------------------------


def sweep_at(session, moment):
    counts = sweep_eligibility(session, moment)
    session.commit()
    return counts


def test_an_expiring_and_then_expired_certificate_is_told_to_platforms_once_each(session, certified):
    seller, certificate = certified
    ensure_profile(session, seller.id)
    client = make_client(session)
    now = utcnow()
    assert sweep_at(session, now).events == 0  # the first look is a baseline: nothing changed yet
    assert event_rows(session) == []
    month_before_end = datetime.combine(certificate.expires_on - timedelta(days=10), now.timetz())
    assert sweep_at(session, month_before_end).events == 1
    assert sweep_at(session, month_before_end + timedelta(hours=1)).events == 0  # told once, not every run
    after_end = datetime.combine(certificate.expires_on + timedelta(days=1), now.timetz())
    assert sweep_at(session, after_end).events == 1
    first, second = (event.payload for event in event_rows(session))
    assert (first["previous_state"], first["state"], first["eligible"]) == ("eligible", "expiring", True)
    assert (second["previous_state"], second["state"], second["eligible"]) == ("expiring", "not_eligible", False)
    assert second["missing"] == [{"course_slug": "honey-basics", "reason": "certificate_expired"}]
    assert {event.client_id for event in event_rows(session)} == {client.id}


def test_a_rule_set_that_begins_to_apply_is_told_to_platforms_of_the_sellers_it_changes(session, certified, users):
    seller, _ = certified
    ensure_profile(session, seller.id)
    outsider = make_user(session, name="Trần Văn Bình")
    ensure_profile(session, outsider.id)  # not eligible before and after: no event for this seller
    make_client(session)
    packaging = make_course(session, slug="packaging", title="Đóng gói")
    today = utcnow()
    sweep_at(session, today)
    create_rule_set(session, users["admin"][0], ["honey-basics", "packaging"], today.date() + timedelta(days=7), "", today.date())
    session.commit()
    assert sweep_at(session, today + timedelta(days=1)).events == 0  # announced, not yet in force
    counts = sweep_at(session, today + timedelta(days=7))
    assert (counts.sellers, counts.changed, counts.events) == (2, 1, 1)
    payload = event_rows(session)[0].payload
    code = session.scalar(select(SellerProfile.seller_code).where(SellerProfile.user_id == seller.id))
    assert (payload["seller_code"], payload["state"], payload["rule_set_version"]) == (code, "not_eligible", 1)
    assert payload["missing"] == [{"course_slug": packaging.slug, "reason": "not_started"}]


def test_a_change_already_told_by_the_revocation_is_not_told_again_by_the_sweep(session, certified, users):
    seller, certificate = certified
    ensure_profile(session, seller.id)
    make_client(session)
    sweep_at(session, utcnow())
    before = state_before(session, seller.id, utcnow())
    revoke(session, certificate, users["verifier"][0], "Hàng giả", utcnow())
    eligibility_changed(session, seller.id, before, utcnow())
    session.commit()
    assert len(event_rows(session)) == 1
    assert sweep_at(session, utcnow()).events == 0
    assert len(event_rows(session)) == 1


def test_without_a_listening_client_the_sweep_reads_nothing(session, certified):
    seller, _ = certified
    ensure_profile(session, seller.id)
    assert sweep_at(session, utcnow()).sellers == 0
    assert session.scalar(select(SellerProfile.notified_state)) is None


def test_check_eligibility_command_writes_the_events_for_deliver_webhooks(app, session, certified):
    seller, certificate = certified
    ensure_profile(session, seller.id)
    make_client(session)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["lms", "check-eligibility"]).output.strip() == "checked 1 sellers, 0 changed, 0 events written"
    session.execute(update(Certificate).where(Certificate.id == certificate.id).values(expires_on=utcnow().date() - timedelta(days=1)))
    session.commit()
    result = runner.invoke(args=["lms", "check-eligibility"])
    assert result.exit_code == 0 and result.output.strip() == "checked 1 sellers, 1 changed, 1 events written"
    assert event_rows(session)[0].payload["state"] == "not_eligible"


def test_a_learner_is_not_made_a_seller_by_progress_that_changes_nothing(session, context):
    course = make_course(session, required=True)
    make_questions(session, course)
    learner = make_user(session, name="Lò Văn Páo")
    make_client(session)
    enrol_learner(session, learner.id, course)
    before = state_before(session, learner.id, utcnow())
    finish_lessons(session, learner.id, course)  # still not eligible: the assessment is not passed
    assert eligibility_changed(session, learner.id, before, utcnow()) == []
    session.commit()
    assert session.scalar(select(SellerProfile).where(SellerProfile.user_id == learner.id)) is None
