"""Seller profiles, onboarding rule sets, verifier notes, platform API clients and the webhook outbox."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, UTCDateTime, utcnow

BUSINESS_TYPES = ("household", "cooperative", "company")
# the six OCOP product groups (Decision 148/QĐ-TTg, 2023)
PRODUCT_GROUPS = ("food", "beverages", "herbal", "textiles_handicrafts", "services_tourism", "other")
SHOP_PLATFORMS = ("tiktok_shop", "shopee", "lazada", "other")
OCOP_RECOGNITION_MONTHS = 36


class SellerProfile(Base):
    """The business side of a learner's account; its public seller code is what platforms ask about."""

    __tablename__ = "seller_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    seller_code: Mapped[str] = mapped_column(String(24), unique=True)
    business_type: Mapped[str] = mapped_column(String(20), default="household")
    tax_code: Mapped[str | None] = mapped_column(String(14), index=True)
    # the eligibility state platforms were last told (eligible | expiring | not_eligible); None: not yet.
    # The daily sweep compares against it to tell them about changes that time caused (expiry, new rules).
    notified_state: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    products: Mapped[list[OcopProduct]] = relationship(back_populates="profile", order_by="OcopProduct.id", cascade="all, delete-orphan")
    shops: Mapped[list[ShopHandle]] = relationship(back_populates="profile", order_by="ShopHandle.id", cascade="all, delete-orphan")


class OcopProduct(Base):
    __tablename__ = "ocop_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("seller_profiles.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    product_group: Mapped[str] = mapped_column(String(30))
    stars: Mapped[int] = mapped_column(Integer)  # 3, 4 or 5
    recognised_on: Mapped[date] = mapped_column(Date)  # recognition lasts 36 months

    profile: Mapped[SellerProfile] = relationship(back_populates="products")


class ShopHandle(Base):
    __tablename__ = "shop_handles"
    __table_args__ = (UniqueConstraint("profile_id", "platform", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("seller_profiles.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str] = mapped_column(String(120))

    profile: Mapped[SellerProfile] = relationship(back_populates="shops")


class OnboardingRuleSet(Base):
    """Which courses a seller needs a valid certificate of. Versioned: a change says from when it applies."""

    __tablename__ = "onboarding_rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    required_courses: Mapped[list] = mapped_column(JSON)  # course slugs
    applies_from: Mapped[date] = mapped_column(Date, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SellerNote(Base):
    __tablename__ = "seller_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # the seller
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiClient(Base):
    """A platform calling the API. The token is shown once; only its SHA-256 is kept."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_prefix: Mapped[str] = mapped_column(String(12), index=True)  # to recognise a token in logs and lists
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list] = mapped_column(JSON)  # e.g. ["sellers:read", "certificates:read", "verify"]
    rate_limit: Mapped[str] = mapped_column(String(40), default="600 per minute")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(80))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEvent(Base):
    """The outbox: one row per event per client, written in the transaction that caused it, delivered later."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(40))  # seller.eligibility_changed, certificate.revoked, ...
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")
    given_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
