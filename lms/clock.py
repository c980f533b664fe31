"""The current time for rules that depend on it (cooldowns, time limits, expiry).

Views ask here rather than calling datetime directly so a test can move time forward
with `monkeypatch.setattr(lms.clock, "now", ...)`, even in a live server thread.
"""
from __future__ import annotations

from datetime import datetime

from lms.db import utcnow


def now() -> datetime:
    return utcnow()
