"""Events for platforms: a seller's onboarding eligibility changed (written to the webhook outbox)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.onboarding.models import SellerProfile, WebhookEvent
from lms.onboarding.profiles import ensure_profile
from lms.onboarding.status import SellerStatus, seller_status, seller_statuses
from lms.onboarding.webhooks import anyone_listens, enqueue

ELIGIBILITY_CHANGED = "seller.eligibility_changed"


def state_before(session: Session, user_id: int, now: datetime, grace_days: int = 90) -> str | None:
    """The seller's state (eligible | expiring | not_eligible) before a change, to pass to eligibility_changed.

    None when no client has a webhook: then there is nobody to tell, and one cheap query is all it costs.
    """
    if not anyone_listens(session):
        return None
    return seller_status(session, user_id, now, grace_days).state


def eligibility_payload(seller_code: str, status: SellerStatus, previous_state: str | None, now: datetime) -> dict:
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
    """After a change, in its transaction: if the seller's state differs from what platforms were last told
    (notified_state, else before_state), one event per listening client, and notified_state moves on."""
    if before_state is None:
        return []
    status = seller_status(session, user_id, now, grace_days)
    # a learner becomes a seller (a profile with a code) only when there is something to tell platforms
    profile = session.scalar(select(SellerProfile).where(SellerProfile.user_id == user_id))
    previous = (profile.notified_state if profile else None) or before_state  # what platforms were told, else the state before
    if profile is not None:
        profile.notified_state = status.state
    if status.state == previous:
        return []
    profile = profile or ensure_profile(session, user_id)
    profile.notified_state = status.state
    return enqueue(session, ELIGIBILITY_CHANGED, eligibility_payload(profile.seller_code, status, previous, now), now)


@dataclass
class SweepCounts:
    sellers: int = 0
    changed: int = 0
    events: int = 0

    def __str__(self) -> str:
        return f"checked {self.sellers} sellers, {self.changed} changed, {self.events} events written"


def sweep_eligibility(session: Session, now: datetime, grace_days: int = 90, batch_size: int = 500) -> SweepCounts:
    """Tell platforms about the changes no request caused: a certificate expired or comes within 30 days
    of its end, a recertification deadline passed, a new rule set began to apply.

    Compares every seller's state with the one platforms were last told (SellerProfile.notified_state)
    and writes an event for each difference. A seller never told before gets a baseline, no event.
    Runs in the caller's transaction, in batches of batch_size sellers (a fixed number of queries each).
    """
    counts = SweepCounts()
    if not anyone_listens(session):
        return counts
    last_id = 0
    while True:
        profiles = list(session.scalars(
            select(SellerProfile).where(SellerProfile.id > last_id).order_by(SellerProfile.id).limit(batch_size)
        ))
        if not profiles:
            return counts
        last_id = profiles[-1].id
        statuses = seller_statuses(session, [p.user_id for p in profiles], now, grace_days)
        for profile in profiles:
            status = statuses[profile.user_id]
            counts.sellers += 1
            previous, profile.notified_state = profile.notified_state, status.state
            if previous is None or previous == status.state:
                continue
            counts.changed += 1
            counts.events += len(enqueue(session, ELIGIBILITY_CHANGED, eligibility_payload(profile.seller_code, status, previous, now), now))
        session.flush()
