"""Pure parsing and checking of a session roster CSV (no Flask, no database): one RosterRow per line."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache

from lms.accounts.identity import InvalidValue, clean_name, normalise_email, normalise_phone
from lms.accounts.provinces import FORMER_UNITS, find_province
from lms.text import fold

MAX_ROWS = 10_000
MAX_BUSINESS = 160

# Column names as people write them, folded (no case, no diacritics, punctuation as spaces).
COLUMN_ALIASES: dict[str, frozenset[str]] = {
    "full_name": frozenset({"full name", "name", "ho va ten", "ho ten", "ho va ten hoc vien"}),
    "login": frozenset({"login", "email or phone", "email hoac so dien thoai", "tai khoan", "dang nhap"}),
    "phone": frozenset({"phone", "phone number", "mobile", "so dien thoai", "dien thoai", "sdt", "so dt"}),
    "email": frozenset({"email", "e mail", "thu dien tu"}),
    "province": frozenset({"province", "province or city", "tinh thanh pho", "tinh thanh", "tinh tp", "tinh", "thanh pho"}),
    "business_name": frozenset({"business name", "business", "ten co so", "co so", "ten doanh nghiep", "doanh nghiep", "ten co so kinh doanh"}),
}
# a row-number column, common in Vietnamese spreadsheets: ignored without a word
INDEX_COLUMNS = frozenset({"stt", "so thu tu", "no", "#"})
EXPECTED_COLUMNS = "full_name, phone, email (or one column login), province, business_name"

_PUNCTUATION = re.compile(r"[^a-z0-9#]+")
# Excel drops the leading 0 of a phone number typed as a number: 912345678
_NATIONAL_WITHOUT_ZERO = re.compile(r"^(?:[35789]\d{8}|2\d{9})$")
_NAME_PROBLEMS = {"name_required": "name_required", "name_characters": "name_characters", "too_long": "name_too_long"}
_BUSINESS_PROBLEMS = {"name_characters": "business_characters", "too_long": "business_too_long"}
# a roster names the same few provinces thousands of times
_find_province = lru_cache(maxsize=256)(find_province)


class RosterError(ValueError):
    """The file as a whole cannot be read; `code` selects the message, `detail` fills it."""

    def __init__(self, code: str, **detail):
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Problem:
    """Why a row is rejected: a code for the message, and the line or value it refers to."""

    code: str
    line: int | None = None
    value: str = ""


@dataclass
class RosterRow:
    line: int
    full_name: str = ""
    email: str | None = None
    phone: str | None = None
    province: str | None = None
    business_name: str = ""
    login_given: str = ""
    province_given: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def login(self) -> str:
        return self.email or self.phone or self.login_given

    @property
    def province_renamed(self) -> bool:
        """The file named a unit merged in 2025 (e.g. Bắc Giang), now part of `province`."""
        return fold(self.province_given) in FORMER_UNITS

    def keys(self) -> list[tuple[str, str]]:
        return [(kind, value) for kind, value in (("email", self.email), ("phone", self.phone)) if value]


@dataclass(frozen=True)
class Roster:
    rows: list[RosterRow]
    ignored_columns: tuple[str, ...] = ()
    delimiter: str = ","


def _column_key(header: str) -> str:
    return _PUNCTUATION.sub(" ", fold(header)).strip()


def decode(data: bytes) -> str:
    """UTF-8 with or without BOM; anything else is refused rather than guessed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RosterError("encoding") from error
    if "\x00" in text:
        raise RosterError("encoding")
    return text


def _delimiter(header_line: str) -> str:
    """Excel in vi-VN saves CSV with ';'; pick the separator the header line uses most."""
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _columns(headers: list[str]) -> tuple[dict[str, int], tuple[str, ...]]:
    """Map each known column to its position; return the names of columns that will be ignored."""
    positions: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(headers):
        key = _column_key(header)
        if not key or key in INDEX_COLUMNS:
            continue
        column = next((name for name, aliases in COLUMN_ALIASES.items() if key in aliases), None)
        if column is None:
            ignored.append(header.strip())
            continue
        if column in positions:
            raise RosterError("duplicate_column", column=header.strip(), expected=EXPECTED_COLUMNS)
        positions[column] = index
    has_login = "login" in positions
    has_split = "phone" in positions or "email" in positions
    missing = [name for name in ("full_name", "province") if name not in positions]
    if not has_login and not has_split:
        missing.append("phone / email")
    if missing:
        raise RosterError("columns", missing=", ".join(missing), expected=EXPECTED_COLUMNS)
    if has_login and has_split:
        raise RosterError("login_columns", expected=EXPECTED_COLUMNS)
    return positions, tuple(ignored)


