"""Reading a session roster CSV: columns in English or Vietnamese, separators, encodings, row checks."""
import pytest

from lms.cohorts.roster import MAX_ROWS, RosterError, parse_roster, write_csv

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
