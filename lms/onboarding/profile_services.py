"""Seller profiles (business, tax code, OCOP products, shops), onboarding rule-set versions and the readiness checklist.

The checks are pure functions raising InvalidValue (its `code` picks the message shown); the services
flush and never commit, and write one audit entry per change without personal data in its detail.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.accounts.identity import InvalidValue, clean_name
from lms.accounts.models import User
from lms.accounts.provinces import PROVINCE_NAMES
from lms.audit.services import record
from lms.catalog.models import PUBLISHED, Course
from lms.credentials.services import add_months
from lms.onboarding.models import (
    BUSINESS_TYPES,
    OCOP_RECOGNITION_MONTHS,
    PRODUCT_GROUPS,
    SHOP_PLATFORMS,
    OcopProduct,
    OnboardingRuleSet,
    ShopHandle,
)
from lms.onboarding.profiles import ensure_profile
from lms.onboarding.status import HeldCertificate, MissingItem, SellerStatus, current_rule_set

MAX_PRODUCTS = 50
MAX_SHOPS = 20
STARS = (3, 4, 5)
MAX_NOTE = 1000

# General Department of Taxation: the 10th digit checks the first nine with these weights
_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_TAX_CODE = re.compile(r"(\d{10})(?:-?(\d{3}))?")
# what people put between digit groups when they copy a tax code
_TAX_SEPARATORS = str.maketrans("", "", " .\u00a0\t")

# a shop's own web address on these platforms must be on their domains; "other" takes any address
PLATFORM_DOMAINS = {"tiktok_shop": ("tiktok.com",), "shopee": ("shopee.vn", "shp.ee"), "lazada": ("lazada.vn", "lazada.com")}
_HANDLE = re.compile(r"[a-z0-9_][a-z0-9._-]{0,58}[a-z0-9_]")
_HOST = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+")
_TIKTOK_PROFILE = re.compile(r"/@([^/]+)")
MAX_HANDLE = 120


class RowNotFound(LookupError):
    """The product or shop does not exist or belongs to someone else (the view answers 404 either way)."""


# --- tax codes -------------------------------------------------------------------------------------------


def tax_check_digit(first_nine: str) -> int | None:
    """The check digit of a tax code's first nine digits, or None when the sum allows no valid code (result 10)."""
    check = 10 - sum(weight * int(digit) for weight, digit in zip(_TAX_WEIGHTS, first_nine)) % 11
    return None if check == 10 else check


def clean_tax_code(raw: str) -> str:
    """A Vietnamese tax code (MST) in its canonical form, "0101234565" or "0101234565-001"; "" when none is given.

    Spaces and dots between digit groups are ignored and a 13-digit branch code may omit its hyphen.
    Raises InvalidValue("tax_code_format") or InvalidValue("tax_code_check_digit").
    """
    value = (raw or "").translate(_TAX_SEPARATORS)
    if not value:
        return ""
    match = _TAX_CODE.fullmatch(value)
    if match is None or match.group(2) == "000":  # branches are numbered from 001
        raise InvalidValue("tax_code_format")
    head, branch = match.groups()
    if tax_check_digit(head[:9]) != int(head[9]):
        raise InvalidValue("tax_code_check_digit")
    return f"{head}-{branch}" if branch else head


# --- OCOP products ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductInput:
    name: str
    product_group: str
    stars: int | None
    recognised_on: date | None


def check_product_group(group: str) -> None:
    if group not in PRODUCT_GROUPS:
        raise InvalidValue("product_group")


def check_stars(stars: int | None) -> None:
    if stars not in STARS:
        raise InvalidValue("product_stars")


def check_recognition_date(recognised_on: date | None, today: date) -> None:
    if recognised_on is None:
        raise InvalidValue("product_date_required")
    if recognised_on > today:
        raise InvalidValue("product_date_future")


def clean_product(data: ProductInput, today: date) -> ProductInput:
    """The product with its name normalised; raises InvalidValue on the first field that cannot be accepted."""
    name = clean_name(data.name or "", max_length=200)
    check_product_group(data.product_group)
    check_stars(data.stars)
    check_recognition_date(data.recognised_on, today)
    return ProductInput(name, data.product_group, data.stars, data.recognised_on)


def recognition_valid_until(recognised_on: date) -> date:
    """OCOP recognition lasts 36 months from its date; after that the product must be re-evaluated."""
    return add_months(recognised_on, OCOP_RECOGNITION_MONTHS)


def recognition_expired(recognised_on: date, today: date) -> bool:
    return today > recognition_valid_until(recognised_on)


# --- shop handles ----------------------------------------------------------------------------------------


def _clean_handle(text: str) -> str:
    handle = text.removeprefix("@").lower()
    if not _HANDLE.fullmatch(handle):
        raise InvalidValue("shop_handle_format")
    return "@" + handle


