"""Open Badges 3.0 credentials (checked against the official 1EdTech schema) and Bitstring Status Lists."""
import base64
import functools
import gzip
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft201909Validator, FormatChecker

from lms.credentials.claims import CertificateClaims, Issuer
from lms.credentials.openbadges import (
    STATUS_LIST_BITS,
    decode_bitstring,
    encode_bitstring,
    is_revoked,
    open_badge_credential,
    status_list_credential,
)

SCHEMA_PATH = Path("/work/shared/standards/openbadges-3.0/achievementcredential.schema.json")
SITE = "https://academy.example.vn"
CODE = "0000-0000-0000-016J-D"
# jsonschema checks "date-time" only with an optional package: check RFC 3339 here instead
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
# the example encodedList of W3C Bitstring Status List v1.0: 131,072 bits, none set
W3C_EXAMPLE_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def make_claims(**changes) -> CertificateClaims:
    values = dict(
        code=CODE, issuer=Issuer("Trung tâm Agritrade", SITE, "lienhe@academy.example.vn"), course_slug="ban-hang",
        course_title_vi="Bán hàng trực tuyến", course_title_en="Online selling", course_version=2,
        holder_name="Nguyễn Thị Hương", business="HTX Chè", province="Thái Nguyên", issued_on=date(2026, 5, 1),
        awarded_on=date(2024, 5, 1), expires_on=date(2028, 5, 1), status_list="1", status_index=94567, kid="kid-a",
    )
    return CertificateClaims(**(values | changes))


def credential(claims: CertificateClaims | None = None, **options) -> dict:
    return open_badge_credential(
        claims or make_claims(), credential_url=f"{SITE}/credentials/{CODE}.json", verify_url=f"{SITE}/verify/{CODE}",
        achievement_url=f"{SITE}/courses/ban-hang/achievement", issuer_url=f"{SITE}/issuer",
        status_list_url=f"{SITE}/status/1", criteria_vi="Hoàn thành mọi bài học và đạt bài kiểm tra cuối khóa.",
        criteria_en="Complete every lesson and pass the final assessment.", **options,
    )


@functools.cache
def official_validator() -> Draft201909Validator:
    # a missing schema fails the tests that need it: conformance is not optional
    assert SCHEMA_PATH.is_file(), f"the official Open Badges 3.0 schema is missing: expected {SCHEMA_PATH}"
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"].startswith("https://json-schema.org/draft/2019-09/schema")
    checker = FormatChecker()
    checker.checks("date-time")(lambda value: not isinstance(value, str) or bool(RFC3339.fullmatch(value)))
    return Draft201909Validator(schema, format_checker=checker)


def schema_errors(document: dict) -> list[str]:
    errors = official_validator().iter_errors(document)
    return [f"{list(error.absolute_path)}: {error.message}" for error in errors]


def test_credential_is_valid_against_the_official_schema():
    assert schema_errors(credential()) == []


def test_credential_with_image_and_without_issuer_email_is_valid():
    claims = make_claims(issuer=Issuer("Agritrade", SITE))
    document = credential(claims, image_url=f"{SITE}/static/badge.png")
    assert schema_errors(document) == []
    assert "email" not in document["issuer"]
    assert document["credentialSubject"]["achievement"]["image"] == {"id": f"{SITE}/static/badge.png", "type": "Image"}


def test_the_schema_check_catches_a_broken_credential():
    broken = credential()
    del broken["credentialSubject"]["achievement"]["criteria"]
    broken["validFrom"] = "2026-05-01"
    assert len(schema_errors(broken)) == 2


def test_credential_types_and_contexts():
    document = credential()
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]


def test_holder_name_is_a_plain_name_identity_of_the_subject():
    subject = credential()["credentialSubject"]
    assert subject["identifier"] == [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "Nguyễn Thị Hương"}
    ]


def test_validity_runs_from_the_issue_date_through_the_whole_expiry_date():
    document = credential()
    assert document["validFrom"] == "2026-05-01T00:00:00Z"
    assert document["validUntil"] == "2028-05-01T23:59:59Z"


def test_awarded_date_keeps_the_first_award_through_renewals():
    assert credential()["awardedDate"] == "2024-05-01T00:00:00Z"


