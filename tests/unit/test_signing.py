"""Signing certificate claims as compact JWS (EdDSA only) and the verdicts on what comes back."""
import base64
import hashlib
import hmac
import json
import unicodedata
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from lms.credentials.claims import CertificateClaims, Issuer
from lms.credentials.signing import (
    Verdict,
    payload_from_text,
    read_header,
    sign_claims,
    sign_vc_jwt,
    verify_token,
)

KEY_A = Ed25519PrivateKey.generate()
KEY_B = Ed25519PrivateKey.generate()
KEYS = {"kid-a": KEY_A.public_key(), "kid-b": KEY_B.public_key()}
NAME_NFC = unicodedata.normalize("NFC", "Nguyễn Thị Hương")


def claims(**changes) -> dict:
    values = dict(
        code="0000-0000-0000-016J-D", issuer=Issuer("Agritrade", "https://academy.example.vn"), course_slug="ban-hang",
        course_title_vi="Bán hàng trực tuyến", course_title_en="Online selling", course_version=1, holder_name=NAME_NFC,
        business="HTX Chè", province="Thái Nguyên", issued_on=date(2026, 5, 1), awarded_on=date(2026, 5, 1),
        expires_on=date(2028, 5, 1), status_list="1", status_index=7, kid="kid-a",
    )
    return CertificateClaims(**(values | changes)).to_json()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value) -> str:
    return b64(json.dumps(value).encode())


def unb64json(segment: str):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def with_payload(token: str, payload: dict) -> str:
    header, _, signature = token.split(".")
    return ".".join([header, b64(json.dumps(payload, ensure_ascii=False).encode()), signature])


def test_signed_claims_verify_as_genuine():
    token = sign_claims(claims(), "kid-a", KEY_A)
    assert verify_token(token, KEYS) == Verdict(True, "genuine", claims(), "kid-a")


def test_header_pins_eddsa_and_names_the_key():
    header = read_header(sign_claims(claims(), "kid-a", KEY_A))
    assert header == {"alg": "EdDSA", "kid": "kid-a", "typ": "JWT"}


def test_tampered_payload_is_a_bad_signature():
    token = sign_claims(claims(), "kid-a", KEY_A)
    forged = with_payload(token, claims(expires_on=date(2099, 1, 1)))
    assert verify_token(forged, KEYS) == Verdict(False, "bad_signature", None, "kid-a")


def test_token_from_an_unknown_key_is_refused():
    token = sign_claims(claims(), "kid-z", Ed25519PrivateKey.generate())
    assert verify_token(token, KEYS) == Verdict(False, "unknown_key", None, "kid-z")


def test_token_without_kid_is_an_unknown_key():
    header = b64json({"alg": "EdDSA", "typ": "JWT"})
    token = sign_claims(claims(), "kid-a", KEY_A)
    assert verify_token(".".join([header, *token.split(".")[1:]]), KEYS).reason == "unknown_key"


def test_signed_by_another_key_under_an_existing_kid_is_a_bad_signature():
    token = sign_claims(claims(), "kid-a", Ed25519PrivateKey.generate())
    assert verify_token(token, KEYS).reason == "bad_signature"


def test_valid_signature_by_key_a_labelled_kid_b_is_a_bad_signature():
    token = sign_claims(claims(), "kid-b", KEY_A)
    assert verify_token(sign_claims(claims(), "kid-a", KEY_A), KEYS).genuine
    assert verify_token(token, KEYS) == Verdict(False, "bad_signature", None, "kid-b")


@pytest.mark.parametrize("signature", ["", "c2lnbmF0dXJl"])
def test_alg_none_is_not_allowed(signature):
    token = ".".join([b64json({"alg": "none", "kid": "kid-a", "typ": "JWT"}), b64json(claims()), signature])
    assert verify_token(token, KEYS) == Verdict(False, "algorithm_not_allowed", None, "kid-a")


def test_hs256_signed_with_the_public_key_is_not_allowed():
    # the classic confusion attack: the verifier's public key used as an HMAC secret
    public = KEYS["kid-a"].public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = b64json({"alg": "HS256", "kid": "kid-a"}) + "." + b64json(claims())
    signature = b64(hmac.new(public, signing_input.encode(), hashlib.sha256).digest())
    assert verify_token(f"{signing_input}.{signature}", KEYS).reason == "algorithm_not_allowed"


@pytest.mark.parametrize("alg", ["ES256", "RS256", "Ed25519", "eddsa", None, ["EdDSA"]])
def test_any_other_algorithm_is_not_allowed(alg):
    token = sign_claims(claims(), "kid-a", KEY_A)
    header = b64json({"alg": alg, "kid": "kid-a"})
    assert verify_token(".".join([header, *token.split(".")[1:]]), KEYS).reason == "algorithm_not_allowed"