def _clean_shop_url(platform: str, text: str) -> str:
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise InvalidValue("shop_url_format") from error
    host = (parts.hostname or "").removeprefix("www.")
    if parts.scheme.lower() not in ("http", "https") or parts.username or parts.password or port or not _HOST.fullmatch(host):
        raise InvalidValue("shop_url_format")
    domains = PLATFORM_DOMAINS.get(platform)
    if domains and not any(host == domain or host.endswith("." + domain) for domain in domains):
        raise InvalidValue("shop_url_platform")
    path = parts.path.rstrip("/")
    if domains and not path:  # the platform's home page is not a shop
        raise InvalidValue("shop_url_format")
    profile = _TIKTOK_PROFILE.fullmatch(path) if platform == "tiktok_shop" else None
    if profile:  # tiktok.com/@name is the same shop as @name
        return _clean_handle(profile.group(1))
    # tracking parameters make the same shop look different; only unknown sites may need their query
    query = parts.query if not domains else ""
    return f"https://{host}{path}" + (f"?{query}" if query else "")


def clean_shop_handle(platform: str, raw: str) -> str:
    """A shop handle ("@mat_ong_bac_ha") or shop address ("https://shopee.vn/matongbacha") in canonical form.

    Handles are lowercased with one leading "@"; addresses become https without "www.", fragment or
    trailing slash, and must be on the platform's own domain (any domain for "other").
    """
    if platform not in SHOP_PLATFORMS:
        raise InvalidValue("shop_platform")
    text = (raw or "").strip()
    if not text:
        raise InvalidValue("shop_required")
    if any(char.isspace() or char in '<>"\\' or ord(char) < 32 for char in text):
        raise InvalidValue("shop_url_format" if "/" in text else "shop_handle_format")
    # "mat.ong" is a fine TikTok handle; only for "other" is a bare domain taken as the shop's own website
    looks_like_address = "/" in text or text.lower().startswith("www.") or (platform == "other" and _HOST.fullmatch(text.lower()) is not None)
    handle = _clean_shop_url(platform, text) if looks_like_address else _clean_handle(text)
    if len(handle) > MAX_HANDLE:
        raise InvalidValue("too_long")
    return handle


# --- the profile -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileInput:
    business_name: str
    business_type: str
    tax_code: str
    province: str


def check_business_type(value: str) -> None:
    if value not in BUSINESS_TYPES:
        raise InvalidValue("business_type")


def check_province(value: str) -> None:
    if value not in PROVINCE_NAMES:
        raise InvalidValue("province_unknown")


def clean_business_name(raw: str) -> str:
    return clean_name(raw or "", max_length=160, required=False)


def update_seller_profile(session: Session, user_id: int, data: ProfileInput) -> list[str]:
    """Save the business name and type, tax code and province; returns the names of the fields that changed."""
    business_name = clean_business_name(data.business_name)
    check_business_type(data.business_type)
    check_province(data.province)
    tax_code = clean_tax_code(data.tax_code) or None
    user = session.get(User, user_id)
    profile = ensure_profile(session, user_id)
    changed = []
    for target, field, value in ((user, "business_name", business_name), (user, "province", data.province),
                                 (profile, "business_type", data.business_type), (profile, "tax_code", tax_code)):
        if getattr(target, field) != value:
            setattr(target, field, value)
            changed.append(field)
    if changed:
        session.flush()
        record(session, user_id, "seller_profile.updated", "seller_profile", profile.id, fields=changed)
    return changed


def own_row(session: Session, model, user_id: int, row_id: int):
    """The seller's own product or shop row; raises RowNotFound for a missing row or another seller's."""
    row = session.get(model, row_id)
    if row is None or row.profile.user_id != user_id:
        raise RowNotFound(row_id)
    return row


def add_product(session: Session, user_id: int, data: ProductInput, today: date) -> OcopProduct:
    """Add an OCOP product to the seller's profile."""
    clean = clean_product(data, today)
    profile = ensure_profile(session, user_id)
    if len(profile.products) >= MAX_PRODUCTS:
        raise InvalidValue("product_limit")
    product = OcopProduct(name=clean.name, product_group=clean.product_group, stars=clean.stars, recognised_on=clean.recognised_on)
    profile.products.append(product)
    session.flush()
    record(session, user_id, "seller_product.added", "seller_profile", profile.id, product=product.id, group=product.product_group, stars=product.stars)
    return product


def update_product(session: Session, user_id: int, product_id: int, data: ProductInput, today: date) -> OcopProduct:
    """Change one of the seller's products; raises RowNotFound for another seller's product."""
    product = own_row(session, OcopProduct, user_id, product_id)
    clean = clean_product(data, today)
    changed = [field for field in ("name", "product_group", "stars", "recognised_on") if getattr(product, field) != getattr(clean, field)]
    for field in changed:
        setattr(product, field, getattr(clean, field))
    if changed:
        session.flush()
        record(session, user_id, "seller_product.updated", "seller_profile", product.profile_id, product=product.id, fields=changed)
    return product


