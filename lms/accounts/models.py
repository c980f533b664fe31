"""Account models: users and their roles."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import Boolean, Integer, String, CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, UTCDateTime, utcnow

# a deleted account keeps an address at this domain (the table needs an email or a phone); no real one can be
# registered there (.invalid is reserved, RFC 2606)
DELETED_EMAIL_DOMAIN = "deleted.invalid"


class Role(StrEnum):
    LEARNER = "learner"
    TRAINER = "trainer"
    VERIFIER = "verifier"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="has_login"),
        CheckConstraint("role IN ('learner', 'trainer', 'verifier', 'admin')", name="known_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # folded copy for diacritics-insensitive search ("nguyen minh tien")
    name_search: Mapped[str] = mapped_column(String(120), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    province: Mapped[str] = mapped_column(String(40))
    business_name: Mapped[str] = mapped_column(String(160), default="")
    role: Mapped[str] = mapped_column(String(16), default=Role.LEARNER.value)
    locale: Mapped[str | None] = mapped_column(String(5))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # bumped to end every session of this user at once (logout everywhere, disable, password change)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # personal-data consent (Law 91/2025/QH15): when it was given and to which version of the notice
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_version: Mapped[str | None] = mapped_column(String(20))

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_deleted(self) -> bool:
        return (self.email or "").endswith("@" + DELETED_EMAIL_DOMAIN)

    @property
    def login(self) -> str:
        """The email or phone the person signs in with; pages and exports show it, so a deleted account reads as one."""
        if self.is_deleted:
            return _("deleted account")
        return self.email or self.phone or ""

    def has_role(self, *roles: str) -> bool:
        return self.role in roles
