"""Interface language: chosen per user and per session, Vietnamese by default; locale-aware formatting."""
from __future__ import annotations

from flask_babel import get_locale

from flask import current_app, request, session
from flask_login import current_user


def select_locale() -> str:
    """The signed-in user's choice, else this session's choice, else Vietnamese."""
    languages = current_app.config["LANGUAGES"]
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def safe_next(target: str | None, default: str) -> str:
    """Only follow redirects to a path on this site (no scheme, no host, no //)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def referrer_path(default: str) -> str:
    """The path of the page the request came from, if it is ours."""
    referrer = request.referrer or ""
    host = request.host_url
    if referrer.startswith(host):
        return safe_next("/" + referrer[len(host):], default)
    return default


def current_lang() -> str:
    """The language of this request ("vi" or "en"), for choosing course and question texts."""
    return str(get_locale())