def _remove_row(session: Session, model, user_id: int, row_id: int, action: str, **detail) -> None:
    row = own_row(session, model, user_id, row_id)
    session.delete(row)
    session.flush()
    record(session, user_id, action, "seller_profile", row.profile_id, **detail)


def remove_product(session: Session, user_id: int, product_id: int) -> None:
    _remove_row(session, OcopProduct, user_id, product_id, "seller_product.removed", product=product_id)


def add_shop(session: Session, user_id: int, platform: str, raw_handle: str) -> ShopHandle:
    """Add a shop handle or address; the same shop twice on one platform is refused (InvalidValue "shop_duplicate")."""
    handle = clean_shop_handle(platform, raw_handle)
    profile = ensure_profile(session, user_id)
    if any(shop.platform == platform and shop.handle == handle for shop in profile.shops):
        raise InvalidValue("shop_duplicate")
    if len(profile.shops) >= MAX_SHOPS:
        raise InvalidValue("shop_limit")
    shop = ShopHandle(platform=platform, handle=handle)
    profile.shops.append(shop)
    session.flush()
    record(session, user_id, "seller_shop.added", "seller_profile", profile.id, shop=shop.id, platform=platform)
    return shop


def remove_shop(session: Session, user_id: int, shop_id: int) -> None:
    _remove_row(session, ShopHandle, user_id, shop_id, "seller_shop.removed", shop=shop_id)


# --- onboarding rule sets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSetEntry:
    rule_set: OnboardingRuleSet
    state: str  # in_force | scheduled | replaced | overridden (a newer version starts before it: it never applies)


def published_courses_for_rules(session: Session) -> list[Course]:
    return list(session.scalars(select(Course).where(Course.status == PUBLISHED).order_by(Course.title_vi)))


def rule_set_history(session: Session, today: date) -> list[RuleSetEntry]:
    """Every version, newest first, with what it means today."""
    rows = list(session.scalars(select(OnboardingRuleSet).order_by(OnboardingRuleSet.version.desc())))
    in_force = current_rule_set(session, today).version
    entries = []
    for row in rows:
        if row.version == in_force:
            state = "in_force"
        elif row.applies_from <= today:
            state = "replaced"
        elif any(other.version > row.version and other.applies_from <= row.applies_from for other in rows):
            state = "overridden"
        else:
            state = "scheduled"
        entries.append(RuleSetEntry(row, state))
    return entries


def create_rule_set(session: Session, actor_id: int, required_courses: list[str], applies_from: date | None, note: str, today: date) -> OnboardingRuleSet:
    """A new version of the onboarding rules. Versions are never edited or deleted: a change is a new version."""
    slugs = sorted(set(required_courses))
    if not slugs:
        raise InvalidValue("rules_no_course")
    published = set(session.scalars(select(Course.slug).where(Course.slug.in_(slugs), Course.status == PUBLISHED)))
    if published != set(slugs):
        raise InvalidValue("rules_unknown_course")
    if applies_from is None:
        raise InvalidValue("rules_date_required")
    if applies_from < today:
        raise InvalidValue("rules_date_past")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidValue("too_long")
    version = (session.scalar(select(func.max(OnboardingRuleSet.version))) or 0) + 1
    rule_set = OnboardingRuleSet(version=version, required_courses=slugs, applies_from=applies_from, note=note, created_by=actor_id)
    session.add(rule_set)
    session.flush()
    record(session, actor_id, "onboarding_rules.created", "onboarding_rule_set", version, courses=slugs, applies_from=applies_from.isoformat())
    return rule_set


# --- readiness -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    """One required course of the rules in force, with the seller's certificate of it and what is missing."""

    course_slug: str
    title_vi: str
    title_en: str
    certificate: HeldCertificate | None
    missing: MissingItem | None

    @property
    def certified(self) -> bool:
        return self.missing is None

    def title(self, lang: str) -> str:
        return (self.title_en if lang == "en" else "") or self.title_vi


def readiness_checklist(session: Session, status: SellerStatus) -> list[ChecklistItem]:
    """The required courses in the rules' order, paired with the status that seller_status computed."""
    slugs = status.rule_set.required_courses
    titles = {c.slug: (c.title_vi, c.title_en) for c in session.scalars(select(Course).where(Course.slug.in_(slugs)))} if slugs else {}
    missing = {item.course_slug: item for item in status.missing}
    held = {certificate.course_slug: certificate for certificate in status.certificates}
    return [ChecklistItem(slug, *titles.get(slug, (slug, "")), held.get(slug), missing.get(slug)) for slug in slugs]
