"""One row per change worth answering for later. Never updated, never deleted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # None: the system or the CLI
    action: Mapped[str] = mapped_column(String(60), index=True)  # e.g. "lesson.updated", "session.enrolled", "report.exported"
    object_type: Mapped[str] = mapped_column(String(40))  # course, module, lesson, question, session, report, user
    object_id: Mapped[str] = mapped_column(String(60), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)  # small facts: titles, counts, filters; never passwords
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
