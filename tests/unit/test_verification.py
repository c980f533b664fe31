"""Offline verdicts on what someone hands over: certificate PDFs, links, tokens and Open Badges JSON."""
import base64
import json
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from weasyprint import HTML

from lms.credentials.claims import CertificateClaims, Issuer
from lms.credentials.openbadges import open_badge_credential
from lms.credentials.signing import sign_claims, sign_vc_jwt
from lms.credentials.verification import verify_input

SITE = "https://academy.example.vn"
CODE = "0000-0000-0000-016J-D"
OTHER_CODE = "0000-0000-0000-0014-U"
KEY = Ed25519PrivateKey.generate()
KEYS = {"kid-a": KEY.public_key()}
CLAIMS = CertificateClaims(
    code=CODE, issuer=Issuer("Agritrade", SITE), course_slug="ban-hang", course_title_vi="Bán hàng trực tuyến",
    course_title_en="Online selling", course_version=1, holder_name="Nguyễn Thị Hương", business="HTX Chè",
    province="Thái Nguyên", issued_on=date(2026, 5, 1), awarded_on=date(2026, 5, 1), expires_on=date(2028, 5, 1),
    status_list="1", status_index=7, kid="kid-a",
)
TOKEN = sign_claims(CLAIMS.to_json(), "kid-a", KEY)
LINK = f"{SITE}/verify/{CODE}#{TOKEN}"
CREDENTIAL = open_badge_credential(
    CLAIMS, credential_url=f"{SITE}/credentials/{CODE}.json", verify_url=f"{SITE}/verify/{CODE}",
    achievement_url=f"{SITE}/courses/ban-hang/achievement", issuer_url=f"{SITE}/issuer", status_list_url=f"{SITE}/status/1",
    criteria_vi="Hoàn thành khóa học.", criteria_en="Complete the course.",
)


def pdf_with_link(href: str) -> bytes:
    return HTML(string=f'<p>Chứng nhận</p><a href="{href}">QR</a>').write_pdf()


@pytest.fixture(scope="module")
def certificate_pdf() -> bytes:
    return pdf_with_link(LINK)


def test_pdf_with_a_genuine_link_is_genuine(certificate_pdf):
    check = verify_input(certificate_pdf, KEYS)
    assert (check.kind, check.verdict.reason, check.code) == ("pdf", "genuine", CODE)
    assert "Nguyễn Thị Hương" in check.summary


def test_pdf_with_an_altered_token_is_a_bad_signature():
    header, _, signature = TOKEN.split(".")
    later = json.dumps(CLAIMS.to_json() | {"expires_on": "2099-01-01"}).encode()
    altered = ".".join([header, base64.urlsafe_b64encode(later).rstrip(b"=").decode(), signature])
    check = verify_input(pdf_with_link(f"{SITE}/verify/{CODE}#{altered}"), KEYS)
    assert (check.kind, check.verdict.reason, check.code) == ("pdf", "bad_signature", CODE)
    assert check.summary.startswith("PDF: FORGED OR ALTERED")


def test_pdf_without_a_link_has_no_verdict():
    check = verify_input(HTML(string="<p>Chứng nhận giả</p>").write_pdf(), KEYS)
    assert (check.kind, check.verdict, check.code) == ("pdf", None, None)


def test_pdf_linking_to_a_code_without_token_gives_the_code():
    check = verify_input(pdf_with_link(f"{SITE}/verify/{CODE}"), KEYS)
    assert (check.kind, check.verdict, check.code) == ("pdf", None, CODE)


@pytest.mark.parametrize("cut", [10, 300, 2000, -200])
def test_truncated_pdf_is_reported_not_raised(certificate_pdf, cut):
    assert verify_input(certificate_pdf[:cut], KEYS).kind == "pdf"


def test_verification_link_is_checked():
    check = verify_input(f"  {LINK}\n", KEYS)
    assert (check.kind, check.verdict.genuine, check.code) == ("jws", True, CODE)
    assert "not be checked offline" in check.summary


def test_link_naming_another_code_than_the_signed_one_is_flagged():
    check = verify_input(f"{SITE}/verify/{OTHER_CODE}#{TOKEN}", KEYS)
    assert check.verdict.genuine and check.code == CODE
    assert check.summary.startswith("WARNING") and OTHER_CODE in check.summary


def test_bare_token_as_text_or_bytes():
    assert verify_input(TOKEN, KEYS).verdict.genuine
    assert verify_input(TOKEN.encode() + b"\n", KEYS).verdict.genuine


def test_token_from_an_unknown_key_is_not_genuine():
    check = verify_input(sign_claims(CLAIMS.to_json(), "kid-z", Ed25519PrivateKey.generate()), KEYS)
    assert (check.kind, check.verdict.reason) == ("jws", "unknown_key")
    assert "kid-z" in check.summary


def test_vc_jwt_is_recognised_and_its_code_read_from_the_evidence():
    token = sign_vc_jwt(CREDENTIAL, "kid-a", KEY, issued_at=1_777_593_600, not_before=1_777_593_600, expires=None)
    check = verify_input(token, KEYS)
    assert (check.kind, check.verdict.genuine, check.code) == ("vc-jwt", True, CODE)


def test_open_badges_json_is_reported_unsigned_with_its_code():
    check = verify_input(json.dumps(CREDENTIAL, ensure_ascii=False).encode(), KEYS)
    assert (check.kind, check.verdict, check.code) == ("json", None, CODE)
    assert check.summary.startswith("Unsigned")


def test_other_json_is_unknown():
    assert verify_input('{"type": ["VerifiableCredential"]}', KEYS).kind == "unknown"
    assert verify_input("{not json", KEYS).kind == "unknown"
    assert verify_input("[" * 100_000, KEYS).kind == "unknown"


def test_a_bare_code_has_no_verdict_but_is_recognised():
    check = verify_input("0000 0000 0000 016j d", KEYS)
    assert (check.kind, check.verdict, check.code) == ("unknown", None, CODE)


@pytest.mark.parametrize("data", [b"", b"\x00\xff\xfe garbage", "", "x" * 5_000_000, b"%PDF-1.7\n" + b"\x00" * 100,
                                  b"%PDF-" * 1000, "\ud800", b"{\"type\": 1}"])
def test_garbage_is_reported_not_raised(data):
    check = verify_input(data, KEYS)
    assert check.verdict is None or not check.verdict.genuine


def test_oversized_input_is_refused():
    assert verify_input(b"%PDF-" + b"\x00" * (21 * 1024 * 1024), KEYS).summary == "Too large to be a certificate."


@settings(max_examples=200)
@given(st.binary(max_size=2000))
def test_verify_input_never_raises_on_bytes(data):
    verify_input(data, KEYS)
    verify_input(b"%PDF-1.7\n" + data, KEYS)


@given(st.text(max_size=2000))
def test_verify_input_never_raises_on_text(text):
    verify_input(text, KEYS)
