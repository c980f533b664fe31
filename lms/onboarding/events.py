"""Events for platforms: a seller's onboarding eligibility changed (written to the webhook outbox)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from lms.onboarding.models import WebhookEvent
from lms.onboarding.profiles import ensure_profile
from lms.onboarding.status import SellerStatus, seller_status
from lms.onboarding.webhooks import anyone_listens, enqueue

ELIGIBILITY_CHANGED = "seller.eligibility_changed"


def state_before(session: Session, user_id: int, now: datetime, grace_days: int = 90) -> str | None:
    """The seller's state (eligible | expiring | not_eligible) before a change, to pass to eligibility_changed.

    None when no client has a webhook: then there is nobody to tell, and one cheap query is all it costs.
    """
    if not anyone_listens(session):
        return None
    return seller_status(session, user_id, now, grace_days).state


def eligibility_payload(seller_code: str, status: SellerStatus, previous_state: str, now: datetime) -> dict:
    return {
        "type": ELIGIBILITY_CHANGED,
        "seller_code": seller_code,
        "eligible": status.eligible,
        "state": status.state,
        "previous_state": previous_state,
        "missing": [{"course_slug": item.course_slug, "reason": item.reason} for item in status.missing],
        "rule_set_version": status.rule_set.version,
        "occurred_at": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def eligibility_changed(session: Session, user_id: int, before_state: str | None, now: datetime, grace_days: int = 90) -> list[WebhookEvent]:
    """After a change, in its transaction: if the seller's state differs from before_state, one event per listening client."""
    if before_state is None:
        return []
    status = seller_status(session, user_id, now, grace_days)
    if status.state == before_state:
        return []
    profile = ensure_profile(session, user_id)
    return enqueue(session, ELIGIBILITY_CHANGED, eligibility_payload(profile.seller_code, status, before_state, now), now)
