"""Personal data kept out of logs: emails and phone numbers masked in the app's log; request lines masked too.

Request lines (werkzeug's under `flask run`, gunicorn's access and error logs) carry query strings and
paths that hold personal data or secrets: `/console/sellers?q=0912345678`, `/api/v1/sellers?phone=...`,
`/reset-password/<token>`. Their query values are masked except for a few harmless keys, the reset
token and API tokens are masked, and so is any email or phone number left. The app's own log keeps
reset links: without SMTP settings the reset email is written there on purpose (lms.mail).
"""
from __future__ import annotations

import logging
import re

from flask import Flask

# query keys whose values are never personal: kept, so that a log still tells which page or filter was asked for
SAFE_QUERY_KEYS = frozenset({"page", "sort", "status", "state", "province", "track", "role", "show", "retired", "format", "lang", "action", "object"})
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")

# as typed and as URL-encoded (%40 is @, %2B is +): request lines may hold either
_EMAIL = re.compile(r"[\w.+%-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w+%])(?:(?:\+|%2B)?84|0)(?:[\s.-]?\d){9,10}(?!\d)", re.IGNORECASE)
_QUERY_VALUE = re.compile(r"([?&])([^=&#\s\"]*)=([^&#\s\"]*)")
_RESET_TOKEN = re.compile(r"(/reset-password/)[^/?#\s\"]+")
_API_TOKEN = re.compile(r"\bocop_[\w-]+")


def redact(text: str) -> str:
    """Mask email addresses and Vietnamese phone numbers in a line of text."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


def _query_value(match: re.Match) -> str:
    separator, key, value = match.groups()
    return match.group(0) if key.lower() in SAFE_QUERY_KEYS or not value else f"{separator}{key}=[masked]"


def mask_request_line(text: str) -> str:
    """A request log line without query values (but harmless ones), reset or API tokens, emails or phone numbers."""
    text = _QUERY_VALUE.sub(_query_value, text)
    text = _RESET_TOKEN.sub(r"\1[token]", text)
    return redact(_API_TOKEN.sub("ocop_[token]", text))


class MaskingFilter(logging.Filter):
    """Rewrites a record's message (and its traceback: SQL errors quote their parameters) before any handler writes it."""

    def __init__(self, mask) -> None:
        super().__init__()
        self.mask = mask

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        return True


APP_LOG_FILTER = MaskingFilter(redact)
REQUEST_LOG_FILTER = MaskingFilter(mask_request_line)


def install_log_masking(app: Flask) -> None:
    """Filter the app's log and the request logs; the loggers are process-wide, so the filters are added once."""
    app.logger.addFilter(APP_LOG_FILTER)
    for name in REQUEST_LOGGERS:
        logging.getLogger(name).addFilter(REQUEST_LOG_FILTER)