def test_expired_certificate_still_has_a_genuine_signature():
    token = sign_claims(claims() | {"exp": 1, "nbf": 4_000_000_000}, "kid-a", KEY_A)
    assert verify_token(token, KEYS).genuine


def test_nfd_spelling_of_a_signed_nfc_name_is_a_bad_signature():
    # the service signs NFC names; the same name in NFD is other bytes, hence another payload
    name_nfd = unicodedata.normalize("NFD", NAME_NFC)
    assert name_nfd != NAME_NFC and unicodedata.normalize("NFC", name_nfd) == NAME_NFC
    token = sign_claims(claims(), "kid-a", KEY_A)
    assert verify_token(with_payload(token, claims(holder_name=name_nfd)), KEYS).reason == "bad_signature"


def test_payload_keeps_vietnamese_letters_unescaped():
    payload = base64.urlsafe_b64decode(sign_claims(claims(), "kid-a", KEY_A).split(".")[1] + "==")
    assert NAME_NFC.encode("utf-8") in payload


def test_vc_jwt_has_the_vc_jose_header_and_the_credential_as_payload():
    credential = {"id": "https://academy.example.vn/credentials/X", "issuer": {"id": "https://academy.example.vn/issuer"},
                  "type": ["VerifiableCredential"]}
    token = sign_vc_jwt(credential, "kid-a", KEY_A, issued_at=100, not_before=90, expires=200)
    assert read_header(token) == {"alg": "EdDSA", "kid": "kid-a", "typ": "vc+jwt", "cty": "vc"}
    verdict = verify_token(token, KEYS)
    assert verdict.genuine
    assert verdict.claims == credential | {"iss": "https://academy.example.vn/issuer", "jti": credential["id"],
                                           "iat": 100, "nbf": 90, "exp": 200}


def test_vc_jwt_without_expiry_has_no_exp_claim():
    token = sign_vc_jwt({"id": "urn:x", "issuer": "https://i"}, "kid-a", KEY_A, issued_at=1, not_before=1, expires=None)
    assert "exp" not in verify_token(token, KEYS).claims


@pytest.mark.parametrize("token", [
    "", "abc", "a.b", "a.b.c.d", "...", "!!!.!!!.!!!", "eyJ.eyJ.sig", " " + "x" * 10,
    b64json([1, 2]) + "." + b64json({}) + ".c2ln",  # header not an object
    b64json({"alg": "EdDSA", "kid": "kid-a"}) + "." + b64json([1]) + ".c2ln",  # payload not an object
    b64(b"\xff\xfe") + "." + b64json({}) + ".c2ln",  # header not UTF-8
    b64json({"kid": "kid-a"}) + "." + b64json({}) + ".c2ln",  # no alg at all
    b64json({"alg": "EdDSA", "kid": "kid-a", "crit": ["exp"]}) + "." + b64json({}) + ".c2ln",
    b64json({"alg": "EdDSA", "kid": "kid-a", "b64": False, "crit": ["b64"]}) + "." + b64json({}) + ".c2ln",
    "e" * 100_000 + ".e.e",
])
def test_malformed_tokens_are_reported_not_raised(token):
    assert verify_token(token, KEYS).reason == "malformed"


def test_non_string_token_is_malformed():
    assert verify_token(None, KEYS).reason == "malformed"
    assert verify_token(b"a.b.c", KEYS).reason == "malformed"


def test_non_canonical_base64_signature_is_not_genuine():
    token = sign_claims(claims(), "kid-a", KEY_A)
    last = token[-1]
    # the last symbol of a 64-byte signature carries 4 spare bits: flipping one keeps the bytes
    variant = token[:-1] + ("B" if last == "A" else "A")
    assert not verify_token(variant, KEYS).genuine


@given(st.text(max_size=300))
def test_verify_token_never_raises(text):
    assert verify_token(text, KEYS).reason in {"malformed", "algorithm_not_allowed", "unknown_key", "bad_signature"}


@given(st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=60),
                min_size=3, max_size=3))
def test_verify_token_never_raises_on_jws_shaped_text(segments):
    assert not verify_token(".".join(segments), KEYS).genuine


def test_payload_from_a_verification_url_fragment():
    token = sign_claims(claims(), "kid-a", KEY_A)
    assert payload_from_text(f"  https://academy.example.vn/verify/0000-0000-0000-016J-D#{token}\n") == token


def test_payload_from_a_bare_token_with_whitespace_and_line_breaks():
    token = sign_claims(claims(), "kid-a", KEY_A)
    assert payload_from_text(f"\n {token[:50]}\n{token[50:]}  ") == token


@pytest.mark.parametrize("text", [
    "", "https://academy.example.vn/verify/0000-0000-0000-016J-D", "academy.example.vn",
    "https://academy.example.vn/verify/X#not-a-token", "hello world", "http://[::1#a.b.c",
])
def test_no_payload_in_text_without_a_token(text):
    assert payload_from_text(text) is None
