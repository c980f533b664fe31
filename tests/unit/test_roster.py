"""Reading a session roster CSV: columns in English or Vietnamese, separators, encodings, row checks, and a fuzz test."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.cohorts.forms import file_error_message, problem_message
from lms.cohorts.roster import MAX_ROWS, Problem, RosterError, parse_roster, write_csv

ENGLISH = "full_name,phone,email,province,business_name\n"
VIETNAMESE = "Họ và tên;Số điện thoại;Email;Tỉnh/Thành phố;Tên cơ sở\n"


def codes(row):
    return [problem.code for problem in row.problems]


def test_english_headers_give_normalised_rows():
    roster = parse_roster((ENGLISH + "  Nguyễn   Thị Lan ,0912 345 678,,Đắk Lắk,HTX Cà phê\n").encode())
    row = roster.rows[0]
    assert (row.line, row.full_name, row.phone, row.email, row.province, row.business_name) == (2, "Nguyễn Thị Lan", "+84912345678", None, "dak-lak", "HTX Cà phê")
    assert row.valid


def test_vietnamese_headers_with_semicolons_and_a_bom():
    data = ("\ufeff" + VIETNAMESE + "Trần Văn Minh;;minh@example.vn;Huế;\n").encode("utf-8")
    roster = parse_roster(data)
    assert roster.delimiter == ";"
    assert (roster.rows[0].full_name, roster.rows[0].email, roster.rows[0].province) == ("Trần Văn Minh", "minh@example.vn", "hue")


def test_one_login_column_holds_email_or_phone():
    roster = parse_roster("full_name,login,province\nA Lan,lan@example.vn,Hà Nội\nB Minh,+84 912 345 679,ha-noi\n".encode())
    assert [(r.email, r.phone) for r in roster.rows] == [("lan@example.vn", None), (None, "+84912345679")]


def test_a_phone_that_excel_stripped_of_its_leading_zero_is_accepted():
    roster = parse_roster((ENGLISH + "A Lan,912345678,,Hà Nội,\n").encode())
    assert roster.rows[0].phone == "+84912345678"


def test_old_province_names_map_to_the_new_province():
    roster = parse_roster((ENGLISH + "A Lan,0912345678,,Bắc Giang,\nB Minh,0912345679,,tinh phu yen,\n").encode())
    assert [r.province for r in roster.rows] == ["bac-ninh", "dak-lak"]
    assert roster.rows[0].province_renamed and roster.rows[0].valid


def test_wrong_columns_name_the_expected_ones():
    with pytest.raises(RosterError) as error:
        parse_roster("name,telephone number\nA,0912345678\n".encode())
    assert error.value.code == "columns"
    assert "province" in error.value.detail["missing"] and "full_name" in error.value.detail["expected"]


def test_login_column_and_phone_column_together_are_refused():
    with pytest.raises(RosterError) as error:
        parse_roster("full_name,login,phone,province\n".encode())
    assert error.value.code == "login_columns"


def test_the_same_column_twice_is_refused():
    with pytest.raises(RosterError) as error:
        parse_roster("full_name,phone,province,Tỉnh\n".encode())
    assert error.value.code == "duplicate_column"


def test_unknown_columns_are_reported_and_a_row_number_column_is_ignored_silently():
    roster = parse_roster("STT,full_name,phone,province,Ghi chú\n1,A Lan,0912345678,Hà Nội,gọi trước\n".encode())
    assert roster.ignored_columns == ("Ghi chú",)
    assert roster.rows[0].valid


@pytest.mark.parametrize("data", [
    "full_name,phone,province\nĐặng Hà,0912345678,Huế\n".encode("utf-16"),
    b"full_name,phone,province\nH\xe0 V\xe2n,0912345678,Hu\xea\n",  # Windows-1258 / cp1252 bytes
])
def test_a_file_not_in_utf8_is_refused_rather_than_guessed(data):
    with pytest.raises(RosterError) as error:
        parse_roster(data)
    assert error.value.code == "encoding"


def test_an_empty_file_and_a_file_without_rows_are_refused():
    for data, code in ((b"", "empty"), (b"\n;;;\n", "empty"), (ENGLISH.encode(), "no_rows")):
        with pytest.raises(RosterError) as error:
            parse_roster(data)
        assert error.value.code == code


def test_rows_are_checked_one_by_one_with_every_problem():
    data = (ENGLISH
            + ",0912345678,,Hà Nội,\n"
            + "B Minh,12345,,Hà Nội,\n"
            + "C Hoa,,not-an-email,Hà Nội,\n"
            + "D Tuấn,,,Hà Nội,\n"
            + "E Thu,0912345670,,Atlantis,\n"
            + "F Hằng,0912345671,,,\n"
            + ",,,,\n"  # a blank row is skipped, but keeps its line number
            + "G Lâm,0912345672,,Hà Nội," + "x" * 161 + "\n").encode()
    rows = parse_roster(data).rows
    assert [r.line for r in rows] == [2, 3, 4, 5, 6, 7, 9]
    assert [codes(r) for r in rows] == [["name_required"], ["phone_format"], ["email_format"], ["login_required"],
                                        ["province_unknown"], ["province_required"], ["business_too_long"]]
    assert rows[4].problems[0].value == "Atlantis"


def test_a_login_used_on_an_earlier_line_is_a_duplicate_of_that_line():
    data = (ENGLISH + "A Lan,0912345678,,Hà Nội,\nB Minh,,minh@example.vn,Hà Nội,\nA Lan,+84912345678,,Hà Nội,\nC,0912 345 679,MINH@example.vn,Hà Nội,\n").encode()
    rows = parse_roster(data).rows
    assert [(p.code, p.line) for r in rows for p in r.problems] == [("duplicate", 2), ("duplicate", 3)]


def test_a_quoted_cell_can_hold_the_separator_and_a_line_break():
    rows = parse_roster((ENGLISH + '"Lan, Nguyễn\nThị",0912345678,,Hà Nội,"HTX ""Sen"""\nB Minh,0912345679,,Huế,\n').encode()).rows
    assert rows[0].full_name == "Lan, Nguyễn Thị" and rows[0].business_name == 'HTX "Sen"'
    assert [r.line for r in rows] == [2, 4]


