"""Webhooks to platforms: an outbox written in the caller's transaction, delivered later, signed, at least once.

Delivery is at-least-once: an event is marked delivered only after the receiver answered 2xx and the
mark was committed, so a crash between the two sends it again. Receivers de-duplicate on the
`X-OCOP-Delivery` header (the event id) and check `X-OCOP-Signature` with `verify_signature`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Callable
from urllib.parse import urlsplit

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from lms.db import utcnow
from lms.onboarding.models import ApiClient, WebhookEvent

MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
TIMEOUT_SECONDS = 5
MAX_URL_LENGTH = 500
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
PENDING, DELIVERED, GIVEN_UP = "pending", "delivered", "given_up"
RETRYING = "retrying"  # an outcome of one attempt (the event stays pending)

# (url, body, headers, timeout) -> HTTP status; raises OSError or HTTPException when nothing was answered
HttpPost = Callable[[str, bytes, dict, float], int]


class InvalidWebhookUrl(ValueError):
    """code: too_long | scheme | host | credentials"""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def check_webhook_url(url: str, allow_http_localhost: bool = False) -> str:
    """The cleaned address a client's events go to: https only (http to this machine when allowed, for development)."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl("too_long")
    parts = urlsplit(url)
    try:
        host = parts.hostname
        parts.port  # noqa: B018  raises on a malformed port
    except ValueError as error:
        raise InvalidWebhookUrl("host") from error
    local_http = parts.scheme == "http" and allow_http_localhost and host in LOCAL_HOSTS
    if parts.scheme != "https" and not local_http:
        raise InvalidWebhookUrl("scheme")
    if not host:
        raise InvalidWebhookUrl("host")
    if parts.username is not None or parts.password is not None:
        raise InvalidWebhookUrl("credentials")
    return url


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def set_webhook_url(session: Session, client: ApiClient, url: str | None) -> str | None:
    """Point the client's events at url (None: no webhooks). Returns a new secret if the client had none, to show once."""
    client.webhook_url = url or None
    created = None
    if url and not client.webhook_secret:
        created = client.webhook_secret = new_webhook_secret()
    session.flush()
    return created


def rotate_webhook_secret(session: Session, client: ApiClient) -> str:
    """A new signing secret, returned to be shown once; events not yet delivered are signed with it."""
    client.webhook_secret = new_webhook_secret()
    session.flush()
    return client.webhook_secret


def _listening():
    return (ApiClient.is_active, ApiClient.webhook_url.is_not(None), ApiClient.webhook_url != "")


def listening_clients(session: Session) -> list[ApiClient]:
    """Active clients with a webhook address, the ones an event is written for."""
    return list(session.scalars(select(ApiClient).where(*_listening()).order_by(ApiClient.id)))


def anyone_listens(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(*_listening()))))


def enqueue(session: Session, event_type: str, payload: dict, now: datetime) -> list[WebhookEvent]:
    """One outbox row per listening client, in the caller's transaction: it never sends, blocks or fails the change."""
    events = [WebhookEvent(client_id=client.id, event_type=event_type, payload=payload, created_at=now, next_attempt_at=now)
              for client in listening_clients(session)]
    session.add_all(events)
    session.flush()
    return events


def event_status(event: WebhookEvent) -> str:
    if event.delivered_at is not None:
        return DELIVERED
    return GIVEN_UP if event.given_up_at is not None else PENDING


def delivery_stats(session: Session, client_ids: list[int]) -> dict[int, dict[str, int]]:
    """{client id: {pending, delivered, given_up}} in one query."""
    delivered = func.sum(case((WebhookEvent.delivered_at.is_not(None), 1), else_=0))
    given_up = func.sum(case((WebhookEvent.given_up_at.is_not(None), 1), else_=0))
    stats = {client_id: {PENDING: 0, DELIVERED: 0, GIVEN_UP: 0} for client_id in client_ids}
    rows = session.execute(
        select(WebhookEvent.client_id, func.count(), delivered, given_up).where(WebhookEvent.client_id.in_(client_ids)).group_by(WebhookEvent.client_id)
    )
    for client_id, total, done, abandoned in rows:
        stats[client_id] = {PENDING: total - (done or 0) - (abandoned or 0), DELIVERED: done or 0, GIVEN_UP: abandoned or 0}
    return stats


def recent_events(session: Session, client_id: int, limit: int = 100) -> list[WebhookEvent]:
    return list(session.scalars(select(WebhookEvent).where(WebhookEvent.client_id == client_id).order_by(WebhookEvent.id.desc()).limit(limit)))


