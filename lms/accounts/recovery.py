"""Account recovery: one-time password-reset links, links issued by trainers and admins, ending every session.

A reset token is signed (itsdangerous) over the user id and a fingerprint of the current password hash
and session version. Setting a new password changes both, so a link works once and needs no table;
it also stops working when the password is changed another way or the user logs out everywhere.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from lms.accounts.identity import check_password_strength
from lms.accounts.models import Role, User
from lms.accounts.services import find_user_by_login, hash_password
from lms.audit.services import record
from lms.cohorts.models import SessionMember, SessionTrainer

RESET_LINK_LIFETIME = timedelta(hours=1)
_SALT = "lms.password-reset"


def _fingerprint(user: User) -> str:
    # a digest rather than the hash itself: the token's payload is readable by whoever holds it
    return hashlib.sha256(f"{user.id}:{user.password_hash}:{user.session_version}".encode()).hexdigest()[:32]


def reset_token(user: User, secret_key: str) -> str:
    """A link token for this user, valid until the password or session version changes (or an hour passes)."""
    return URLSafeTimedSerializer(secret_key, salt=_SALT).dumps([user.id, _fingerprint(user)])


def user_for_token(session: Session, token: str, secret_key: str, now: datetime) -> User | None:
    """The active user a token was made for, or None if it is forged, expired, used or outdated."""
    try:
        (user_id, fingerprint), issued_at = URLSafeTimedSerializer(secret_key, salt=_SALT).loads(token, return_timestamp=True)
    except (BadSignature, ValueError, TypeError):
        return None
    if now - issued_at > RESET_LINK_LIFETIME or not isinstance(user_id, int) or not isinstance(fingerprint, str):
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active or not hmac.compare_digest(fingerprint, _fingerprint(user)):
        return None
    return user


def request_password_reset(session: Session, login: str) -> User | None:
    """Someone asked to reset the password of `login`: the user to email a link to, else None.

    None for an unknown login, a disabled account or a phone-only account (a trainer or admin hands
    those a link); the caller answers the same way in every case.
    """
    user = find_user_by_login(session, login)
    if user is None or not user.is_active:
        return None
    record(session, None, "auth.password_reset_requested", "user", user.id, channel="email" if user.email else "phone")
    return user if user.email else None


def may_issue_reset_link(session: Session, actor: User, user: User) -> bool:
    """Admins for any other active account; trainers for active learners of a session they run."""
    if actor.id == user.id or not user.is_active:
        return False
    if actor.role == Role.ADMIN.value:
        return True
    if actor.role != Role.TRAINER.value or user.role != Role.LEARNER.value:
        return False
    return bool(session.scalar(select(exists().where(
        SessionMember.user_id == user.id, SessionMember.removed_at.is_(None),
        SessionTrainer.session_id == SessionMember.session_id, SessionTrainer.user_id == actor.id))))


def issue_reset_link(session: Session, actor: User, user: User, secret_key: str) -> str:
    """A reset token a trainer or admin hands over (phone, Zalo); raises PermissionError if they may not."""
    if not may_issue_reset_link(session, actor, user):
        raise PermissionError(user.id)
    record(session, actor.id, "auth.password_reset_link_issued", "user", user.id)
    return reset_token(user, secret_key)


def reset_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password from a reset link; every session of the user ends. Raises InvalidValue."""
    check_password_strength(new_password)
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    session.flush()
    record(session, user.id, "auth.password_reset", "user", user.id)


def log_out_everywhere(session: Session, user: User) -> None:
    """End every session of the user (the caller logs the current device in again)."""
    user.session_version += 1
    session.flush()
    record(session, user.id, "auth.logged_out_everywhere", "user", user.id)
