"""Configuration read from LMS_* environment variables, with safe defaults."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

ROOT = Path(__file__).resolve().parent.parent


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance: Path) -> str:
    """Read the secret key from instance/, creating it once; it never enters the repository."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting at once must agree on one key
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_config(overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config: defaults, then LMS_* variables, then explicit overrides (tests)."""
    env = os.environ if env is None else env
    overrides = dict(overrides or {})
    instance = Path(overrides.get("INSTANCE_PATH") or env.get("LMS_INSTANCE_PATH") or ROOT / "instance")
    https = _flag(env.get("LMS_HTTPS"))
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": env.get("LMS_DATABASE_URL") or f"sqlite:///{instance / 'lms.sqlite3'}",
        "SECRET_KEY": env.get("LMS_SECRET_KEY") or None,
        "HTTPS": https,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * 30,
        "IMAGE_MAX_BYTES": int(env.get("LMS_IMAGE_MAX_BYTES", 5 * 1024 * 1024)),
        "MAX_CONTENT_LENGTH": int(env.get("LMS_MAX_UPLOAD_BYTES", 8 * 1024 * 1024)),
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": env.get("LMS_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "LANGUAGES": ("vi", "en"),
        "WTF_CSRF_TIME_LIMIT": None,
        "CONTENT_DIRS": [str(ROOT / "courses"), str(ROOT / "quizzes")],
        "SITE_NAME": env.get("LMS_SITE_NAME", "OCOP Seller Academy"),
        "PUBLIC_URL": env.get("LMS_PUBLIC_URL", "http://127.0.0.1:5000"),
        "PAGE_SIZE": 25,
        "SIGNING_KEYS_DIR": env.get("LMS_SIGNING_KEYS_DIR") or str(instance / "keys"),
        "ISSUER_NAME": env.get("LMS_ISSUER_NAME", "Trung tâm Xúc tiến Thương mại Nông nghiệp (Agritrade)"),
        "ISSUER_EMAIL": env.get("LMS_ISSUER_EMAIL", ""),
        # holders of a version older than one that requires recertification keep it valid this long
        "RECERTIFICATION_GRACE_DAYS": int(env.get("LMS_RECERTIFICATION_GRACE_DAYS", 90)),
        # Flask-Limiter: lms-memory:// counts in each process (lms/ratelimit.py: memory:// without a thread per hit);
        # redis://host:6379 when several workers or servers share limits
        "RATELIMIT_STORAGE_URI": env.get("LMS_RATELIMIT_STORAGE_URL") or env.get("LMS_RATELIMIT_STORAGE_URI") or "lms-memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # gzip for static files and JSON, never for HTML: a page holding a CSRF token next to text echoed from the
        # query would let an attacker read the token from compressed sizes (BREACH)
        "COMPRESS_MIMETYPES": ["text/css", "text/javascript", "application/javascript", "application/json",
                               "application/problem+json", "image/svg+xml", "application/manifest+json"],
        "COMPRESS_ALGORITHM": ["gzip", "deflate"],
        "COMPRESS_ALGORITHM_STREAMING": ["deflate"],  # static files are streamed; Flask-Compress streams no gzip
        # the verifier console's statistics aggregate the whole register: each process reuses them this long
        "STATISTICS_MAX_AGE_SECONDS": int(env.get("LMS_STATISTICS_MAX_AGE_SECONDS", 60)),
        "VERIFY_RATE_LIMIT": env.get("LMS_VERIFY_RATE_LIMIT", "60 per minute"),
        # only for trying webhooks against a receiver on this machine; production webhooks are https
        "WEBHOOK_ALLOW_HTTP_LOCALHOST": _flag(env.get("LMS_WEBHOOK_ALLOW_HTTP_LOCALHOST")),
        "LOGIN_RATE_LIMIT": env.get("LMS_LOGIN_RATE_LIMIT", "10 per minute"),
        "TESTING": False,
    }
    config.update(overrides)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _secret_key(Path(config["INSTANCE_PATH"]))
    return config
