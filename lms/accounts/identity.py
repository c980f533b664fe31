"""Pure checks and normal forms for logins, names and passwords (no Flask, no database)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from email_validator import EmailNotValidError, validate_email

from lms.text import nfc

MIN_PASSWORD = 8
MAX_PASSWORD = 128
MAX_NAME = 120

_PHONE_NOISE = re.compile(r"[\s.\-()]")
# Vietnamese numbers after the country code: mobiles 3/5/7/8/9 + 8 digits, landlines 2 + 9 digits
_NATIONAL = re.compile(r"^(?:[35789]\d{8}|2\d{9})$")


class InvalidValue(ValueError):
    """A value a person typed that cannot be accepted; `code` selects the message shown to them."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalise_phone(raw: str) -> str:
    """Return a Vietnamese phone number as +84XXXXXXXXX; accepts 0…, 84…, +84… with spaces, dots, dashes."""
    digits = _PHONE_NOISE.sub("", raw.strip())
    if digits.startswith("+84"):
        national = digits[3:]
    elif digits.startswith("0084"):
        national = digits[4:]
    elif digits.startswith("84") and len(digits) >= 11:
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        raise InvalidValue("phone_format")
    if not _NATIONAL.match(national):
        raise InvalidValue("phone_format")
    return "+84" + national


def normalise_email(raw: str) -> str:
    """Return the normalised email address (domain lowercased, local part kept)."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValue("email_format") from exc
    return result.normalized.lower()


def split_login(raw: str) -> tuple[str | None, str | None]:
    """Classify what someone typed as their login: (email, None) or (None, phone)."""
    value = raw.strip()
    if not value:
        raise InvalidValue("login_required")
    if "@" in value:
        return normalise_email(value), None
    return None, normalise_phone(value)


def clean_name(raw: str, max_length: int = MAX_NAME, required: bool = True) -> str:
    """NFC-normalise a person's or business name and collapse spaces; reject control characters."""
    value = " ".join(nfc(raw).split())
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cs"} for ch in value):
        raise InvalidValue("name_characters")
    if required and not any(ch.isalpha() for ch in value):
        raise InvalidValue("name_required")
    if len(value) > max_length:
        raise InvalidValue("too_long")
    return value


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    text = resources.files("lms.accounts").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip())


def check_password_strength(password: str) -> None:
    """Reject passwords that are too short, too long, or on the common-password list."""
    if len(password) < MIN_PASSWORD:
        raise InvalidValue("password_short")
    if len(password) > MAX_PASSWORD:
        raise InvalidValue("password_long")
    if password.casefold() in _common_passwords() or len(set(password)) < 3:
        raise InvalidValue("password_common")
