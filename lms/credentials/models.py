"""Certificates and their audit trail. Nothing here is ever deleted: statuses change, with who and when."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, UTCDateTime, utcnow

ACTIVE, SUSPENDED, REVOKED, SUPERSEDED = "active", "suspended", "revoked", "superseded"


def public_status(stored: str, valid_until: date, today: date) -> str:
    """valid | expired | revoked | suspended | superseded: what a stored status means on a given day."""
    if stored != ACTIVE:
        return stored
    return "expired" if today > valid_until else "valid"


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("status_list", "status_index"),
        # reports and seller statuses look certificates up by learner and course together
        Index("ix_certificates_user_course", "user_id", "course_id"),
        # never two active certificates for one learner and course version
        Index("uq_certificates_one_active", "user_id", "course_id", "course_version", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)  # internal only: URLs use the code
    code: Mapped[str] = mapped_column(String(24), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    course_version: Mapped[int] = mapped_column(Integer)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"))
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    status: Mapped[str] = mapped_column(String(12), default=ACTIVE, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    awarded_on: Mapped[date] = mapped_column(Date)  # the first award, kept through renewals
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    # what the certificate says, as signed (lms.credentials.claims.CertificateClaims.to_json)
    claims: Mapped[dict] = mapped_column(JSON)
    jws: Mapped[str] = mapped_column(Text)
    kid: Mapped[str] = mapped_column(String(40))
    status_list: Mapped[str] = mapped_column(String(10))
    status_index: Mapped[int] = mapped_column(Integer)
    pdf_key: Mapped[str | None] = mapped_column(String(200))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    events: Mapped[list[CertificateEvent]] = relationship(back_populates="certificate", order_by="CertificateEvent.id")


class CertificateEvent(Base):
    """Audit log: issued, revoked, suspended, reinstated, superseded, renewed, with reason, who and when."""

    __tablename__ = "certificate_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    certificate: Mapped[Certificate] = relationship(back_populates="events")
