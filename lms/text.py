"""Text normalisation shared by names, search and answer matching (Vietnamese-aware)."""
import unicodedata

_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(text: str) -> str:
    """Return the NFC form, the one stored for every name and piece of content."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Fold case, Vietnamese diacritics and spacing so "Bao Bì" and "bao bi" compare equal."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_EXTRA))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