def encode_body(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-OCOP-Signature value: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">."""
    digest = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(secret: str, timestamp: str | int, body: bytes, header: str, now: datetime, tolerance: int = 300) -> bool:
    """For receivers: the signature matches and the timestamp is within tolerance seconds of now (replays are refused)."""
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now.timestamp() - moment) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, moment, body), (header or "").strip())


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer that is not 2xx: retried later, never followed with the body


_opener = urllib.request.build_opener(_NoRedirects)


def post_json(url: str, body: bytes, headers: dict, timeout: float = TIMEOUT_SECONDS) -> int:
    """POST with urllib and return the HTTP status (non-2xx included); network errors raise OSError."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("webhook address must be http(s)")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(65536)
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """30 s doubled each attempt, at most 6 h, give or take 10 % so retries of many events spread out."""
    base = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)
    return base * (rng or random).uniform(0.9, 1.1)


@dataclass
class DeliveryCounts:
    delivered: int = 0
    retrying: int = 0
    given_up: int = 0

    def __str__(self) -> str:
        return f"delivered {self.delivered}, will retry {self.retrying}, given up {self.given_up}"


def _next_due(session: Session, now: datetime) -> WebhookEvent | None:
    # FOR UPDATE SKIP LOCKED on PostgreSQL: another host skips the event this one is sending.
    # SQLite renders a plain SELECT (its writes are serialised anyway).
    return session.scalar(
        select(WebhookEvent)
        .where(WebhookEvent.delivered_at.is_(None), WebhookEvent.given_up_at.is_(None), WebhookEvent.next_attempt_at <= now)
        .order_by(WebhookEvent.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def _headers(event: WebhookEvent, secret: str, timestamp: int, body: bytes) -> dict:
    return {
        "Content-Type": "application/json",
        "User-Agent": "OCOP-Seller-Academy-Webhooks/1",
        "X-OCOP-Event": event.event_type,
        "X-OCOP-Delivery": str(event.id),
        "X-OCOP-Timestamp": str(timestamp),
        "X-OCOP-Signature": sign(secret, timestamp, body),
    }


def _attempt(event: WebhookEvent, client: ApiClient | None, now: datetime, http_post: HttpPost, rng: random.Random | None) -> str:
    """Send one event and record the outcome on it: delivered, retrying or given_up."""
    if client is None or not client.is_active or not client.webhook_url or not client.webhook_secret:
        event.given_up_at, event.last_error = now, "the client is revoked or has no webhook address"
        return GIVEN_UP
    body = encode_body(event.payload)
    timestamp = int(now.timestamp())
    try:
        status, error = http_post(client.webhook_url, body, _headers(event, client.webhook_secret, timestamp, body), TIMEOUT_SECONDS), ""
    except (OSError, HTTPException, ValueError) as failure:  # refused, timed out, reset, bad address
        status, error = None, f"{type(failure).__name__}: {failure}"[:500]
    event.attempts += 1
    event.last_status = status
    if status is not None and 200 <= status < 300:
        event.delivered_at, event.last_error = now, ""
        return DELIVERED
    event.last_error = error or f"HTTP {status}"
    if event.attempts >= MAX_ATTEMPTS:
        event.given_up_at = now
        return GIVEN_UP
    event.next_attempt_at = now + retry_delay(event.attempts, rng)
    return RETRYING


def deliver_due(session: Session, now: datetime, http_post: HttpPost = post_json, limit: int = 100,
                rng: random.Random | None = None) -> DeliveryCounts:
    """Send up to limit due events, oldest first. Unlike services, this COMMITS after each event, by design.

    Each event is locked (PostgreSQL), sent and its outcome committed on its own, so several hosts can
    run this at once without sending an event twice at the same time, and a crash loses at most the
    attempt in flight (that event is sent again later: delivery is at-least-once). An exception other
    than a network error propagates after rolling back the event in flight.
    """
    counts = DeliveryCounts()
    started = utcnow()
    for _ in range(limit):
        event = _next_due(session, now)
        if event is None:
            break
        moment = now + (utcnow() - started)  # the run's clock moves on while it waits for receivers
        try:
            outcome = _attempt(event, session.get(ApiClient, event.client_id), moment, http_post, rng)
        except BaseException:
            session.rollback()
            raise
        session.commit()
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    session.commit()  # ends the read transaction of the last look
    return counts
