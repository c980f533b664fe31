"""Role checks for views and the Flask-Login user loader (session version checked per request)."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import bindparam, select

from lms.accounts.models import Role, User
from lms.extensions import db, login_manager


# built once: it runs on every request of a signed-in user, and building a select() costs as much as running it
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the user only if the session's version still matches: bumping it ends every session."""
    ident, _, version = user_id.partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = db.session.scalar(_USER_BY_ID, {"user_id": int(ident)})
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def role_required(*roles: str):
    """Let the listed roles (and admins) through; others get 403, anonymous users go to login."""
    allowed = set(roles) | {Role.ADMIN.value}

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