def test_achievement_is_vietnamese_with_an_english_edition_related():
    achievement = credential()["credentialSubject"]["achievement"]
    assert (achievement["name"], achievement["inLanguage"], achievement["achievementType"]) == \
        ("Bán hàng trực tuyến", "vi", "Certificate")
    (english,) = achievement["related"]
    assert (english["inLanguage"], english["name"]) == ("en", "Online selling")
    assert "Complete every lesson" in achievement["criteria"]["narrative"]


def test_credential_status_points_at_the_certificates_bit():
    assert credential()["credentialStatus"] == {
        "id": f"{SITE}/status/1#94567", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": "94567", "statusListCredential": f"{SITE}/status/1",
    }


def test_evidence_links_to_the_verification_page():
    (evidence,) = credential()["evidence"]
    assert evidence["id"] == f"{SITE}/verify/{CODE}" and evidence["type"] == ["Evidence"]


def test_status_list_credential_shape():
    encoded = encode_bitstring({3})
    document = status_list_credential(f"{SITE}/status/1", f"{SITE}/issuer", "Agritrade", encoded,
                                      datetime(2026, 5, 1, 8, 30, tzinfo=UTC))
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert document["validFrom"] == "2026-05-01T08:30:00Z"
    assert document["credentialSubject"] == {"id": f"{SITE}/status/1#list", "type": "BitstringStatusList",
                                             "statusPurpose": "revocation", "encodedList": encoded}


def test_status_list_credential_refuses_a_naive_time():
    with pytest.raises(ValueError):
        status_list_credential(f"{SITE}/status/1", f"{SITE}/issuer", "A", encode_bitstring(set()), datetime(2026, 5, 1))


def test_bit_zero_is_the_leftmost_bit_of_the_first_byte():
    bits = decode_bitstring(encode_bitstring({0, 7, 8}))
    assert bits[:3] == bytes([0b1000_0001, 0b1000_0000, 0])


def test_encoded_list_is_multibase_base64url_gzip_without_padding():
    encoded = encode_bitstring({5})
    assert encoded.startswith("u") and re.fullmatch(r"[A-Za-z0-9_-]+", encoded[1:])
    compressed = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    assert compressed[:2] == b"\x1f\x8b"
    assert len(gzip.decompress(compressed)) == STATUS_LIST_BITS // 8


def test_encoding_is_deterministic():
    assert encode_bitstring({1, 2, 3}) == encode_bitstring({3, 2, 1})


def test_w3c_example_list_decodes_to_131072_clear_bits():
    bits = decode_bitstring(W3C_EXAMPLE_LIST)
    assert len(bits) * 8 == 131_072 and not any(bits)


def test_is_revoked_reads_the_indexed_bit():
    encoded = encode_bitstring({94567})
    assert is_revoked(encoded, 94567)
    assert not is_revoked(encoded, 94566) and not is_revoked(encoded, 94568)


@pytest.mark.parametrize("size", [STATUS_LIST_BITS - 8, STATUS_LIST_BITS + 1, 8])
def test_lists_below_the_herd_privacy_minimum_or_not_whole_bytes_are_refused(size):
    with pytest.raises(ValueError):
        encode_bitstring(set(), size)


def test_index_outside_the_list_is_refused():
    with pytest.raises(ValueError):
        encode_bitstring({STATUS_LIST_BITS})
    with pytest.raises(ValueError):
        encode_bitstring({-1})
    with pytest.raises(ValueError):
        is_revoked(encode_bitstring(set()), STATUS_LIST_BITS)


@pytest.mark.parametrize("encoded", ["", "H4sI", "u", "u!!!!", "uAAAA", W3C_EXAMPLE_LIST[:-10], "z" + W3C_EXAMPLE_LIST[1:]])
def test_undecodable_lists_raise_value_error(encoded):
    with pytest.raises(ValueError):
        decode_bitstring(encoded)


def test_gzip_bomb_is_refused():
    bomb = gzip.compress(bytes(64 * 1024 * 1024), mtime=0)
    with pytest.raises(ValueError, match="larger"):
        decode_bitstring("u" + base64.urlsafe_b64encode(bomb).rstrip(b"=").decode())


@settings(max_examples=30, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=STATUS_LIST_BITS - 1), max_size=200))
def test_encode_decode_round_trip(indices):
    bits = decode_bitstring(encode_bitstring(indices))
    assert {i for i in range(len(bits) * 8) if bits[i // 8] & (0x80 >> (i % 8))} == indices