def _phone(raw: str) -> str:
    digits = re.sub(r"[\s.\-()]", "", raw)
    if _NATIONAL_WITHOUT_ZERO.match(digits):
        digits = "0" + digits
    return normalise_phone(digits)


def _check_row(row: RosterRow, cells: dict[str, str]) -> None:
    """Fill the row's normal forms from its cells, collecting every problem."""
    try:
        row.full_name = clean_name(cells.get("full_name", ""))
    except InvalidValue as error:
        row.full_name = cells.get("full_name", "").strip()
        row.problems.append(Problem(_NAME_PROBLEMS[error.code]))
    given = [v.strip() for v in (cells.get("login", ""), cells.get("phone", ""), cells.get("email", "")) if v.strip()]
    row.login_given = " / ".join(given)
    try:
        if not given:
            raise InvalidValue("login_required")
        if "login" in cells:
            row.email, row.phone = (normalise_email(given[0]), None) if "@" in given[0] else (None, _phone(given[0]))
        else:
            row.phone = _phone(cells["phone"]) if cells.get("phone", "").strip() else None
            row.email = normalise_email(cells["email"]) if cells.get("email", "").strip() else None
    except InvalidValue as error:
        row.problems.append(Problem(error.code, value=row.login_given))
    row.province_given = cells.get("province", "").strip()
    if not row.province_given:
        row.problems.append(Problem("province_required"))
    else:
        row.province = _find_province(row.province_given)
        if row.province is None:
            row.problems.append(Problem("province_unknown", value=row.province_given))
    try:
        row.business_name = clean_name(cells.get("business_name", ""), max_length=MAX_BUSINESS, required=False)
    except InvalidValue as error:
        row.business_name = cells.get("business_name", "").strip()
        row.problems.append(Problem(_BUSINESS_PROBLEMS[error.code]))


def parse_roster(data: bytes, max_rows: int = MAX_ROWS) -> Roster:
    """Read a roster CSV: headers in English or Vietnamese, ',' or ';', UTF-8 (BOM or not).

    Raises RosterError when the file as a whole is unusable (encoding, columns, too many rows);
    otherwise returns every non-blank row with its line number and problems (none: valid).
    A login already used on an earlier line makes the row a duplicate of that line.
    """
    text = decode(data)
    if not text.strip():
        raise RosterError("empty", expected=EXPECTED_COLUMNS)
    delimiter = _delimiter(text.lstrip().split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next((cells for cells in reader if any(cell.strip() for cell in cells)), None)
        if headers is None:
            raise RosterError("empty", expected=EXPECTED_COLUMNS)
        positions, ignored = _columns(headers)
        rows: list[RosterRow] = []
        seen: dict[tuple[str, str], int] = {}
        last_line = reader.line_num
        for cells in reader:
            # the line the row starts on (a quoted cell may span several lines)
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                raise RosterError("too_many_rows", limit=max_rows)
            row = RosterRow(line=line)
            _check_row(row, {name: (cells[i] if i < len(cells) else "") for name, i in positions.items()})
            for key in row.keys():
                if key in seen:
                    row.problems.append(Problem("duplicate", line=seen[key]))
                    break
            for key in row.keys():
                seen.setdefault(key, row.line)
            rows.append(row)
    except csv.Error as error:
        raise RosterError("malformed", line=reader.line_num) from error
    if not rows:
        raise RosterError("no_rows", expected=EXPECTED_COLUMNS)
    return Roster(rows=rows, ignored_columns=ignored, delimiter=delimiter)


def _safe_cell(value: object) -> str:
    """Spreadsheets run a cell starting with = + - @ as a formula; a leading apostrophe keeps it text."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(header: tuple[str, ...], rows: list[tuple]) -> str:
    """A CSV text (comma-separated, CRLF) whose cells a spreadsheet will not run as formulas."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_safe_cell(value) for value in row] for row in rows)
    return out.getvalue()
