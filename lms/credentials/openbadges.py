"""Certificates as Open Badges 3.0 credentials, and revocation as a W3C Bitstring Status List. Pure.

Conventions (dates in the claims are UTC dates, as the service computes them):
- validFrom is the start of issued_on, validUntil the last second of expires_on (23:59:59Z),
  matching the service, where a certificate is valid through its expiry date;
- awardedDate is awarded_on, which renewals keep, while validFrom moves with each renewal;
- the holder's name is an IdentityObject (identityType "name", not hashed) in
  credentialSubject.identifier: AchievementSubject has no name property and needs an id or identifier;
- the achievement's name is Vietnamese (inLanguage "vi"); the English title sits in a `related`
  entry (inLanguage "en"), the way Open Badges links language editions of an achievement;
- the credential carries no proof: it is delivered as JSON and, signed, as a VC-JWT.
Specs: https://www.imsglobal.org/spec/ob/v3p0/ and https://www.w3.org/TR/vc-bitstring-status-list/
"""
from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from datetime import UTC, date, datetime, time

from lms.credentials.claims import CertificateClaims

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
STATUS_LIST_BITS = 131_072  # the W3C minimum (16 KB), so one certificate hides among many
MAX_STATUS_LIST_BYTES = 16 * 1024 * 1024  # refuse to inflate a gzip bomb beyond this


def open_badge_credential(claims: CertificateClaims, *, credential_url: str, verify_url: str, achievement_url: str,
                          issuer_url: str, status_list_url: str, criteria_vi: str, criteria_en: str,
                          image_url: str | None = None) -> dict:
    """An OpenBadgeCredential (unsigned) for a certificate, valid against the 1EdTech schema."""
    credential = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": claims.course_title_vi,
        "description": f"{claims.course_title_vi} / {claims.course_title_en}",
        "issuer": _profile(claims, issuer_url),
        "validFrom": _start_of(claims.issued_on),
        "validUntil": _end_of(claims.expires_on),
        "awardedDate": _start_of(claims.awarded_on),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": claims.holder_name},
            ],
            "achievement": _achievement(claims, achievement_url, criteria_vi, criteria_en, image_url),
        },
        "evidence": [_evidence(claims, verify_url)],
        "credentialStatus": revocation_entry(status_list_url, claims.status_index),
    }
    if image_url:
        credential["image"] = {"id": image_url, "type": "Image"}
    return credential


def _profile(claims: CertificateClaims, issuer_url: str) -> dict:
    profile = {"id": issuer_url, "type": ["Profile"], "name": claims.issuer.name, "url": claims.issuer.url}
    if claims.issuer.email:
        profile["email"] = claims.issuer.email
    return profile


def _achievement(claims: CertificateClaims, achievement_url: str, criteria_vi: str, criteria_en: str,
                 image_url: str | None) -> dict:
    separator = "&" if "?" in achievement_url else "?"
    achievement = {
        "id": achievement_url,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": claims.course_title_vi,
        "description": f"{claims.course_title_vi} ({claims.course_title_en})",
        "criteria": {"narrative": f"{criteria_vi}\n\n{criteria_en}"},
        "humanCode": claims.course_slug,
        "inLanguage": "vi",
        "version": str(claims.course_version),
        # Related has no name in the schema but allows more properties; "name" is a VC 2.0 term
        "related": [{"id": f"{achievement_url}{separator}lang=en", "type": ["Related"], "inLanguage": "en",
                     "version": str(claims.course_version), "name": claims.course_title_en}],
    }
    if image_url:
        achievement["image"] = {"id": image_url, "type": "Image"}
    return achievement


def _evidence(claims: CertificateClaims, verify_url: str) -> dict:
    # the verification page shows the live record behind the award: the best evidence we publish
    return {
        "id": verify_url,
        "type": ["Evidence"],
        "name": "Trang xác minh / Verification page",
        "narrative": f"Mã chứng nhận / Certificate code: {claims.code}",
    }


def revocation_entry(status_list_url: str, index: int) -> dict:
    """A BitstringStatusListEntry pointing at the certificate's bit in a revocation list."""
    return {
        "id": f"{status_list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": status_list_url,
    }


def _start_of(day: date) -> str:
    return _zulu(datetime.combine(day, time(0, 0, 0), UTC))


def _end_of(day: date) -> str:
    return _zulu(datetime.combine(day, time(23, 59, 59), UTC))


def _zulu(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_list_credential(list_url: str, issuer_url: str, issuer_name: str, encoded_list: str,
                           valid_from: datetime) -> dict:
    """A BitstringStatusListCredential (unsigned) publishing which certificates are revoked.

    valid_from must be timezone-aware: a naive datetime is refused rather than guessed.
    """
    if valid_from.tzinfo is None:
        raise ValueError("valid_from must be timezone-aware")
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": issuer_url, "name": issuer_name},
        "validFrom": _zulu(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list,
        },
    }


def encode_bitstring(set_indices: set[int], size: int = STATUS_LIST_BITS) -> str:
    """The encodedList of a status list: bit 0 is the left-most bit of the first byte; GZIP,
    then base64url without padding, with the multibase prefix "u"."""
    if size < STATUS_LIST_BITS or size % 8:
        raise ValueError(f"size must be a multiple of 8 and at least {STATUS_LIST_BITS}")
    bits = bytearray(size // 8)
    for index in set_indices:
        if not 0 <= index < size:
            raise ValueError(f"index {index} is outside a list of {size} bits")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same list always encodes to the same text (stable ETags, comparable files)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode_bitstring(encoded: str) -> bytes:
    """The bitstring of an encodedList. Raises ValueError on anything else."""
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError('an encodedList starts with the multibase prefix "u"')
    body = encoded[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)  # 16: expect a GZIP header
        bits = inflater.decompress(compressed, MAX_STATUS_LIST_BYTES)
    except (binascii.Error, zlib.error, ValueError) as error:
        raise ValueError(f"not a GZIP base64url bitstring: {error}") from error
    if inflater.unconsumed_tail:
        raise ValueError(f"status list larger than {MAX_STATUS_LIST_BYTES} bytes")
    if not inflater.eof:
        raise ValueError("truncated status list")
    return bits


def is_revoked(encoded_list: str, index: int) -> bool:
    """Whether the bit at index is set. Raises ValueError if the index is outside the list."""
    bits = decode_bitstring(encoded_list)
    if not 0 <= index < len(bits) * 8:
        raise ValueError(f"index {index} is outside a list of {len(bits) * 8} bits")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
