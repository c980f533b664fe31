"""Certificate and seller codes: Crockford base32 with a mod-37 check symbol."""
import re
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from lms.credentials import codes
from lms.credentials.codes import new_code, normalise_code

CODE_SHAPE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z*~$=U]")
# 1234 = 1*32^2 + 6*32 + 18 -> "16J"; 1234 mod 37 = 13 -> "D"
CODE_1234 = "0000-0000-0000-016J-D"


def code_of(value: int) -> str:
    with mock.patch.object(codes.secrets, "randbits", return_value=value):
        return new_code()


def test_new_code_has_sixteen_symbols_and_a_check_symbol_in_groups_of_four():
    assert CODE_SHAPE.fullmatch(new_code())


def test_new_codes_differ():
    assert len({new_code() for _ in range(1000)}) == 1000


def test_check_symbol_is_the_value_mod_37_in_crockfords_alphabet():
    assert code_of(0) == "0000-0000-0000-0000-0"
    assert code_of(1234) == CODE_1234
    assert code_of(2**80 - 1) == "ZZZZ-ZZZZ-ZZZZ-ZZZZ-" + "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U"[(2**80 - 1) % 37]


def test_check_symbols_32_to_36_are_the_five_extra_symbols():
    # 32 = "10", 33 = "11", ... in base 32
    assert [code_of(value)[-1] for value in range(32, 37)] == ["*", "~", "$", "=", "U"]


def test_lowercase_spaced_and_unhyphenated_codes_are_normalised():
    assert normalise_code("0000-0000-0000-016j-d") == CODE_1234
    assert normalise_code(" 0000 0000 0000 016J D ") == CODE_1234
    assert normalise_code("000000000000016JD") == CODE_1234


def test_letters_read_as_digits_as_crockford_says():
    assert normalise_code("oOoO-0000-0000-OI6J-D") == CODE_1234
    assert normalise_code("0000-0000-0000-0l6J-d") == CODE_1234


def test_lowercase_u_check_symbol_is_accepted():
    assert normalise_code("0000-0000-0000-0014-u") == "0000-0000-0000-0014-U"


def test_wrong_check_symbol_is_refused():
    assert normalise_code("0000-0000-0000-016J-E") is None
    assert normalise_code("0000-0000-0000-016J-*") is None


def test_changed_symbol_is_refused():
    assert normalise_code("0000-0000-0000-017J-D") is None


def test_swapped_neighbours_are_refused():
    assert normalise_code("0000-0000-0000-061J-D") is None


def test_wrong_length_is_refused():
    assert normalise_code("0000-0000-0000-016J") is None
    assert normalise_code("0000-0000-0000-0016J-D") is None
    assert normalise_code("") is None


def test_check_only_symbols_are_refused_as_data():
    assert normalise_code("U000-0000-0000-016J-D") is None
    assert normalise_code("*000-0000-0000-016J-D") is None


def test_non_ascii_lookalikes_are_refused():
    # "ı".upper() == "I", which Crockford reads as 1: a typed Turkish i must not pass for it
    assert normalise_code("0000-0000-0000-0\u01316J-D") is None
    assert normalise_code("\uff10000-0000-0000-016J-D") is None  # fullwidth zero


@given(st.integers(min_value=0, max_value=2**80 - 1))
def test_every_code_normalises_to_itself(value):
    code = code_of(value)
    assert normalise_code(code) == code
    assert normalise_code(code.lower()) == code


@given(st.integers(min_value=0, max_value=2**80 - 1), st.integers(min_value=0, max_value=15), st.integers(1, 31))
def test_any_single_symbol_change_is_detected(value, position, delta):
    symbols = code_of(value).replace("-", "")
    changed = symbols[:position] + codes.ALPHABET[(codes.ALPHABET.index(symbols[position]) + delta) % 32] + symbols[position + 1:]
    assert normalise_code(changed) is None


@given(st.text())
def test_normalise_code_never_raises_and_is_idempotent(text):
    result = normalise_code(text)
    assert result is None or normalise_code(result) == result


def test_normalise_code_refuses_non_strings():
    assert normalise_code(None) is None
    assert normalise_code(b"000000000000016JD") is None