def test_more_than_ten_thousand_rows_are_refused():
    body = "".join(f"Học viên {i},09{i:08d},,Hà Nội,\n" for i in range(MAX_ROWS + 1))
    with pytest.raises(RosterError) as error:
        parse_roster((ENGLISH + body).encode())
    assert (error.value.code, error.value.detail["limit"]) == ("too_many_rows", MAX_ROWS)
    assert len(parse_roster((ENGLISH + body.split("\n", 1)[1]).encode()).rows) == MAX_ROWS


def test_written_csv_cells_cannot_run_as_formulas():
    text = write_csv(("name", "login"), [("=HYPERLINK(1)", "+84912345678")])
    assert text.splitlines() == ["name,login", "'=HYPERLINK(1),'+84912345678"]


# --- fuzz: whatever a trainer uploads, the answer is rows with known problems or one clear file error ---------------

FILE_ERRORS = {"encoding", "empty", "no_rows", "columns", "duplicate_column", "login_columns", "too_many_rows", "malformed"}
ROW_PROBLEMS = {"name_required", "name_characters", "name_too_long", "business_characters", "business_too_long", "login_required",
                "phone_format", "email_format", "province_required", "province_unknown", "duplicate"}
HEADERS = ["full_name", "phone", "email", "province", "business_name", "login", "Họ và tên", "Số điện thoại", "Tỉnh/Thành phố",
           "Tên cơ sở", "STT", "Ghi chú", "", " name "]
CELLS = st.one_of(
    st.sampled_from(["", " ", "Nguyễn Văn An", "0912 345 678", "912345678", "+84 912 345 678", "(+84) 912.345.678", "lan@example.vn",
                     "LAN@EXAMPLE.VN", "a@b", "@", "a@-.vn", "a@" + "x" * 300 + ".vn", "Hà Nội", "Bắc Giang", "tinh phu yen", "Atlantis",
                     "x" * 161, "Nguyễn\u202eVăn", "=1+1", '"', '""', '"a,b"', "\r", "\n", ";", ",", "\t", "\ufeff"]),  # NUL, bad UTF-8: st.binary
    st.text(max_size=20),
)


def mostly(good: list[str], bad: list[str]) -> st.SearchStrategy[str]:
    """Three times in four a plausible value, else a wrong or random one."""
    return st.builds(lambda pick, plausible, other: other if pick == 0 else plausible,
                     st.integers(0, 3), st.sampled_from(good), st.sampled_from(bad) | st.text(max_size=12))


NAMES = mostly(["Nguyễn Văn An", "Trần Thị Lan", " lê  minh "], ["", "123", "Nguyễn\u202eVăn", "x" * 121])
LOGINS = mostly(["0912 345 678", "912345678", "+84912345679", "0387 654 321", "lan@example.vn", "LAN@example.vn"], ["12345", "a@b", ""])
PROVINCES = mostly(["Hà Nội", "ha-noi", "Bắc Giang", "TP. Hồ Chí Minh"], ["Atlantis", ""])


@st.composite
def roster_texts(draw) -> str:
    """CSV-ish text: the expected columns (then rows that may well be valid) or any headers, any separator and
    line ending, cells that look like data or not."""
    separator = draw(st.sampled_from([",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    expected = ["full_name", "phone", "email", "province", "business_name"]
    header = draw(st.one_of(st.just(expected), st.permutations(expected), st.lists(st.sampled_from(HEADERS), max_size=7)))
    likely = st.tuples(NAMES, LOGINS, st.sampled_from(["", "lan@example.vn"]), PROVINCES, st.sampled_from(["", "HTX Sen"]) | CELLS).map(list)
    rows = draw(st.lists(likely | st.lists(CELLS, max_size=7), max_size=8))
    return newline.join(separator.join(cells) for cells in [header, *rows])


def _encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.binary(max_size=400),
    st.builds(_encoded, roster_texts(), st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1258"])),
))
def test_any_upload_gives_rows_with_known_problems_or_one_clear_file_error(data):
    try:
        roster = parse_roster(data, max_rows=5)
    except RosterError as error:
        assert error.code in FILE_ERRORS
        return
    lines = [row.line for row in roster.rows]
    assert 1 <= len(lines) <= 5 and lines == sorted(set(lines)) and lines[0] >= 2
    assert {problem.code for row in roster.rows for problem in row.problems} <= ROW_PROBLEMS
    for row in roster.rows:
        if row.valid:  # a valid row can create an account: a name, a known province and a normalised login
            assert row.full_name and row.province and (row.email or row.phone) and row.login in (row.email, row.phone)


def test_every_error_the_parser_gives_has_words_for_the_trainer():
    assert all(file_error_message(RosterError(code)) != code for code in FILE_ERRORS)
    assert all(problem_message(Problem(code)) != code for code in ROW_PROBLEMS)
