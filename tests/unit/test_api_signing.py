"""The signature header of API responses: the same token PyJWT writes for a detached EdDSA JWS, checked by verify_response."""
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Response

from lms.api.signing import HEADER, sign_response, verify_response


class OneKey:
    def __init__(self, kid, key):
        self.kid, self.key = kid, key

    def active(self):
        return self.kid, self.key


def test_the_signature_header_is_the_token_pyjwt_writes_and_it_verifies():
    key = Ed25519PrivateKey.generate()
    body = '{"code":"7K3M-9QX2-T8HD-4F6R-X","holder_name":"Nguyễn Thị Hồng Nhung","status":"valid"}'.encode()
    response = sign_response(Response(body, mimetype="application/json"), OneKey("2026-11-27-a1b2c3", key))
    expected = jwt.api_jws.encode(body, key, algorithm="EdDSA", headers={"kid": "2026-11-27-a1b2c3", "typ": "JOSE"}, is_payload_detached=True)
    assert response.headers[HEADER] == expected
    public = {"2026-11-27-a1b2c3": key.public_key()}
    assert verify_response(body, response.headers[HEADER], public)
    assert not verify_response(body.replace(b"valid", b"VALID"), response.headers[HEADER], public)
