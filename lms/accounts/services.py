"""Account services: register, authenticate, change passwords and roles. They flush, never commit."""
from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lms.accounts.identity import InvalidValue, check_password_strength, clean_name, split_login
from lms.accounts.models import Role, User
from lms.accounts.provinces import PROVINCE_NAMES
from lms.db import utcnow
from lms.text import fold

_hasher = PasswordHasher()
# verifying against this keeps the time of "unknown login" close to "wrong password"
_DUMMY_HASH = _hasher.hash("timing-equaliser-password")


class DuplicateLogin(ValueError):
    """The email or phone number already belongs to an account."""


@dataclass(frozen=True)
class NewAccount:
    login: str
    full_name: str
    password: str
    province: str
    business_name: str = ""
    role: str = Role.LEARNER.value
    locale: str | None = None
    consent_version: str | None = None


PRIVACY_NOTICE_VERSION = "2026-01"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def find_user_by_login(session: Session, login: str) -> User | None:
    """Find an account by email or phone typed in any accepted form."""
    try:
        email, phone = split_login(login)
    except InvalidValue:
        return None
    column, value = (User.email, email) if email else (User.phone, phone)
    return session.scalar(select(User).where(column == value))


def login_taken(session: Session, email: str | None, phone: str | None) -> bool:
    conditions = [User.email == email] if email else []
    conditions += [User.phone == phone] if phone else []
    return session.scalar(select(User.id).where(or_(*conditions)).limit(1)) is not None


def register_user(session: Session, account: NewAccount) -> User:
    """Create an account after checking every field; raises InvalidValue or DuplicateLogin."""
    email, phone = split_login(account.login)
    full_name = clean_name(account.full_name)
    business = clean_name(account.business_name, max_length=160, required=False)
    check_password_strength(account.password)
    if account.province not in PROVINCE_NAMES:
        raise InvalidValue("province_unknown")
    if account.role not in {r.value for r in Role}:
        raise InvalidValue("role_unknown")
    if login_taken(session, email, phone):
        raise DuplicateLogin(account.login)
    user = User(
        email=email,
        phone=phone,
        full_name=full_name,
        name_search=fold(full_name),
        password_hash=hash_password(account.password),
        province=account.province,
        business_name=business,
        role=account.role,
        locale=account.locale,
        consent_at=utcnow() if account.consent_version else None,
        consent_version=account.consent_version,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, login: str, password: str) -> User | None:
    """Return the active user whose login and password match, else None (same cost either way)."""
    user = find_user_by_login(session, login)
    if user is None or not user.is_active:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; ends the user's other sessions."""
    if not _verify(user.password_hash, current):
        raise InvalidValue("password_wrong")
    check_password_strength(new)
    user.password_hash = hash_password(new)
    user.session_version += 1
    session.flush()


def set_role(session: Session, user: User, role: str) -> None:
    """Give a user another role (admin action)."""
    if role not in {r.value for r in Role}:
        raise InvalidValue("role_unknown")
    user.role = role
    session.flush()


def set_locale(session: Session, user: User, locale: str) -> None:
    user.locale = locale
    session.flush()


def search_users(session: Session, query: str = "", role: str | None = None):
    """Select users by name (without diacritics), email or phone, newest first (for the admin list)."""
    statement = select(User).order_by(User.created_at.desc(), User.id.desc())
    if role:
        statement = statement.where(User.role == role)
    text = query.strip()
    if text:
        folded = fold(text)
        conditions = [User.name_search.contains(folded, autoescape=True), User.email == text.lower()]
        try:
            _, phone = split_login(text) if "@" not in text else (None, None)
        except InvalidValue:
            phone = None
        if phone:
            conditions.append(User.phone == phone)
        statement = statement.where(or_(*conditions))
    return statement
