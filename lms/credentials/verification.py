"""Offline verdicts on whatever someone hands over as a certificate: PDF, link, token or JSON. Pure.

Used by `flask lms verify-credential`. Only signatures are checked: revocation and expiry need
the live record, so every summary points to the online check. Never raises.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pypdf import PdfReader

from lms.credentials.codes import normalise_code
from lms.credentials.signing import Verdict, payload_from_text, read_header, verify_token

MAX_INPUT_BYTES = 20 * 1024 * 1024  # a certificate PDF is well under 1 MB
MAX_PDF_PAGES = 5  # the link sits on the first page; do not walk a huge document
ONLINE = "Revocation and expiry cannot be checked offline: check the code on the verification page."

_REASONS = {
    "malformed": "Not a readable signed certificate (malformed token).",
    "algorithm_not_allowed": "Refused: the token is not signed with EdDSA, the only algorithm we use.",
    "unknown_key": "Not signed by any of our keys (unknown key id {kid}).",
    "bad_signature": "FORGED OR ALTERED: the signature does not match the content.",
}


@dataclass(frozen=True)
class CredentialCheck:
    kind: str  # pdf | jws | vc-jwt | json | unknown
    verdict: Verdict | None  # None when there was no signature to check
    code: str | None  # from the signed claims when genuine, else as read (unverified)
    summary: str


def verify_input(data: str | bytes, public_keys: dict[str, Ed25519PublicKey]) -> CredentialCheck:
    """Find and check the signature in a certificate PDF, a verification link, a JWS or VC-JWT,
    or recognise an (unsigned) Open Badges JSON file."""
    try:
        return _check(data, public_keys)
    except Exception:  # pypdf and friends meet arbitrary bytes here: a verdict, never a crash
        return CredentialCheck("unknown", None, None, "Could not read this input.")


def _check(data: str | bytes, public_keys: dict[str, Ed25519PublicKey]) -> CredentialCheck:
    if len(data) > MAX_INPUT_BYTES:
        return CredentialCheck("unknown", None, None, "Too large to be a certificate.")
    if isinstance(data, bytes):
        if b"%PDF-" in data[:1024]:  # PDF readers accept the header anywhere in the first KB
            return _check_pdf(data, public_keys)
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return CredentialCheck("unknown", None, None, "Neither a PDF nor text.")
    return _check_text(data, public_keys)


def _check_text(text: str, public_keys: dict[str, Ed25519PublicKey]) -> CredentialCheck:
    if text.lstrip().startswith("{"):
        return _check_json(text)
    token = payload_from_text(text)
    if token is not None:
        return _check_token(token, public_keys, code_in_url(text))
    code = normalise_code(text) or code_in_url(text)
    if code is not None:
        return CredentialCheck("unknown", None, code, f"A certificate code ({code}) without a signature. {ONLINE}")
    return CredentialCheck("unknown", None, None, "No certificate code or signature found.")


def _check_pdf(data: bytes, public_keys: dict[str, Ed25519PublicKey]) -> CredentialCheck:
    try:
        links = _pdf_links(data)
    except Exception:  # pypdf raises many kinds of errors on damaged files
        return CredentialCheck("pdf", None, None, "Damaged or truncated PDF: its links cannot be read.")
    for link in links:
        token = payload_from_text(link)
        if token is not None:
            check = _check_token(token, public_keys, code_in_url(link))
            return CredentialCheck("pdf", check.verdict, check.code, f"PDF: {check.summary}")
    codes = [code for code in map(code_in_url, links) if code]
    if codes:
        return CredentialCheck("pdf", None, codes[0], f"PDF links to certificate {codes[0]} but carries no signature. {ONLINE}")
    return CredentialCheck("pdf", None, None, "PDF without a verification link: not one of our certificates, or altered.")


def _pdf_links(data: bytes) -> list[str]:
    """The URIs of the link annotations (the certificate's QR code is wrapped in one)."""
    reader = PdfReader(io.BytesIO(data))
    links = []
    for page in reader.pages[:MAX_PDF_PAGES]:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            uri = action.get_object().get("/URI") if action is not None else None
            if isinstance(uri, str):
                links.append(str(uri))
    return links


def _check_token(token: str, public_keys: dict[str, Ed25519PublicKey], url_code: str | None) -> CredentialCheck:
    header = read_header(token) or {}
    kind = "vc-jwt" if header.get("typ") == "vc+jwt" else "jws"
    verdict = verify_token(token, public_keys)
    if not verdict.genuine:
        summary = _REASONS[verdict.reason].format(kid=verdict.kid)
        if url_code is not None:
            summary = f"{summary} The link names certificate {url_code}. {ONLINE}"
        return CredentialCheck(kind, verdict, url_code, summary)
    claims = verdict.claims or {}
    code = code_in_credential(claims) if kind == "vc-jwt" else normalise_code(str(claims.get("code", "")))
    summary = f"Genuine signature (key {verdict.kid}). {_describe(kind, claims, code)} {ONLINE}"
    if url_code is not None and url_code != code:
        summary = f"WARNING: the link names certificate {url_code} but the signature is for {code}. {summary}"
    return CredentialCheck(kind, verdict, code, summary)


def _describe(kind: str, claims: dict, code: str | None) -> str:
    if kind == "vc-jwt":
        return f"Open Badges credential {code}, valid from {claims.get('validFrom')} until {claims.get('validUntil')}."
    return (f"Certificate {code} for {claims.get('holder_name')}, course \u201c{claims.get('course_title_en')}\u201d "
            f"v{claims.get('course_version')}, issued {claims.get('issued_on')}, expires {claims.get('expires_on')}.")


def _check_json(text: str) -> CredentialCheck:
    try:
        credential = json.loads(text)
    except (ValueError, RecursionError):
        return CredentialCheck("unknown", None, None, "Not valid JSON.")
    types = credential.get("type") if isinstance(credential, dict) else None
    if not isinstance(types, list) or "OpenBadgeCredential" not in types:
        return CredentialCheck("unknown", None, None, "JSON, but not an Open Badges credential.")
    code = code_in_credential(credential)
    # our Open Badges JSON carries no proof: the signed form is the VC-JWT
    return CredentialCheck("json", None, code,
                           f"Unsigned Open Badges JSON for certificate {code}: it proves nothing by itself. "
                           f"Check its VC-JWT, or the code on the verification page.")


def code_in_url(text: str) -> str | None:
    """The certificate code at the end of a URL path (e.g. https://host/verify/CODE#...), if any."""
    if not isinstance(text, str):
        return None
    try:
        path = urlsplit("".join(text.split())).path
    except ValueError:
        return None
    return normalise_code(unquote(path.rstrip("/").rsplit("/", 1)[-1]))


def code_in_credential(credential: dict) -> str | None:
    """The certificate code of an Open Badges credential: from its evidence (the verification page)."""
    evidence = credential.get("evidence")
    for item in evidence if isinstance(evidence, list) else []:
        code = code_in_url(item.get("id")) if isinstance(item, dict) else None
        if code is not None:
            return code
    return None
