"""Responses carry a detached JWS (RFC 7515 appendix F) of their exact body, so a platform can keep evidence."""
from __future__ import annotations

import jwt
from flask import Response

from lms.credentials.keys import KeyStore

HEADER = "X-OCOP-Signature"


def sign_response(response: Response, keys: KeyStore) -> Response:
    """Add `X-OCOP-Signature: <header>..<signature>`; verify with the JWKS and the body as the detached payload."""
    kid, key = keys.active()
    token = jwt.api_jws.encode(response.get_data(), key, algorithm="EdDSA", headers={"kid": kid, "typ": "JOSE"}, is_payload_detached=True)
    response.headers[HEADER] = token
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
