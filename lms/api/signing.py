"""Responses carry a detached JWS of their exact body (RFC 7515 appendix F, unencoded payload per RFC 7797), so a
platform can keep evidence."""
from __future__ import annotations

import base64
import json
from functools import lru_cache

import jwt
from flask import Response

from lms.credentials.keys import KeyStore

HEADER = "X-OCOP-Signature"


def _base64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@lru_cache(maxsize=16)
def _protected_header(kid: str) -> bytes:
    """The encoded JOSE header, the same bytes PyJWT writes for a detached EdDSA token (a test compares them)."""
    header = {"alg": "EdDSA", "b64": False, "crit": ["b64"], "kid": kid, "typ": "JOSE"}
    return _base64url(json.dumps(header, separators=(",", ":"), sort_keys=True).encode())


def sign_response(response: Response, keys: KeyStore) -> Response:
    """Add `X-OCOP-Signature: <header>..<signature>`; verify with the JWKS and the body as the detached payload.

    Signed here rather than through jwt.api_jws.encode: every API response is signed, and the header is the same
    for every response of a key, so only the signature is computed per response.
    """
    kid, key = keys.active()
    header = _protected_header(kid)
    signature = key.sign(header + b"." + response.get_data())
    response.headers[HEADER] = (header + b".." + _base64url(signature)).decode("ascii")
    return response


def verify_response(body: bytes, signature: str, public_keys: dict) -> bool:
    """For platforms (and tests): is this body exactly what the academy signed?"""
    try:
        kid = jwt.api_jws.get_unverified_header(signature).get("kid")
        key = public_keys.get(kid)
        if key is None:
            return False
        jwt.api_jws.decode_complete(signature, key, algorithms=["EdDSA"], detached_payload=body)
        return True
    except jwt.PyJWTError:
        return False
