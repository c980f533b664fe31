"""Writing and reading the audit log. record() joins the caller's transaction: no change, no entry."""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lms.audit.models import AuditEvent


def record(session: Session, actor_id: int | None, action: str, object_type: str, object_id: object = "", **detail) -> AuditEvent:
    event = AuditEvent(actor_id=actor_id, action=action, object_type=object_type, object_id=str(object_id), detail=detail)
    session.add(event)
    session.flush()
    return event


def audit_query(action_prefix: str = "", actor_id: int | None = None, object_type: str = "") -> Select:
    """Newest first, filtered by the start of the action name, the actor and the kind of object."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action_prefix:
        query = query.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    return query
