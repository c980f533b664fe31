"""Seller profiles: created on first need, each with a public seller code (Crockford base32 like certificates)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.credentials.codes import new_code, normalise_code
from lms.onboarding.models import SellerProfile


def ensure_profile(session: Session, user_id: int) -> SellerProfile:
    """The learner's seller profile, created (with a new seller code) if it does not exist yet."""
    profile = session.scalar(select(SellerProfile).where(SellerProfile.user_id == user_id))
    if profile is None:
        profile = SellerProfile(user_id=user_id, seller_code=new_code())
        session.add(profile)
        session.flush()
    return profile


def find_seller(session: Session, code: str) -> SellerProfile | None:
    canonical = normalise_code(code or "")
    return session.scalar(select(SellerProfile).where(SellerProfile.seller_code == canonical)) if canonical else None
