"""Platform API clients: tokens are random, shown once, stored as SHA-256; scopes say what a client may call."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.onboarding.models import ApiClient

SCOPES = ("sellers:read", "certificates:read", "verify")
TOKEN_PREFIX = "ocop_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_client(session: Session, name: str, scopes: list[str], created_by: int | None, rate_limit: str = "600 per minute") -> tuple[ApiClient, str]:
    """A new client and its token (the only time the token exists in clear)."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(name=name.strip()[:120], token_prefix=token[:12], token_sha256=_digest(token), scopes=sorted(set(scopes)),
                       rate_limit=rate_limit, created_by=created_by, webhook_secret=secrets.token_urlsafe(32))
    session.add(client)
    session.flush()
    return client, token


def find_client(session: Session, token: str) -> ApiClient | None:
    """The active client holding this token, or None (unknown, malformed or revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    client = session.scalar(select(ApiClient).where(ApiClient.token_sha256 == _digest(token)))
    # compare again in constant time: the index lookup alone would be fine, this costs nothing
    if client is None or not hmac.compare_digest(client.token_sha256, _digest(token)) or not client.is_active:
        return None
    return client


def revoke_client(session: Session, client: ApiClient, now: datetime) -> None:
    client.is_active, client.revoked_at = False, now
    session.flush()
