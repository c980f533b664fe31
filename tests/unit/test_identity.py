import unicodedata

import pytest

from lms.accounts.identity import InvalidValue, check_password_strength, clean_name, normalise_phone, split_login
from lms.accounts.provinces import PROVINCES, find_province


@pytest.mark.parametrize("raw", ["0912345678", "0912 345 678", "0912.345.678", "+84912345678", "84912345678", "+84 (912) 345-678", "0084912345678"])
def test_vietnamese_mobile_numbers_normalise_to_one_form(raw):
    assert normalise_phone(raw) == "+84912345678"


def test_landline_numbers_are_accepted():
    assert normalise_phone("024 3825 1234") == "+842438251234"


@pytest.mark.parametrize("raw", ["12345", "0112345678", "091234567", "09123456789", "abc", "+1 415 555 0100", ""])
def test_malformed_phone_numbers_are_rejected(raw):
    with pytest.raises(InvalidValue) as error:
        normalise_phone(raw)
    assert error.value.code == "phone_format"


def test_login_is_classified_as_email_or_phone():
    assert split_login(" Lan@Example.COM ") == ("lan@example.com", None)
    assert split_login("0987 654 321") == (None, "+84987654321")


def test_names_typed_in_nfd_are_stored_in_nfc_with_diacritics_intact():
    typed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh   Tuyết")
    cleaned = clean_name(typed)
    assert cleaned == "Nguyễn Thị Ánh Tuyết"
    assert unicodedata.is_normalized("NFC", cleaned)


@pytest.mark.parametrize("raw,code", [("   ", "name_required"), ("A" * 121, "too_long"), ("An\u0000", "name_characters"), ("Lan\u202e", "name_characters")])
def test_bad_names_are_rejected(raw, code):
    with pytest.raises(InvalidValue) as error:
        clean_name(raw)
    assert error.value.code == code


@pytest.mark.parametrize("password,code", [("short", "password_short"), ("x" * 129, "password_long"), ("12345678", "password_common"), ("matkhau123", "password_common"), ("aaaaaaaaaa", "password_common")])
def test_weak_passwords_are_rejected(password, code):
    with pytest.raises(InvalidValue) as error:
        check_password_strength(password)
    assert error.value.code == code


def test_a_reasonable_password_passes():
    check_password_strength("che-tan-cuong-2026")


def test_there_are_34_provincial_units_with_unique_codes():
    assert len(PROVINCES) == 34
    assert len({code for code, _ in PROVINCES}) == 34


@pytest.mark.parametrize("typed,code", [("Đắk Lắk", "dak-lak"), ("dak lak", "dak-lak"), ("Phú Yên", "dak-lak"), ("TP. Hồ Chí Minh", "ho-chi-minh"), ("Bình Dương", "ho-chi-minh"), ("ha-noi", "ha-noi")])
def test_provinces_are_found_by_name_code_or_former_name(typed, code):
    assert find_province(typed) == code


def test_unknown_province_is_not_found():
    assert find_province("Atlantis") is None
