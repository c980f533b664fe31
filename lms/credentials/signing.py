"""Compact JWS signatures of certificate claims and VC-JWTs, Ed25519 only, and their verdicts. Pure.

Holder names are signed as given; the service stores and signs NFC (lms.text.nfc), and a
verifier must compare the exact bytes: an NFD spelling of the same name is another payload.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"
MAX_TOKEN_CHARS = 64_000  # a certificate token is about 1 KB; refuse to parse megabytes of junk
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
# RFC 7797 unencoded payloads and critical extensions: we never produce them, so we never accept them
_REFUSED_HEADERS = ("crit", "b64")


@dataclass(frozen=True)
class Verdict:
    genuine: bool
    reason: str  # genuine | malformed | algorithm_not_allowed | unknown_key | bad_signature
    claims: dict | None  # the payload, only when genuine: unverified claims are never handed out
    kid: str | None  # the header's key id, when the header names one


def sign_claims(claims: dict, kid: str, key: Ed25519PrivateKey) -> str:
    """A compact JWS of the claims (header alg EdDSA, kid, typ JWT)."""
    return _sign(claims, key, {"kid": kid, "typ": "JWT"})


def sign_vc_jwt(credential: dict, kid: str, key: Ed25519PrivateKey, *, issued_at: int, not_before: int,
                expires: int | None) -> str:
    """A VC-JWT (W3C VC-JOSE-COSE): the credential itself as payload, typ vc+jwt, cty vc.

    The registered claims repeat what the credential says (iss = issuer id, jti = credential id,
    nbf = validFrom, exp = validUntil) for JWT libraries that read only those; times are Unix seconds.
    """
    issuer = credential.get("issuer")
    registered = {
        "iss": issuer.get("id") if isinstance(issuer, dict) else issuer,
        "jti": credential.get("id"),
        "iat": issued_at,
        "nbf": not_before,
        "exp": expires,
    }
    payload = credential | {name: value for name, value in registered.items() if value is not None}
    return _sign(payload, key, {"kid": kid, "typ": "vc+jwt", "cty": "vc"})


def _sign(payload: dict, key: Ed25519PrivateKey, headers: dict) -> str:
    # raw UTF-8 rather than \u escapes: Vietnamese names stay short, and so does the QR code
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return jwt.api_jws.encode(body, key, algorithm=ALGORITHM, headers=headers)


def read_header(token: str) -> dict | None:
    """The unverified JOSE header of a compact JWS, or None if token is not shaped like one."""
    segments = _segments(token)
    if segments is None:
        return None
    return _json_object(segments[0])


def verify_token(token: str, public_keys: dict[str, Ed25519PublicKey]) -> Verdict:
    """Check a compact JWS against our public keys. Never raises.

    Only EdDSA is accepted, checked here before PyJWT sees the token. Expiry (exp, nbf) is not
    checked: a signature stays genuine after the certificate expires; status is reported elsewhere.
    """
    try:
        return _verify(token, public_keys)
    except Exception:  # a verdict, never a crash, whatever a stranger hands us
        return Verdict(False, "malformed", None, None)


def _verify(token: str, public_keys: dict[str, Ed25519PublicKey]) -> Verdict:
    segments = _segments(token)
    header = _json_object(segments[0]) if segments else None
    if segments is None or header is None or _json_object(segments[1]) is None:
        return Verdict(False, "malformed", None, None)
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    if "alg" not in header:
        return Verdict(False, "malformed", None, kid)
    if header["alg"] != ALGORITHM:
        return Verdict(False, "algorithm_not_allowed", None, kid)
    if any(name in header for name in _REFUSED_HEADERS):
        return Verdict(False, "malformed", None, kid)
    key = public_keys.get(kid) if kid is not None else None
    if key is None:
        return Verdict(False, "unknown_key", None, kid)
    try:
        decoded = jwt.api_jws.decode_complete(token, key, algorithms=[ALGORITHM])
    except jwt.exceptions.InvalidSignatureError:
        return Verdict(False, "bad_signature", None, kid)
    except jwt.exceptions.PyJWTError:
        return Verdict(False, "malformed", None, kid)
    return Verdict(True, "genuine", json.loads(decoded["payload"]), kid)


def _segments(token: str) -> list[str] | None:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None
    segments = token.split(".")
    # the signature may be empty (an "alg: none" token), so that it is reported as such
    if len(segments) != 3 or not segments[0] or not segments[1]:
        return None
    if not all(_SEGMENT.fullmatch(segment) for segment in segments):
        return None
    return segments


def _json_object(segment: str) -> dict | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def payload_from_text(text: str) -> str | None:
    """The JWS in what a scanner or a person hands over: a bare token, or a verification URL
    (https://host/verify/CODE#<jws>) carrying it in the fragment. None if there is none."""
    if not isinstance(text, str) or len(text) > MAX_TOKEN_CHARS * 4:
        return None
    # a token has no whitespace, so any there came from line wrapping or copying
    compact = "".join(text.split())
    if "#" in compact:
        try:
            compact = unquote(urlsplit(compact).fragment)
        except ValueError:
            return None
    return compact if read_header(compact) is not None else None
