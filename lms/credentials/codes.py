"""Human-typable codes: 80 random bits in Crockford base32 with a check symbol. Pure.

The same format serves certificate codes and seller codes: `new_code` is the only generator.
Spec: https://www.crockford.com/base32.html
"""
from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# the check symbol is the value mod 37: the 32 symbols above, then five extra ones
CHECK_ALPHABET = ALPHABET + "*~$=U"
DATA_SYMBOLS = 16  # 16 symbols x 5 bits = 80 bits
GROUP = 4

# Crockford decoding: any case, and the letters people confuse with digits read as those digits
_DECODE = {symbol: symbol for symbol in CHECK_ALPHABET} | {"I": "1", "L": "1", "O": "0"}
# what people and word processors put between groups
_IGNORED = frozenset(" \t\r\n-\u2010\u2011\u2012\u2013\u2014\u2212\u00a0")


def new_code() -> str:
    """A fresh random code such as "7K3M-9QX2-T8HD-4F6R-X" (certificates and seller codes alike)."""
    value = secrets.randbits(5 * DATA_SYMBOLS)
    return _format(_encode(value) + check_symbol(value))


def check_symbol(value: int) -> str:
    return CHECK_ALPHABET[value % 37]


def normalise_code(text: str) -> str | None:
    """The canonical form of a typed or scanned code, or None if it is not a valid code.

    Case, spaces and hyphens do not matter; I and L read as 1, O as 0 (also in the check
    symbol, whose alphabet has none of those letters). Never raises.
    """
    if not isinstance(text, str) or len(text) > 200:
        return None
    symbols = [char for char in text if char not in _IGNORED]
    if len(symbols) != DATA_SYMBOLS + 1:
        return None
    # str.upper alone would turn non-ASCII letters such as "ı" into "I"
    decoded = [_DECODE.get(char.upper(), "?") if char.isascii() else "?" for char in symbols]
    data, check = "".join(decoded[:-1]), decoded[-1]
    # the five extra check symbols are not data symbols
    if any(symbol not in ALPHABET for symbol in data) or check_symbol(_decode(data)) != check:
        return None
    return _format(data + check)


def _encode(value: int) -> str:
    return "".join(ALPHABET[(value >> shift) & 31] for shift in range(5 * (DATA_SYMBOLS - 1), -1, -5))


def _decode(symbols: str) -> int:
    value = 0
    for symbol in symbols:
        value = value * 32 + ALPHABET.index(symbol)
    return value


def _format(symbols: str) -> str:
    return "-".join(symbols[i:i + GROUP] for i in range(0, len(symbols), GROUP))
