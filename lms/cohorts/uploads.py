"""Roster CSV files kept between the preview and the apply step: where they are stored, and their cleanup.

They hold names, phone numbers and email addresses: an applied file is deleted at once, and one that was
previewed but never applied is deleted after a day (`flask lms purge-uploads`, and at every new upload).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from lms.storage import FileStorage

FOLDER = "roster-uploads"
MAX_AGE = timedelta(hours=24)


def upload_key(digest: str) -> str:
    """The storage key of an uploaded roster, named by the SHA-256 of its bytes."""
    return f"{FOLDER}/{digest}.csv"


def purge_roster_uploads(store: FileStorage, now: datetime, max_age: timedelta = MAX_AGE) -> int:
    """Delete the roster uploads written more than `max_age` before `now`; returns how many were deleted.

    Safe to run on several hosts at once: a file another host deleted first is simply not counted.
    """
    return sum(store.delete(key) for key in store.list_older_than(FOLDER, now - max_age))
